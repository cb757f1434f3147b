"""The `barc` prompt format: BARC's exact induction wording, the project tokenizer, and a dry run
with `--prompt-format barc` end to end on an ARC-AGI-1 and an ARC-AGI-2 evaluation task."""

import os
import subprocess
import sys

import numpy as np
import orjson
import pytest

from solver.her import HerConfig
from solver.models.default import build_random_model
from solver.models.project_tokenizer import load_project_tokenizer
from solver.prompting import BARC, DRAWING, extract_program, prompt_format, render_prompt
from solver.prompting.barc import ANSWER_PREFIX, COLOR_NAMES, SYSTEM_MESSAGE, barc_messages, grid_to_barc_text

PAIRS = [(np.array([[0, 1], [2, 3]]), np.array([[4, 5, 6]])), ([[7]], [[8], [9]])]
TEST_INPUTS = [np.array([[5, 0]])]
EXPECTED_USER = (
    "Given input-output grid pairs as reference examples, carefully observe the patterns to predict the output grid "
    "for new test input. Each pair follows the same transformation rule. Grids are 2D arrays represented as strings, "
    "with cells (colors) separated by spaces and rows by newlines.\n"
    "Here are the input and output grids for the reference examples:\n"
    "Example 1\nInput:\nBlack Red\nBlue Green\n\nOutput:\nYellow\nGray\nPink\n\n\n"
    "Example 2\nInput:\nOrange\n\nOutput:\nPurple Brown\n\n\n"
    "Here is the input grid for the test example:\nInput:\nGray\nBlack\n\n"
    "Write a Python function `transform` that can convert any given input grid to its corresponding output grid "
    "based on the pattern observed in the reference examples."
)
PROGRAM = (
    "from common import *\n\nimport numpy as np\nfrom typing import *\n\n# concepts:\n# color mapping\n\n"
    "def transform(input_grid: np.ndarray) -> np.ndarray:\n    return np.copy(input_grid)\n"
)


def test_colour_names_and_grid_text():
    assert COLOR_NAMES == ("Black", "Blue", "Red", "Green", "Yellow", "Gray", "Pink", "Orange", "Purple", "Brown")
    # an ARC grid is shown as the program sees it, grid[x, y]: one line per column of ARC's rows
    assert grid_to_barc_text([[0, 9], [5, 8]]) == "Black Gray\nBrown Purple\n"


def test_messages_reproduce_barcs_induction_format():
    system, user, assistant = barc_messages(PAIRS, TEST_INPUTS)
    assert system == {"role": "system", "content": SYSTEM_MESSAGE}
    assert SYSTEM_MESSAGE.startswith("You are a world-class puzzle solver with exceptional pattern recognition skills")
    assert user == {"role": "user", "content": EXPECTED_USER}
    assert assistant["role"] == "assistant" and assistant["content"] == ANSWER_PREFIX
    assert ANSWER_PREFIX.startswith("Let's solve this puzzle using Python code") and ANSWER_PREFIX.endswith("\n```python\n")
    two_tests = barc_messages(PAIRS[:1], [[[1]], [[2]]])[1]["content"]
    assert "Input:\nBlue\n\nRed\n\nWrite a Python function" in two_tests


def test_prompt_formats_are_chosen_by_name():
    assert prompt_format("drawing") is DRAWING and prompt_format("barc") is BARC
    assert (BARC.dsl, BARC.function_name, BARC.prunable) == ("solver.dsl.barc", "transform", False)
    assert (DRAWING.dsl, DRAWING.function_name, DRAWING.prunable) == ("solver.dsl.drawing", "task", True)
    assert DRAWING.messages(PAIRS, TEST_INPUTS)[1]["content"].count("```grid shape") == 4  # no test input shown
    with pytest.raises(ValueError, match="unknown prompt format"):
        prompt_format("llama")
    assert HerConfig().prompt_format == "drawing" and HerConfig(prompt_format="barc").prompt_format == "barc"


def test_renders_with_the_project_tokenizer_and_round_trips_a_program():
    tokenizer = load_project_tokenizer()
    prompt = render_prompt(tokenizer, BARC.messages(PAIRS, TEST_INPUTS))
    assert SYSTEM_MESSAGE in prompt and EXPECTED_USER in prompt
    assert prompt.endswith(ANSWER_PREFIX)  # the assistant turn is left open after the pre-fill
    target = BARC.completion_for(PROGRAM)
    assert target.endswith("\n```") and extract_program(target) == PROGRAM
    ids = tokenizer(prompt + target, add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(ids) == prompt + target


def test_dry_run_with_the_barc_format_on_arc_agi_1_and_2(tmp_path):
    model = build_random_model(tmp_path / "tiny", size="tiny", seed=3)
    out = tmp_path / "out"
    command = [
        sys.executable, "-m", "solver", "dry-run", "--prompt-format", "barc",
        "--dataset", "arc-agi-1/evaluation:66e6c45b", "--dataset", "arc-agi-2/evaluation:e8686506",
        "--model", str(model), "--output-dir", str(out), "--sampling", "2@1.0", "--max-epochs", "1",
        "--max-new-tokens", "32", "--time-budget", "10m", "--quiet", "--sandbox-workers", "2",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
    assert done.returncode == 0, done.stderr[-3000:]
    report = orjson.loads((out / "report.json").read_bytes())
    assert [t["task_id"] for t in report["per_task"]] == ["66e6c45b", "e8686506"]
    # an epoch ran: the loop refuses a sandbox whose DSL is not the format's (solver.dsl.barc)
    assert all(t["epochs"] == 1 and t["samples"] == 2 for t in report["per_task"])
    assert report["settings"]["her"]["prompt_format"] == "barc"
    assert set(orjson.loads((out / "submission.json").read_bytes())) == {"66e6c45b", "e8686506"}
