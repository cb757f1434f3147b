"""How fast one HER step moves the model towards a toy task, for several learning rates and batch sizes.

For each learning rate and learner batch size it runs two epochs of ``search_and_learn`` on one toy task with a fresh
LoRA adapter: epoch 0's samples are the same for every rate (drawn once, replayed: a new LoRA
adapter is the identity, so the base model would draw them again), the learner trains on their
relabeled outputs at that rate, and epoch 1 samples with the adapter (same seeds for every setting).
Reported per setting: epoch 1's valid programs, best and mean pixel accuracy against the task, the
distinct outputs of both epochs (how much there is to learn from), and the log-likelihood per token of the task's reference program before and after the step. The
per-task learning rate of the seed (1e-4) was chosen for a 0.5B model; this measures it for ours.

    python benchmarks/her_learner_lr.py --model models/drawing-small --task 12-squares \\
        --rates 1e-4,3e-4,1e-3,3e-3 --sampling 8@0.1,56@0.9 --max-new-tokens 400

A batch of B relabeled tasks per optimizer step takes B times fewer steps over an epoch's
examples: with 136 samples per epoch (150-180 examples) at batch 1 the first step moved the model
far enough to break its syntax on 20- and 25-squares (H200, 2026-12-02). ``--batch-sizes 1,4``
compares.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


class ReplayFirstCall:
    """A sampler that draws the first ``generate`` call of its first run and replays it as the
    first call of every later run; later calls go to that run's own sampler."""

    def __init__(self) -> None:
        self.sampler: Any = None
        self.first, self.calls = None, 0

    def start_run(self, sampler: Any) -> None:
        self.sampler, self.calls = sampler, 0

    def adapter_for(self, learner: Any) -> Any:
        return self.sampler.adapter_for(learner)

    def generate(self, prompts: Any, params: Any, adapter: Any = None) -> Any:
        self.calls += 1
        if self.calls > 1:
            return self.sampler.generate(prompts, params, adapter=adapter)
        if self.first is None:
            self.first = self.sampler.generate(prompts, params, adapter=adapter)
        return self.first


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/drawing-small"))
    parser.add_argument("--task", default="12-squares")
    parser.add_argument("--rates", default="1e-4,3e-4,1e-3,3e-3")
    parser.add_argument("--batch-sizes", default="1", help="learner batch sizes, each tried with every rate")
    parser.add_argument("--splice", type=int, default=0, help="HerConfig.splice")
    parser.add_argument("--sampling", default="8@0.1,56@0.9")
    parser.add_argument("--max-new-tokens", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="write the rows as JSON lines here")
    args = parser.parse_args()

    import torch

    from solver.arc import as_array
    from solver.cli import _sampling
    from solver.her import HerConfig, search_and_learn
    from solver.learner import Learner, LearnerConfig
    from solver.learner.likelihood import sequence_log_likelihood
    from solver.models import load_model
    from solver.prompting import prompt_format, render_prompt
    from solver.sampler import TransformersSampler
    from solver.sandbox import Sandbox, SandboxConfig
    from solver.tasks import toy_task

    toy = toy_task(args.task)
    fmt = prompt_format("drawing")
    config = HerConfig(max_epochs=2, sampling=_sampling(args.sampling), max_new_tokens=args.max_new_tokens, seed=args.seed,
                       splice=args.splice)
    settings = [(float(rate), int(batch)) for rate in args.rates.split(",") for batch in args.batch_sizes.split(",")]
    pairs = [(as_array(e.input), as_array(e.output)) for e in toy.task.train]
    rows = []
    replay = ReplayFirstCall()
    with Sandbox(SandboxConfig()) as sandbox:
        for rate, batch_size in settings:
            model, tokenizer = load_model(args.model)
            prompt = render_prompt(tokenizer, fmt.messages(pairs, [as_array(c.input) for c in toy.task.test]))
            target = fmt.completion_for(toy.reference_program)
            n_tokens = len(tokenizer(target, add_special_tokens=False)["input_ids"]) + 1
            learner = Learner(model, tokenizer, LearnerConfig(learning_rate=rate, batch_size=batch_size))
            learner.reset(seed=args.seed)
            before = sequence_log_likelihood(learner.model, tokenizer, prompt, target) / n_tokens
            replay.start_run(TransformersSampler(learner.model, tokenizer))
            result = search_and_learn(toy.task, sampler=replay, sandbox=sandbox, tokenizer=tokenizer, learner=learner, config=config)
            after = sequence_log_likelihood(learner.model, tokenizer, prompt, target) / n_tokens
            epochs = [e.as_dict() for e in result.epochs]
            last = epochs[-1]
            row = {
                "task": args.task, "learning_rate": rate, "batch_size": batch_size, "solved": result.solved, "epochs": len(epochs),
                "epoch0_best": epochs[0]["best_pixel_accuracy"], "epoch0_mean": epochs[0]["mean_pixel_accuracy"],
                "epoch0_unique_outputs": epochs[0]["unique_outputs"], "epoch1_unique_outputs": last["unique_outputs"],
                "train_steps": epochs[0]["train_steps"], "train_loss": epochs[0]["train_loss"],
                "epoch0_valid": epochs[0]["valid"], "epoch1_valid": last["valid"], "epoch1_tokens": last["tokens"], "epoch1_best": last["best_pixel_accuracy"], "epoch1_mean": last["mean_pixel_accuracy"],
                "reference_logprob_per_token_before": round(before, 4), "reference_logprob_per_token_after": round(after, 4),
                "threads": torch.get_num_threads(),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    print("| learning rate | batch | steps | train loss | epoch 1 valid | epoch 1 best / mean pixel acc. | reference log-prob/token before → after |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['learning_rate']:g} | {r['batch_size']} | {r['train_steps']} | {r['train_loss'] or float('nan'):.3f} | {r['epoch1_valid']} | "
              f"{100 * r['epoch1_best']:.1f}% / {100 * r['epoch1_mean']:.1f}% | {r['reference_logprob_per_token_before']:.3f} → {r['reference_logprob_per_token_after']:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
