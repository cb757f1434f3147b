"""Tokenizer and model factory: one token per digit, chat template, sizes, offline save/load."""

from __future__ import annotations

import json
import random

import pytest
from conftest import ASSISTANT_PREFILL, grid_text, render_prompt

from solver.models import EOS_TOKEN, MODEL_SIZES, PAD_TOKEN, create_model, load_model, model_shape, train_tokenizer

# --- tokenizer ---------------------------------------------------------------------------------


def test_every_digit_is_one_token(tokenizer):
    ids = [tokenizer(str(digit), add_special_tokens=False)["input_ids"] for digit in range(10)]
    assert all(len(token_ids) == 1 for token_ids in ids), ids
    assert len({token_ids[0] for token_ids in ids}) == 10


def test_grid_text_tokenizes_to_one_token_per_digit(tokenizer):
    rng = random.Random(0)
    for rows, cols in [(1, 1), (3, 5), (10, 10), (30, 30), (7, 22)]:
        text = grid_text(rows, cols, rng)
        pieces = [tokenizer.decode([i]) for i in tokenizer(text, add_special_tokens=False)["input_ids"]]
        assert all(len(piece) == 1 for piece in pieces if any(ch.isdigit() for ch in piece)), pieces
        assert sum(piece.isdigit() for piece in pieces) == sum(ch.isdigit() for ch in text)


def test_digits_stay_single_tokens_even_when_the_corpus_repeats_numbers():
    tokenizer = train_tokenizer(["1234 1234 1234 333 333 22 22"] * 200, vocab_size=300)
    assert len(tokenizer("1234 333", add_special_tokens=False)["input_ids"]) == 8


def test_special_tokens_pad_is_not_eos(tokenizer):
    assert tokenizer.eos_token == EOS_TOKEN
    assert tokenizer.pad_token == PAD_TOKEN
    assert tokenizer.pad_token_id != tokenizer.eos_token_id
    assert len(tokenizer) == 1024
    # Nothing is added around encoded text: no bos, no eos.
    plain = tokenizer("hello", add_special_tokens=False)["input_ids"]
    assert tokenizer("hello", add_special_tokens=True)["input_ids"] == plain


def test_vocab_size_too_small_is_rejected():
    with pytest.raises(ValueError, match="vocab_size must be at least 259"):
        train_tokenizer(["abc"], vocab_size=100)


def test_chat_template_generation_prompt_and_continued_prefill(tokenizer):
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "U 12"}]
    rendered = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert rendered == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU 12<|im_end|>\n<|im_start|>assistant\n"

    prompt = render_prompt(tokenizer, "U 12")
    assert prompt.endswith("<|im_start|>assistant\n" + ASSISTANT_PREFILL)  # newline after ```python kept
    ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    assert ids[0] == tokenizer.convert_tokens_to_ids("<|im_start|>")
    assert tokenizer.eos_token_id in ids  # the closed system and user turns
    assert tokenizer.decode(ids) == prompt


def test_tokenizer_round_trips_through_auto_tokenizer_offline(tokenizer, tmp_path, monkeypatch):
    from transformers import AutoTokenizer

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    tokenizer.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    text = render_prompt(tokenizer, "grid\n" + grid_text(4, 6, random.Random(2)))
    assert loaded(text, add_special_tokens=False)["input_ids"] == tokenizer(text, add_special_tokens=False)["input_ids"]
    assert (loaded.eos_token, loaded.pad_token) == (EOS_TOKEN, PAD_TOKEN)
    assert render_prompt(loaded, "x") == render_prompt(tokenizer, "x")


# --- factory -----------------------------------------------------------------------------------


def _parameter_count(model) -> int:
    return sum(p.numel() for p in model.parameters())  # tied embeddings count once


def test_model_sizes_parameter_counts(tokenizer):
    counts = {size: _parameter_count(create_model(size, tokenizer, seed=0)) for size in ("tiny", "small")}
    assert 200_000 <= counts["tiny"] <= 2_000_000, counts
    assert counts["small"] <= 7_000_000, counts
    shape = model_shape("base")  # counted from the shape: building 34M parameters is slow on CPU
    per_layer = (
        shape.hidden_size * shape.hidden_size * 2  # q, o
        + shape.hidden_size * (shape.hidden_size // shape.num_heads) * shape.num_kv_heads * 2  # k, v
        + 3 * shape.hidden_size * shape.intermediate_size  # gate, up, down
    )
    base = shape.num_layers * per_layer + len(tokenizer) * shape.hidden_size
    assert 20_000_000 <= base <= 40_000_000, base


def test_model_config_follows_tokenizer(tiny_model, tokenizer):
    config = tiny_model.config
    assert config.vocab_size == len(tokenizer)
    assert config.max_position_embeddings == 8192
    assert config.tie_word_embeddings
    assert (config.eos_token_id, config.pad_token_id) == (tokenizer.eos_token_id, tokenizer.pad_token_id)
    assert tiny_model.generation_config.eos_token_id == tokenizer.eos_token_id


def test_same_seed_same_weights_and_global_rng_untouched(tokenizer, torch_one_thread):
    import torch

    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    first = create_model("tiny", tokenizer, seed=5)
    assert torch.equal(torch.rand(1), expected_next)
    second = create_model("tiny", tokenizer, seed=5)
    third = create_model("tiny", tokenizer, seed=6)
    weights = [m.model.layers[0].mlp.up_proj.weight for m in (first, second, third)]
    assert torch.equal(weights[0], weights[1])
    assert not torch.equal(weights[0], weights[2])


def test_unknown_size_lists_known_sizes(tokenizer):
    with pytest.raises(ValueError, match="known sizes: tiny, small, base"):
        create_model("huge", tokenizer, seed=0)
    assert set(MODEL_SIZES) >= {"tiny", "small", "base"}


def test_small_fits_16_mb_in_bf16(tokenizer, tmp_path):
    import torch

    model = create_model("small", tokenizer, seed=0).to(torch.bfloat16)
    model.save_pretrained(tmp_path)
    weights = tmp_path / "model.safetensors"
    assert weights.stat().st_size <= 16_000_000, weights.stat().st_size


def test_save_and_load_round_trip_offline(tiny_model, tokenizer, tmp_path, monkeypatch):
    import torch
    from transformers import AutoModelForCausalLM

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    tiny_model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    input_ids = torch.tensor([tokenizer(render_prompt(tokenizer, "hi"), add_special_tokens=False)["input_ids"]])
    with torch.no_grad():
        expected = tiny_model(input_ids).logits
        auto = AutoModelForCausalLM.from_pretrained(tmp_path).eval()
        assert torch.allclose(auto(input_ids).logits, expected)
        model, loaded_tokenizer = load_model(tmp_path, device="cpu")
        assert torch.allclose(model(input_ids).logits, expected)
    assert not model.training
    assert loaded_tokenizer.eos_token == EOS_TOKEN
    assert model.generation_config.eos_token_id == [tokenizer.eos_token_id]


def test_load_model_makes_im_end_the_eos_of_chat_models(tiny_model, tokenizer, tmp_path):
    # A Qwen *base* checkpoint ships <|endoftext|> as eos and no pad; chat turns end with <|im_end|>.
    tokenizer.save_pretrained(tmp_path)
    config_path = tmp_path / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    config["eos_token"], config["pad_token"] = PAD_TOKEN, None
    config_path.write_text(json.dumps(config))
    tiny_model.generation_config.eos_token_id = tokenizer.pad_token_id
    tiny_model.generation_config.pad_token_id = None
    tiny_model.save_pretrained(tmp_path)

    model, loaded = load_model(tmp_path, device="cpu")
    assert loaded.eos_token == EOS_TOKEN
    assert loaded.pad_token == PAD_TOKEN  # an existing token, not a new one
    assert len(loaded) == len(tokenizer)
    assert model.generation_config.eos_token_id == [tokenizer.eos_token_id, tokenizer.pad_token_id]


def test_half_precision_checkpoints_load_in_float32_on_cpu(tiny_model, tokenizer, tmp_path):
    import copy

    import torch

    copy.deepcopy(tiny_model).to(torch.bfloat16).save_pretrained(tmp_path)  # the fixture stays float32
    tokenizer.save_pretrained(tmp_path)
    model, _ = load_model(tmp_path, device="cpu")
    assert model.dtype == torch.float32  # bf16 matmuls on a CPU without bf16 units are ~10x slower
    explicit, _ = load_model(tmp_path, device="cpu", dtype=torch.bfloat16)
    assert explicit.dtype == torch.bfloat16


def test_a_model_folder_tokenises_exactly_as_the_project_tokenizer(tiny_model, tmp_path):
    """transformers would load a qwen2 folder's tokenizer as Qwen2Tokenizer, whose own pre-tokenizer
    splits indentation differently from the one the model was trained with."""
    from solver.models.project_tokenizer import load_project_tokenizer

    project = load_project_tokenizer()
    tiny_model.save_pretrained(tmp_path)  # config.json says model_type qwen2
    project.save_pretrained(tmp_path)
    _, loaded = load_model(tmp_path, device="cpu")
    program = "def task(img):\n    draw_pixel(img, point=(4, 12), color=9)\n    return img\n```"
    assert loaded(program)["input_ids"] == project(program)["input_ids"]
