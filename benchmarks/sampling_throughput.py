"""Sampling throughput on one GPU: our two backends beside plain ``generate`` and raw vLLM, same run.

    python benchmarks/sampling_throughput.py --out DIR                 # on the GPU machine
    python benchmarks/sampling_throughput.py --out DIR --modes hf-plain,hf-ours --samples 8 --new-tokens 16 --size tiny

Workload (issue 9): a model of Qwen2.5-0.5B's shape with random weights (saved to a folder with
the project tokenizer, so both backends load the same thing), one prompt of about 1,000 tokens,
128 samples x 300 new tokens at T=1. Random weights never write the closing fence, so every
sample runs to 300 tokens; tokens/s counts generated tokens only.

Modes (one JSON line each; ``--modes`` picks):
- ``hf-plain``: ``model.generate`` on 128 copies of the prompt, dynamic cache (the baseline).
- ``hf-ours``: ``TransformersSampler`` (prompt prefilled once, KV cache repeated per row).
- ``hf-static``: ``model.generate`` with a static cache, which transformers compiles.
- ``hf-plain-lora``: ``model.generate`` through PEFT with the LoRA adapter active (base + LoRA in
  every layer); ``hf-ours-lora``: ``TransformersSampler`` with the same adapter (the bf16 model
  here samples through PEFT too: the sampler merges adapters into float32 models only).
  ``--size drawing`` (the committed drawing model's shape, 6M parameters) is the HER table's
  case, where a decoding step is launch overhead rather than compute.
- ``vllm-raw``: ``vllm.LLM.generate`` itself, LoRA r=32 adapter, ``ignore_eos``, unseeded;
  ``vllm-raw-seeded`` the same with a request seed (vLLM then samples with a generator per
  sequence, which a first run on an H100 suggested is much slower); ``vllm-raw-stop`` with the
  stops ``VllmSampler`` sets (the closing fence, a string that vLLM checks in the detokenised
  text at every step, and eos), the row to hold ours against. Two rows find where raw vLLM
  loses time against the 21,000-24,000 tokens/s of ``measurements.md`` (6,300 here on an H100):
  ``vllm-raw-nodetok`` without detokenisation (the random model samples ids the project
  tokenizer, 435 entries and 3 added tokens, lacks; ``../shared/tools/vllm-on-gpu/smoke.py``
  skips the tokenizer; how that figure was taken is not recorded), and ``vllm-raw-nolora``
  without an adapter, on the same engine (LoRA enabled, ``max_loras=8``: an engine without LoRA
  is not measured).
- ``vllm-ours``: ``VllmSampler.generate`` with the same adapter (target: within 10% of raw);
  ``vllm-ours-seeded`` with the seed the search loop passes.
- ``vllm-multi``: 8 tasks x 16 samples, each task its own adapter, in one ``generate_many``
  call, against the same 8 requests made one task at a time (target: 1.5x).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

QWEN05B = {"hidden_size": 896, "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
           "intermediate_size": 4864, "vocab_size": 151936}
TINY = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "intermediate_size": 256, "vocab_size": 1024}
DRAWING = {"hidden_size": 256, "num_hidden_layers": 8, "num_attention_heads": 8, "num_key_value_heads": 2,
           "intermediate_size": 704, "vocab_size": 435}
SHAPES = {"qwen0.5b": QWEN05B, "tiny": TINY, "drawing": DRAWING}
ALL_MODES = "vllm-raw,vllm-raw-stop,vllm-raw-nodetok,vllm-raw-nolora,vllm-raw-seeded,vllm-ours,vllm-ours-seeded,vllm-multi,hf-plain,hf-ours,hf-plain-lora,hf-ours-lora,hf-static"


def build_model(folder: Path, shape: dict) -> None:
    """A random Qwen2 of ``shape`` in bf16, saved with the project tokenizer."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from solver.models.project_tokenizer import load_project_tokenizer

    tokenizer = load_project_tokenizer()
    config = Qwen2Config(**shape, tie_word_embeddings=True, max_position_embeddings=4096,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(0)
    Qwen2ForCausalLM(config).to(torch.bfloat16).save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def build_adapters(model_dir: Path, folder: Path, count: int) -> list[Path]:
    """``count`` random LoRA r=32 adapters (B non-zero, so they change the output)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    paths = []
    for index in range(count):
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.bfloat16)
        peft_model = get_peft_model(model, LoraConfig(r=32, lora_alpha=64, use_rslora=True, target_modules="all-linear"))
        generator = torch.Generator().manual_seed(index)
        with torch.no_grad():
            for name, parameter in peft_model.named_parameters():
                if "lora_B" in name:
                    parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.01)
        path = folder / f"adapter{index}"
        peft_model.save_pretrained(path)
        paths.append(path)
    return paths


def long_prompt(tokenizer, target_tokens: int, seed: int = 0) -> str:
    """A drawing prompt of about ``target_tokens`` tokens: random grids, growing until it fits."""
    from solver.prompting import drawing_messages, render_prompt

    rng = np.random.default_rng(seed)
    side = 4
    while True:
        grids = [rng.integers(0, 10, (side, side)) for _ in range(2)]
        prompt = render_prompt(tokenizer, drawing_messages([(grids[0], grids[1])]))
        if len(tokenizer(prompt, add_special_tokens=False)["input_ids"]) >= target_tokens:
            return prompt
        side += 1


def timed(function) -> tuple[object, float]:
    import torch

    torch.cuda.synchronize()
    started = time.perf_counter()
    result = function()
    torch.cuda.synchronize()
    return result, time.perf_counter() - started


def record(mode: str, seconds: float, tokens: int, **extra) -> dict:
    row = {"mode": mode, "seconds": round(seconds, 2), "new_tokens": tokens, "tokens_per_s": round(tokens / seconds), **extra}
    print(json.dumps(row), flush=True)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--modes", default=ALL_MODES)
    parser.add_argument("--size", choices=tuple(SHAPES), default="qwen0.5b")
    parser.add_argument("--samples", type=int, default=128)
    parser.add_argument("--new-tokens", type=int, default=300)
    parser.add_argument("--prompt-tokens", type=int, default=1000)
    args = parser.parse_args()
    modes = args.modes.split(",")

    import torch

    from solver.models import load_model
    from solver.sampler import SamplingParams

    args.out.mkdir(parents=True, exist_ok=True)
    model_dir = args.out / "model"
    build_model(model_dir, SHAPES[args.size])
    adapters = build_adapters(model_dir, args.out, 8 if "vllm-multi" in modes else 1)
    model, tokenizer = load_model(model_dir, device="cuda", dtype=torch.bfloat16)
    prompt = long_prompt(tokenizer, args.prompt_tokens)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    n, new = args.samples, args.new_tokens
    rows = [{"device": torch.cuda.get_device_name(0), "prompt_tokens": len(prompt_ids), "samples": n, "new_tokens": new}]
    print(json.dumps(rows[0]), flush=True)
    params = SamplingParams(n=n, temperature=1.0, top_p=1.0, max_new_tokens=new)
    seeded = SamplingParams(n=n, temperature=1.0, top_p=1.0, max_new_tokens=new, seed=0)

    if any(m.startswith("vllm") for m in modes):
        from vllm import LLM
        from vllm import SamplingParams as VllmParams
        from vllm.inputs import TokensPrompt
        from vllm.lora.request import LoRARequest

        from solver.sampler import AdapterRef, VllmSampler
        from solver.sampler.fence import CLOSING_FENCE

        sampler, startup_s = timed(lambda: VllmSampler(model_dir, tokenizer, gpu_memory_utilization=0.5))
        rows.append({"mode": "vllm-startup", "seconds": round(startup_s, 1)})
        llm: LLM = sampler.llm
        lora = LoRARequest("a0", 1, str(adapters[0]))
        raw = {"n": n, "temperature": 1.0, "top_p": 1.0, "max_tokens": new, "ignore_eos": True}
        raw_modes = {  # mode: (vLLM's params, adapter)
            "vllm-raw": (VllmParams(**raw), lora),
            "vllm-raw-stop": (VllmParams(**{**raw, "ignore_eos": False}, stop=[CLOSING_FENCE],
                                         stop_token_ids=[tokenizer.eos_token_id]), lora),
            "vllm-raw-nodetok": (VllmParams(**raw, detokenize=False), lora),
            "vllm-raw-nolora": (VllmParams(**raw), None),
            "vllm-raw-seeded": (VllmParams(**raw, seed=0), lora),
        }
        ref = AdapterRef("a0", 1, str(adapters[0]))

        def raw_generate(raw_params, adapter):
            return llm.generate([TokensPrompt(prompt_token_ids=prompt_ids)], raw_params, lora_request=adapter, use_tqdm=False)

        for _ in range(2):  # warm-up: adapter load, first-shape compilation
            raw_generate(*raw_modes["vllm-raw"])
        if "vllm-raw-nolora" in modes:
            raw_generate(*raw_modes["vllm-raw-nolora"])  # warm-up without the adapter
        for mode, (raw_params, adapter) in raw_modes.items():
            if mode in modes:
                out, seconds = timed(lambda p=raw_params, a=adapter: raw_generate(p, a))
                rows.append(record(mode, seconds, sum(len(c.token_ids) for c in out[0].outputs)))
        for mode, mode_params in (("vllm-ours", params), ("vllm-ours-seeded", seeded)):
            if mode in modes:
                out, seconds = timed(lambda p=mode_params: sampler.generate([prompt], p, adapter=ref))
                rows.append(record(mode, seconds, sum(c.num_tokens for c in out[0])))
        if "vllm-multi" in modes:
            refs = [AdapterRef(f"a{i}", i + 1, str(path)) for i, path in enumerate(adapters)]
            task_params = SamplingParams(n=16, temperature=1.0, max_new_tokens=new)
            prompts = [long_prompt(tokenizer, args.prompt_tokens, seed=i) for i in range(len(refs))]
            sampler.generate_many(prompts, [task_params] * len(refs), refs)  # warm-up: load all adapters
            out, seconds = timed(lambda: [sampler.generate([p], task_params, adapter=r) for p, r in zip(prompts, refs)])
            single = record("vllm-8-tasks-one-at-a-time", seconds, sum(c.num_tokens for group in out for c in group[0]))
            out, seconds = timed(lambda: sampler.generate_many(prompts, [task_params] * len(refs), refs))
            multi = record("vllm-8-tasks-one-call", seconds, sum(c.num_tokens for group in out for c in group))
            rows += [single, multi, {"mode": "cross-task speed-up", "ratio": round(multi["tokens_per_s"] / single["tokens_per_s"], 2)}]
        del sampler, llm
        torch.cuda.empty_cache()

    batch = torch.tensor([prompt_ids] * n, device="cuda")
    plain_kwargs = {"do_sample": True, "temperature": 1.0, "top_p": 1.0, "top_k": 0, "max_new_tokens": new,
                    "min_new_tokens": new, "pad_token_id": tokenizer.pad_token_id}
    with torch.inference_mode():
        if "hf-plain" in modes:
            model.generate(batch[:2], **{**plain_kwargs, "max_new_tokens": 8, "min_new_tokens": 8})  # warm-up
            out, seconds = timed(lambda: model.generate(batch, **plain_kwargs))
            rows.append(record("hf-plain", seconds, (out.shape[1] - len(prompt_ids)) * n))
        if "hf-ours" in modes:
            from solver.sampler import TransformersSampler

            ours = TransformersSampler(model, tokenizer, batch_size=n)
            out, seconds = timed(lambda: ours.generate([prompt], seeded))
            rows.append(record("hf-ours", seconds, sum(c.num_tokens for c in out[0])))
        if "hf-plain-lora" in modes or "hf-ours-lora" in modes:
            from peft import PeftModel

            from solver.sampler import AdapterRef, TransformersSampler

            peft_model = PeftModel.from_pretrained(model, adapters[0], adapter_name="a0").eval()
            if "hf-plain-lora" in modes:
                peft_model.generate(input_ids=batch[:2], **{**plain_kwargs, "max_new_tokens": 8, "min_new_tokens": 8})
                out, seconds = timed(lambda: peft_model.generate(input_ids=batch, **plain_kwargs))
                rows.append(record("hf-plain-lora", seconds, (out.shape[1] - len(prompt_ids)) * n))
            if "hf-ours-lora" in modes:
                ours = TransformersSampler(peft_model, tokenizer, batch_size=n)
                out, seconds = timed(lambda: ours.generate([prompt], seeded, adapter=AdapterRef("a0", 1)))
                rows.append(record("hf-ours-lora", seconds, sum(c.num_tokens for c in out[0])))
            model = peft_model.unload()  # the base model again, for the rows below
        if "hf-static" in modes:
            static_kwargs = {**plain_kwargs, "cache_implementation": "static"}
            try:
                _, compile_s = timed(lambda: model.generate(batch, **static_kwargs))  # compiles
                out, seconds = timed(lambda: model.generate(batch, **static_kwargs))
                rows.append(record("hf-static", seconds, (out.shape[1] - len(prompt_ids)) * n, first_call_s=round(compile_s, 1)))
            except Exception as error:  # noqa: BLE001 - a lever that fails must not hide the others
                rows.append({"mode": "hf-static", "error": f"{type(error).__name__}: {error}"[:500]})
                print(json.dumps(rows[-1]), flush=True)

    baseline = next((r["tokens_per_s"] for r in rows if r.get("mode") == "hf-plain"), None)
    if baseline:
        for row in rows:
            if "tokens_per_s" in row:
                row["x_plain_generate"] = round(row["tokens_per_s"] / baseline, 2)
    (args.out / "sampling.json").write_text(json.dumps(rows, indent=1))
    print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
