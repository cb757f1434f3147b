"""What produced a run: the resolved config, the git commit, library versions, device and launch.

Written to ``<output>/train_config.json`` (the config alone, what a resume compares against) and
``<output>/run_info.json`` (everything else), refreshed at every (re)start.
"""

from __future__ import annotations

import json
import platform
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from train.config import ConfigError, TrainConfig

LIBRARIES = ("torch", "transformers", "peft", "accelerate", "tokenizers", "numpy", "pydantic", "arc-her-solver")
CONFIG_FILE = "train_config.json"
RUN_INFO_FILE = "run_info.json"
# Options that shape the trajectory: a resume that changes one of them is refused.
TRAJECTORY_FIELDS = (
    "model", "from_scratch", "tokenizer", "full_finetune", "lora_rank", "lora_alpha", "use_dora", "use_rslora",
    "seed", "batch_size", "max_seq_len", "data_mix",
)


def launch_command() -> str:
    """The command line of this process, as ``python -m train ...`` when launched that way."""
    if sys.argv and sys.argv[0].endswith(("train/__main__.py", "train")):
        return shlex.join(["python", "-m", "train", *sys.argv[1:]])
    return shlex.join(sys.argv)


def git_commit() -> str:
    """The commit of the checkout this code runs from, with ``-dirty`` if it has local changes; "unknown" outside git."""
    root = Path(__file__).resolve().parent.parent
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return sha + ("-dirty" if dirty.strip() else "")


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries that shape training (and Python's)."""
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def check_resumable(output_dir: Path, config: TrainConfig) -> None:
    """Refuse to resume a run whose trajectory-shaping options changed.

    Raises:
        ConfigError: naming the changed options, their stored and new values, and the fix.
    """
    path = output_dir / CONFIG_FILE
    if not path.is_file():
        return
    stored = json.loads(path.read_text())
    current = config.model_dump(mode="json")
    changed = [name for name in TRAJECTORY_FIELDS if stored.get(name) != current.get(name)]
    if changed:
        details = ", ".join(f"{name}: {stored.get(name)!r} -> {current.get(name)!r}" for name in changed)
        raise ConfigError(
            f"{output_dir} holds a run with other settings ({details}); resume with the same settings "
            "or pass a new --output-dir"
        )


def write_run_info(output_dir: Path, config: TrainConfig, runtime: dict[str, Any]) -> None:
    """Write the resolved config and the run's provenance (``runtime``: device, processes, ...)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / CONFIG_FILE).write_text(json.dumps(config.model_dump(mode="json"), indent=2) + "\n")
    info = {
        "command": launch_command(),
        "git_commit": git_commit(),
        "versions": library_versions(),
        **runtime,
    }
    (output_dir / RUN_INFO_FILE).write_text(json.dumps(info, indent=2) + "\n")
