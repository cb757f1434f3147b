"""solver.programs: body_lines/assemble round trips, prune_lines/prune_many correctness and call counts."""

from __future__ import annotations

import numpy as np
import pytest

from solver.programs import assemble, body_lines, close_truncated, drop_broken_lines, prune_lines, prune_many, run_trusted_program
from solver.tasks import generate_drawing_task

BLACK = [np.zeros((4, 5), dtype=np.int8), np.full((4, 5), 3, dtype=np.int8)]


class CountingReproduces:
    """A ``reproduces`` that runs candidates in process and records each batch's size."""

    def __init__(self, lines: list[str], inputs: list[np.ndarray]) -> None:
        self.inputs = inputs
        self.expected = run_trusted_program(assemble(lines), inputs)
        self.batches: list[int] = []

    def matches(self, lines: list[str]) -> bool:
        try:
            got = run_trusted_program(assemble(lines), self.inputs)
        except Exception:  # a program that raises does not reproduce
            return False
        return all(np.array_equal(a, b) for a, b in zip(got, self.expected, strict=True))

    def __call__(self, candidates: list[list[str]]) -> list[bool]:
        self.batches.append(len(candidates))
        return [self.matches(c) for c in candidates]


def prune(lines: list[str], inputs: list[np.ndarray] = BLACK) -> tuple[list[str], CountingReproduces]:
    reproduces = CountingReproduces(lines, inputs)
    kept = prune_lines(lines, reproduces)
    assert reproduces.matches(kept), f"pruned program does not reproduce: {kept}"
    return kept, reproduces


PIXEL = "draw_pixel(img, point=(1, 1), color=5)"
ROW = "draw_horizontal_line(img, y=2, color=7)"


def test_body_lines_round_trips_through_assemble():
    lines = [PIXEL, ROW, "flood_fill(img, point=(0, 0), color=2, connectivity=8)"]
    source = assemble(lines)
    assert source.startswith("def task(img):\n    draw_pixel")
    assert source.endswith("    return img\n")
    assert body_lines(source) == lines
    assert body_lines(assemble([])) == []


def test_body_lines_without_final_return_and_with_a_custom_name():
    assert body_lines(f"def solve(img):\n    {PIXEL}\n    {ROW}\n") == [PIXEL, ROW]
    assert assemble([PIXEL], function_name="solve").startswith("def solve(img):")


def test_body_lines_keeps_a_multiline_statement_whole_and_splits_semicolons():
    source = (
        "import numpy as np\n"
        "def task(img):\n"
        "    for x in range(3):\n"
        "        draw_vertical_line(img, x=x, color=x)\n"
        "    a = 1; b = 2\n"
        "    return img\n"
    )
    loop = "for x in range(3):\n    draw_vertical_line(img, x=x, color=x)"
    assert body_lines(source) == [loop, "a = 1", "b = 2"]
    assert body_lines(assemble(body_lines(source))) == [loop, "a = 1", "b = 2"]


def test_body_lines_falls_back_to_lines_for_unparseable_code():
    source = f"def task(img):\n    {PIXEL}\n    draw_line(img, (0, 0)\n\n    return img\n"
    assert body_lines(source) == [PIXEL, "draw_line(img, (0, 0)"]


def test_duplicated_line_keeps_one_copy_in_two_calls():
    # The original validate_code removed both copies: each is removable alone.
    kept, reproduces = prune([PIXEL, ROW, PIXEL])
    assert kept in ([ROW, PIXEL], [PIXEL, ROW])
    assert len(reproduces.batches) == 2


def test_triplicated_and_interleaved_duplicates_keep_one_copy_each():
    kept, _ = prune([PIXEL, ROW, PIXEL, ROW, PIXEL])
    assert sorted(kept) == sorted([PIXEL, ROW])


def test_overwritten_line_is_removed():
    kept, _ = prune(["draw_pixel(img, point=(2, 2), color=1)", ROW])
    assert kept == [ROW]


def test_line_whose_removal_raises_is_kept():
    lines = ["x = 2", "draw_pixel(img, point=(x, x), color=4)"]
    kept, _ = prune(lines)
    assert kept == lines


def test_every_line_matters_returns_all_lines_in_one_call():
    lines = [PIXEL, ROW, "draw_vertical_line(img, x=4, color=9)"]
    kept, reproduces = prune(lines)
    assert kept == lines
    assert reproduces.batches == [3]


def test_one_removable_line_costs_one_call():
    kept, reproduces = prune([PIXEL, "draw_pixel(img, point=(1, 1), color=6)", ROW])
    assert kept == ["draw_pixel(img, point=(1, 1), color=6)", ROW]
    assert len(reproduces.batches) == 1


def test_identity_program_prunes_to_empty():
    # Black ink on the black input and a no-op off the grid: nothing is drawn anywhere.
    kept, _ = prune(["draw_pixel(img, point=(9, 9), color=1)"])
    assert kept == []
    assert prune_lines([], lambda c: []) == []


def test_pruning_random_programs_with_injected_duplicates_always_reproduces():
    rng = np.random.default_rng(7)
    for _ in range(40):
        task = generate_drawing_task(rng)
        lines = body_lines(task.program)
        doubled = [line for line in lines for _ in range(2)]  # same outputs as `lines`
        kept, _ = prune(doubled, task.inputs)  # prune() asserts reproduction
        assert len(kept) == len(lines)
        prune(doubled + lines[:1] + lines, task.inputs)


def test_prune_many_gives_each_program_what_prune_lines_gives_it_and_asks_only_the_unfinished():
    rng = np.random.default_rng(11)
    programs, inputs = [[], [PIXEL]], [BLACK, BLACK]
    for _ in range(12):
        task = generate_drawing_task(rng)
        lines = body_lines(task.program)
        programs.append([line for line in lines for _ in range(2)] + lines[:1])
        inputs.append(task.inputs)
    alone = [prune(lines, grids) for lines, grids in zip(programs, inputs)]
    checkers = [CountingReproduces(lines, grids) for lines, grids in zip(programs, inputs)]
    rounds: list[int] = []

    def reproduces(requests):
        rounds.append(len(requests))
        return {i: [checkers[i].matches(c) for c in candidates] for i, candidates in requests.items()}

    assert prune_many(programs, reproduces) == [kept for kept, _ in alone]
    # round r asks only the programs that needed more than r rounds alone
    needed = [len(counter.batches) for _, counter in alone]
    assert rounds == [sum(n > r for n in needed) for r in range(max(needed))]
    assert max(needed) >= 2 and needed[:2] == [0, 1]


def test_wrong_answer_count_is_an_error():
    with pytest.raises(ValueError, match="one answer per candidate"):
        prune_lines([PIXEL, ROW], lambda candidates: [True])
    with pytest.raises(ValueError, match="one answer per candidate: got 0 answers for program 1's 2 candidates"):
        prune_many([[PIXEL, ROW], [PIXEL, ROW]], lambda requests: {0: [True, True]})


def test_close_truncated_keeps_the_whole_lines_of_a_program_cut_off():
    cut = "def task(img):\n    draw_pixel(img, point=(0, 0), color=1)\n    draw_pixel(img, point=(1, 0), color=1)\n    draw_pix"
    assert close_truncated(cut) == assemble(["draw_pixel(img, point=(0, 0), color=1)", "draw_pixel(img, point=(1, 0), color=1)"])
    # cut at a line's end, the last line may be whole: it is dropped anyway (it may be cut short)
    assert close_truncated("def task(img):\n    draw_pixel(img, point=(0, 0), color=1)\n") == assemble([])
    assert close_truncated("def task(im") == ""


def test_drop_broken_lines_keeps_the_lines_that_parse():
    broken = ("def task(img):\n    draw_pixel(img, point=(0, 0), color=1)\n    draw_rectangle(img, point1=(2, 5), point2=(7, 6)\n"
              "    draw_pixel(img, point=(1, 0) color=1)\n    draw_line(img, color=2)\n    return img\n")
    # an unclosed call and a missing comma go; a call that parses stays (it fails when run)
    assert drop_broken_lines(broken) == assemble(["draw_pixel(img, point=(0, 0), color=1)", "draw_line(img, color=2)"])
    whole = assemble(["draw_pixel(img, point=(0, 0), color=1)"]) + "# a comment stays\n"
    assert drop_broken_lines(whole) == whole  # a program that parses is left exactly as written
    assert drop_broken_lines("def task(img):\n    draw_pixel(img,\n    return img\n") == ""
    assert drop_broken_lines("") == ""


def test_drop_broken_lines_edge_cases():
    good = "draw_pixel(img, point=(0, 0), color=1)"
    # one line indented by 2 instead of 4 does not take the others with it
    assert drop_broken_lines(f"def task(img):\n    {good}\n  draw_pixel(img, (1, 1)\n\t{good}\n    return img\n") == assemble([good, good])
    # only a comment and a line that parses but cannot compile (`break` outside a loop) left: nothing to run
    assert drop_broken_lines("def task(img):\n    # two squares\n    break\n    draw_pixel(img, (\n    return img\n") == ""
    # a loop is lost (its lines are taken one by one); the draw after it stays
    loop = f"def task(img):\n    for i in range(3):\n        draw_pixel(img, (i, i), 1)\n    {good}\n    draw_line(img,\n    return img\n"
    assert drop_broken_lines(loop) == assemble(["draw_pixel(img, (i, i), 1)", good])
    # a broken def line: the body is still found
    assert drop_broken_lines(f"def task(img:\n    {good}\n    return img\n") == assemble([good])
    # after close_truncated (the cut last line is gone), a broken line in the middle goes too
    cut = f"def task(img):\n    {good}\n    draw_pixel(img, (1, 1) 2)\n    {good}\n    draw_rect"
    assert drop_broken_lines(close_truncated(cut)) == assemble([good, good])
