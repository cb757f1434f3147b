"""Kaggle packaging: the notebook's logic, the wheel manifest, the bundle, and the rehearsal end to end.

The end-to-end test builds its wheels by hand (two tiny pure-Python packages written as wheel
files) instead of ``pip download``: CI's network is then not a cause of failure, and pip's real
installer still installs them into a fresh virtual environment with the index disabled and no
pip config, which is the property under test. The full Kaggle set (vLLM and friends) is built by
``make wheels`` and resolved for Kaggle's Python by ``make kaggle-rehearsal`` (``--install check``).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from solver.kaggle_entry import EVALUATION_FILE, TEST_FILE, KaggleConfig, install_command, is_public_stand_in, solve_command, time_budget_s

REPO = Path(__file__).resolve().parents[1]


def load_script(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


download = load_script(REPO / "offline_wheels" / "download.py")


def make_wheel(folder: Path, name: str, version: str, source: str) -> Path:
    """A minimal valid pure-Python wheel holding one module ``name``."""
    dist_info = f"{name}-{version}.dist-info"
    files = {
        f"{name}.py": source,
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files[f"{dist_info}/RECORD"] = "\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n"
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


def test_config_reads_the_environment():
    default = KaggleConfig.from_env({})
    assert default.input_dir == Path("/kaggle/input") and default.submission == Path("/kaggle/working/submission.json")
    config = KaggleConfig.from_env({"ARC_KAGGLE_INPUT": "/x/in", "ARC_KAGGLE_WORKING": "/x/work", "ARC_MODEL_DATASET": "m", "ARC_SAFETY_MARGIN": "30m", "ARC_EXTRA_FLAGS": "--seed 3"})
    assert config.model_dir == Path("/x/in/m") and config.safety_margin_s == 1800 and config.extra_flags == ["--seed", "3"]
    assert config.test_challenges == Path("/x/in/arc-prize-2025") / TEST_FILE
    with pytest.raises(ValueError, match="ARC_QUICK"):
        KaggleConfig.from_env({"ARC_QUICK": "maybe"})


def test_public_stand_in_is_detected_by_evaluation_ids(tmp_path):
    config = KaggleConfig(input_dir=tmp_path)
    (tmp_path / config.competition).mkdir()
    (tmp_path / config.competition / EVALUATION_FILE).write_text(json.dumps({"a": {}, "b": {}, "c": {}}))
    config.test_challenges.write_text(json.dumps({"a": {}, "b": {}}))
    assert is_public_stand_in(config)
    config.test_challenges.write_text(json.dumps({"a": {}, "hidden": {}}))
    assert not is_public_stand_in(config)
    config.quick = "1"
    assert is_public_stand_in(config)
    config.quick = "auto"
    (tmp_path / config.competition / EVALUATION_FILE).unlink()
    assert not is_public_stand_in(config)  # no evaluation file to compare with: a full run


def test_time_budget_keeps_the_margin():
    config = KaggleConfig(time_limit_s=12 * 3600, safety_margin_s=3600, quick_budget_s=300, started_at=1000.0)
    assert time_budget_s(config, quick=False, now=1600.0) == 11 * 3600 - 600
    assert time_budget_s(config, quick=True, now=1600.0) == 300
    with pytest.raises(ValueError, match="no time left"):
        time_budget_s(config, quick=False, now=1000.0 + 11 * 3600)
    command = solve_command(config, 1234.9)
    assert command[command.index("--time-budget") + 1] == "1234s" and str(config.submission) in command


def test_install_command_never_reaches_an_index(tmp_path):
    config = KaggleConfig(input_dir=tmp_path, pip_python="py")
    command = install_command(config)
    assert command[:4] == ["py", "-m", "pip", "install"] and "--no-index" in command and "--no-deps" in command
    assert command[command.index("--find-links") + 1] == str(config.wheels_dir)
    config.wheels_dir.mkdir()
    (config.wheels_dir / "manifest.json").write_text(json.dumps({"target": {"python_version": "3.12", "platforms": ["manylinux_2_28_x86_64", "any"]}}))
    config.pip_check_only = True
    checked = install_command(config)
    assert "--dry-run" in checked and checked[checked.index("--python-version") + 1] == "3.12" and "--platform=any" in checked


def test_manifest_refuses_two_versions_and_unpinned_wheels(tmp_path):
    make_wheel(tmp_path, "alpha", "1.0", "")
    make_wheel(tmp_path, "beta", "2.0", "")
    manifest = download.write_manifest(tmp_path, "3.11", ["any"], {"alpha": "1.0", "beta": "2.0"})
    assert [f["name"] for f in manifest["files"]] == ["alpha", "beta"] and manifest["total_bytes"] == sum(f["bytes"] for f in manifest["files"])
    assert (tmp_path / "requirements.txt").read_text() == "alpha==1.0\nbeta==2.0\n"
    with pytest.raises(ValueError, match="no wheel for gamma==1"):
        download.write_manifest(tmp_path, "3.11", ["any"], {"alpha": "1.0", "beta": "2.0", "gamma": "1"})
    with pytest.raises(ValueError, match="not pinned"):
        download.write_manifest(tmp_path, "3.11", ["any"], {"alpha": "1.0"})
    make_wheel(tmp_path, "alpha", "1.1", "")
    with pytest.raises(ValueError, match="two versions of alpha"):
        download.write_manifest(tmp_path, "3.11", ["any"])
    with pytest.raises(ValueError, match="name==version"):
        (tmp_path / "req.txt").write_text("alpha>=1\n")
        download.pinned(tmp_path / "req.txt")


def test_notebook_and_kernel_metadata_are_kaggle_ready():
    import nbformat

    notebook = nbformat.read(REPO / "kaggle" / "submission.ipynb", as_version=4)
    nbformat.validate(notebook)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert "kaggle_entry.install_wheels(config)" in code and "kaggle_entry.run(config)" in code
    nbformat.validate(nbformat.read(REPO / "kaggle" / "probe.ipynb", as_version=4))
    kernel = json.loads((REPO / "kaggle" / "kernel-metadata.json").read_text())
    assert kernel["enable_gpu"] and not kernel["enable_internet"] and kernel["competition_sources"] == ["arc-prize-2025"]
    assert kernel["code_file"] == "submission.ipynb" and len(kernel["dataset_sources"]) == 3


@pytest.mark.slow
def test_rehearsal_end_to_end(tmp_path):
    """Bundle -> Kaggle-like tree -> notebook executed offline -> valid submission (about a minute)."""
    from solver.models.default import build_random_model

    wheels = tmp_path / "wheels"
    wheels.mkdir()
    make_wheel(wheels, "arcprobe_alpha", "1.0", "VALUE = 'alpha'\n")
    make_wheel(wheels, "arcprobe_beta", "0.2", "VALUE = 'beta'\n")
    (tmp_path / "pins.txt").write_text("arcprobe-alpha==1.0\narcprobe_beta==0.2\n")
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    python = sys.executable
    subprocess.run([python, str(REPO / "offline_wheels" / "download.py"), "--manifest-only", "--requirements", str(tmp_path / "pins.txt"), "--python-version", here, "--platform", "any", "--dest", str(wheels)], check=True)
    model = build_random_model(tmp_path / "model", size="tiny", seed=3)
    bundle = tmp_path / "dist"
    built = subprocess.run([python, str(REPO / "kaggle" / "build_bundle.py"), "--user", "ci-user", "--model", str(model), "--wheels", str(wheels), "--out", str(bundle)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert f"kaggle kernels push -p {bundle / 'notebook'}" in built.stdout
    assert json.loads((bundle / "notebook" / "kernel-metadata.json").read_text())["id"] == "ci-user/arc-her-solver-submission"

    out = tmp_path / "rehearsal"
    flags = "--sampling 1@0.1 --max-epochs 1 --max-new-tokens 16 --sandbox-workers 1 --device cpu"
    result = subprocess.run(
        [python, str(REPO / "kaggle" / "rehearsal.py"), "--bundle", str(bundle), "--out", str(out), "--tasks", "2", "--install", "real", "--quick-budget", "20s", "--extra-flags", flags],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    record = json.loads((out / "rehearsal.json").read_text())
    assert record["install"] == "real" and record["installed"] == ["arcprobe-alpha==1.0", "arcprobe-beta==0.2"]
    assert record["solver_from_code_dataset"] and record["quick_run"] and record["validate"].startswith("valid:")
    fresh = out / "pip-venv" / "bin" / "python"
    assert subprocess.run([str(fresh), "-c", "import arcprobe_alpha, arcprobe_beta; print(arcprobe_alpha.VALUE + arcprobe_beta.VALUE)"], capture_output=True, text=True).stdout.strip() == "alphabeta"
    submission = json.loads((out / "working" / "submission.json").read_text())
    challenges = json.loads((out / "input" / "arc-prize-2025" / TEST_FILE).read_text())
    assert sorted(submission) == sorted(challenges) and all(len(submission[t]) == len(challenges[t]["test"]) for t in challenges)


def test_bundle_ids_must_agree(tmp_path):
    build_bundle = load_script(REPO / "kaggle" / "build_bundle.py")
    for name in ("code", "wheels", "model"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "dataset-metadata.json").write_text(json.dumps({"id": f"ann/arc-her-solver-{name}"}))
    (tmp_path / "notebook").mkdir()
    kernel = {"id": "ann/sub", "enable_gpu": True, "enable_internet": False, "dataset_sources": [f"ann/arc-her-solver-{n}" for n in ("code", "wheels", "model")]}
    (tmp_path / "notebook" / "kernel-metadata.json").write_text(json.dumps(kernel))
    build_bundle.check_ids(tmp_path, "ann")
    with pytest.raises(ValueError, match="not under user 'bob'"):
        build_bundle.check_ids(tmp_path, "bob")
    (tmp_path / "notebook" / "kernel-metadata.json").write_text(json.dumps({**kernel, "dataset_sources": kernel["dataset_sources"][:2]}))
    with pytest.raises(ValueError, match="differ from the datasets"):
        build_bundle.check_ids(tmp_path, "ann")
    (tmp_path / "notebook" / "kernel-metadata.json").write_text(json.dumps({**kernel, "enable_internet": True}))
    with pytest.raises(ValueError, match="enable_internet false"):
        build_bundle.check_ids(tmp_path, "ann")
    with pytest.raises(ValueError, match="weights"):
        build_bundle.check_model(tmp_path / "code")
