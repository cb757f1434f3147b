"""BARC-style programs in the sandbox: `from common import *`, `transform`/`main`, x-y orientation."""

import subprocess
import sys

from solver.sampler import Sampler
import numpy as np
import orjson
import pytest

from solver.sandbox import Sandbox, SandboxConfig, Status
from solver.sandbox.conventions import conventions_for, dsl_module

from conftest import TextTokenizer

HEADER = "from common import *\nimport numpy as np\nfrom typing import *\n\n"
# BARC indexes grid[x, y], x across the width: y = 0 is ARC's top row
TOP_ROW = HEADER + (
    "def transform(input_grid: np.ndarray) -> np.ndarray:\n"
    "    output_grid = np.copy(input_grid)\n"
    "    width, height = output_grid.shape\n"
    "    for x in range(width):\n"
    "        output_grid[x, 0] = Color.RED\n"
    "    return output_grid\n"
)
GRID = np.zeros((3, 5), dtype=np.int8)  # ARC: 3 rows, 5 columns


@pytest.fixture(scope="module")
def barc_box():
    with Sandbox(SandboxConfig(workers=1, dsl="solver.dsl.barc", function_name="transform")) as box:
        yield box


def test_a_line_along_y0_is_arcs_top_row(barc_box):
    (result,) = barc_box.run([TOP_ROW], [GRID])
    assert result.all_ok, result.results[0].error
    expected = GRID.copy()
    expected[0, :] = 2
    assert result.outputs[0].tolist() == expected.tolist()


def test_the_shape_a_program_sees_is_width_by_height(barc_box):
    program = HEADER + "def transform(input_grid):\n    w, h = input_grid.shape\n    return np.full((w, 1), w, dtype=int)\n"
    (result,) = barc_box.run([program], [GRID])
    assert result.outputs[0].tolist() == [[5] * 5]  # 5 wide x 1 high, back in ARC's (rows, cols)


def test_main_is_the_fallback_entry_point_and_transform_wins(barc_box):
    main_only = TOP_ROW.replace("def transform(", "def main(")
    both = main_only + "\ndef transform(input_grid):\n    return input_grid\n"
    neither = HEADER + "def solve(input_grid):\n    return input_grid\n"
    ran_main, ran_transform, ran_none = barc_box.run([main_only, both, neither], [GRID])
    assert ran_main.outputs[0][0].tolist() == [2] * 5
    assert ran_transform.outputs[0].tolist() == GRID.tolist()
    assert ran_none.results[0].status is Status.ERROR
    assert "no function 'transform' or 'main'" in ran_none.results[0].error


def test_drawing_programs_keep_their_orientation_and_cannot_import_common():
    with Sandbox(SandboxConfig(workers=1)) as box:
        draw, barc = box.run(["def task(img):\n    img[0, 1] = 3\n    return img\n", TOP_ROW], [GRID])
    assert draw.outputs[0][0].tolist() == [0, 3, 0, 0, 0]
    assert barc.results[0].status is Status.ERROR and "common" in barc.results[0].error


def test_conventions_and_short_names():
    assert dsl_module("barc") == "solver.dsl.barc" and dsl_module("x.y") == "x.y"
    barc = conventions_for("solver.dsl.barc")
    assert (barc.default_entry_point, barc.import_name, barc.fallback_entry_points, barc.transposed) == ("transform", "common", ("main",), True)
    assert conventions_for("solver.dsl.drawing").default_entry_point == "task" and not conventions_for("solver.dsl.drawing").transposed


def test_exec_cli_with_dsl_barc(tmp_path):
    program = tmp_path / "program.py"
    program.write_text(TOP_ROW.replace("def transform(", "def main("))
    grids = tmp_path / "grids.json"
    grids.write_bytes(orjson.dumps([GRID.tolist()]))
    done = subprocess.run(
        [sys.executable, "-m", "solver", "exec", "--dsl", "barc", "--program", str(program), "--grids", str(grids)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (result,) = orjson.loads(done.stdout)["results"]
    assert result["status"] == "ok" and result["output"][0] == [2] * 5 and result["output"][1] == [0] * 5
    drawing = subprocess.run(
        [sys.executable, "-m", "solver", "exec", "--program", str(program), "--grids", str(grids)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert drawing.returncode == 1 and "No module named 'common'" in drawing.stdout  # the drawing DSL is the default


class _Sampler(Sampler):
    def __init__(self, program):
        self.program, self.prompts = program, []

    def generate(self, prompts, params, *, adapter=None):
        from solver.sampler import Completion

        self.prompts.extend(prompts)
        return [[Completion(text=self.program + "```", num_tokens=5, finished=True)] for _ in prompts]


def _left_column_task():
    from solver.arc import ArcTask

    black = np.zeros((3, 4), dtype=int)
    out = black.copy()
    out[:, 0] = 1
    return ArcTask(id="left", train=[{"input": black.tolist(), "output": out.tolist()}] * 2, test=[{"input": black.tolist()}])


def test_the_loop_solves_a_task_with_a_barc_program(barc_box):
    from solver.her import HerConfig, SamplingSetting, search_and_learn

    # x = 0 is ARC's left column
    program = HEADER + "def transform(input_grid):\n    output_grid = np.copy(input_grid)\n    output_grid[0, :] = Color.BLUE\n    return output_grid\n"
    config = HerConfig(sampling=(SamplingSetting(n=1, temperature=0.5),), max_epochs=1, prompt_format="barc")
    sampler = _Sampler(program)
    result = search_and_learn(_left_column_task(), sampler=sampler, sandbox=barc_box, tokenizer=TextTokenizer(), config=config)
    assert result.solved and result.solution == program  # kept as written: BARC programs are not pruned
    assert "Example 2\nInput:\n" + "Black Black Black\n" * 4 + "\nOutput:" in sampler.prompts[0]  # shown as the program sees it
    assert [list(row) for row in result.candidates[0].test_outputs[0]] == [[1, 0, 0, 0]] * 3


def test_the_loop_refuses_a_sandbox_of_another_dsl():
    from solver.her import HerConfig, search_and_learn

    with Sandbox(SandboxConfig(workers=1)) as drawing_box, pytest.raises(ValueError, match="needs a sandbox with dsl='solver.dsl.barc'"):
        search_and_learn(_left_column_task(), sampler=_Sampler(""), sandbox=drawing_box, tokenizer=TextTokenizer(), config=HerConfig(prompt_format="barc"))
