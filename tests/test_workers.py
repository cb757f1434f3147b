"""Worker processes on CPU: two of them give the same submission as this process alone.

A tiny random model on 4 toy tasks with small settings (2@0.1,2@1.0, 2 epochs, 32 new tokens).
Spawning a worker imports torch and loads the model: a few seconds each on a loaded machine.
"""

import dataclasses
import os
import threading
import time

import orjson
import pytest

from solver.her import HerConfig, SamplingSetting
from solver.models.default import build_random_model
from solver.runner import load_parts, solve_tasks
from solver.sampler.vllm_backend import ENGINE_OVERHEAD_BYTES, GPU_MEMORY_FRACTION, shared_kv_cache_bytes
from solver.schedule import ScheduleConfig
from solver.submission import validate_submission
from solver.tasks import toy_task, toy_task_names
from solver.workers import ProcessBackend, WorkerSpec, gpu_load_lock, plan_workers

HER = HerConfig(sampling=(SamplingSetting(n=2, temperature=0.1), SamplingSetting(n=2, temperature=1.0)), max_epochs=2, max_new_tokens=32)
BUDGET_S = 600.0
SCHEDULE = ScheduleConfig.for_budget(BUDGET_S)  # 60 s margin, 30 s grace
TIMING = ("seconds", "sampling_s", "execution_s", "training_s", "overhead_s")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return build_random_model(tmp_path_factory.mktemp("model") / "tiny", size="tiny", seed=0)


@pytest.fixture(scope="module")
def tasks():
    return [toy_task(name).task for name in toy_task_names()[:4]]


def specs(model_dir, count):
    return [WorkerSpec(model_dir=str(model_dir), her_config=HER, device="cpu", sandbox_workers=1, torch_threads=1) for _ in range(count)]


def progress_lines(path):
    return [orjson.loads(line) for line in (path.parent / (path.name + ".progress.jsonl")).read_bytes().splitlines()]


def without_timing(info):
    """A task's recorded facts minus wall-clock measurements."""
    keep = {k: v for k, v in info.items() if k not in TIMING}
    keep["epoch_metrics"] = [{k: v for k, v in e.items() if k not in TIMING} for e in info.get("epoch_metrics", [])]
    return keep


@pytest.fixture(scope="module")
def in_process_run(model_dir, tasks, tmp_path_factory):
    """The reference: the sequential path, this process the only worker."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    parts = load_parts(model_dir, device="cpu", learn=HER.learn, sandbox_workers=1)
    try:
        out = tmp_path_factory.mktemp("one") / "submission.json"
        solve_tasks(tasks, parts, output=out, time_budget_s=BUDGET_S, her_config=HER, progress=False, schedule=SCHEDULE)
    finally:
        parts.close()
        torch.set_num_threads(threads)
    return out


def test_two_worker_processes_match_one(model_dir, tasks, in_process_run, tmp_path):
    out = tmp_path / "submission.json"
    started = time.monotonic()
    with ProcessBackend(specs(model_dir, 2)) as pool:
        writer = solve_tasks(tasks, None, output=out, time_budget_s=BUDGET_S, her_config=HER, progress=False, schedule=SCHEDULE, workers=pool)
    assert time.monotonic() - started < BUDGET_S - SCHEDULE.safety_margin_s
    submission = orjson.loads(out.read_bytes())
    assert validate_submission(submission, tasks) == []
    lines = progress_lines(out)
    assert sorted(line["task_id"] for line in lines) == sorted(t.id for t in tasks)  # every task once
    assert all(line["info"]["epochs"] >= 1 and line["info"]["samples"] >= 4 for line in lines)
    assert all(writer.is_done(t.id) for t in tasks)
    assert submission == orjson.loads(in_process_run.read_bytes())
    reference = {line["task_id"]: line["info"] for line in progress_lines(in_process_run)}
    for line in lines:
        assert without_timing(line["info"]) == without_timing(reference[line["task_id"]]), line["task_id"]


def test_a_dead_worker_costs_its_task_only(model_dir, tasks, tmp_path):
    out = tmp_path / "submission.json"
    killed = []
    with ProcessBackend(specs(model_dir, 2), max_restarts=0) as pool:

        def kill_worker_1_when_busy():
            end = time.monotonic() + 300
            while time.monotonic() < end:
                worker = pool._workers[1]
                if worker.state == "busy":
                    killed.append(worker.process.pid)
                    os.kill(worker.process.pid, 9)
                    return
                time.sleep(0.001)

        killer = threading.Thread(target=kill_worker_1_when_busy, daemon=True)
        killer.start()
        writer = solve_tasks(tasks, None, output=out, time_budget_s=BUDGET_S, her_config=HER, progress=False, schedule=SCHEDULE, workers=pool)
        killer.join()
    assert killed, "worker 1 never got a task"
    submission = orjson.loads(out.read_bytes())
    assert validate_submission(submission, tasks) == []
    done = [t.id for t in tasks if writer.is_done(t.id)]
    assert len(done) == len(tasks) - 1  # the dead worker's task keeps its fallback; worker 0 did the rest


def test_plan_workers_one_per_gpu(monkeypatch, model_dir):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    monkeypatch.setattr("solver.workers.usable_cores", lambda: 16)
    planned = plan_workers(model_dir, HER)
    assert [s.gpu for s in planned] == ["2", "3"] and {s.sandbox_workers for s in planned} == {8}
    assert {s.torch_threads for s in planned} == {None}
    forced = plan_workers(model_dir, HER, workers=3, sandbox_workers=2)
    assert [s.gpu for s in forced] == ["2", "3", "2"] and {s.sandbox_workers for s in forced} == {2}
    assert [s.gpu_share for s in planned] == [1.0, 1.0] and [s.gpu_share for s in forced] == [0.5, 1.0, 0.5]
    shared = plan_workers(model_dir, HER, workers=4)  # two per GPU: one samples while the other trains
    assert [s.gpu for s in shared] == ["2", "3", "2", "3"] and {s.gpu_share for s in shared} == {0.5}
    assert {s.sandbox_workers for s in shared} == {4}
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    cpu = plan_workers(model_dir, HER)
    assert len(cpu) == 1 and cpu[0].gpu is None and cpu[0].torch_threads == 16 and cpu[0].gpu_share == 1.0
    assert dataclasses.replace(cpu[0], torch_threads=1).torch_threads == 1


def test_a_worker_that_cannot_load_is_retired(tasks, tmp_path):
    """No worker can start: the run ends at once with the fallback submission, not at the budget."""
    out = tmp_path / "submission.json"
    started = time.monotonic()
    with ProcessBackend(specs(tmp_path / "no-model", 1)) as pool:
        writer = solve_tasks(tasks, None, output=out, time_budget_s=BUDGET_S, her_config=HER, progress=False, schedule=SCHEDULE, workers=pool)
    assert time.monotonic() - started < 120
    assert not writer.records and validate_submission(orjson.loads(out.read_bytes()), tasks) == []


def test_vllm_without_learning_loads_no_transformers_model(model_dir, monkeypatch):
    """Pure search on vLLM needs the tokenizer only: a second copy of the weights would hold GPU
    memory. A worker that shares its GPU gets a fixed KV cache, sized from its share."""
    import solver.models
    import solver.sampler
    import solver.sampler.vllm_backend

    def no_model(*args, **kwargs):
        raise AssertionError("load_model called")

    class FakeVllm:
        def __init__(self, folder, tokenizer, max_lora_rank, gpu_memory_utilization, kv_cache_memory_bytes):
            self.folder, self.tokenizer, self.fraction, self.cache = folder, tokenizer, gpu_memory_utilization, kv_cache_memory_bytes

    gpu_bytes = 80 << 30
    monkeypatch.setattr(solver.models, "load_model", no_model)
    monkeypatch.setattr(solver.sampler, "VllmSampler", FakeVllm)
    monkeypatch.setattr(solver.sampler.vllm_backend, "gpu_total_bytes", lambda: gpu_bytes)
    parts = load_parts(model_dir, device="cpu", learn=False, sandbox_workers=1, sampler="vllm", gpu_share=0.5)
    alone = load_parts(model_dir, device="cpu", learn=False, sandbox_workers=1, sampler="vllm")
    try:
        assert isinstance(parts.sampler, FakeVllm) and parts.learner is None
        assert parts.sampler.fraction == pytest.approx(GPU_MEMORY_FRACTION / 2)  # another worker shares the GPU
        assert parts.sampler.cache == shared_kv_cache_bytes(model_dir, GPU_MEMORY_FRACTION / 2, gpu_bytes)
        assert alone.sampler.cache is None and alone.sampler.fraction == GPU_MEMORY_FRACTION  # measured, as vLLM does
        assert parts.tokenizer.pad_token_id is not None and parts.sampler.tokenizer is parts.tokenizer
    finally:
        parts.sandbox.close()
        alone.sandbox.close()


def test_shared_kv_cache_is_the_share_less_weights_and_overhead(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"\0" * 1000)
    (tmp_path / "config.json").write_text("{}")  # only weights count
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no weights"):
        shared_kv_cache_bytes(tmp_path / "empty", 0.25, 16 << 30)
    assert shared_kv_cache_bytes(tmp_path, 0.25, 16 << 30) == (4 << 30) - 2000 - ENGINE_OVERHEAD_BYTES
    with pytest.raises(ValueError, match="fewer workers per GPU"):
        shared_kv_cache_bytes(tmp_path, 0.05, 16 << 30)  # 0.8 GiB: less than the overhead


def test_workers_on_one_gpu_load_one_at_a_time():
    """Two vLLM engines starting together on one GPU would each size their cache from the other's
    half-made allocations: a GPU's workers load under one file lock, which a killed holder frees."""
    import subprocess
    import sys

    gpu = f"test{os.getpid()}"
    with gpu_load_lock(gpu) as got:
        assert got
        started = time.monotonic()
        with gpu_load_lock(gpu, wait_s=0.5) as second:  # another worker of the GPU waits, then goes on
            assert not second and time.monotonic() - started >= 0.5
        with gpu_load_lock("other" + gpu, wait_s=0.5) as other_gpu:  # other GPUs do not wait
            assert other_gpu
    with gpu_load_lock(gpu, wait_s=0.5) as again:
        assert again
    # a worker killed while loading: the kernel drops its lock
    holder = (
        "import os, signal, sys\n"
        "from solver.workers import gpu_load_lock\n"
        f"with gpu_load_lock({gpu!r}):\n"
        "    print('held', flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    child = subprocess.run([sys.executable, "-c", holder], capture_output=True, text=True, timeout=60)
    assert child.stdout.strip() == "held" and child.returncode == -9
    with gpu_load_lock(gpu, wait_s=0.5) as after_kill:
        assert after_kill
    with gpu_load_lock(None, wait_s=0) as cpu:  # a CPU worker takes no lock
        assert cpu


def test_closing_parts_stops_the_vllm_engine_and_deletes_its_adapters(tmp_path):
    """vLLM's engine is a non-daemon child process: a worker that exits without stopping it waits
    for it forever (multiprocessing joins such children at exit). Closing the parts stops it."""
    from types import SimpleNamespace

    from solver.runner import SolverParts
    from solver.sampler import SamplingParams, VllmSampler

    stopped = []
    sampler = VllmSampler.__new__(VllmSampler)  # no engine here: the engine client is faked
    sampler.llm = SimpleNamespace(llm_engine=SimpleNamespace(engine_core=SimpleNamespace(shutdown=lambda: stopped.append(True))))
    sampler._adapter_dir = tmp_path / "adapters"
    (sampler._adapter_dir / "v1").mkdir(parents=True)
    closed = []
    def sandbox_close():
        closed.append(True)
        raise OSError("a sandbox that fails to close")

    parts = SolverParts(tokenizer=None, sampler=sampler, learner=None, sandbox=SimpleNamespace(close=sandbox_close))
    with pytest.raises(OSError):
        parts.close()
    assert stopped == [True] and closed == [True] and not sampler._adapter_dir.exists()  # the engine is stopped even so
    sampler.close()  # twice: nothing more to stop
    assert stopped == [True]
    with pytest.raises(RuntimeError, match="closed"):
        sampler.generate(["prompt"], SamplingParams(n=1))
