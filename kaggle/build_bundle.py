"""Build ``dist/kaggle/``: four upload-ready folders, checked, and the commands to upload them (``make kaggle``).

    python kaggle/build_bundle.py --user NAME [--model DIR] [--wheels offline_wheels/wheels] [--out dist/kaggle]

Folders (each with the metadata file the ``kaggle`` CLI reads):
  code/      ``solver/`` (the package the notebook runs) + dataset-metadata.json
  wheels/    the wheels, their manifest and install pins (``make wheels``) + dataset-metadata.json
  model/     a Hugging Face model folder (config, weights, tokenizer) + dataset-metadata.json
  notebook/  submission.ipynb + kernel-metadata.json (GPU on, internet off, the three datasets)

Checks: the model folder is complete, the notebook is valid JSON (and valid nbformat when nbformat
is installed), every id carries the same user, the notebook's sources are exactly the three
datasets, the wheels manifest matches the files. Wheels are hard-linked where the file system
allows, so the bundle costs no extra disk. The model defaults to ``models/drawing-small`` and
falls back, loudly, to a tiny untrained model (it solves nothing).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATASETS = ("code", "wheels", "model")
MODEL_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json")


def _metadata(template: Path, user: str) -> dict:
    return json.loads(template.read_text().replace("{KAGGLE_USER}", user))


def _write_metadata(folder: Path, name: str, data: dict) -> None:
    (folder / name).write_text(json.dumps(data, indent=2) + "\n")


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def resolve_model(model: Path | None, out: Path) -> Path:
    """The model folder to ship: the one given, models/drawing-small, or a tiny random one built now."""
    if model is not None:
        return model
    trained = REPO / "models" / "drawing-small"
    if (trained / "config.json").exists():
        return trained
    sys.path.insert(0, str(REPO))
    from solver.models.default import build_random_model

    banner = "!" * 78
    print(f"{banner}\n!! NO TRAINED MODEL in {trained}: shipping a TINY UNTRAINED model that solves nothing.\n!! Pass --model DIR (make kaggle KAGGLE_MODEL=DIR) for a real submission.\n{banner}")
    return build_random_model(out / ".tiny-random-model", size="tiny")


def check_model(folder: Path) -> None:
    missing = [name for name in MODEL_FILES if not (folder / name).exists()]
    if not list(folder.glob("*.safetensors")) and not list(folder.glob("*.bin")):
        missing.append("weights (*.safetensors)")
    if missing:
        raise ValueError(f"model folder {folder} lacks {', '.join(missing)}")


def check_wheels(folder: Path) -> dict:
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise ValueError(f"{manifest_path} is missing: run `make wheels` first")
    manifest = json.loads(manifest_path.read_text())
    for entry in manifest["files"]:
        path = folder / entry["file"]
        if not path.exists() or path.stat().st_size != entry["bytes"]:
            raise ValueError(f"{path} is missing or differs from the manifest: re-run `make wheels`")
    if manifest["total_bytes"] < 50 * 2**20:  # hash small sets; re-hashing gigabytes every build is slow
        for entry in manifest["files"]:
            if hashlib.sha256((folder / entry["file"]).read_bytes()).hexdigest() != entry["sha256"]:
                raise ValueError(f"{entry['file']}: sha256 differs from the manifest")
    return manifest


def check_notebook(path: Path) -> None:
    notebook = json.loads(path.read_text())  # raises on invalid JSON
    try:
        import nbformat
    except ImportError:
        print("nbformat not installed: notebook checked as JSON only")
        return
    nbformat.validate(nbformat.from_dict(notebook))


def check_ids(out: Path, user: str) -> None:
    """Every id under one user; the kernel's dataset sources are exactly the three datasets."""
    ids = {}
    for name in DATASETS:
        ids[name] = json.loads((out / name / "dataset-metadata.json").read_text())["id"]
    kernel = json.loads((out / "notebook" / "kernel-metadata.json").read_text())
    for owner_id in [*ids.values(), kernel["id"]]:
        if owner_id.split("/")[0] != user:
            raise ValueError(f"id {owner_id!r} is not under user {user!r}")
    if sorted(kernel["dataset_sources"]) != sorted(ids.values()):
        raise ValueError(f"kernel dataset_sources {kernel['dataset_sources']} differ from the datasets {sorted(ids.values())}")
    if kernel["enable_internet"] or not kernel["enable_gpu"]:
        raise ValueError("kernel-metadata.json must have enable_gpu true and enable_internet false")


def build(user: str, model: Path | None, wheels: Path, out: Path) -> dict[str, int]:
    """Build and check the four folders under ``out``; return their sizes in bytes."""
    if not user or "/" in user or user.startswith("{"):
        raise ValueError(f"--user must be a Kaggle user name, got {user!r}")
    manifest = check_wheels(wheels)
    for name in (*DATASETS, "notebook"):
        shutil.rmtree(out / name, ignore_errors=True)
        (out / name).mkdir(parents=True)
    shutil.copytree(REPO / "solver", out / "code" / "solver", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for entry in manifest["files"]:
        _link_or_copy(wheels / entry["file"], out / "wheels" / entry["file"])
    for name in ("manifest.json", "requirements.txt"):
        shutil.copy2(wheels / name, out / "wheels" / name)
    model_dir = resolve_model(model, out)
    check_model(model_dir)
    for path in model_dir.iterdir():
        if path.is_file():
            _link_or_copy(path, out / "model" / path.name)
    for name in DATASETS:
        _write_metadata(out / name, "dataset-metadata.json", _metadata(HERE / f"{name}-dataset-metadata.json", user))
    shutil.copy2(HERE / "submission.ipynb", out / "notebook" / "submission.ipynb")
    _write_metadata(out / "notebook", "kernel-metadata.json", _metadata(HERE / "kernel-metadata.json", user))
    check_notebook(out / "notebook" / "submission.ipynb")
    check_ids(out, user)
    (out / "bundle.json").write_text(json.dumps({"user": user, "model": str(model_dir), "wheels_target": manifest["target"]}, indent=2) + "\n")
    return {name: _size(out / name) for name in (*DATASETS, "notebook")}


def upload_commands(out: Path) -> list[str]:
    """The kaggle CLI commands, in order (first upload: ``create``; later: ``version``)."""
    return [
        f"kaggle datasets create -p {out / 'code'} --dir-mode zip",
        f"kaggle datasets create -p {out / 'wheels'}",
        f"kaggle datasets create -p {out / 'model'}",
        f"kaggle kernels push -p {out / 'notebook'}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user", required=True, help="your Kaggle user name (the ids' prefix)")
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: models/drawing-small, else a tiny random one)")
    parser.add_argument("--wheels", type=Path, default=REPO / "offline_wheels" / "wheels", help="a folder made by `make wheels`")
    parser.add_argument("--out", type=Path, default=REPO / "dist" / "kaggle")
    args = parser.parse_args(argv)
    try:
        sizes = build(args.user, args.model, args.wheels, args.out)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for name, size in sizes.items():
        print(f"{args.out / name}: {size / 2**20:.1f} MiB")
    print(f"total {sum(sizes.values()) / 2**20:.1f} MiB. Checked: model complete, notebook valid, ids under {args.user!r}.")
    print("Upload (first time; later use `kaggle datasets version -p DIR -m MESSAGE` and push again):")
    for command in upload_commands(args.out):
        print("  " + command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
