"""Hostile programs: what generated code could do to the solver, one ``Hostile`` each.

Sources use two placeholders filled in by ``sources()``: ``CANARY`` (a directory of files
the programs must not change or read; ``CANARY/secret.txt`` is mode 0600) and ``PORT`` (a TCP
port the test listens on at 127.0.0.1). ``expect`` is the set of statuses a program may end
with: most must fail; a few may return OK once the attack itself has failed. Used by
tests/test_hostile.py and benchmarks/sandbox_hostile.py. ``needs_root`` marks the attacks that
only a root worker stops (dropping to nobody, the network namespace): under a non-root worker
the program keeps the worker's uid and they succeed (docs/SECURITY.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from solver.sandbox.results import Status

FAIL = frozenset(Status) - {Status.OK}
ANY = frozenset(Status)
HANG = frozenset({Status.TIMEOUT})


@dataclass(frozen=True)
class Hostile:
    name: str
    kind: str  # hang, recursion, memory, fork, exit, signal, files, network, process, patch, output, crash
    body: str  # the body of ``task(img)``, one statement per line
    expect: frozenset = FAIL
    needs_root: bool = False  # stopped only when the worker is root (programs run as nobody)

    def source(self, canary: str, port: int) -> str:
        lines = self.body.replace("CANARY", canary).replace("PORT", str(port)).splitlines()
        return "def task(img):\n" + "".join(f"    {line}\n" for line in lines)


CATALOGUE: tuple[Hostile, ...] = (
    # -- hangs
    Hostile("loop_python", "hang", "while True:\n    pass", HANG),
    Hostile("loop_sleep", "hang", "import time\ntime.sleep(1000)", HANG),
    Hostile("loop_numpy", "hang", "a = np.ones((400, 400))\nwhile True:\n    a = np.tanh(a @ a)", FAIL),
    Hostile("numpy_one_huge_call", "hang", "a = np.arange(10**7)\nfor _ in range(10**6):\n    np.sort(a[::-1])", FAIL),
    Hostile("loop_in_except", "hang", "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass", HANG),
    Hostile("loop_in_finally", "hang", "try:\n    raise ValueError\nfinally:\n    while True:\n        pass", HANG),
    Hostile("loop_in_del", "hang", "class C:\n    def __del__(self):\n        while True:\n            pass\nc = C()\ndel c", HANG),
    Hostile("regex_catastrophic", "hang", "import re\nre.match('(a+)+$', 'a' * 64 + 'b')", FAIL),
    Hostile("big_int_power", "hang", "x = 10 ** (10 ** 9)", FAIL),
    # -- recursion
    Hostile("recursion_default_limit", "recursion", "def f(n):\n    return f(n + 1)\nf(0)", FAIL),
    Hostile("recursion_raised_limit", "recursion", "import sys\nsys.setrecursionlimit(10**8)\ndef f(n):\n    return f(n + 1)\nf(0)", FAIL),
    Hostile("recursion_in_repr", "recursion", "class C:\n    def __repr__(self):\n        return repr(self)\nreturn C()", FAIL),
    # -- memory
    Hostile("memory_list", "memory", "x = [0] * 10**10", FAIL),
    Hostile("memory_list_grow", "memory", "x = []\nwhile True:\n    x.append([0] * 10**6)", FAIL),
    Hostile("memory_numpy", "memory", "x = np.ones(10**10)", FAIL),
    Hostile("memory_numpy_grow", "memory", "x = []\nwhile True:\n    x.append(np.ones(10**7))", FAIL),
    Hostile("memory_string", "memory", "x = 'a' * 10**11", FAIL),
    Hostile("memory_bytes_doubling", "memory", "s = b'x'\nwhile True:\n    s += s", FAIL),
    Hostile("memory_bytearray_touch", "memory", "b = bytearray(2 * 10**9)", FAIL),
    # -- processes and threads
    Hostile("fork_bomb", "fork", "import os\nwhile True:\n    os.fork()", FAIL),
    Hostile("fork_then_hang", "fork", "import os\npid = os.fork()\nwhile True:\n    pass", FAIL),
    Hostile("thread_bomb", "fork", "import _thread\nwhile True:\n    _thread.start_new_thread(lambda: None, ())", FAIL),
    Hostile("threading_hang", "fork", "import threading\nt = threading.Thread(target=lambda: None)\nt.start()\nwhile True:\n    pass", FAIL),
    Hostile("subprocess_run", "process", "import subprocess\nsubprocess.run(['sh', '-c', 'touch CANARY/sub.txt'])\nreturn img", FAIL),
    Hostile("os_system", "process", "import os\nos.system('touch CANARY/system.txt; sleep 100')\nreturn img", ANY),
    Hostile("os_exec_shell", "process", "import os\nos.execv('/bin/sh', ['sh', '-c', 'touch CANARY/exec.txt; sleep 100'])", FAIL),
    Hostile("setsid_hang", "process", "import os\nos.setsid()\nwhile True:\n    pass", FAIL),
    Hostile("setuid_root", "process", "import os\nos.setuid(0)\nreturn img", FAIL),
    Hostile("raise_rlimits", "process", "import resource\nresource.setrlimit(resource.RLIMIT_AS, (-1, -1))\nreturn img", FAIL),
    # -- exits
    Hostile("os_exit_0", "exit", "import os\nos._exit(0)", FAIL),
    Hostile("os_exit_3", "exit", "import os\nos._exit(3)", FAIL),
    Hostile("sys_exit", "exit", "import sys\nsys.exit(0)", FAIL),
    Hostile("raise_system_exit", "exit", "raise SystemExit(1)", FAIL),
    Hostile("raise_keyboard_interrupt", "exit", "raise KeyboardInterrupt", FAIL),
    Hostile("raise_base_exception", "exit", "raise BaseException('x')", FAIL),
    Hostile("raise_generator_exit", "exit", "raise GeneratorExit", FAIL),
    Hostile("close_result_pipe", "exit", "import os\nfor fd in range(3, 64):\n    try:\n        os.close(fd)\n    except OSError:\n        pass\nreturn img", FAIL),
    Hostile("forge_result_frames", "exit", "import os\nos.write(3, b'\\x00\\x1f\\x1f\\x05\\x00junk')\nreturn img", FAIL),
    # -- signals
    Hostile("signals_ignored", "signal", "import signal\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):\n    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass", HANG),
    Hostile("signals_blocked", "signal", "import signal\nsignal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())\nwhile True:\n    pass", HANG),
    Hostile("alarm_handler", "signal", "import signal\nsignal.signal(signal.SIGALRM, lambda *a: None)\nsignal.setitimer(signal.ITIMER_REAL, 0.01, 0.01)\nwhile True:\n    pass", HANG),
    Hostile("kill_worker", "signal", "import os\nos.kill(os.getppid(), 9)\nreturn img", FAIL, needs_root=True),
    Hostile("killpg_worker", "signal", "import os\nos.killpg(os.getpgid(os.getppid()), 9)\nreturn img", FAIL, needs_root=True),
    Hostile("stop_worker", "signal", "import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)\nreturn img", FAIL, needs_root=True),
    # -- file system
    Hostile("write_canary", "files", "open('CANARY/canary.txt', 'w').write('owned')", FAIL, needs_root=True),
    Hostile("create_in_canary", "files", "open('CANARY/new.txt', 'w').write('x')", FAIL, needs_root=True),
    Hostile("delete_canary", "files", "import os\nos.remove('CANARY/canary.txt')", FAIL, needs_root=True),
    Hostile("rmtree_canary", "files", "import shutil\nshutil.rmtree('CANARY')", FAIL, needs_root=True),
    Hostile("chmod_canary", "files", "import os\nos.chmod('CANARY/canary.txt', 0o777)", FAIL, needs_root=True),
    Hostile("rename_canary", "files", "import os\nos.rename('CANARY/canary.txt', 'stolen.txt')", FAIL, needs_root=True),
    Hostile("append_dsl_source", "files", "import solver.dsl.drawing as d\nopen(d.__file__, 'a').write('raise SystemExit')", FAIL, needs_root=True),
    Hostile("write_etc", "files", "open('/etc/hostile-was-here', 'w').write('x')", FAIL, needs_root=True),
    Hostile("read_secret", "files", "open('CANARY/secret.txt').read()\nreturn img", FAIL, needs_root=True),
    Hostile("read_shadow", "files", "open('/etc/shadow').read()\nreturn img", FAIL, needs_root=True),
    Hostile("list_root_home", "files", "import os\nos.listdir('/root')\nreturn img", FAIL, needs_root=True),
    Hostile("file_too_big", "files", "f = open('big', 'wb')\nwhile True:\n    f.write(b'x' * 2**20)", FAIL),
    Hostile("too_many_files", "files", "fs = [open(f'f{i}', 'w') for i in range(10000)]", FAIL),
    Hostile("fill_cwd_then_return", "files", "import os\nfor i in range(50):\n    open(f'junk{i}', 'w').write('x' * 1000)\nos.chmod('.', 0)\nreturn img", ANY),
    # -- network
    Hostile("socket_connect_local", "network", "import socket\ns = socket.create_connection(('127.0.0.1', PORT), timeout=0.2)\ns.sendall(b'leak')\nreturn img", FAIL, needs_root=True),
    Hostile("socket_connect_internet", "network", "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=0.2)\nreturn img", FAIL, needs_root=True),
    Hostile("socket_listen", "network", "import socket\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.listen()\nreturn img", FAIL, needs_root=True),
    # -- patching the DSL, numpy, builtins (must not reach the next program)
    Hostile("patch_dsl", "patch", "import solver.dsl.drawing as d\nd.draw_line = None\nd.draw_rectangle = lambda *a, **k: 1 / 0\nreturn img", ANY),
    Hostile("patch_builtins", "patch", "import builtins\nbuiltins.len = lambda x: 7\nbuiltins.__import__ = None\nreturn img", ANY),
    Hostile("patch_numpy", "patch", "np.zeros = None\nnp.ndarray.copy = None\nnp.array = lambda *a, **k: 1 / 0\nreturn img", ANY),
    Hostile("patch_sandbox_output_check", "patch", "import solver.sandbox.outputs as o\no.check_output = lambda v: v\nreturn 'not a grid'", FAIL),
    Hostile("patch_os_write", "patch", "import os\nos.write = lambda *a: 0\nos._exit = lambda *a: None\nreturn img", ANY),
    # -- outputs
    Hostile("output_3d", "output", "return np.zeros((2, 2, 2), dtype=int)", FAIL),
    Hostile("output_float", "output", "return img.astype(float)", FAIL),
    Hostile("output_none", "output", "return None", FAIL),
    Hostile("output_string", "output", "return 'img'", FAIL),
    Hostile("output_huge", "output", "return np.zeros((1000, 1000), dtype=int)", FAIL),
    Hostile("output_huge_list", "output", "return [[0] * 1000] * 1000", FAIL),
    Hostile("output_negative", "output", "return img * 0 - 1", FAIL),
    Hostile("output_big_int", "output", "return [[10**100]]", FAIL),
    Hostile("output_object_array", "output", "return np.array([[object()]])", FAIL),
    Hostile("output_ragged", "output", "return [[1, 2], [3]]", FAIL),
    Hostile("output_evil_subclass", "output", "class L(list):\n    def __len__(self):\n        raise SystemExit\nreturn L([[1]])", FAIL),
    Hostile("output_generator", "output", "return (row for row in img)", FAIL),
    Hostile("output_empty", "output", "return np.zeros((0, 0), dtype=int)", FAIL),
    # -- crashes
    Hostile("segfault_ctypes", "crash", "import ctypes\nctypes.string_at(0)", FAIL),
    Hostile("abort_ctypes", "crash", "import ctypes\nctypes.CDLL(None).abort()", FAIL),
    Hostile("corrupt_memory", "crash", "import ctypes\nctypes.memset(id(np), 0, 4096)\nreturn img", ANY),
    Hostile("stdout_flood", "crash", "import sys\nwhile True:\n    print('x' * 10000)\n    sys.stderr.write('y' * 10000)", HANG),
)
