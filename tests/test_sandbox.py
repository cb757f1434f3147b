"""Each test attacks one property of ``solver.sandbox``: results, failure kinds, isolation, cleanup.

Most tests share one two-worker sandbox with a 0.5 s timeout; tests that break or close a
sandbox make their own.
"""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import orjson
import psutil
import pytest
from pydantic import ValidationError

from solver.dsl import drawing
from solver.sandbox import GridResult, ProgramResult, Sandbox, SandboxConfig, Status
from solver.sandbox import pool as pool_module
from solver.sandbox.cli import main_exec
from solver.sandbox.outputs import BadOutput, check_output
from tests.hostile.processes import strays

TIMEOUT_S = 0.5
GRACE_S = 0.5  # a timeout must be answered within TIMEOUT_S + GRACE_S

GOOD = """
def task(img):
    draw_line(img, point1=(0, 2), point2=(3, 2), color=5)
    img = draw_rectangle(img, (1, 1), (2, 3), 4)
    return img
"""
IDENTITY = "def task(img):\n    return img\n"
GRIDS = [
    np.zeros((4, 5), dtype=np.int8),
    np.arange(12, dtype=np.int8).reshape(3, 4) % 10,
    np.full((6, 3), 7, dtype=np.int8),
]


def body(*lines: str) -> str:
    """A ``task`` whose body is ``lines``."""
    return "def task(img):\n" + "".join(f"    {line}\n" for line in lines)


def expected(source: str, grid: np.ndarray) -> np.ndarray:
    """What ``source`` gives on ``grid`` when run in this process (trusted test programs only)."""
    namespace = {name: getattr(drawing, name) for name in drawing.__all__} | {"np": np}
    exec(source, namespace)  # noqa: S102
    return np.asarray(namespace["task"](grid.copy()))


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(SandboxConfig(workers=2, timeout_s=TIMEOUT_S)) as box:
        yield box


def run_one(sandbox: Sandbox, source: str, grids=GRIDS) -> ProgramResult:
    (result,) = sandbox.run([source], grids)
    return result


def assert_all(result: ProgramResult, status: Status, error_part: str = "") -> None:
    for grid_result in result.results:
        assert grid_result.status is status, grid_result
        assert grid_result.output is None and grid_result.fingerprint is None
        assert error_part in grid_result.error, grid_result.error


# -- good programs ---------------------------------------------------------------------------


def test_good_program_gives_the_dsl_outputs(sandbox):
    result = run_one(sandbox, GOOD)
    assert result.all_ok
    for grid, grid_result in zip(GRIDS, result.results):
        assert grid_result.output.dtype == np.int8
        np.testing.assert_array_equal(grid_result.output, expected(GOOD, grid))
        assert grid_result.error is None and grid_result.fingerprint
    assert [o.shape for o in result.outputs] == [g.shape for g in GRIDS]


def test_run_gives_every_program_on_every_grid_in_order(sandbox):
    programs = [body(f"draw_pixel(img, (0, 0), {c})", "return img") for c in range(10)] * 3
    results = sandbox.run(programs, GRIDS)
    assert len(results) == len(programs)
    for index, result in enumerate(results):
        assert len(result.results) == len(GRIDS)
        assert all(int(o[0, 0]) == index % 10 for o in result.outputs)


def test_run_each_uses_each_programs_own_grids(sandbox):
    jobs = [(body("return create_img((1, 1), len(img))"), [np.zeros((n, 2), int)]) for n in (1, 9)]
    jobs.append((IDENTITY, GRIDS[:2]))
    results = sandbox.run_each(jobs)
    assert results[0].outputs[0].tolist() == [[1]]
    assert results[1].outputs[0].tolist() == [[9]]
    assert [o.tolist() for o in results[2].outputs] == [g.tolist() for g in GRIDS[:2]]


def test_run_groups_gives_what_run_gives(sandbox):
    programs = [GOOD, IDENTITY, body("return img[0, 0] / 0"), body("return 7"), body("draw_pixel(img, (0, 0), 3)", "return img")]
    alone = sandbox.run(programs, GRIDS)
    grouped = sandbox.run_groups([programs[:2], programs[2:], []], GRIDS)
    assert [len(group) for group in grouped] == [2, 3, 0]
    for one, other in zip(alone, grouped[0] + grouped[1], strict=True):
        assert [(r.status, r.error) for r in one.results] == [(r.status, r.error) for r in other.results]
        assert one.fingerprint == other.fingerprint


def test_a_hang_in_a_group_costs_that_program_only(sandbox):
    hang = body("while True:", "    pass")
    start = time.monotonic()
    first, second = sandbox.run_groups([[IDENTITY, hang, IDENTITY, GOOD], [IDENTITY]], GRIDS[:2])
    assert time.monotonic() - start < TIMEOUT_S + GRACE_S  # one timeout, not the group's four
    assert [r.all_ok for r in first] == [True, False, True, True]
    assert {g.status for g in first[1].results} == {Status.TIMEOUT}
    assert [o.tolist() for o in first[3].outputs] == [expected(GOOD, g).tolist() for g in GRIDS[:2]]
    assert second[0].all_ok


def test_a_program_that_kills_its_process_in_a_group_costs_that_program_only(sandbox):
    dies = body("import os", "os._exit(3)")
    results = sandbox.run_groups([[IDENTITY, dies, IDENTITY]], GRIDS[:2])[0]
    assert [r.all_ok for r in results] == [True, False, True]
    assert {g.status for g in results[1].results} == {Status.CRASHED}


def test_a_slow_group_is_not_taken_for_a_stuck_worker(monkeypatch):
    monkeypatch.setattr(pool_module, "BACKSTOP_GRACE_S", 0.2)
    slow = body("import time", "time.sleep(0.3)", "return img")  # 8 x 0.3 s: past timeout + grace
    with Sandbox(SandboxConfig(workers=1, timeout_s=0.5)) as box:
        results = box.run_groups([[slow] * 8], GRIDS[:1])[0]
    assert all(r.all_ok for r in results)


def test_programs_of_a_group_start_from_fresh_globals(sandbox):
    setter = body("return img") + "HELPER = 5\n"
    reader = body("return create_img((1, 1), HELPER)")
    results = sandbox.run_groups([[setter, reader]], GRIDS[:1])[0]
    assert results[0].all_ok
    assert results[1].results[0].status is Status.ERROR and "HELPER" in results[1].results[0].error


def test_programs_get_a_private_copy_of_each_grid(sandbox):
    grid = np.zeros((2, 2), dtype=np.int64)
    result = run_one(sandbox, body("img[0, 0] = 5", "return img"), [grid, grid])
    assert [o[0, 0] for o in result.outputs] == [5, 5]  # the 2nd call did not see the 1st's write
    assert grid[0, 0] == 0


def test_fingerprints_identify_equal_outputs(sandbox):
    twin = body("draw_vertical_line(img, 2, 5)", "img[4:, 2] = img[4:, 0]", "img[1:3, 1:4] = 4")
    twin += "    return img\n"
    other = body("return create_img(img.shape, 1)")
    results = sandbox.run([GOOD, twin, other, IDENTITY, body("return 1 / 0")], GRIDS)
    assert results[0].fingerprint == results[1].fingerprint
    assert len({r.fingerprint for r in results[:4]}) == 3
    assert results[4].fingerprint is None and results[4].outputs is None
    programs = [body(f"return create_img({shape})") for shape in ((2, 2), (1, 4))]
    square, row = sandbox.run(programs, GRIDS[:1])
    assert square.fingerprint != row.fingerprint  # same bytes, other shape


def test_many_large_grids_come_back_whole(sandbox):
    # 100 grids of 30x30 overflow a 64 KB pipe: the worker must read while the program writes
    grids = [np.full((30, 30), i % 10, dtype=np.int8) for i in range(100)]
    result = run_one(sandbox, body("return img[::-1]"), grids)
    assert [int(o[0, 0]) for o in result.outputs] == [i % 10 for i in range(100)]


def test_forged_results_are_not_believed(sandbox):
    forged_ok = "bytes([0, 1, 1, 1, 0]) + bytes([10])"  # claims OK, cell value 10
    for frame in ["b'\\xff' * 10", forged_ok]:
        result = run_one(sandbox, body("import os", f"os.write(3, {frame})", "return img"))
        assert_all(result, Status.CRASHED, "malformed result")


def test_lists_of_ints_are_accepted(sandbox):
    result = run_one(sandbox, body("return [[1, 2], [3, int(img[0, 0])]]"), GRIDS[:1])
    assert result.outputs[0].tolist() == [[1, 2], [3, 0]]


def test_function_name_is_configurable():
    with Sandbox(SandboxConfig(workers=1, function_name="solve")) as box:
        result = run_one(box, "def solve(img):\n    return img\n", GRIDS[:1])
        assert result.all_ok
        assert_all(run_one(box, IDENTITY, GRIDS[:1]), Status.ERROR, "no function 'solve'")


def test_no_programs_and_no_grids(sandbox):
    assert sandbox.run([], GRIDS) == []
    (result,) = sandbox.run([IDENTITY], [])
    assert result.results == [] and not result.all_ok and result.fingerprint is None


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "error"),
    [
        (body("raise ValueError('boom')"), "ValueError: boom"),
        (body("return 1 / 0"), "ZeroDivisionError: division by zero"),
        (body("raise SystemExit(3)"), "SystemExit: 3"),
        (body("raise KeyboardInterrupt"), "KeyboardInterrupt"),
        (body("raise BaseException('base')"), "BaseException: base"),
        (body("exit()"), "SystemExit"),
        (body("import sys", "sys.exit(0)"), "SystemExit: 0"),
        (body("return task(img)"), "RecursionError"),
        ("def task(img)\n    return img\n", "SyntaxError: expected ':' (line 1)"),
        ("def solve(img):\n    return img\n", "program defines no function 'task'"),
        ("task = 3\n", "program defines no function 'task'"),
        ("raise RuntimeError('at import')\n", "RuntimeError: at import"),
    ],
)
def test_errors_are_reported_per_grid(sandbox, source, error):
    assert_all(run_one(sandbox, source), Status.ERROR, error)


def test_an_error_on_one_grid_leaves_the_others(sandbox):
    grids = [np.ones((2, 2), int), GRIDS[0]]
    result = run_one(sandbox, body("1 // int(img[0, 0])", "return img"), grids)
    assert [r.status for r in result.results] == [Status.OK, Status.ERROR]


@pytest.mark.parametrize(
    ("source", "error"),
    [
        (body("import os", "os._exit(0)"), "exited with status 0"),
        (body("import os", "os.abort()"), "killed by SIGABRT"),
        (body("import ctypes", "ctypes.string_at(0)"), "killed by SIGSEGV"),
        (body("import os, signal", "os.kill(os.getpid(), signal.SIGKILL)"), "killed by SIGKILL"),
    ],
)
def test_a_dying_program_process_is_crashed(sandbox, source, error):
    assert_all(run_one(sandbox, source), Status.CRASHED, error)


# -- time and memory -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        body("while True:", "    pass"),
        body("return sum(range(10**12))"),  # a C loop that never checks for signals
        body("import time", "time.sleep(100)"),
        body("import signal", "signal.signal(signal.SIGTERM, signal.SIG_IGN)", "while True: pass"),
    ],
    ids=["python-loop", "c-loop", "sleep", "ignores-sigterm"],
)
def test_timeouts_are_answered_in_time(sandbox, source):
    start = time.monotonic()
    result = run_one(sandbox, source)
    elapsed = time.monotonic() - start
    assert_all(result, Status.TIMEOUT, f"timed out after {TIMEOUT_S:g} s")
    assert elapsed < TIMEOUT_S + GRACE_S


def test_a_timeout_keeps_the_grids_already_done(sandbox):
    source = body("if img[0, 0] == 9:", "    while True: pass", "return img")
    grids = [np.zeros((2, 2), int), np.ones((2, 2), int), np.full((2, 2), 9), np.zeros((1, 1), int)]
    statuses = [r.status for r in run_one(sandbox, source, grids).results]
    assert statuses == [Status.OK, Status.OK, Status.TIMEOUT, Status.TIMEOUT]


def test_cpu_time_limit_kills_a_busy_program():
    # wall clock far away, so only RLIMIT_CPU can stop it
    with Sandbox(SandboxConfig(workers=1, timeout_s=30, cpu_time_s=1)) as box:
        start = time.monotonic()
        result = run_one(box, body("while True: pass"), GRIDS[:1])
        assert time.monotonic() - start < 5
    assert_all(result, Status.TIMEOUT, "CPU time")


@pytest.mark.parametrize(
    "source",
    [
        body("return [0] * 10**9"),
        body("return np.zeros((100_000, 100_000))"),
        body("chunks = []", "while True:", "    chunks.append(np.empty(10**7))"),
        "junk = ' ' * 10**10\ndef task(img):\n    return img\n",
    ],
    ids=["list", "numpy", "growing", "at-import"],
)
def test_memory_bombs_hit_the_cap(sandbox, source):
    assert_all(run_one(sandbox, source), Status.MEMORY)


# -- outputs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("returned", "reason"),
    [
        ("np.zeros((2, 2, 2), int)", "output has 3 dimensions"),
        ("np.zeros(3, int)", "output has 1 dimension"),
        ("np.zeros((2, 2))", "output dtype float64 is not an integer type"),
        ("img.astype(bool)", "output dtype bool is not an integer type"),
        ("[[1.0, 2.0]]", "output cell is float, not an int"),
        ("[[True]]", "output cell is bool, not an int"),
        ("None", "output is NoneType, not a grid"),
        ("'012'", "output is str, not a grid"),
        ("((1, 2),)", "output is tuple, not a grid"),
        ("np.zeros((1000, 1000), int)", "output is 1000x1000; sides must be 1-30"),
        ("[[0] * 31]", "output is 1x31; sides must be 1-30"),
        ("[[0]] * 10**7", "output has 10000000 rows; sides must be 1-30"),
        ("np.zeros((0, 3), int)", "output is 0x3"),
        ("[]", "output is an empty list"),
        ("[[]]", "output rows are empty"),
        ("[[1, 2], [3]]", "output rows differ in length"),
        ("np.full((2, 2), 10)", "output value 10 is outside 0-9"),
        ("[[0, -1]]", "output value -1 is outside 0-9"),
        ("np.full((2, 2), 256, dtype=np.int64)", "output value 256"),
    ],
)
def test_bad_outputs_are_refused_with_a_reason(sandbox, returned, reason):
    assert_all(run_one(sandbox, body(f"return {returned}"), GRIDS[:1]), Status.BAD_OUTPUT, reason)


def test_check_output_converts_integer_arrays_to_int8():
    grid = check_output(np.array([[1, 9]], dtype=np.uint64))
    assert grid.dtype == np.int8 and grid.tolist() == [[1, 9]]
    with pytest.raises(BadOutput, match="not a grid"):
        check_output({"grid": [[1]]})


# -- isolation -------------------------------------------------------------------------------


def test_monkeypatching_does_not_reach_the_next_program():
    vandal = body(
        "import builtins, numpy, solver.dsl.drawing as dsl",
        "dsl.draw_line = lambda *a, **k: 1 / 0",
        "numpy.zeros = None",
        "np.array = None",
        "builtins.len = lambda x: 42",
        "builtins.range = None",
        "globals()['draw_pixel'] = None",
        "return img",
    )
    check = body(
        "import solver.dsl.drawing as dsl",
        "draw_line(img, (0, 0), (0, 2), 3)",
        "dsl.draw_line(img, (1, 0), (1, 2), 4)",
        "draw_pixel(img, (2, 2), len([1]))",
        "return img + np.zeros(img.shape, np.int8)",
    )
    grid = np.zeros((3, 3), dtype=np.int8)
    with Sandbox(SandboxConfig(workers=1)) as box:  # one worker: the same process forks both
        _, checked = box.run([vandal, check], [grid])  # the vandal broke its own output check
    assert checked.outputs[0].tolist() == [[3, 3, 3], [4, 4, 4], [0, 0, 1]]


def test_files_written_are_gone_for_the_next_program():
    writer = body("open('note.txt', 'w').write('hi')", "import os", "os.mkdir('d')", "return img")
    reader = body("import os", "return create_img((1, 1), len(os.listdir('.')))")
    with Sandbox(SandboxConfig(workers=1)) as box:
        results = box.run([writer, reader, reader], GRIDS[:1])
    assert results[0].all_ok
    assert [r.outputs[0].tolist() for r in results[1:]] == [[[0]], [[0]]]


def test_printing_does_not_reach_the_parent(capfd):
    noisy = body(
        "import os, sys",
        "print('LEAK-stdout')",
        "print('LEAK-stderr', file=sys.stderr)",
        "os.write(1, b'LEAK-fd1')",
        "os.write(2, b'LEAK-fd2')",
        "return img",
    )
    with Sandbox(SandboxConfig(workers=1)) as box:  # started here, so it inherits capfd's fds
        assert run_one(box, noisy).all_ok
    out, err = capfd.readouterr()
    assert "LEAK" not in out and "LEAK" not in err


def test_environment_is_scrubbed(monkeypatch):
    monkeypatch.setenv("SANDBOX_TEST_SECRET", "hunter2")
    source = body("import os", "return create_img((1, 1), 'SANDBOX_TEST_SECRET' in os.environ)")
    with Sandbox(SandboxConfig(workers=1)) as box:
        assert run_one(box, source, GRIDS[:1]).outputs[0].tolist() == [[0]]


def test_a_fork_bomb_cannot_fork(sandbox):
    bomb = body("import os", "while True:", "    os.fork()")
    assert_all(run_one(sandbox, bomb), Status.ERROR, "Resource temporarily unavailable")
    threads = body("import _thread", "_thread.start_new_thread(print, ())", "return img")
    assert_all(run_one(sandbox, threads), Status.ERROR, "can't start new thread")


def test_programs_cannot_write_outside_their_directory(sandbox, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("only a root worker drops privileges; others keep the worker's uid")
    target = tmp_path / "written.txt"
    result = run_one(sandbox, body(f"open({str(target)!r}, 'w').write('x')", "return img"))
    assert_all(result, Status.ERROR, "PermissionError")
    assert not target.exists()


# -- workers dying and hanging ---------------------------------------------------------------


def test_a_program_that_kills_its_worker_costs_one_result():
    killer = body("import os", "os.kill(os.getppid(), 9)", "import time", "time.sleep(5)")
    programs = [GOOD] * 3 + [killer] + [GOOD] * 6
    with Sandbox(SandboxConfig(workers=2)) as box:
        results = box.run(programs, GRIDS)
        # Under a root worker the program runs as nobody and may not signal it: ERROR.
        assert results[3].results[0].status in (Status.CRASHED, Status.ERROR)
        assert all(r.all_ok for i, r in enumerate(results) if i != 3)
        assert box.run([GOOD], GRIDS)[0].all_ok


def test_a_worker_killed_from_outside_is_replaced_and_the_batch_goes_on():
    sleeper = body("import time", "time.sleep(0.3)", "return img")
    with Sandbox(SandboxConfig(workers=2, timeout_s=5)) as box:
        before = box.worker_pids
        threading.Timer(0.15, os.kill, (before[0], 9)).start()
        results = box.run([sleeper] * 8, GRIDS[:1])
        statuses = [r.results[0].status for r in results]
        assert statuses.count(Status.CRASHED) == 1 and statuses.count(Status.OK) == 7
        crashed = next(r for r in results if not r.all_ok).results[0]
        assert "worker process was killed by SIGKILL" in crashed.error
        assert box.worker_pids[0] != before[0] and box.worker_pids[1] == before[1]
        assert box.run([GOOD], GRIDS)[0].all_ok


def test_a_worker_that_stops_answering_is_replaced(monkeypatch):
    monkeypatch.setattr(pool_module, "BACKSTOP_GRACE_S", 0.5)
    sleeper = body("import time", "time.sleep(0.4)", "return img")
    with Sandbox(SandboxConfig(workers=1, timeout_s=1.0)) as box:
        threading.Timer(0.05, os.kill, (box.worker_pids[0], 19)).start()  # SIGSTOP
        start = time.monotonic()
        results = box.run([sleeper] * 3, GRIDS[:1])
        assert time.monotonic() - start < 5
        assert results[0].results[0].status is Status.TIMEOUT
        assert "worker stopped answering" in results[0].results[0].error
        assert all(r.all_ok for r in results[1:])


def test_nothing_is_left_behind(sandbox):
    leftovers = [
        body("while True: pass"),
        body("import time", "time.sleep(100)"),
        body("import os", "os.setsid()", "import time", "time.sleep(100)"),
        body("import os", "os.fork()", "return img"),
    ]
    with Sandbox(SandboxConfig(workers=2, timeout_s=0.3)) as box:
        box.run(leftovers, GRIDS)
        workers = set(box.worker_pids)
        assert {p.pid for p in strays(sandbox)} == workers
        assert all(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in workers)
        rootdir = box._rootdir
    assert strays(sandbox) == []
    assert not os.path.exists(rootdir)


# -- the API's own checks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timeout_s", -1, "timeout_s must be > 0, got -1"),
        ("workers", 0, "workers must be in [1, 256], got 0"),
        ("cpu_time_s", 0, "cpu_time_s must be >= 1"),
        ("memory_mb", 1, "memory_mb must be >= 16, got 1"),
        ("function_name", "not a name", "function_name must be a Python identifier"),
        ("dsl", "solver/dsl", "dsl must be a dotted module name"),
    ],
)
def test_config_is_validated(field, value, message):
    with pytest.raises(ValidationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        SandboxConfig(**{field: value})


def test_cpu_time_follows_the_timeout_unless_given():
    assert SandboxConfig().cpu_time_s == 2
    assert SandboxConfig(timeout_s=4.5).cpu_time_s == 6
    assert SandboxConfig(timeout_s=4.5, cpu_time_s=1).cpu_time_s == 1


def test_bad_inputs_are_programmer_errors(sandbox):
    with pytest.raises(ValueError, match=r"grids\[1\] must be values 0-9"):
        sandbox.run([IDENTITY], [GRIDS[0], np.full((2, 2), 12)])
    with pytest.raises(ValueError, match=r"grids\[0\] must be 1-30 cells per side, got 31x1"):
        sandbox.run([IDENTITY], [np.zeros((31, 1), int)])
    with pytest.raises(ValueError, match=r"jobs\[0\] grids\[0\] must be a 2-D integer array"):
        sandbox.run_each([(IDENTITY, [np.zeros(3)])])
    with pytest.raises(ValueError, match=r"programs\[1\] must be source text"):
        sandbox.run([IDENTITY, None], GRIDS)
    with pytest.raises(ValueError, match=r"groups\[0\]\[1\] must be source text"):
        sandbox.run_groups([[IDENTITY, 3]], GRIDS)
    with pytest.raises(ValueError, match=r"groups\[1\] must be a list of program sources"):
        sandbox.run_groups([[IDENTITY], IDENTITY], GRIDS)


def test_an_unknown_dsl_fails_at_start(sandbox):
    with pytest.raises(RuntimeError, match="cannot load DSL 'no_such_dsl_module'"):
        Sandbox(SandboxConfig(workers=1, dsl="no_such_dsl_module"))
    assert strays(sandbox) == []


def test_a_closed_sandbox_refuses_work(sandbox):
    box = Sandbox(SandboxConfig(workers=1))
    box.close()
    box.close()
    assert box.closed and strays(sandbox) == []
    with pytest.raises(RuntimeError, match="closed"):
        box.run([IDENTITY], GRIDS)


def test_results_are_plain_values():
    ok = GridResult.ok(np.ones((1, 2), np.int8))
    assert not ok.output.flags.writeable
    program = ProgramResult([ok, GridResult.failed(Status.TIMEOUT, "timed out after 1 s")])
    assert not program.all_ok and program.outputs is None and program.fingerprint is None
    assert Status("timeout") is Status.TIMEOUT and Status.TIMEOUT == "timeout"


# -- command line ----------------------------------------------------------------------------


@pytest.mark.parametrize("wrapped", [False, True])
def test_exec_command_prints_json_results(tmp_path, capsys, wrapped):
    program = tmp_path / "program.py"
    program.write_text(body("if img[0][0] == 9:", "    raise ValueError('nine')", "return img"))
    grids = [[[1, 2], [3, 4]], [[9]]]
    grids_file = tmp_path / "grids.json"
    grids_file.write_bytes(orjson.dumps({"grids": grids} if wrapped else grids))
    status = main_exec(["--program", str(program), "--grids", str(grids_file), "--timeout-s", "2"])
    assert status == 1
    assert orjson.loads(capsys.readouterr().out) == {
        "results": [
            {"status": "ok", "output": [[1, 2], [3, 4]]},
            {"status": "error", "error": "ValueError: nine"},
        ]
    }


def test_exec_command_rejects_bad_files(tmp_path, capsys):
    program = tmp_path / "program.py"
    program.write_text(IDENTITY)
    grids_file = tmp_path / "grids.json"
    grids_file.write_text('{"inputs": []}')
    assert main_exec(["--program", str(program), "--grids", str(grids_file)]) == 2
    assert "expected a list of grids" in capsys.readouterr().err
    grids_file.write_text("[[[1, 2], [3]]]")
    assert main_exec(["--program", str(program), "--grids", str(grids_file)]) == 2
