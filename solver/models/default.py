"""The model a run uses when none is named.

The project's trained drawing model lives in ``models/drawing-small/`` at the repository root
once it is trained and committed (issue 5). Until then the default is a *tiny, untrained* model
built from the project tokenizer and cached in ``runs/models/tiny-random/``: it exercises every
part of the loop on CPU in seconds but writes mostly noise, so it solves nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
TRAINED_DEFAULT = REPO_ROOT / "models" / "drawing-small"
TINY_RANDOM = REPO_ROOT / "runs" / "models" / "tiny-random"


def build_random_model(folder: str | Path, size: str = "tiny", seed: int = 0) -> Path:
    """Save a randomly initialised model of ``size`` with the project tokenizer to ``folder``."""
    from solver.models.factory import create_model
    from solver.models.project_tokenizer import load_project_tokenizer

    folder = Path(folder)
    tokenizer = load_project_tokenizer()
    model = create_model(size, tokenizer, seed=seed)
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return folder


def default_model_dir() -> Path:
    """The trained default model if it is there, else the tiny random one (built on first use)."""
    if (TRAINED_DEFAULT / "config.json").exists():
        return TRAINED_DEFAULT
    if not (TINY_RANDOM / "config.json").exists():
        log.warning("no trained default model in %s; building a tiny untrained one in %s", TRAINED_DEFAULT, TINY_RANDOM)
        build_random_model(TINY_RANDOM)
    return TINY_RANDOM
