"""Rehearse the Kaggle run on this machine: Kaggle's tree, the real notebook, pip offline (``make kaggle-rehearsal``).

    python kaggle/rehearsal.py --bundle dist/kaggle --out runs/kaggle-rehearsal --tasks 3

1. Lays out ``OUT/input/arc-prize-2025/`` (a few ARC-AGI-2 evaluation tasks as the test file, the
   whole evaluation set beside it, as Kaggle does while the notebook is edited), ``OUT/input/<slug>/``
   for the code, wheels and model datasets of the bundle, and an empty ``OUT/working/``.
2. Makes a fresh virtual environment for the install step and executes ``submission.ipynb`` with
   nbclient in an ipykernel of this interpreter, with pip cut off: ``PIP_NO_INDEX=1``, no pip
   config files (this machine's config names local wheel folders), and proxies pointing at a
   closed local port so that any network access fails at once.
3. Validates ``OUT/working/submission.json`` against the test challenges and scores it.

What it proves and what not: the notebook's own cells run end to end on Kaggle's layout; the
solver runs from the *code dataset* (checked), with the model dataset; the wheels install with
no index into an environment that had none of them (``--install real``, when the wheels fit this
interpreter), or, for a set built for Kaggle's Python (``--install check``), pip resolves every
pin from the folder for that target without installing. The solver itself runs in this
interpreter (CPU torch), not in the fresh environment: that one holds only the wheels, while
Kaggle's image brings torch. Kaggle's GPUs, image and mount points are not rehearsed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from solver.kaggle_entry import EVALUATION_FILE, TEST_FILE  # noqa: E402

COMPETITION = "arc-prize-2025"
CPU_FLAGS = "--sampling 2@0.1,2@1.0 --max-epochs 1 --max-new-tokens 48 --sandbox-workers 2 --device cpu"


def _slug(dataset: Path) -> str:
    return json.loads((dataset / "dataset-metadata.json").read_text())["id"].split("/")[1]


def _link_tree(source: Path, target: Path) -> None:
    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=link)


def layout(bundle: Path, out: Path, tasks: int) -> dict[str, Path]:
    """Kaggle's input and working folders under ``out``; returns the paths the notebook needs."""
    from solver.arc import load_dataset
    from solver.arc.loading import save_challenges

    shutil.rmtree(out, ignore_errors=True)
    competition = out / "input" / COMPETITION
    competition.mkdir(parents=True)
    evaluation = load_dataset("arc-agi-2/evaluation")
    # the smallest tasks (fewest grid cells), so that a CPU rehearsal is quick
    chosen = sorted(evaluation, key=lambda t: len(json.dumps([e.model_dump() for e in t.train])))[:tasks]
    save_challenges(chosen, competition / TEST_FILE, out / "solutions.json")
    save_challenges(evaluation, competition / EVALUATION_FILE)
    slugs = {}
    for name in ("code", "wheels", "model"):
        slugs[name] = _slug(bundle / name)
        _link_tree(bundle / name, out / "input" / slugs[name])
    (out / "working").mkdir()
    return {"input": out / "input", "working": out / "working", "competition": competition, **{k: out / "input" / v for k, v in slugs.items()}}


def wheels_fit_here(wheels: Path) -> bool:
    """Whether every wheel in the folder installs on this interpreter (then the install is real)."""
    from packaging.tags import sys_tags
    from packaging.utils import parse_wheel_filename

    here = set(sys_tags())
    manifest = json.loads((wheels / "manifest.json").read_text())
    return all(here & set(parse_wheel_filename(f["file"])[3]) for f in manifest["files"])


def fresh_venv(folder: Path) -> Path:
    """A new virtual environment with pip (from ensurepip: offline) and nothing else."""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    return folder / "bin" / "python"


def offline_env(paths: dict[str, Path], pip_python: Path, check_only: bool, quick_budget: str, extra_flags: str) -> dict[str, str]:
    """The notebook's environment: Kaggle paths moved here, and no way for pip to reach an index."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    dead = "http://127.0.0.1:9"  # the discard port: nothing listens, so any request fails at once
    env.update({
        "ARC_KAGGLE_INPUT": str(paths["input"]), "ARC_KAGGLE_WORKING": str(paths["working"]),
        "ARC_COMPETITION": COMPETITION, "ARC_CODE_DATASET": paths["code"].name,
        "ARC_WHEELS_DATASET": paths["wheels"].name, "ARC_MODEL_DATASET": paths["model"].name,
        "ARC_PIP_PYTHON": str(pip_python), "ARC_PIP_CHECK_ONLY": "1" if check_only else "0",
        "ARC_SOLVER_PYTHON": sys.executable, "ARC_QUICK_BUDGET": quick_budget, "ARC_EXTRA_FLAGS": extra_flags,
        "PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": os.devnull,
        "HTTP_PROXY": dead, "HTTPS_PROXY": dead, "http_proxy": dead, "https_proxy": dead, "NO_PROXY": "", "no_proxy": "",
        "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
    })  # fmt: skip
    return env


def execute_notebook(notebook: Path, executed: Path, cwd: Path, env: dict[str, str], timeout_s: int) -> str:
    """Run every cell in an ipykernel of this interpreter; save the executed copy; return all stream output."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)  # the kernel process inherits this environment
    try:
        NotebookClient(nb, timeout=timeout_s, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    finally:
        nbformat.write(nb, executed)
        os.environ.clear()
        os.environ.update(saved)
    return "".join(o.get("text", "") for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", []))


def installed_pins(pip_python: Path) -> set[str]:
    out = subprocess.run([str(pip_python), "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True, check=True).stdout
    return {line.strip().lower().replace("_", "-") for line in out.splitlines()}


def rehearse(bundle: Path, out: Path, tasks: int, install: str, quick_budget: str, extra_flags: str, timeout_s: int) -> dict:
    """Run the whole rehearsal; return its record (also written to ``out/rehearsal.json``)."""
    started = time.time()
    bundle, out = bundle.resolve(), out.resolve()  # the kernel runs in OUT/working
    paths = layout(bundle, out, tasks)
    check_only = {"real": False, "check": True, "auto": not wheels_fit_here(paths["wheels"])}[install]
    if check_only:
        print("!! the wheels are built for another Python/platform (Kaggle's): the install step RESOLVES them for that target (pip --dry-run), it installs nothing")
    pip_python = fresh_venv(out / "pip-venv")
    env = offline_env(paths, pip_python, check_only, quick_budget, extra_flags)
    text = execute_notebook(bundle / "notebook" / "submission.ipynb", out / "submission.executed.ipynb", paths["working"], env, timeout_s)
    print(text)
    code_line = next((line for line in text.splitlines() if line.startswith("solver code from")), "")
    if str(paths["code"]) not in code_line:
        raise RuntimeError(f"the notebook did not import the solver from the code dataset {paths['code']}: {code_line!r}")
    record = {"install": "check" if check_only else "real", "solver_from_code_dataset": True, "quick_run": "QUICK" in text}
    if not check_only:
        pins = {line.strip().lower() for line in (paths["wheels"] / "requirements.txt").read_text().split()}
        missing = pins - installed_pins(pip_python)
        if missing:
            raise RuntimeError(f"not installed in the fresh environment: {sorted(missing)}")
        record["installed"] = sorted(pins)
    submission = paths["working"] / "submission.json"
    test = paths["competition"] / TEST_FILE
    for command in (["validate", "--submission", str(submission), "--challenges", str(test)], ["score", "--submission", str(submission), "--challenges", str(test), "--solutions", str(out / "solutions.json")]):
        result = subprocess.run([sys.executable, "-m", "solver", *command], capture_output=True, text=True, cwd=REPO)
        print(result.stdout.strip())
        if result.returncode != 0:
            raise RuntimeError(f"solver {command[0]} failed: {result.stdout}{result.stderr}")
        record[command[0]] = result.stdout.strip().splitlines()[-1]
    record["tasks"] = tasks
    record["seconds"] = round(time.time() - started, 1)
    (out / "rehearsal.json").write_text(json.dumps(record, indent=2) + "\n")
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=REPO / "dist" / "kaggle", help="made by `make kaggle`")
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "kaggle-rehearsal")
    parser.add_argument("--tasks", type=int, default=3, help="evaluation tasks in the test file (the smallest ones)")
    parser.add_argument("--install", choices=("auto", "real", "check"), default="auto", help="real: install into a fresh venv; check: resolve for the wheels' target; auto: real when the wheels fit this Python")
    parser.add_argument("--quick-budget", default="2m", help="the solver's time budget (the test file is detected as the public stand-in)")
    parser.add_argument("--extra-flags", default=CPU_FLAGS, help="more `solver run` flags (CPU-sized by default)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per notebook cell at most")
    args = parser.parse_args(argv)
    record = rehearse(args.bundle, args.out, args.tasks, args.install, args.quick_budget, args.extra_flags, args.timeout)
    print(f"rehearsal passed in {record['seconds']} s: install {record['install']}, {record['validate']}; {record['score']}; details {args.out / 'rehearsal.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
