"""Program text: split a drawing program into statement lines, put it back together, prune it.

A program is Python source of the form::

    def task(img):
        draw_pixel(img, point=(1, 1), color=3)
        return img

``body_lines`` and ``assemble`` convert between that text and its list of body statements;
``prune_lines`` drops the statements that do not change any output, which is how generated and
hindsight-relabelled programs are cleaned before they become training targets.

Boundary: this module never decides *how* a candidate program runs. ``prune_lines`` asks a
caller-supplied, batched ``reproduces`` callback, so trusted generated programs can run in
process while untrusted model programs go through ``solver.sandbox``. Batching is the point:
a sandbox call costs milliseconds of process start-up, so pruning a program of n lines takes
2 calls in the common case (one with the n single-line deletions, one with the cumulative
removals) instead of the n calls of a one-at-a-time loop.

``run_trusted_program`` execs a program in process with the drawing DSL in scope. It is for
code this project generated itself (no sandbox, no timeout); never pass it model output.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Callable, Generator, Sequence

import numpy as np

from solver.dsl import drawing

INDENT = "    "
DSL_NAMESPACE: dict[str, object] = {name: getattr(drawing, name) for name in drawing.__all__}

Reproduces = Callable[[list[list[str]]], list[bool]]
ReproducesMany = Callable[[dict[int, list[list[str]]]], dict[int, list[bool]]]


def body_lines(source: str) -> list[str]:
    """The body statements of a program, dedented, without the final ``return img``.

    The body is that of the function named ``task`` if there is one, else of the first
    top-level ``def``, else the whole module (a bare body). Each returned string is one
    statement; a statement that spans several source lines (a loop, a wrapped call) stays one
    string with its inner lines, so that pruning never cuts a statement in half. Comments
    between statements are dropped. A program that does not parse is split line by line:
    everything after the ``def`` line, blank lines and a final ``return img`` removed.

    Args:
        source: the program text.

    Returns:
        The statements in source order; ``assemble(body_lines(s))`` rebuilds the program.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return _body_lines_by_text(source)
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    named = [node for node in functions if node.name == "task"]
    statements = (named or functions)[0].body if functions else tree.body
    if statements and _is_return_img(statements[-1]):
        statements = statements[:-1]
    source_lines = source.splitlines()
    return [_statement_text(node, source, source_lines) for node in statements]


def assemble(lines: Sequence[str], function_name: str = "task") -> str:
    """The program ``def <function_name>(img):`` + ``lines`` indented 4 spaces + ``return img``.

    The inverse of ``body_lines``: ``body_lines(assemble(lines)) == lines`` for statements
    without comments. An empty ``lines`` gives the identity program.
    """
    body = "".join(textwrap.indent(line, INDENT) + "\n" for line in lines)
    return f"def {function_name}(img):\n{body}{INDENT}return img\n"


def close_truncated(source: str) -> str:
    """A program cut off by the sampler's token limit, closed after its last whole line.

    Why: a drawing program is a straight line of draws, so the draws it finished are a program
    of their own that draws part of what the whole one would have. After a learning step on long
    (spliced) programs the model can write past the token limit in nearly every sample (on a CPU
    at 400 tokens, 27-32 of 32 samples of 12-squares for eight epochs); closing them turns those
    samples into programs that run. The last line is dropped (it was cut), the rest reassembled
    with ``return img``; text that does not parse even so fails in the sandbox like any other.
    """
    whole = source.rstrip("\n").rpartition("\n")[0]
    return assemble(body_lines(whole)) if whole.strip() else ""


def drop_broken_lines(source: str) -> str:
    """A program that does not parse, rebuilt from those of its lines that do; others unchanged.

    Why: a learning step can leave the model writing drawing programs with a mangled line or two
    (an unclosed parenthesis, a missing comma). After the first step on 25-squares, 0 of 136
    samples ran in three of five seeds, for the rest of their 3 minutes (H200, 2026-12-02): with
    nothing that runs, the loop had nothing to learn from and stayed there. Each line of a
    drawing program is a draw of its own, so the lines that do parse make a program that draws
    part of what was meant, and the loop learns from it as rewritten, which teaches the syntax
    back. Lines are taken one by one, each stripped of its indentation (one badly indented line
    must not take the others with it); a statement spread over several lines (a loop) is lost.
    A line that parses but fails when run (an unknown name, a missing argument) still fails the
    program in the sandbox. No statement left (only comments, or nothing): "".
    """
    try:
        ast.parse(source)
        return source
    except SyntaxError:
        pass
    kept = [line for line in (raw.strip() for raw in body_lines(source)) if _is_statement(line)]
    return assemble(kept) if kept else ""


def _is_statement(line: str) -> bool:
    """True for a line that is one or more statements that compile in a function body."""
    try:
        return bool(ast.parse(line).body) and compile(assemble([line]), "<line>", "exec") is not None
    except SyntaxError:
        return False


def prune_lines(lines: list[str], reproduces: Reproduces) -> list[str]:
    """Drop the lines that change no output, keeping a subset that reproduces them exactly.

    Algorithm, in batched calls of ``reproduces``:

    1. One call with every single-line deletion. A line whose lone removal breaks the outputs
       (or makes the program raise) is kept for good; the others are *candidates*.
    2. One call with the cumulative removals of the candidates in order (first one, first
       two, ..., all of them). If removing all of them reproduces, that is the answer. Else
       the longest prefix before the first failure is removed, the candidate that failed is
       kept, and step 2 repeats on the candidates after it.

    Step 2 is what the original ``validate_code`` lacked: with a duplicated line, each copy is
    removable alone but not both, and it deleted both. Here the second copy fails in step 2
    and is kept. Calls: 1 when no line is removable or only one is, 2 in the common case, and
    at most 1 + (number of candidates that step 2 keeps) + 1 in all.

    The result always reproduces: every removal is one that ``reproduces`` accepted. It is a
    greedy minimum in the candidates' order, not a global one: a line that breaks the outputs
    when removed from the full program is never retried after other lines are gone.

    Args:
        lines: the body statements of a program that produces the original outputs itself.
        reproduces: given candidate line lists, says for each whether it produces exactly the
            original outputs on every input (a program that raises does not). The answers
            must come back in the same order; the caller decides how to execute.

    Returns:
        The kept lines, in their original order (a new list; ``[]`` only if the whole program
        changes nothing).
    """
    return prune_many([lines], lambda requests: {i: reproduces(candidates) for i, candidates in requests.items()})[0]


def prune_many(programs: list[list[str]], reproduces: ReproducesMany) -> list[list[str]]:
    """``prune_lines`` for many programs at once, in lockstep: each round asks about every
    program still being pruned in one call.

    Why: the HER loop prunes the ~150 programs an epoch keeps; one at a time that is 3-4 sandbox
    round trips (and program processes) each, and it was most of an epoch's execution time on
    a GPU machine shared by twelve searches. Together it is as many calls as the slowest
    program has rounds, and the caller can spread each call over its sandbox workers.

    Args:
        programs: each program's body statements (see ``prune_lines``).
        reproduces: given ``{program index: candidate line lists}``, says for each candidate
            whether it reproduces that program's original outputs: ``{program index: answers}``,
            one answer per candidate in the same order.

    Returns:
        Each program's kept lines, in ``programs`` order.
    """
    steps = [_prune_steps(list(lines)) for lines in programs]
    kept: list[list[str]] = [[] for _ in programs]
    requests: dict[int, list[list[str]]] = {}

    def advance(i: int, answers: list[bool] | None) -> None:
        try:
            requests[i] = steps[i].send(answers)  # type: ignore[arg-type]  # None starts a generator
        except StopIteration as done:
            kept[i] = done.value
            requests.pop(i, None)

    for i in range(len(steps)):
        advance(i, None)
    while requests:
        asked = dict(requests)
        answers = reproduces(asked)
        for i, candidates in asked.items():
            given = [bool(ok) for ok in answers.get(i, [])]
            if len(given) != len(candidates):
                raise ValueError(
                    f"reproduces must return one answer per candidate: got {len(given)} answers "
                    f"for program {i}'s {len(candidates)} candidates"
                )
            advance(i, given)
    return kept


def _prune_steps(lines: list[str]) -> Generator[list[list[str]], list[bool], list[str]]:
    """``prune_lines``'s algorithm as a generator: yields each batch of candidate line lists,
    is sent their answers, returns the kept lines."""
    if not lines:
        return []
    singles = [lines[:i] + lines[i + 1 :] for i in range(len(lines))]
    pending = [i for i, ok in enumerate((yield singles)) if ok]
    removed: set[int] = set()
    if len(pending) == 1:
        removed.add(pending[0])  # step 1 already verified this removal
        pending = []
    first_round = True
    while pending:
        # Cumulative removals; in the first round the 1-prefix is known from step 1.
        known = 1 if first_round else 0
        trials = [_without(lines, removed | set(pending[: k + 1])) for k in range(known, len(pending))]
        answers = [True] * known + (yield trials)
        failed = next((k for k, ok in enumerate(answers) if not ok), len(pending))
        removed.update(pending[:failed])
        pending = pending[failed + 1 :]  # pending[failed] is kept
        first_round = False
    return _without(lines, removed)


def run_trusted_program(
    source: str, inputs: Sequence[np.ndarray], function_name: str = "task"
) -> list[np.ndarray]:
    """Exec a *trusted* program in a fresh namespace holding the drawing DSL; run it per input.

    No sandbox and no timeout: only for programs this project generated or wrote itself.
    Each input is copied before the call, so the caller's arrays are never drawn on.

    Returns:
        One output array per input, in input order. Exceptions from the program propagate.
    """
    namespace = dict(DSL_NAMESPACE)
    exec(compile(source, "<program>", "exec"), namespace)  # noqa: S102 - trusted code only
    function = namespace[function_name]
    return [np.asarray(function(np.array(grid, copy=True))) for grid in inputs]


def _without(lines: list[str], removed: set[int]) -> list[str]:
    return [line for i, line in enumerate(lines) if i not in removed]


def _is_return_img(node: ast.stmt) -> bool:
    value = node.value if isinstance(node, ast.Return) else None
    return isinstance(value, ast.Name) and value.id == "img"


def _statement_text(node: ast.stmt, source: str, source_lines: list[str]) -> str:
    decorators = getattr(node, "decorator_list", [])
    if decorators:  # a nested decorated def: keep its decorator lines with it
        start = min(d.lineno for d in decorators)
        return textwrap.dedent("\n".join(source_lines[start - 1 : node.end_lineno]))
    # The exact segment, so that `a = 1; b = 2` gives two statements; padding the first line
    # back to its column lets dedent keep a multi-line statement's relative indentation.
    return textwrap.dedent(ast.get_source_segment(source, node, padded=True) or "")


def _body_lines_by_text(source: str) -> list[str]:
    lines = source.splitlines()
    start = next((i + 1 for i, line in enumerate(lines) if line.lstrip().startswith("def ")), 0)
    body = [line for line in lines[start:] if line.strip()]
    if body and body[-1].strip() == "return img":
        body.pop()
    return textwrap.dedent("\n".join(body)).splitlines()
