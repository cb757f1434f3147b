"""Training throughput on one device: samples/s, tokens/s and MFU, our training step against a naive one.

    python benchmarks/train_throughput.py --size qwen0.5b --steps 20 --batch-size 16 --seq-len 512
    python benchmarks/train_throughput.py --size qwen0.5b --batch-size 32 --modes full,dora
    python benchmarks/train_throughput.py --size qwen0.5b --modes naive-dora@32,dora-bf16@64
    python benchmarks/train_throughput.py --size drawing-small --batch-size 256 --seq-len 1024 --modes full
    python benchmarks/train_throughput.py --size tiny --steps 2          # CPU smoke check

The model has Qwen2.5-0.5B's shape (hidden 896, 24 layers, 14 heads, 2 kv heads, MLP 4864,
vocabulary 151,936, tied embeddings) with random weights, built from a config: nothing is
downloaded. ``tiny`` is ``solver.models``'s tiny shape for CPU checks.

Data: the same random token batches for every configuration; sample lengths are drawn uniformly
in [seq_len / 2, seq_len] (generated drawing tasks vary in length too), the first 3/4 of each
sample is prompt (no loss). tokens/s counts real tokens, never padding.

Configurations (``--modes`` picks families or configurations by name, ``name@64`` at its own batch
size instead of ``--batch-size``; each is one JSON line):
- ``naive``: what a plain script does. HF model in float32 with bf16 autocast, transformers'
  default attention, every sample padded to ``seq_len``, the model's mean loss per batch,
  torch AdamW with default (foreach) kernels; ``naive-dora`` adds PEFT DoRA r=32 rsLoRA.
- ``full``: ``train.loop.train_step`` as ``python -m train`` runs it: sdpa, padding to the
  longest sample (rounded up to 64), fused AdamW, token-normalised loss; bf16-mixed (fp32 weights, autocast),
  bf16 weights, padding-free packing (sdpa materialises a block-diagonal mask and computes all of
  it; flex_attention skips the empty blocks, CUDA only), and ``torch.compile`` as ``--compile``
  does it (``train.loop.make_accelerator``: each decoder layer, one shared graph, and the modules
  around them; with Liger, only its fused head + loss).
- ``dora``: the same for a DoRA r=32 rsLoRA adapter on every linear layer, bf16 base, float32
  adapter weights, the adapted layers computing in bf16 (``train.fast_adapter``; the naive
  baseline keeps PEFT's forward, which computes them in float32; ``dora-bf16-peft-forward`` is our
  step with PEFT's forward, to measure that change in one run).
- ``-liger`` in a name: Liger's fused kernels (``--liger-kernels on`` of ``python -m train``).

MFU = model FLOPs / time / the bf16 matmul rate measured in the same run (an 8192^3 matmul).
Model FLOPs per token: 6N + 6 * layers * hidden * length (the causal attention matmuls) for full
training, with N the matmul weights (lm_head included); 4N + 4 * layers * hidden * length for an
adapter, whose frozen matrices need no weight gradient. On CPU all configurations run in fp32 and
the reference rate is a float32 matmul.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import signal
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from dataclasses import asdict, dataclass

import torch

from solver.learner import EncodedExample
from solver.models import MODEL_SIZES
from train.config import TrainConfig
from train.data import StepBatch, collate
from train.loop import train_step
from train.models import add_adapter
from train.optimization import make_optimizer, make_scheduler

QWEN05B = {
    "hidden_size": 896, "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
    "intermediate_size": 4864, "vocab_size": 151936,
}


def project_shape(size: str, vocab_size: int) -> dict:
    """The Qwen2 config fields of one of the project's named sizes (``solver.models.MODEL_SIZES``)."""
    shape = MODEL_SIZES[size]
    return {
        "hidden_size": shape.hidden_size, "num_hidden_layers": shape.num_layers, "num_attention_heads": shape.num_heads,
        "num_key_value_heads": shape.num_kv_heads, "intermediate_size": shape.intermediate_size, "vocab_size": vocab_size,
    }


TINY = project_shape("tiny", vocab_size=1024)
DRAWING_SMALL = project_shape("small", vocab_size=435)  # the default drawing model (project tokenizer: 435 tokens)
SHAPES = {"qwen0.5b": QWEN05B, "drawing-small": DRAWING_SMALL, "tiny": TINY}
WARMUP_STEPS = 3  # untimed: kernel selection, allocator growth, compilation
DORA = {"rank": 32, "alpha": 64.0, "use_dora": True, "use_rslora": True, "seed": 0}


@dataclass(frozen=True)
class Setup:
    """One measured configuration."""

    name: str
    adapter: bool
    naive: bool = False
    precision: str = "bf16-mixed"  # ours only: bf16-mixed or bf16
    padding_free: bool = False
    compile: bool = False
    attention: str = "sdpa"  # ours only; flex_attention skips the masked blocks of packed rows
    liger: bool = False  # ours only: Liger's fused kernels (train.models.use_liger_kernels), CUDA only
    peft_forward: bool = False  # PEFT's own adapter forward (the naive baseline's) instead of train.fast_adapter's


FAMILIES = {
    "naive": [
        Setup("naive-full", adapter=False, naive=True),
        Setup("naive-dora", adapter=True, naive=True, peft_forward=True),
    ],
    "full": [
        Setup("full-bf16-mixed", adapter=False),
        Setup("full-bf16-weights", adapter=False, precision="bf16"),
        Setup("full-padding-free", adapter=False, padding_free=True),
        Setup("full-padding-free-flex", adapter=False, padding_free=True, attention="flex_attention"),
        Setup("full-compile", adapter=False, compile=True),
        Setup("full-liger", adapter=False, liger=True),
        Setup("full-bf16-liger", adapter=False, precision="bf16", liger=True),
        Setup("full-liger-padding-free-flex", adapter=False, liger=True, padding_free=True, attention="flex_attention"),
        Setup("full-bf16-liger-compile", adapter=False, precision="bf16", liger=True, compile=True),
        Setup("full-bf16-liger-padding-free-flex", adapter=False, precision="bf16", liger=True, padding_free=True,
              attention="flex_attention"),
        Setup("full-bf16-liger-compile-padding-free-flex", adapter=False, precision="bf16", liger=True, compile=True,
              padding_free=True, attention="flex_attention"),
    ],
    "dora": [
        Setup("dora-bf16", adapter=True, precision="bf16"),
        Setup("dora-bf16-peft-forward", adapter=True, precision="bf16", peft_forward=True),
        Setup("dora-padding-free", adapter=True, precision="bf16", padding_free=True),
        Setup("dora-padding-free-flex", adapter=True, precision="bf16", padding_free=True, attention="flex_attention"),
        Setup("dora-compile", adapter=True, precision="bf16", compile=True),
        Setup("dora-liger", adapter=True, precision="bf16", liger=True),
        Setup("dora-liger-padding-free-flex", adapter=True, precision="bf16", liger=True, padding_free=True,
              attention="flex_attention"),
        Setup("dora-liger-compile", adapter=True, precision="bf16", liger=True, compile=True),
    ],
}


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=sorted(SHAPES), default="qwen0.5b", help="model shape")
    parser.add_argument("--steps", type=int, default=20, help="timed optimizer steps per configuration")
    parser.add_argument("--batch-size", type=int, default=16, help="samples per step (one micro-batch)")
    parser.add_argument("--seq-len", type=int, default=512, help="longest sample (tokens); lengths are in [seq_len/2, seq_len]")
    parser.add_argument("--modes", default="naive,full,dora",
                        help=f"comma-separated families ({','.join(FAMILIES)}) or configuration names (full-liger, ...)")
    parser.add_argument("--config-seconds", type=int, default=0,
                        help="give up on a configuration after this long (0: no limit); its row records the timeout "
                             "and the next one runs (a device call must not spend its time on one stuck compilation)")
    parser.add_argument("--profile", metavar="DIR", default=None,
                        help="after timing, profile 2 steps of each configuration; DIR/<config>@<batch>.txt gets the top kernels")
    return parser


def make_samples(n_batches: int, batch_size: int, seq_len: int, vocab: int) -> list[list[EncodedExample]]:
    """Random samples, the same for every configuration: prompt 3/4, target 1/4."""
    generator = torch.Generator().manual_seed(0)
    batches = []
    for _ in range(n_batches):
        lengths = torch.randint(seq_len // 2, seq_len + 1, (batch_size,), generator=generator).tolist()
        batches.append([
            EncodedExample(torch.randint(3, vocab, (n,), generator=generator).tolist(), prompt_length=3 * n // 4)
            for n in lengths
        ])
    return batches


def build_model(shape: dict, adapter: bool, dtype: torch.dtype, attn: str | None, device: torch.device,
                liger: bool = False, peft_forward: bool = False, compiled: bool = False):
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from train.models import use_liger_kernels

    config = Qwen2Config(**shape, tie_word_embeddings=True, max_position_embeddings=8192)
    if attn is not None:
        config._attn_implementation = attn
    torch.manual_seed(0)
    with torch.device(device):
        model = Qwen2ForCausalLM(config).to(dtype)
    if liger and not use_liger_kernels(model, compiled=compiled):
        raise RuntimeError("Liger kernels could not be applied")
    if adapter:
        model = add_adapter(model, **DORA, fast_forward=not peft_forward)
    return model.train()


def matmul_flops(shape: dict) -> int:
    """Weights of every matmul per token (q, k, v, o, gate, up, down per layer, and the head)."""
    hidden, mlp, layers = shape["hidden_size"], shape["intermediate_size"], shape["num_hidden_layers"]
    kv = hidden * shape["num_key_value_heads"] // shape["num_attention_heads"]
    per_layer = 2 * hidden * hidden + 2 * hidden * kv + 3 * hidden * mlp
    return layers * per_layer + hidden * shape["vocab_size"]


def flops_per_token(shape: dict, adapter: bool, mean_length: float) -> float:
    factor = 4 if adapter else 6
    attention = shape["num_hidden_layers"] * shape["hidden_size"] * mean_length
    return factor * (matmul_flops(shape) + attention)


def reference_rate(device: torch.device) -> tuple[float, str]:
    """Measured matmul rate (FLOP/s): bf16 8192^3 on CUDA, float32 1024^3 on CPU."""
    cuda = device.type == "cuda"
    n, dtype, reps = (8192, torch.bfloat16, 30) if cuda else (1024, torch.float32, 5)
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    _sync(device)
    started = time.perf_counter()
    for _ in range(reps):
        a @ b
    _sync(device)
    return 2 * n**3 * reps / (time.perf_counter() - started), str(dtype).removeprefix("torch.")


def naive_step(model, optimizer, examples: list[EncodedExample], seq_len: int, device: torch.device) -> None:
    """Pad to seq_len, mean loss, bf16 autocast on CUDA, clip, step."""
    input_ids = torch.zeros((len(examples), seq_len), dtype=torch.long)
    attention_mask = torch.zeros_like(input_ids)
    labels = torch.full_like(input_ids, -100)
    for row, example in enumerate(examples):
        n = len(example.input_ids)
        input_ids[row, :n] = torch.tensor(example.input_ids)
        attention_mask[row, :n] = 1
        labels[row, :n] = torch.tensor(example.labels)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
        loss = model(input_ids=input_ids.to(device), attention_mask=attention_mask.to(device), labels=labels.to(device)).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def step_batch(examples: list[EncodedExample], padding_free: bool) -> StepBatch:
    ordered = sorted(examples, key=lambda e: len(e.input_ids))
    return StepBatch(
        step=0,
        micro_batches=[collate(ordered, pad_id=0, padding_free=padding_free)],
        sample_indices=list(range(len(examples))),
        tokens=sum(len(e.input_ids) for e in examples),
        target_tokens=sum(len(e.input_ids) - e.prompt_length for e in examples),
        skipped=0,
        digest="",
    )


def measure(setup: Setup, args: argparse.Namespace, samples: list, device: torch.device, peak: float) -> dict:
    from train.loop import make_accelerator

    entered = time.perf_counter()
    shape = SHAPES[args.size]
    cuda = device.type == "cuda"
    precision = setup.precision if cuda else "fp32"
    if setup.naive:
        model = build_model(shape, setup.adapter, torch.float32, attn=None, device=device, peft_forward=setup.peft_forward)
        optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)

        def run(index: int) -> None:
            naive_step(model, optimizer, samples[index], args.seq_len, device)
    else:
        accelerator = make_accelerator(cuda, setup.compile)  # as python -m train builds it, one per configuration
        autocast_dtype = torch.bfloat16 if precision == "bf16-mixed" else None
        dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        model = build_model(shape, setup.adapter, dtype, attn=setup.attention, device=device, liger=setup.liger and cuda,
                            peft_forward=setup.peft_forward, compiled=setup.compile)
        config = TrainConfig(output_dir="unused", from_scratch="tiny", learning_rate=1e-4, max_steps=10**6, warmup_ratio=0)
        optimizer = make_optimizer(model, config)
        scheduler = make_scheduler(optimizer, config)
        model = accelerator.prepare(model)
        trainable = [p for p in model.parameters() if p.requires_grad]
        batches = [step_batch(examples, setup.padding_free) for examples in samples]
        if cuda:  # as the training data loader delivers them
            batches = [batch.pin_memory() for batch in batches]

        def run(index: int) -> None:
            train_step(accelerator, model, optimizer, scheduler, batches[index], trainable, 1.0, autocast_dtype)

    attention = getattr(getattr(model, "config", None), "_attn_implementation", None)
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    built = time.perf_counter()
    for index in range(WARMUP_STEPS):
        run(index)
    _sync(device)
    started = time.perf_counter()
    warmup_s = started - built
    for index in range(WARMUP_STEPS, len(samples)):
        run(index)
    _sync(device)
    timed = samples[WARMUP_STEPS:]
    elapsed = time.perf_counter() - started
    n_samples = sum(len(examples) for examples in timed)
    tokens = sum(len(e.input_ids) for examples in timed for e in examples)
    mean_length = tokens / n_samples
    model_flops = flops_per_token(shape, setup.adapter, mean_length) * tokens / elapsed
    record = {
        "config": setup.name,
        **{k: v for k, v in asdict(setup).items() if k != "name"},
        "precision": ("fp32+autocast" if cuda else "fp32") if setup.naive else precision,
        "attention": attention,
        "samples_per_s": round(n_samples / elapsed, 2),
        "tokens_per_s": round(tokens / elapsed, 1),
        "mfu": round(model_flops / peak, 4),
        "model_tflops": round(model_flops / 1e12, 2),
        "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
        "setup_s": round(built - entered, 1),  # model, optimizer, batches
        "warmup_s": round(warmup_s, 1),  # the untimed steps: compilation, kernel planning
    }
    if args.profile:
        record["profile"] = profile(run, len(samples), device, Path(args.profile) / f"{setup.name}@{len(samples[0])}.txt")
    record["total_s"] = round(time.perf_counter() - entered, 1)
    del model, optimizer
    return record


def profile(run, n_batches: int, device: torch.device, path: Path) -> dict:
    """Profile two more steps: top kernels to ``path``; returns device-busy and wall seconds per step.

    Busy time well below wall time means the GPU waits on the host (kernel launches, Python).
    Busy counts the kernels only: an aten op's self device time is its kernels' time again. The
    profiled wall time includes the profiler's own overhead (compare busy with the timed steps).
    """
    from torch.autograd import DeviceType
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    _sync(device)
    started = time.perf_counter()
    with torch_profile(activities=activities) as prof:
        for index in range(2):
            run(index % n_batches)
        _sync(device)
    wall = (time.perf_counter() - started) / 2
    averages = prof.key_averages()
    cuda = device.type == "cuda"
    sort_by = "self_device_time_total" if cuda else "self_cpu_time_total"
    # self CPU times do not overlap; on CUDA only the kernels count
    busy = sum(getattr(e, sort_by) for e in averages if not cuda or e.device_type == DeviceType.CUDA) / 1e6 / 2
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(averages.table(sort_by=sort_by, row_limit=40, max_name_column_width=90))
    return {"wall_s_per_step": round(wall, 4), "busy_s_per_step": round(busy, 4)}


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise TimeoutError in the main thread after ``seconds`` (0: no limit), by SIGALRM.

    Python code, compilation included, is interrupted; a single CUDA call is not, but the alarm
    fires when it returns.
    """
    if seconds <= 0:
        yield
        return

    def expire(signum, frame):
        raise TimeoutError(f"configuration still running after --config-seconds {seconds}")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    runs = parse_modes(args.modes, args.batch_size)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cpu":
        torch.set_num_threads(1)
    peak, peak_dtype = reference_rate(device)
    samples = {batch: make_samples(WARMUP_STEPS + args.steps, batch, args.seq_len, SHAPES[args.size]["vocab_size"])
               for batch in sorted({batch for _, batch in runs})}
    header = {
        "benchmark": "train_throughput", "size": args.size, "seq_len": args.seq_len,
        "steps": args.steps, "device": torch.cuda.get_device_name() if device.type == "cuda" else platform.processor() or "cpu",
        "reference_tflops": round(peak / 1e12, 2), "reference_dtype": peak_dtype,
        "torch": torch.__version__, "python": platform.python_version(),
    }
    records = []
    for setup, batch in runs:
        try:
            with time_limit(args.config_seconds):
                record = measure(setup, args, samples[batch], device, peak)
        except Exception as error:  # a lever that fails (OOM, compile, time limit) must not hide the others
            traceback.print_exc()
            record = {"config": setup.name, "error": f"{type(error).__name__}: {str(error)[:200]}"}
        records.append({**header, "batch_size": batch, **record})
        print(json.dumps(records[-1]), flush=True)  # noqa: T201
        gc.collect()
        if device.type == "cuda":
            torch.cuda.empty_cache()
    print(markdown_table(records))  # noqa: T201
    return 0


def parse_modes(text: str, default_batch: int) -> list[tuple[Setup, int]]:
    """``--modes``: each configuration once with its batch size, in the order asked; a family expands."""
    by_name = {setup.name: setup for family in FAMILIES.values() for setup in family}
    runs = []
    for entry in filter(None, (part.strip() for part in text.split(","))):
        name, sep, batch = entry.partition("@")
        if name not in FAMILIES and name not in by_name:
            raise SystemExit(f"--modes: unknown {name!r}; choose families {list(FAMILIES)} or configurations {list(by_name)}")
        if sep and not (batch.isdigit() and int(batch) > 0):
            raise SystemExit(f"--modes: {entry!r}: the batch size after @ must be a positive integer")
        setups = FAMILIES[name] if name in FAMILIES else [by_name[name]]
        runs += [(setup, int(batch) if batch else default_batch) for setup in setups]
    return list(dict.fromkeys(runs))


def markdown_table(records: list[dict]) -> str:
    lines = [
        "| config | batch | precision | attention | padding-free | compile | samples/s | tokens/s | MFU | peak GiB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        if "error" in r:
            lines.append(f"| {r['config']} | {r['batch_size']} | error: {r['error']} | | | | | | | |")
            continue
        memory = "-" if r["peak_memory_gib"] is None else r["peak_memory_gib"]
        lines.append(
            f"| {r['config']} | {r['batch_size']} | {r['precision']} | {r['attention']} | {r['padding_free']} | {r['compile']} | {r['samples_per_s']} "
            f"| {r['tokens_per_s']:.0f} | {100 * r['mfu']:.1f}% | {memory} |"
        )
    return "\n".join(lines)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


if __name__ == "__main__":
    raise SystemExit(main())
