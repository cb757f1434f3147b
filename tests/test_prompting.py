import numpy as np
import pytest

from solver.metrics import correct_pairs, exact_match, mean_pixel_accuracy, pixel_accuracy
from solver.prompting import (
    ANSWER_PREFIX,
    completion_for,
    drawing_messages,
    extract_program,
    grid_from_text,
    grid_to_text,
)


def test_grid_text_format_and_round_trip():
    grid = [[0, 0, 0, 0], [0, 5, 5, 0], [0, 0, 0, 0]]
    text = grid_to_text(np.array(grid))
    assert text == "```grid shape: 3x4\n0 0000\n1 0550\n2 0000\n```"
    assert grid_from_text("Input:\n" + text) == grid


def test_grid_from_text_rejects_mismatched_rows():
    with pytest.raises(ValueError, match="row 1"):
        grid_from_text("```grid shape: 2x2\n0 00\n1 000\n```")
    with pytest.raises(ValueError, match="header"):
        grid_from_text("0 00")


def test_drawing_messages_hold_every_example_and_prefill():
    pairs = [([[0]], [[1]]), ([[2, 2]], [[3, 3]])]
    messages = drawing_messages(pairs)
    assert [m["role"] for m in messages] == ["system", "user", "assistant"]
    user = messages[1]["content"]
    assert "## Example 1" in user and "## Example 2" in user and "## Example 3" not in user
    assert grid_to_text([[3, 3]]) in user
    assert messages[2]["content"] == ANSWER_PREFIX


@pytest.mark.parametrize(
    "completion, program",
    [
        ("def task(img):\n    return img\n```\nextra", "def task(img):\n    return img\n"),
        ("def task(img):\n    return img", "def task(img):\n    return img\n"),  # no closing fence
        ("Sure.\n```python\ndef task(img):\n    return img\n```", "def task(img):\n    return img\n"),
        ("```", ""),
    ],
)
def test_extract_program(completion, program):
    assert extract_program(completion) == program


def test_completion_round_trips_through_extract():
    program = "def task(img):\n    draw_pixel(img, point=(0, 0), color=1)\n    return img\n"
    assert extract_program(completion_for(program)) == program
    assert completion_for(program).endswith("\n```")


def test_metrics():
    a = [[1, 2], [3, 4]]
    assert pixel_accuracy(a, [[1, 2], [3, 0]]) == 0.75
    assert pixel_accuracy(a, [[1, 2]]) == 0.0
    assert exact_match(a, np.array(a)) and not exact_match(a, [[1, 2]])
    assert mean_pixel_accuracy([a, a], [a, [[0, 0], [0, 0]]]) == 0.5
    assert correct_pairs([a, a], [a, [[1]]]) == 1
    with pytest.raises(ValueError, match="2 predictions for 1"):
        correct_pairs([a, a], [a])
