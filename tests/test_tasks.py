"""solver.tasks: the drawing-task generator, its bytearray twins of the DSL, and the toy tasks."""

from __future__ import annotations

import re
from collections import Counter
from itertools import islice

import numpy as np
import pytest
from pydantic import ValidationError

from solver.dsl import drawing
from solver.programs import assemble, body_lines, prune_lines, run_trusted_program
from solver.tasks import (
    DrawingTaskConfig,
    GeneratedTask,
    generate_drawing_task,
    task_stream,
    toy_task,
    toy_task_names,
)
from solver.tasks import raster


def sample(n: int, seed: int = 0, **config) -> list[GeneratedTask]:
    return list(islice(task_stream(seed, DrawingTaskConfig(**config)), n))


@pytest.fixture(scope="module")
def tasks() -> list[GeneratedTask]:
    return sample(400)


# --- config -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"max_side": 31}, r"max_side must be in \[1, 30\], got 31"),
        ({"min_side": 6, "max_side": 5}, r"min_side \(6\) must be <= max_side \(5\)"),
        ({"min_draws": 0}, r"min_draws must be in \[1, 100\], got 0"),
        ({"max_examples": 11}, r"max_examples must be in \[1, 10\], got 11"),
        ({"flood_fill_weight": -1.0}, "weights must be >= 0"),
        ({"input_kind": "stripes"}, "input_kind"),
        ({"n_inputs": 2}, "n_inputs"),
    ],
)
def test_config_rejects_bad_values_with_clear_messages(fields, message):
    with pytest.raises(ValidationError, match=message):
        DrawingTaskConfig(**fields)


def test_config_rejects_all_zero_weights():
    zero = {f"{name}_weight": 0.0 for name in ("draw_pixel", "draw_line", "draw_rectangle")}
    zero |= {f"{name}_weight": 0.0 for name in ("draw_horizontal_line", "draw_vertical_line")}
    with pytest.raises(ValidationError, match="positive sum"):
        DrawingTaskConfig(flood_fill_weight=0.0, **zero)


# --- generated tasks ----------------------------------------------------------------------------


def test_final_program_text_reproduces_every_output(tasks):
    for task in tasks:
        rerun = run_trusted_program(task.program, task.inputs)
        assert all(np.array_equal(a, b) for a, b in zip(rerun, task.outputs, strict=True))


def test_programs_are_pruned_every_line_changes_some_output(tasks):
    for task in tasks[:150]:
        lines = body_lines(task.program)
        assert task.program == assemble(lines)
        for i in range(len(lines)):
            rerun = run_trusted_program(assemble(lines[:i] + lines[i + 1 :]), task.inputs)
            assert any(
                not np.array_equal(a, b) for a, b in zip(rerun, task.outputs, strict=True)
            ), f"line {i} is dead in\n{task.program}"


def test_no_output_equals_its_input_and_grids_are_int8_of_one_shape(tasks):
    for task in tasks:
        shape = task.inputs[0].shape
        assert len(task.inputs) == len(task.outputs) >= 1
        for grid_in, grid_out in zip(task.inputs, task.outputs, strict=True):
            assert grid_in.dtype == grid_out.dtype == np.int8
            assert grid_in.shape == grid_out.shape == shape
            assert not np.array_equal(grid_in, grid_out)
            assert 0 <= grid_out.min() and grid_out.max() <= 9


def test_inputs_are_distinct_solid_colours_or_noise(tasks):
    kinds = Counter(task.name for task in tasks)
    assert set(kinds) == {"drawing_on_solid", "drawing_on_noise"}
    assert min(kinds.values()) > len(tasks) // 4
    for task in tasks:
        assert len({grid.tobytes() for grid in task.inputs}) == len(task.inputs)
        if task.name == "drawing_on_solid":
            assert all(len(np.unique(grid)) == 1 for grid in task.inputs)
        elif task.inputs[0].size >= 9:
            assert len(np.unique(task.inputs[0])) > 1


def test_tasks_have_several_examples(tasks):
    # arc25's subclasses set n_inputs without an annotation, so every task had one example.
    counts = Counter(len(task.inputs) for task in tasks)
    assert set(counts) == {1, 2, 3, 4}
    assert min(counts.values()) > len(tasks) // 8
    assert {len(t.inputs) for t in sample(20, min_examples=3, max_examples=3)} == {3}
    assert max(len(t.inputs) for t in sample(100, max_examples=10, input_kind="solid")) == 10


def test_shapes_cover_the_side_range_and_include_non_square(tasks):
    sides = [side for task in tasks for side in task.inputs[0].shape]
    assert min(sides) == 3 and max(sides) == 10
    assert any(task.inputs[0].shape[0] != task.inputs[0].shape[1] for task in tasks)
    big = [side for task in sample(100, max_side=30) for side in task.inputs[0].shape]
    assert max(big) > 20 and max(big) <= 30


def test_every_primitive_and_line_angle_appears(tasks):
    text = "".join(task.program for task in tasks)
    for name in ("draw_pixel", "draw_line", "draw_rectangle", "draw_horizontal_line"):
        assert f"{name}(img, " in text
    assert "draw_vertical_line(img, " in text and "flood_fill(img, " in text
    assert "connectivity=8" in text
    slopes = set()
    for r0, c0, r1, c1 in re.findall(r"point1=\((\d+), (\d+)\), point2=\((\d+), (\d+)\)", text):
        d_row, d_col = int(r1) - int(r0), int(c1) - int(c0)
        diagonal = abs(d_row) == abs(d_col)
        slopes.add("h" if d_row == 0 else "v" if d_col == 0 else "45" if diagonal else "other")
    assert slopes == {"h", "v", "45", "other"}


def test_zero_weight_disables_a_primitive():
    only_pixels = {f"{name}_weight": 0.0 for name in ("draw_line", "draw_rectangle", "flood_fill")}
    only_pixels |= {"draw_horizontal_line_weight": 0.0, "draw_vertical_line_weight": 0.0}
    for task in sample(50, **only_pixels):
        assert all(line.startswith("draw_pixel(") for line in body_lines(task.program))


def test_same_seed_same_stream_and_different_seeds_differ():
    def fingerprint(stream_tasks: list[GeneratedTask]) -> list[tuple]:
        return [(t.program, [g.tobytes() for g in t.inputs + t.outputs]) for t in stream_tasks]

    first = fingerprint(sample(30, seed=5))
    assert first == fingerprint(sample(30, seed=5))
    assert first != fingerprint(sample(30, seed=6))
    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    assert generate_drawing_task(rng_a).program == generate_drawing_task(rng_b).program


def test_seed_sequence_shards_give_distinct_reproducible_streams():
    shards = np.random.SeedSequence(11).spawn(2)
    a = [t.program for t in islice(task_stream(shards[0]), 20)]
    b = [t.program for t in islice(task_stream(shards[1]), 20)]
    assert a != b
    again = np.random.SeedSequence(11).spawn(2)[0]
    assert a == [t.program for t in islice(task_stream(again), 20)]


def test_stream_cycles_through_several_configs():
    configs = [DrawingTaskConfig(input_kind="solid"), DrawingTaskConfig(input_kind="noise")]
    names = [task.name for task in islice(task_stream(0, configs), 6)]
    assert names == ["drawing_on_solid", "drawing_on_noise"] * 3


def test_impossible_config_raises_instead_of_returning_a_degenerate_task():
    # 10 solid inputs use every colour, so one pixel always leaves some input unchanged.
    config = DrawingTaskConfig(
        min_examples=10, max_examples=10, input_kind="solid", max_draws=1,
        draw_line_weight=0, draw_rectangle_weight=0, draw_horizontal_line_weight=0,
        draw_vertical_line_weight=0, flood_fill_weight=0,
    )  # fmt: skip
    with pytest.raises(RuntimeError, match="degenerate"):
        generate_drawing_task(np.random.default_rng(0), config)


def test_to_arc_task_splits_pairs():
    task = next(t for t in sample(40) if len(t.inputs) == 3)
    all_train = task.to_arc_task("t0")
    assert len(all_train.train) == 3 and len(all_train.test) == 1
    assert all_train.test[0].output == task.outputs[-1].tolist()
    split = task.to_arc_task("t1", n_test=1)
    assert [len(split.train), len(split.test)] == [2, 1]
    assert split.test[0].input == task.inputs[2].tolist()
    with pytest.raises(ValueError, match="n_test must be 0 or in"):
        task.to_arc_task("t2", n_test=3)


# --- raster twins agree with the DSL --------------------------------------------------------------


def test_raster_twins_match_the_dsl_cell_for_cell_including_clipping():
    rng = np.random.default_rng(1)
    for _ in range(600):
        shape = (int(rng.integers(1, 9)), int(rng.integers(1, 9)))
        grid = rng.integers(0, 3, size=shape, dtype=np.int8)  # few colours: big flood regions
        p1 = (int(rng.integers(-3, 11)), int(rng.integers(-3, 11)))
        p2 = (int(rng.integers(-3, 11)), int(rng.integers(-3, 11)))
        color, connectivity = int(rng.integers(0, 3)), int(rng.choice([4, 8]))
        calls = [  # (twin, DSL function, its arguments after the grid)
            (raster.compile_pixel(shape, p1, color), drawing.draw_pixel, (p1, color)),
            (raster.compile_line(shape, p1, p2, color), drawing.draw_line, (p1, p2, color)),
            (raster.compile_rectangle(shape, p1, p2, color), drawing.draw_rectangle, (p1, p2, color)),
            (raster.compile_horizontal_line(shape, p1[0], color), drawing.draw_horizontal_line, (p1[0], color)),
            (raster.compile_vertical_line(shape, p1[1], color), drawing.draw_vertical_line, (p1[1], color)),
            (raster.compile_flood_fill(shape, p1, color, connectivity), drawing.flood_fill, (p1, color, connectivity)),
        ]  # fmt: skip
        for twin, dsl, args in calls:
            flat = bytearray(grid.tobytes())
            twin(flat)
            expected = dsl(grid.copy(), *args)
            assert flat == bytearray(expected.tobytes()), (shape, p1, p2, color, connectivity)


# --- toy tasks ------------------------------------------------------------------------------------

SHAPES = {
    "9-vertical-lines": (9, 9), "12-squares": (6, 8), "16-squares": (8, 8),
    "20-squares": (10, 8), "25-squares": (10, 10), "36-squares": (12, 12),
    "49-squares": (14, 14), "64-squares": (16, 16), "81-squares": (18, 18),
    "100-squares": (20, 20), "chick": (10, 10),
}  # fmt: skip


@pytest.mark.parametrize("name", toy_task_names())
def test_toy_reference_program_reproduces_the_output(name):
    toy = toy_task(name)
    task = toy.task
    assert task.id == name and len(task.train) == 1 and len(task.test) == 1
    output = np.array(task.train[0].output)
    assert output.shape == SHAPES[name]
    assert task.train[0].input == np.zeros(SHAPES[name], dtype=int).tolist()
    assert task.test[0].input == task.train[0].input and task.test[0].output == task.train[0].output
    black = [np.zeros(SHAPES[name], dtype=np.int8)]
    assert np.array_equal(run_trusted_program(toy.reference_program, black)[0], output)
    # Reference programs are already pruned.
    lines = body_lines(toy.reference_program)

    def reproduces(candidates):
        return [
            np.array_equal(run_trusted_program(assemble(c), black)[0], output) for c in candidates
        ]

    assert prune_lines(lines, reproduces) == lines


def test_toy_task_names_and_unknown_name():
    assert toy_task_names() == list(SHAPES)
    for bad in ("13-squares", "squares", "duck"):
        with pytest.raises(ValueError, match="unknown toy task"):
            toy_task(bad)


def square_colors(name: str) -> list[int]:
    grid = np.array(toy_task(name).task.train[0].output)
    return grid[::2, ::2].flatten().tolist()  # the top-left cell of each 2x2 square, row-major


def test_toy_colour_rules():
    grid = np.array(toy_task("9-vertical-lines").task.train[0].output)
    assert (grid == np.arange(1, 10)).all()
    assert square_colors("12-squares") == [1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3]
    assert square_colors("20-squares") == [k % 9 + 1 for k in range(20)]
    assert square_colors("64-squares") == [k % 10 for k in range(64)]
    assert square_colors("81-squares") == [k % 8 for k in range(81)]
    assert square_colors("100-squares") == [k % 8 for k in range(100)]
    for name in SHAPES:  # squares tile the grid: every 2x2 block is one colour
        if name.endswith("-squares"):
            grid = np.array(toy_task(name).task.train[0].output)
            assert (grid[::2, ::2] == grid[1::2, 1::2]).all()
            assert (grid[::2, ::2] == grid[::2, 1::2]).all()
            assert (grid[::2, ::2] == grid[1::2, ::2]).all()
    chick = np.array(toy_task("chick").task.train[0].output)
    assert set(np.unique(chick).tolist()) == {0, 2, 4, 7, 8}
    assert (chick == 4).sum() > 30  # mostly a yellow body
