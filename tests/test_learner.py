"""The learner: config validation, exact labels, the loop learns, reset restores the base model."""

from __future__ import annotations

import math

import pytest
from conftest import FENCE_PROGRAM, render_prompt
from pydantic import ValidationError

from solver.learner import IGNORE_INDEX, Learner, LearnerConfig, encode_example, sequence_log_likelihood

PROGRAMS = [
    "def task(img):\n    draw_line(img, point1=(0, 2), point2=(3, 2), color=5)\n    return img\n",
    "def task(img):\n    draw_rectangle(img, point1=(1, 1), point2=(2, 4), color=3)\n    return img\n",
    "def task(img):\n    draw_pixel(img, point=(0, 0), color=9)\n"
    "    draw_vertical_line(img, x=2, color=1)\n    return img\n",
    "def task(img):\n    draw_horizontal_line(img, y=4, color=6)\n    return img\n",
]


@pytest.fixture(scope="module")
def pairs(tokenizer) -> list[tuple[str, str]]:
    """Relabelled tasks: one prompt per program, as the search loop would build them."""
    grids = [f"```grid shape: 1x{i + 1}\n0 {'7' * (i + 1)}\n```" for i in range(len(PROGRAMS))]
    return [(render_prompt(tokenizer, f"### Example 1\n{grid}"), program) for grid, program in zip(grids, PROGRAMS)]


def _base_state(model) -> dict:
    """Base weights by their original names (PEFT moves a wrapped layer's weight under ``base_layer``)."""
    return {
        name.replace(".base_layer", ""): tensor.clone()
        for name, tensor in model.state_dict().items()
        if "lora_" not in name
    }


# --- config ------------------------------------------------------------------------------------


def test_config_defaults():
    config = LearnerConfig()
    assert (config.lora_rank, config.use_rslora, config.lora_dropout, config.batch_size) == (32, True, 0.0, 4)
    assert config.learning_rate == 2e-4
    assert set(config.target_modules) == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}


@pytest.mark.parametrize(
    "kwargs",
    [{"lora_rank": 0}, {"learning_rate": 0}, {"lora_dropout": 1.0}, {"batch_size": 0}, {"warmup_steps": -1},
     {"max_grad_norm": 0}, {"target_modules": ()}, {"lora_rnak": 8}],
)
def test_config_rejects_bad_values(kwargs):
    with pytest.raises(ValidationError, match=next(iter(kwargs))):
        LearnerConfig(**kwargs)


# --- encoding ----------------------------------------------------------------------------------


def test_labels_mask_the_prompt_and_keep_fence_and_eos(tokenizer, pairs):
    prompt, program = pairs[0]
    example = encode_example(tokenizer, prompt, program)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    assert example.input_ids[: len(prompt_ids)] == prompt_ids  # the boundary is exact
    assert example.labels[: len(prompt_ids)] == [IGNORE_INDEX] * len(prompt_ids)
    target = example.labels[len(prompt_ids) :]
    assert IGNORE_INDEX not in target
    assert target[-1] == tokenizer.eos_token_id != tokenizer.pad_token_id
    assert tokenizer.decode(target[:-1]) == program + "```"
    # A program that already carries its fence is encoded the same.
    assert encode_example(tokenizer, prompt, program + "```").input_ids == example.input_ids


def test_empty_prompt_or_completion_is_rejected(tokenizer, pairs):
    with pytest.raises(ValueError, match="completion must be a non-empty program"):
        encode_example(tokenizer, pairs[0][0], "  \n")
    with pytest.raises(ValueError, match="prompt must be a non-empty"):
        encode_example(tokenizer, "", PROGRAMS[0])


# --- training ----------------------------------------------------------------------------------


def test_only_the_adapter_trains_and_it_is_small(tiny_model, tokenizer):
    learner = Learner(tiny_model, tokenizer, LearnerConfig(lora_rank=4))
    trainable = [name for name, p in learner.model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in name for name in trainable)
    assert learner.model.get_input_embeddings().weight.shape[0] == len(tokenizer)  # no resize
    with pytest.raises(ValueError, match="already a PEFT model"):
        Learner(learner.model, tokenizer)


def test_the_loop_learns_and_reset_restores_the_base(tiny_model, tokenizer, pairs):
    """The property the HER loop relies on: likelihood of relabelled programs rises after training."""
    base_state = _base_state(tiny_model)
    base_likelihoods = [sequence_log_likelihood(tiny_model, tokenizer, prompt, program) for prompt, program in pairs]

    learner = Learner(tiny_model, tokenizer, LearnerConfig(learning_rate=1e-3, seed=0, batch_size=1))
    fresh = [sequence_log_likelihood(learner.model, tokenizer, prompt, program) for prompt, program in pairs]
    assert fresh == pytest.approx(base_likelihoods, abs=1e-4)  # a fresh adapter computes the base model

    stats = None
    for epoch in range(4):
        stats = learner.train(pairs, seed=epoch)
    assert stats.steps == len(pairs) and stats.skipped == 0 and math.isfinite(stats.mean_loss)
    trained = [sequence_log_likelihood(learner.model, tokenizer, prompt, program) for prompt, program in pairs]
    for before, after in zip(base_likelihoods, trained, strict=True):
        assert after > before + 5.0, (before, after)

    learner.reset()
    after_reset = [sequence_log_likelihood(learner.model, tokenizer, prompt, program) for prompt, program in pairs]
    assert after_reset == pytest.approx(base_likelihoods, abs=1e-4)
    after_state = _base_state(tiny_model)
    assert after_state.keys() == base_state.keys()
    for name, tensor in after_state.items():
        assert tensor.equal(base_state[name]), name


def test_training_is_reproducible_after_reset(tiny_model, tokenizer, pairs):
    learner = Learner(tiny_model, tokenizer, LearnerConfig(learning_rate=1e-3))
    first = learner.train(pairs, seed=0)
    first_likelihood = sequence_log_likelihood(learner.model, tokenizer, *pairs[0])
    ref = learner.adapter_ref
    learner.reset()
    assert learner.adapter_ref.lora_id != ref.lora_id  # new weights, new id
    second = learner.train(pairs, seed=0)
    assert learner.adapter_ref.lora_id != ref.lora_id
    assert second.mean_loss == pytest.approx(first.mean_loss, rel=1e-6)
    assert sequence_log_likelihood(learner.model, tokenizer, *pairs[0]) == pytest.approx(first_likelihood, rel=1e-6)


def test_different_reset_seeds_give_different_adapters(tiny_model, tokenizer):
    learner = Learner(tiny_model, tokenizer, LearnerConfig(lora_rank=4))

    def lora_a():
        return next(p.detach().clone() for name, p in learner.model.named_parameters() if "lora_A" in name)

    learner.reset(seed=1)
    first = lora_a()
    learner.reset(seed=1)
    assert lora_a().equal(first)
    learner.reset(seed=2)
    assert not lora_a().equal(first)


def test_too_long_examples_are_skipped_and_counted(tiny_model, tokenizer, pairs, caplog):
    longest = max(len(encode_example(tokenizer, prompt, program).input_ids) for prompt, program in pairs)
    shortest = min(len(encode_example(tokenizer, prompt, program).input_ids) for prompt, program in pairs)
    learner = Learner(tiny_model, tokenizer, LearnerConfig(max_seq_length=shortest))
    with caplog.at_level("WARNING"):
        stats = learner.train(pairs)
    assert longest > shortest
    assert stats.steps + stats.skipped == len(pairs) and stats.skipped >= 1
    assert f"skipped {stats.skipped} of {len(pairs)} examples" in caplog.text
    assert stats.tokens <= stats.steps * shortest


def test_batches_and_token_counts(tiny_model, tokenizer, pairs):
    learner = Learner(tiny_model, tokenizer, LearnerConfig(batch_size=3))
    stats = learner.train(pairs)
    encoded = [encode_example(tokenizer, prompt, program) for prompt, program in pairs]
    assert stats.steps == 2  # 3 + 1
    assert stats.tokens == sum(len(e.input_ids) for e in encoded)
    assert stats.target_tokens == sum(len(e.input_ids) - e.prompt_length for e in encoded)
    assert math.isnan(learner.train([]).mean_loss)


def test_a_batch_holds_at_most_max_seq_length_tokens_once_padded(tiny_model, tokenizer, pairs):
    """Batching saves steps, never memory headroom: a step holds no more tokens than one longest example."""
    lengths = [len(encode_example(tokenizer, prompt, program).input_ids) for prompt, program in pairs]
    longest = max(lengths)
    learner = Learner(tiny_model, tokenizer, LearnerConfig(batch_size=4, max_seq_length=2 * longest))
    batches = learner._batches([encode_example(tokenizer, prompt, program) for prompt, program in pairs])
    assert [e for batch in batches for e in batch] == [encode_example(tokenizer, p, c) for p, c in pairs]  # order kept
    assert all(len(b) * max(len(e.input_ids) for e in b) <= 2 * longest for b in batches)
    assert max(len(b) for b in batches) == 2 and len(batches) == 2  # 4 examples of similar length: two per step
    stats = learner.train(pairs)
    assert stats.steps == len(batches) and stats.tokens == sum(lengths)


def test_training_after_sampling_with_the_base_still_trains_the_adapter(lively_model, tokenizer, pairs):
    from solver.sampler import SamplingParams, TransformersSampler

    learner = Learner(lively_model, tokenizer, LearnerConfig(learning_rate=1e-2))
    sampler = TransformersSampler(learner.model, tokenizer)
    sampler.generate([pairs[0][0]], SamplingParams(temperature=0, max_new_tokens=4))  # adapter disabled inside
    before = sequence_log_likelihood(learner.model, tokenizer, pairs[0][0], FENCE_PROGRAM)
    learner.train([(pairs[0][0], FENCE_PROGRAM)] * 4)
    assert sequence_log_likelihood(learner.model, tokenizer, pairs[0][0], FENCE_PROGRAM) > before


def test_a_saved_adapter_state_brings_the_trained_adapter_back(tiny_model, tokenizer, pairs):
    """What lets a task's later round go on from its earlier one (``SearchState.adapter``)."""
    learner = Learner(tiny_model, tokenizer, LearnerConfig(learning_rate=1e-3))
    learner.train(pairs, seed=0)
    trained = sequence_log_likelihood(learner.model, tokenizer, *pairs[0])
    weights = learner.adapter_state()
    assert weights and all(t.device.type == "cpu" for t in weights.values())
    learner.reset()
    assert sequence_log_likelihood(learner.model, tokenizer, *pairs[0]) != pytest.approx(trained, abs=1e-3)
    ref = learner.adapter_ref
    learner.load_adapter_state(weights)
    assert learner.adapter_ref.lora_id != ref.lora_id  # samplers must not reuse the reset version
    assert sequence_log_likelihood(learner.model, tokenizer, *pairs[0]) == pytest.approx(trained, abs=1e-5)
    with pytest.raises(ValueError, match="do not fit"):
        learner.load_adapter_state({"base_model.model.no_such_layer.lora_A.weight": next(iter(weights.values()))})


def test_training_to_a_deadline_keeps_the_last_examples(tiny_model, tokenizer, pairs, monkeypatch):
    """Past the deadline no step starts; short of time, the steps dropped are the first (worst) ones."""
    import time

    from solver.learner import learner as learner_module

    learner = Learner(tiny_model, tokenizer, LearnerConfig(learning_rate=1e-3, batch_size=1))  # one example per step: steps are examples
    assert learner.train(pairs, seed=0, deadline=time.monotonic() - 1).steps == 0
    seen = []
    real_step = learner._step

    def step(batch):
        seen.append(batch[0].input_ids)
        return real_step(batch)

    monkeypatch.setattr(learner, "_step", step)
    clock = iter(range(1000))  # every step takes one "second" of perf_counter and of monotonic
    monkeypatch.setattr(learner_module.time, "perf_counter", lambda: float(next(clock)))
    many = pairs * 4
    stats = learner.train(many, seed=0, deadline=time.monotonic() + 3.5)
    assert 1 <= stats.steps < len(many)
    encoded_last = encode_example(tokenizer, *many[-1]).input_ids
    assert seen[0] == encode_example(tokenizer, *many[0]).input_ids and seen[-1] == encoded_last  # first (to time it), then the end


def test_pad_right_masks_padding_and_rounds_the_width_up():
    from solver.learner import EncodedExample
    from solver.learner.examples import pad_right

    examples = [EncodedExample([5, 6, 7], prompt_length=1), EncodedExample([8, 9, 10, 11, 12], prompt_length=2)]
    input_ids, attention_mask, labels = pad_right(examples, pad_id=0)
    assert input_ids.tolist() == [[5, 6, 7, 0, 0], [8, 9, 10, 11, 12]]
    assert attention_mask.sum(1).tolist() == [3, 5]
    assert labels.tolist() == [[IGNORE_INDEX, 6, 7, IGNORE_INDEX, IGNORE_INDEX], [IGNORE_INDEX, IGNORE_INDEX, 10, 11, 12]]
    rounded_ids, rounded_mask, rounded_labels = pad_right(examples, pad_id=0, multiple=4)
    assert rounded_ids.shape == (2, 8) and rounded_mask.sum(1).tolist() == [3, 5]
    assert (rounded_labels[:, 5:] == IGNORE_INDEX).all() and (rounded_ids[:, :5] == input_ids).all()
