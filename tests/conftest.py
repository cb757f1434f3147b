"""Shared fixtures: a project tokenizer trained once per session, tiny models, rendered prompts.

Model tests run torch on one thread: with 64-wide matrices, intra-op threads only add contention
(on a loaded 2-core machine a tiny linear layer took 50x longer with 2 threads than with 1).
"""

from __future__ import annotations

import random

import pytest

SYSTEM_PROMPT = "You are a helpful assistant."
ASSISTANT_PREFILL = "## Code\n\nThis is the Python function that implements the transformation logic:\n```python\n"

# A program the "fence model" writes for FENCE_PROMPT_INDEX, followed in training by more text
# that only the fence stops, and one it writes for EOS_PROMPT_INDEX, followed by eos.
FENCE_PROGRAM = "def task(img):\n    draw_line(img, point1=(0, 2), point2=(3, 2), color=5)\n    return img\n"
FENCE_TRAILER = "```\nThe end. The end. The end. The end."
EOS_PROGRAM = "def task(img):\n    draw_pixel(img, point=(1, 1), color=7)\n    return img\n"
FENCE_PROMPT_INDEX, EOS_PROMPT_INDEX = 0, 1
FENCE_MODEL_STEPS = 80  # greedy decoding reproduced both programs from 60 steps on

_WORDS = (
    "the a an of to in is are for with that this each every row column grid task python function write "
    "implements transformation input output example shape color colour draw line rectangle pixel point "
    "img return def create fill background object square vertical horizontal diagonal left right top "
    "bottom inside outside size width height new copy same different key priors instructions code logic "
    "helpful assistant you your should must only use following functions examples given below above"
).split()
_CALLS = ("draw_line", "draw_rectangle", "draw_pixel", "draw_horizontal_line", "draw_vertical_line", "create_img")


def grid_text(rows: int, cols: int, rng: random.Random) -> str:
    """A grid in the prompt encoding: a shape header, then row number, space, digits."""
    lines = [f"```grid shape: {rows}x{cols}"]
    lines += [f"{r} " + "".join(str(rng.randrange(10)) for _ in range(cols)) for r in range(rows)]
    return "\n".join(lines + ["```"])


def program_text(rng: random.Random) -> str:
    """A drawing-DSL program of 1-4 keyword-argument calls."""
    body = []
    for _ in range(rng.randint(1, 4)):
        name = rng.choice(_CALLS)
        p1, p2 = (rng.randrange(30), rng.randrange(30)), (rng.randrange(30), rng.randrange(30))
        body.append(f"    {name}(img, point1={p1}, point2={p2}, color={rng.randrange(10)})")
    return "def task(img):\n" + "\n".join(body) + "\n    return img\n"


def synthetic_corpus(count: int = 600, seed: int = 0) -> list[str]:
    """Prompt-like text: English instructions, grids and programs, plus made-up words for vocabulary."""
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ne", "su", "tra", "pel", "vor", "xi", "qua", "den", "rup", "gho", "zet"]
    texts = []
    for _ in range(count):
        sentence = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(5, 15)))
        made_up = " ".join("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(6))
        grid = grid_text(rng.randint(1, 12), rng.randint(1, 12), rng)
        texts.append(f"{sentence.capitalize()}.\n{made_up}\n{grid}\n```python\n{program_text(rng)}```")
    return texts


def render_prompt(tokenizer, user_text: str) -> str:
    """A chat prompt rendered the way the solver renders it: pre-filled up to "```python\\n"."""
    messages = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": user_text},
        {"role": "assistant", "content": ASSISTANT_PREFILL},
    ]
    return tokenizer.apply_chat_template(messages, tokenize=False, continue_final_message=True)


@pytest.fixture(scope="session")
def torch_one_thread():
    """Run torch single-threaded for the session (see the module docstring)."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def tokenizer():
    """The project tokenizer, trained once on the synthetic corpus (1024 tokens)."""
    from solver.models import train_tokenizer

    return train_tokenizer(synthetic_corpus(), vocab_size=1024)


@pytest.fixture(scope="session")
def prompts(tokenizer) -> list[str]:
    """Three rendered prompts of different lengths (the third is the longest)."""
    rng = random.Random(1)
    return [
        render_prompt(tokenizer, "Write a function.\n### Example 1\n" + grid_text(2, 3, rng)),
        render_prompt(tokenizer, "Draw the output.\n### Example 1\n" + grid_text(3, 3, rng)),
        render_prompt(tokenizer, "Each example below.\n### Example 1\n" + grid_text(8, 9, rng) + grid_text(6, 7, rng)),
    ]


@pytest.fixture
def tiny_model(tokenizer, torch_one_thread):
    """A fresh randomly initialised ``tiny`` model (seed 0), float32 on CPU."""
    from solver.models import create_model

    return create_model("tiny", tokenizer, seed=0)


@pytest.fixture
def lively_model(tokenizer, torch_one_thread):
    """A ``tiny`` model (seed 0) whose weight matrices are scaled 5x, so greedy text depends on the prompt.

    At the default init (std 0.02) a tiny model's greedy text is one token repeated whatever the
    prompt, and tests that compare texts (padding, ordering, adapters) would pass vacuously.
    """
    import torch

    from solver.models import create_model

    model = create_model("tiny", tokenizer, seed=0)
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.dim() == 2:
                parameter.mul_(5.0)
    return model


@pytest.fixture(scope="session")
def fence_model(tokenizer, prompts, torch_one_thread):
    """A ``tiny`` model overfit so that greedy decoding writes known programs.

    After ``prompts[FENCE_PROMPT_INDEX]`` it writes FENCE_PROGRAM, then the closing fence and more
    text (so only a fence stop ends it early); after ``prompts[EOS_PROMPT_INDEX]`` it writes
    EOS_PROGRAM then eos. Full fine-tuning on both pairs as one batch, FENCE_MODEL_STEPS AdamW steps.
    """
    import torch

    from solver.models import create_model

    model = create_model("tiny", tokenizer, seed=1)
    pairs = [
        (prompts[FENCE_PROMPT_INDEX], FENCE_PROGRAM + FENCE_TRAILER, []),
        (prompts[EOS_PROMPT_INDEX], EOS_PROGRAM, [tokenizer.eos_token_id]),
    ]
    rows = []
    for prompt, target, suffix in pairs:
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        target_ids = tokenizer(target, add_special_tokens=False)["input_ids"] + suffix
        rows.append((prompt_ids + target_ids, [-100] * len(prompt_ids) + target_ids))
    width = max(len(ids) for ids, _ in rows)
    pad = width - len(rows[0][0]), width - len(rows[1][0])
    input_ids = torch.tensor([ids + [tokenizer.pad_token_id] * extra for (ids, _), extra in zip(rows, pad)])
    labels = torch.tensor([lab + [-100] * extra for (_, lab), extra in zip(rows, pad)])
    attention_mask = (labels != -100) | (torch.arange(width) < torch.tensor([len(ids) for ids, _ in rows])[:, None])
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    with torch.random.fork_rng():
        torch.manual_seed(0)
        for _ in range(FENCE_MODEL_STEPS):
            model(input_ids=input_ids, attention_mask=attention_mask.long(), labels=labels).loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    return model.eval()


class TextTokenizer:
    """A stand-in tokenizer for loop tests: renders messages as their joined text, one character
    one token (the loop counts tokens to leave out programs longer than ``max_new_tokens``)."""

    def apply_chat_template(self, messages, tokenize=False, continue_final_message=True):
        return "\n".join(m["content"] for m in messages)

    def __call__(self, text, add_special_tokens=True):
        return {"input_ids": [ord(c) for c in text]}
