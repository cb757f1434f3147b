"""Random drawing tasks: inputs, a 1-5 line drawing program, its outputs, pruned and verified.

Re-implements arc25's ``RandomDrawingTaskOnEmptyImg`` / ``...OnRandomImgs`` (reference_arc25.md
§2) with its bugs fixed: tasks really have 1 to ``max_examples`` examples (arc25 always had
one), duplicated lines are pruned correctly (``solver.programs.prune_lines``) and a task is
never returned unvalidated: after pruning, the final program text is exec'd with the real DSL
and must reproduce every output, else an ``AssertionError`` (an internal invariant).

Trade-off: sampling and pruning run on the flat-bytearray twins of ``solver.tasks.raster``, not
on numpy, because the generator must reach 1,000 tasks/s on one core with the default config
(10x10 grids at most) and numpy's per-cell overhead would dominate; only the one final check
uses the real DSL. See ``benchmarks/generator_throughput.py`` for the measured rate.

Randomness: each task draws one 63-bit seed from the caller's ``np.random.Generator`` for a
``random.Random`` (fast scalar draws) and takes noise grids from the generator itself, so the
same generator state always gives the same task.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from itertools import cycle
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

from solver.arc.task import MAX_SIDE
from solver.dsl import drawing
from solver.programs import assemble, prune_lines, run_trusted_program
from solver.tasks import raster
from solver.tasks.generated import GeneratedTask

# every DSL primitive a generated program may call: all of them but create_img
PRIMITIVES = tuple(name for name in drawing.__all__ if name != "create_img")
N_COLORS = 10
MAX_DRAWS = 100
MAX_ATTEMPTS = 1000  # about 4% of default samples are degenerate; this only stops bad configs
FLOOD_FILL_8_PROBABILITY = 0.3
# draw_line directions: the original drew only horizontal, vertical and 45-degree lines.
LINE_KINDS = ("horizontal", "vertical", "diagonal", "any")
LINE_KIND_WEIGHTS = (1.0, 1.0, 1.0, 1.0)

Draw = tuple[str, raster.Paint]  # (line of program text, its bytearray twin)


class DrawingTaskConfig(BaseModel):
    """What random drawing tasks look like. Sizes are inclusive ranges drawn uniformly.

    Attributes:
        min_side, max_side: grid rows and cols, each drawn independently in [1, 30]; all
            examples of a task share one shape.
        min_draws, max_draws: drawing calls sampled per program before pruning, in [1, 100].
        min_examples, max_examples: input/output pairs per task, at most 10 (solid inputs
            need distinct colours).
        input_kind: "solid" (each input one distinct colour), "noise" (uniform 0-9 cells) or
            "mixed" (either, with probability 1/2 per task).
        *_weight: relative probability of each primitive per drawing call; 0 disables it.
            flood_fill defaults to 0.5 because on a solid input it repaints the whole grid
            and erases the earlier calls.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_side: int = 3
    max_side: int = 10
    min_draws: int = 1
    max_draws: int = 5
    min_examples: int = 1
    max_examples: int = 4
    input_kind: Literal["solid", "noise", "mixed"] = "mixed"
    draw_pixel_weight: float = 1.0
    draw_line_weight: float = 1.0
    draw_rectangle_weight: float = 1.0
    draw_horizontal_line_weight: float = 1.0
    draw_vertical_line_weight: float = 1.0
    flood_fill_weight: float = 0.5

    @model_validator(mode="after")
    def _check(self) -> DrawingTaskConfig:
        for what, top in (("side", MAX_SIDE), ("draws", MAX_DRAWS), ("examples", N_COLORS)):
            low, high = getattr(self, f"min_{what}"), getattr(self, f"max_{what}")
            for name, value in ((f"min_{what}", low), (f"max_{what}", high)):
                if not 1 <= value <= top:
                    raise ValueError(f"{name} must be in [1, {top}], got {value}")
            if low > high:
                raise ValueError(f"min_{what} ({low}) must be <= max_{what} ({high})")
        weights = self.weights
        if any(w < 0 for w in weights) or sum(weights) <= 0:
            named = dict(zip(PRIMITIVES, weights, strict=True))
            raise ValueError(f"primitive weights must be >= 0 with a positive sum, got {named}")
        return self

    @property
    def weights(self) -> tuple[float, ...]:
        """The primitive weights in ``PRIMITIVES`` order."""
        return tuple(getattr(self, f"{name}_weight") for name in PRIMITIVES)


_DEFAULT_CONFIG = DrawingTaskConfig()


def generate_drawing_task(
    rng: np.random.Generator, config: DrawingTaskConfig | None = None
) -> GeneratedTask:
    """Sample one validated drawing task.

    Degenerate samples (an output equal to its input, or two equal noise inputs) are
    rejected and resampled from ``rng``.

    Args:
        rng: the source of randomness; the task depends only on its state, which advances.
        config: defaults to ``DrawingTaskConfig()``.

    Returns:
        A task whose pruned ``program``, exec'd with the real DSL, reproduces every output.

    Raises:
        RuntimeError: if 1,000 samples in a row were degenerate (a config that can't draw).
    """
    config = _DEFAULT_CONFIG if config is None else config
    for _ in range(MAX_ATTEMPTS):
        task = _sample(rng, config)
        if task is not None:
            return task
    raise RuntimeError(f"{MAX_ATTEMPTS} degenerate samples in a row with {config!r}")


def task_stream(
    seed: int | np.random.SeedSequence,
    configs: DrawingTaskConfig | Sequence[DrawingTaskConfig] | None = None,
) -> Iterator[GeneratedTask]:
    """An infinite, reproducible stream of drawing tasks.

    Args:
        seed: an int, or a ``np.random.SeedSequence`` to shard a stream, e.g. for data-loader
            worker ``w`` of rank ``r``: ``np.random.SeedSequence(seed).spawn(world)[r]
            .spawn(n_workers)[w]``. Spawned sequences give independent streams.
        configs: one config, or several that the stream cycles through round-robin (task i
            uses ``configs[i % len(configs)]``), like arc25's training mix. Defaults to
            ``DrawingTaskConfig()``.

    Yields:
        Validated tasks; the same seed always yields the same sequence.
    """
    if configs is None:
        configs = [_DEFAULT_CONFIG]
    elif isinstance(configs, DrawingTaskConfig):
        configs = [configs]
    if not configs:
        raise ValueError("configs must hold at least one DrawingTaskConfig, got an empty list")
    rng = np.random.default_rng(seed)
    for config in cycle(configs):
        yield generate_drawing_task(rng, config)


def _sample(rng: np.random.Generator, config: DrawingTaskConfig) -> GeneratedTask | None:
    rnd = random.Random(int(rng.integers(2**63)))
    shape = (
        rnd.randint(config.min_side, config.max_side),
        rnd.randint(config.min_side, config.max_side),
    )
    n_cells = shape[0] * shape[1]
    n_examples = rnd.randint(config.min_examples, config.max_examples)
    kind = config.input_kind
    if kind == "mixed":
        kind = "solid" if rnd.random() < 0.5 else "noise"
    if kind == "solid":
        inputs = [bytes([color]) * n_cells for color in rnd.sample(range(N_COLORS), n_examples)]
    else:
        noise = rng.integers(0, N_COLORS, size=(n_examples, n_cells), dtype=np.int8)
        inputs = [row.tobytes() for row in noise]
        if len(set(inputs)) < n_examples:
            return None
    n_draws = rnd.randint(config.min_draws, config.max_draws)
    samplers = rnd.choices(_SAMPLERS, weights=config.weights, k=n_draws)
    draws = [sampler(rnd, shape) for sampler in samplers]
    paints = dict(draws)  # equal lines compile to equal paints, so duplicates are harmless

    def run(lines: list[str], grid: bytes) -> bytearray:
        canvas = bytearray(grid)
        for line in lines:
            paints[line](canvas)
        return canvas

    lines = [line for line, _ in draws]
    outputs = [run(lines, grid) for grid in inputs]
    if any(out == grid for out, grid in zip(outputs, inputs, strict=True)):
        return None

    def reproduces(candidates: list[list[str]]) -> list[bool]:
        return [
            all(run(c, grid) == out for grid, out in zip(inputs, outputs, strict=True))
            for c in candidates
        ]

    program = assemble(prune_lines(lines, reproduces))
    input_arrays = [_as_array(grid, shape) for grid in inputs]
    output_arrays = [_as_array(out, shape) for out in outputs]
    rerun = run_trusted_program(program, input_arrays)
    # An internal invariant, raised explicitly so that `python -O` cannot skip it.
    if not all(np.array_equal(a, b) for a, b in zip(rerun, output_arrays, strict=True)):
        raise AssertionError(f"the pruned program does not reproduce its outputs:\n{program}")
    return GeneratedTask(input_arrays, output_arrays, program, f"drawing_on_{kind}")


def _as_array(grid: bytes | bytearray, shape: tuple[int, int]) -> np.ndarray:
    return np.frombuffer(bytearray(grid), dtype=np.int8).reshape(shape)


# --- one sampler per primitive: (rnd, shape) -> (program line, its bytearray twin) -----------


def _point(rnd: random.Random, shape: tuple[int, int]) -> tuple[int, int]:
    return rnd.randrange(shape[0]), rnd.randrange(shape[1])


def _color(rnd: random.Random) -> int:
    return rnd.randrange(N_COLORS)


def _span(rnd: random.Random, n: int) -> tuple[int, int]:
    """Two sorted positions in ``range(n)``, distinct when n > 1."""
    if n < 2:
        return 0, 0
    a, b = rnd.sample(range(n), 2)
    return (a, b) if a < b else (b, a)


def _sample_pixel(rnd: random.Random, shape: tuple[int, int]) -> Draw:
    point, color = _point(rnd, shape), _color(rnd)
    text = f"draw_pixel(img, point={point}, color={color})"
    return text, raster.compile_pixel(shape, point, color)


def _sample_line(rnd: random.Random, shape: tuple[int, int]) -> Draw:
    rows, cols = shape
    kind = rnd.choices(LINE_KINDS, weights=LINE_KIND_WEIGHTS)[0]
    if kind == "horizontal":
        row, (c0, c1) = rnd.randrange(rows), _span(rnd, cols)
        point1, point2 = (row, c0), (row, c1)
    elif kind == "vertical":
        (r0, r1), col = _span(rnd, rows), rnd.randrange(cols)
        point1, point2 = (r0, col), (r1, col)
    else:
        for _ in range(8):  # two distinct points, unless the grid is too small for them
            point1, point2 = sorted((_point(rnd, shape), _point(rnd, shape)))
            if kind == "diagonal":  # 45 degrees, down-right or down-left from point1
                length = min(point2[0] - point1[0], abs(point2[1] - point1[1]))
                step = 1 if point2[1] >= point1[1] else -1
                point2 = (point1[0] + length, point1[1] + step * length)
            if point1 != point2:
                break
    color = _color(rnd)
    text = f"draw_line(img, point1={point1}, point2={point2}, color={color})"
    return text, raster.compile_line(shape, point1, point2, color)


def _sample_rectangle(rnd: random.Random, shape: tuple[int, int]) -> Draw:
    (r0, r1), (c0, c1) = _span(rnd, shape[0]), _span(rnd, shape[1])
    point1, point2, color = (r0, c0), (r1, c1), _color(rnd)
    text = f"draw_rectangle(img, point1={point1}, point2={point2}, color={color})"
    return text, raster.compile_rectangle(shape, point1, point2, color)


def _sample_horizontal_line(rnd: random.Random, shape: tuple[int, int]) -> Draw:
    y, color = rnd.randrange(shape[0]), _color(rnd)
    text = f"draw_horizontal_line(img, y={y}, color={color})"
    return text, raster.compile_horizontal_line(shape, y, color)


def _sample_vertical_line(rnd: random.Random, shape: tuple[int, int]) -> Draw:
    x, color = rnd.randrange(shape[1]), _color(rnd)
    text = f"draw_vertical_line(img, x={x}, color={color})"
    return text, raster.compile_vertical_line(shape, x, color)


def _sample_flood_fill(rnd: random.Random, shape: tuple[int, int]) -> Draw:
    point, color = _point(rnd, shape), _color(rnd)
    connectivity = 8 if rnd.random() < FLOOD_FILL_8_PROBABILITY else 4
    suffix = ", connectivity=8" if connectivity == 8 else ""
    text = f"flood_fill(img, point={point}, color={color}{suffix})"
    return text, raster.compile_flood_fill(shape, point, color, connectivity)


_SAMPLERS: tuple[Callable[[random.Random, tuple[int, int]], Draw], ...] = (
    _sample_pixel,
    _sample_line,
    _sample_rectangle,
    _sample_horizontal_line,
    _sample_vertical_line,
    _sample_flood_fill,
)
