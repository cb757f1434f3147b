"""What the Kaggle notebook does, as an importable module: paths, offline install, GPUs, the run.

The notebook (``kaggle/submission.ipynb``) is three thin cells: read the paths from the
environment and put the code dataset on ``sys.path``; install the wheels; call ``run``. All the
logic lives here so that it is unit tested and the same code runs on Kaggle, in the local
rehearsal (``make kaggle-rehearsal``) and anywhere else the environment variables point.

Boundary: standard library only. This module runs *before* the wheels are installed, so it may
not import pydantic, orjson or torch; the solver itself runs in a child ``python -m solver run``
process with the code dataset on ``PYTHONPATH``.

Time: Kaggle stops the notebook at 12 h. The solver gets the limit minus a safety margin (1 h by
default: model loading, the fallback write, slow disks) minus what the notebook already spent
(install, GPU probe). When the visible test file is the public stand-in (Kaggle re-runs the saved
notebook on the hidden tasks), it runs for ``quick_budget_s`` only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from solver.duration import parse_duration

TEST_FILE = "arc-agi_test_challenges.json"
EVALUATION_FILE = "arc-agi_evaluation_challenges.json"
REQUIREMENTS_FILE = "requirements.txt"  # inside the wheels dataset: the exact pins to install
MANIFEST_FILE = "manifest.json"  # inside the wheels dataset: target, files, sizes, sha256


def _flag(value: str) -> bool:
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected a boolean (1/0), got {value!r}")


@dataclass
class KaggleConfig:
    """Where things are and how long to run; every field has an ``ARC_*`` environment variable.

    Defaults are Kaggle's own layout, so the notebook needs no variable set on Kaggle.
    """

    input_dir: Path = Path("/kaggle/input")  # ARC_KAGGLE_INPUT
    working_dir: Path = Path("/kaggle/working")  # ARC_KAGGLE_WORKING
    competition: str = "arc-prize-2025"  # ARC_COMPETITION: folder under input_dir
    code_dataset: str = "arc-her-solver-code"  # ARC_CODE_DATASET
    wheels_dataset: str = "arc-her-solver-wheels"  # ARC_WHEELS_DATASET
    model_dataset: str = "arc-her-solver-model"  # ARC_MODEL_DATASET
    time_limit_s: float = 12 * 3600.0  # ARC_TIME_LIMIT: Kaggle's notebook limit
    safety_margin_s: float = 3600.0  # ARC_SAFETY_MARGIN: left unused on purpose
    quick: str = "auto"  # ARC_QUICK: auto (detect the public stand-in), 1 (always quick), 0 (never)
    quick_budget_s: float = 300.0  # ARC_QUICK_BUDGET
    pip_python: str = sys.executable  # ARC_PIP_PYTHON: the interpreter the wheels go into
    pip_check_only: bool = False  # ARC_PIP_CHECK_ONLY: resolve the wheels for their target, install nothing
    solver_python: str = sys.executable  # ARC_SOLVER_PYTHON: runs `python -m solver run`
    extra_flags: list[str] = field(default_factory=list)  # ARC_EXTRA_FLAGS: more `solver run` flags
    started_at: float = field(default_factory=time.time)  # when the notebook started

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> KaggleConfig:
        """Read the ``ARC_*`` variables; unset ones keep Kaggle's defaults."""
        env = os.environ if environ is None else environ
        config = cls()
        text = {
            "ARC_KAGGLE_INPUT": "input_dir", "ARC_KAGGLE_WORKING": "working_dir", "ARC_COMPETITION": "competition",
            "ARC_CODE_DATASET": "code_dataset", "ARC_WHEELS_DATASET": "wheels_dataset", "ARC_MODEL_DATASET": "model_dataset",
            "ARC_QUICK": "quick", "ARC_PIP_PYTHON": "pip_python", "ARC_SOLVER_PYTHON": "solver_python",
        }  # fmt: skip
        for var, name in text.items():
            if env.get(var):
                setattr(config, name, Path(env[var]) if name.endswith("_dir") else env[var])
        for var, name in (("ARC_TIME_LIMIT", "time_limit_s"), ("ARC_SAFETY_MARGIN", "safety_margin_s"), ("ARC_QUICK_BUDGET", "quick_budget_s")):
            if env.get(var):
                setattr(config, name, parse_duration(env[var]))
        if env.get("ARC_PIP_CHECK_ONLY"):
            config.pip_check_only = _flag(env["ARC_PIP_CHECK_ONLY"])
        if env.get("ARC_EXTRA_FLAGS"):
            config.extra_flags = env["ARC_EXTRA_FLAGS"].split()
        if config.quick not in ("auto", "1", "0"):
            raise ValueError(f"ARC_QUICK must be auto, 1 or 0, got {config.quick!r}")
        return config

    @property
    def code_dir(self) -> Path:
        return self.input_dir / self.code_dataset

    @property
    def wheels_dir(self) -> Path:
        return self.input_dir / self.wheels_dataset

    @property
    def model_dir(self) -> Path:
        return self.input_dir / self.model_dataset

    @property
    def test_challenges(self) -> Path:
        return self.input_dir / self.competition / TEST_FILE

    @property
    def submission(self) -> Path:
        return self.working_dir / "submission.json"


def install_command(config: KaggleConfig) -> list[str]:
    """The pip command that installs the wheels dataset with the index disabled.

    ``--no-deps``: the requirements file pins the whole closure of what the image lacks, so pip
    never touches the image's own torch. With ``pip_check_only`` the same pins are resolved for
    the wheels' target (Python version and platform from the manifest) with ``--dry-run``: that
    proves every pinned wheel is there and fits Kaggle, on a machine that is not Kaggle.
    """
    wheels = config.wheels_dir
    command = [config.pip_python, "-m", "pip", "install", "--no-index", "--find-links", str(wheels), "--no-deps", "--disable-pip-version-check"]
    command += ["-r", str(wheels / REQUIREMENTS_FILE)]
    if config.pip_check_only:
        target = json.loads((wheels / MANIFEST_FILE).read_text())["target"]
        command += ["--dry-run", "--only-binary=:all:", "--python-version", target["python_version"], *(f"--platform={p}" for p in target["platforms"])]
        command += ["--target", str(config.working_dir / "pip-check")]  # older pips demand it with --platform; --dry-run writes nothing
    return command


def install_wheels(config: KaggleConfig) -> None:
    """Install (or, with ``pip_check_only``, resolve) the wheels dataset; raise if pip fails."""
    command = install_command(config)
    print("$ " + " ".join(command), flush=True)  # noqa: T201 - the notebook's output is the log
    env = {**os.environ, "PIP_NO_INDEX": "1"}
    subprocess.run(command, check=True, env=env)


def gpu_names() -> list[str]:
    """The GPUs ``nvidia-smi -L`` lists (none when it is missing); no torch import."""
    if shutil.which("nvidia-smi") is None:
        return []
    result = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=60)
    return [line.strip() for line in result.stdout.splitlines() if line.startswith("GPU ")]


def is_public_stand_in(config: KaggleConfig) -> bool:
    """Whether the visible test file is the public stand-in rather than the hidden tasks.

    While the notebook is edited or saved, Kaggle shows a test file made of public evaluation
    tasks; the scored re-run swaps in the hidden ones. So: stand-in when every test id is also in
    the competition's evaluation file (when it has one). ``quick`` = 1 or 0 overrides.
    """
    if config.quick != "auto":
        return config.quick == "1"
    evaluation = config.input_dir / config.competition / EVALUATION_FILE
    if not evaluation.exists():
        return False
    test_ids = set(json.loads(config.test_challenges.read_bytes()))
    return test_ids <= set(json.loads(evaluation.read_bytes()))


def time_budget_s(config: KaggleConfig, quick: bool, now: float | None = None) -> float:
    """Seconds the solver may spend: quick budget, or the limit minus margin minus time spent."""
    spent = (time.time() if now is None else now) - config.started_at
    full = config.time_limit_s - config.safety_margin_s - spent
    if full <= 0:
        raise ValueError(f"no time left: limit {config.time_limit_s:.0f} s - margin {config.safety_margin_s:.0f} s - spent {spent:.0f} s")
    return min(config.quick_budget_s, full) if quick else full


def solve_command(config: KaggleConfig, budget_s: float) -> list[str]:
    """``python -m solver run`` on the test challenges with the model dataset."""
    return [
        config.solver_python, "-m", "solver", "run",
        "--challenges", str(config.test_challenges), "--model", str(config.model_dir),
        "--output", str(config.submission), "--time-budget", f"{int(budget_s)}s", "--quiet", *config.extra_flags,
    ]  # fmt: skip


def run(config: KaggleConfig) -> Path:
    """Detect GPUs and the stand-in, run the solver with the code dataset on the path; return submission.json."""
    for path in (config.code_dir / "solver", config.model_dir / "config.json", config.test_challenges):
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: check the notebook's data sources and the ARC_* variables")
    gpus = gpu_names()
    quick = is_public_stand_in(config)
    budget = time_budget_s(config, quick)
    tasks = len(json.loads(config.test_challenges.read_bytes()))
    print(f"{len(gpus)} GPU(s): {gpus}; {tasks} tasks; {'QUICK (public stand-in)' if quick else 'full'} run, budget {budget:.0f} s")  # noqa: T201
    config.working_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(config.code_dir), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    command = solve_command(config, budget)
    print("$ " + " ".join(command), flush=True)  # noqa: T201
    try:
        # the solver stops itself before the budget; the timeout is the backstop for a hang
        subprocess.run(command, check=True, env=env, cwd=config.working_dir, timeout=budget + config.safety_margin_s / 2)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        if not config.submission.exists():
            raise
        # the file is valid at every moment (fallbacks first, atomic rewrites): submit what is there
        print(f"the solver did not finish cleanly ({error}); keeping {config.submission}", flush=True)  # noqa: T201
    return config.submission
