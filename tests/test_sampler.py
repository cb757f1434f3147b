"""The sampler: validation, left padding, fence and eos stops, seeding, params broadcast, adapters."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import EOS_PROGRAM, EOS_PROMPT_INDEX, FENCE_PROGRAM, FENCE_PROMPT_INDEX

from solver.sampler import AdapterRef, Completion, SamplingParams, TransformersSampler, cut_at_fence, with_closing_fence

GREEDY = SamplingParams(n=1, temperature=0, max_new_tokens=24)

# --- value objects -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 0}, "n must be at least 1, got 0"),
        ({"temperature": -0.1}, r"temperature must be >= 0 \(0 = greedy\), got -0.1"),
        ({"top_p": 0}, r"top_p must be in \(0, 1\], got 0"),
        ({"top_p": 1.5}, r"top_p must be in \(0, 1\], got 1.5"),
        ({"max_new_tokens": 0}, "max_new_tokens must be at least 1, got 0"),
    ],
)
def test_sampling_params_validation_messages(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SamplingParams(**kwargs)


def test_adapter_ref_validation():
    with pytest.raises(ValueError, match="lora_id must be a positive integer, got 0"):
        AdapterRef(name="ttt", lora_id=0)
    with pytest.raises(ValueError, match="name must be a non-empty"):
        AdapterRef(name="", lora_id=1)


def test_fence_helpers():
    assert cut_at_fence("def task(img):\n    return img\n```\nmore") == ("def task(img):\n    return img\n", True)
    assert cut_at_fence("def task(img):") == ("def task(img):", False)
    assert with_closing_fence("x = 1") == "x = 1\n```"
    assert with_closing_fence("x = 1\n") == "x = 1\n```"
    assert with_closing_fence("x = 1\n```\n") == "x = 1\n```"


def test_params_list_must_match_prompts(tiny_model, tokenizer, prompts):
    sampler = TransformersSampler(tiny_model, tokenizer)
    with pytest.raises(ValueError, match="got 2 params for 3 prompts"):
        sampler.generate(prompts, [GREEDY, GREEDY])
    with pytest.raises(ValueError, match="got a single str"):
        sampler.generate(prompts[0], GREEDY)
    with pytest.raises(ValueError, match="batch_size must be at least 1, got 0"):
        TransformersSampler(tiny_model, tokenizer, batch_size=0)
    assert sampler.generate([], GREEDY) == []


# --- batching and stopping ---------------------------------------------------------------------


def test_left_padding_greedy_is_the_same_alone_and_batched(lively_model, tokenizer, prompts):
    sampler = TransformersSampler(lively_model, tokenizer, batch_size=4)
    short, long = prompts[0], prompts[2]
    assert len(tokenizer(long)["input_ids"]) > len(tokenizer(short)["input_ids"]) + 100
    alone = sampler.generate([short], GREEDY)[0][0]
    batched = sampler.generate([short, long], GREEDY)
    assert batched[0][0] == alone
    assert batched[1][0] == sampler.generate([long], GREEDY)[0][0]
    assert alone.num_tokens == GREEDY.max_new_tokens and not alone.finished  # random model: no stop
    assert len(set(alone.text)) > 3  # a lively model: the text depends on the prompt


def test_prompts_are_tokenized_without_added_special_tokens(lively_model, tokenizer, prompts):
    import copy

    from tokenizers import processors

    # A tokenizer that prepends a bos token when asked to add special tokens, as many HF ones do.
    adds_bos = copy.deepcopy(tokenizer)
    adds_bos.backend_tokenizer.post_processor = processors.TemplateProcessing(
        single="<|im_start|> $A", special_tokens=[("<|im_start|>", tokenizer.convert_tokens_to_ids("<|im_start|>"))]
    )
    assert len(adds_bos(prompts[0])["input_ids"]) == len(tokenizer(prompts[0])["input_ids"]) + 1
    plain = TransformersSampler(lively_model, tokenizer).generate(prompts[:1], GREEDY)[0][0]
    assert TransformersSampler(lively_model, adds_bos).generate(prompts[:1], GREEDY)[0][0] == plain
    # The check has teeth: one more token at the start changes the greedy text.
    shifted = TransformersSampler(lively_model, tokenizer).generate([tokenizer.eos_token + prompts[0]], GREEDY)[0][0]
    assert shifted != plain


def test_stops_at_the_closing_fence(fence_model, tokenizer, prompts):
    import torch

    prompt = prompts[FENCE_PROMPT_INDEX]
    sampler = TransformersSampler(fence_model, tokenizer)
    completion = sampler.generate([prompt], SamplingParams(temperature=0, max_new_tokens=80))[0][0]
    expected_tokens = len(tokenizer(FENCE_PROGRAM + "```", add_special_tokens=False)["input_ids"])
    assert completion == Completion(text=FENCE_PROGRAM, num_tokens=expected_tokens, finished=True)

    # Without the fence stop the model goes on writing past the fence: the stop did the work.
    input_ids = torch.tensor([tokenizer(prompt, add_special_tokens=False)["input_ids"]])
    raw = fence_model.generate(input_ids, max_new_tokens=expected_tokens + 6, do_sample=False)
    assert "```\nThe" in tokenizer.decode(raw[0, input_ids.shape[1] :])


def test_stops_at_eos(fence_model, tokenizer, prompts):
    sampler = TransformersSampler(fence_model, tokenizer)
    completion = sampler.generate([prompts[EOS_PROMPT_INDEX]], SamplingParams(temperature=0, max_new_tokens=80))[0][0]
    expected_tokens = len(tokenizer(EOS_PROGRAM, add_special_tokens=False)["input_ids"]) + 1
    assert completion == Completion(text=EOS_PROGRAM, num_tokens=expected_tokens, finished=True)


def test_unfinished_completion_is_marked(fence_model, tokenizer, prompts):
    sampler = TransformersSampler(fence_model, tokenizer)
    completion = sampler.generate([prompts[FENCE_PROMPT_INDEX]], SamplingParams(temperature=0, max_new_tokens=5))[0][0]
    assert completion.num_tokens == 5 and not completion.finished
    assert FENCE_PROGRAM.startswith(completion.text)


def test_finished_rows_stop_independently_in_a_batch(fence_model, tokenizer, prompts):
    sampler = TransformersSampler(fence_model, tokenizer, batch_size=3)
    together = sampler.generate(prompts, SamplingParams(temperature=0, max_new_tokens=60))
    alone = [sampler.generate([prompt], SamplingParams(temperature=0, max_new_tokens=60))[0] for prompt in prompts]
    assert together == alone
    assert together[FENCE_PROMPT_INDEX][0].text == FENCE_PROGRAM
    assert together[EOS_PROMPT_INDEX][0].text == EOS_PROGRAM


# --- seeding and params ------------------------------------------------------------------------


def test_same_seed_same_samples_and_caller_rng_untouched(lively_model, tokenizer, prompts):
    import torch

    sampler = TransformersSampler(lively_model, tokenizer, batch_size=4)
    params = SamplingParams(n=6, temperature=1.0, top_p=0.95, max_new_tokens=12, seed=7)
    torch.manual_seed(0)
    first = sampler.generate(prompts[:2], params)
    after_first = torch.rand(1)
    torch.manual_seed(0)
    second = sampler.generate(prompts[:2], params)
    assert torch.equal(torch.rand(1), after_first)
    assert first == second
    other_seed = SamplingParams(n=6, temperature=1.0, top_p=0.95, max_new_tokens=12, seed=8)
    assert sampler.generate(prompts[:2], other_seed) != first
    assert len({c.text for c in first[0]}) > 1  # samples differ from each other at T=1


def test_one_params_broadcasts_and_a_list_is_per_prompt(lively_model, tokenizer, prompts):
    sampler = TransformersSampler(lively_model, tokenizer, batch_size=5)
    broadcast = sampler.generate(prompts, SamplingParams(n=3, temperature=0, max_new_tokens=8))
    assert [len(row) for row in broadcast] == [3, 3, 3]
    assert all(row[0] == row[1] == row[2] for row in broadcast)  # greedy: n copies

    params = [
        SamplingParams(n=2, temperature=0, max_new_tokens=8),
        SamplingParams(n=4, temperature=1.0, max_new_tokens=6, seed=1),
        SamplingParams(n=1, temperature=0, max_new_tokens=8),
    ]
    per_prompt = sampler.generate(prompts, params)
    assert [len(row) for row in per_prompt] == [2, 4, 1]
    assert all(c.num_tokens <= 6 for c in per_prompt[1])
    # Outputs are in input order: each greedy row matches that prompt sampled alone.
    assert per_prompt[0][0] == broadcast[0][0]
    assert per_prompt[2][0] == broadcast[2][0]
    assert broadcast[0][0] != broadcast[2][0]


def test_more_samples_than_batch_size(tiny_model, tokenizer, prompts):
    sampler = TransformersSampler(tiny_model, tokenizer, batch_size=3)
    result = sampler.generate(prompts[:2], SamplingParams(n=5, temperature=1.0, max_new_tokens=4, seed=0))
    assert [len(row) for row in result] == [5, 5]
    assert all(isinstance(c, Completion) and c.num_tokens == 4 for row in result for c in row)


# --- adapters ----------------------------------------------------------------------------------


def test_adapter_needs_a_peft_model(tiny_model, tokenizer, prompts):
    sampler = TransformersSampler(tiny_model, tokenizer)
    with pytest.raises(ValueError, match="the model has no adapters"):
        sampler.generate(prompts[:1], GREEDY, adapter=AdapterRef(name="ttt", lora_id=1))


def test_trained_adapter_changes_samples_and_base_stays_the_base(lively_model, tokenizer, prompts, tmp_path):
    import torch

    from solver.learner import Learner, LearnerConfig

    base_completion = TransformersSampler(lively_model, tokenizer).generate(prompts[:1], GREEDY)[0][0]
    learner = Learner(lively_model, tokenizer, LearnerConfig(learning_rate=1e-2))
    sampler = TransformersSampler(learner.model, tokenizer)
    # A fresh adapter (B = 0) computes the base model.
    assert sampler.generate(prompts[:1], GREEDY, adapter=learner.adapter_ref)[0][0] == base_completion

    learner.train([(prompts[0], FENCE_PROGRAM)] * 8, seed=0)
    with_adapter = sampler.generate(prompts[:1], GREEDY, adapter=learner.adapter_ref)[0][0]
    assert with_adapter != base_completion
    assert sampler.generate(prompts[:1], GREEDY)[0][0] == base_completion

    input_ids = torch.tensor([tokenizer(prompts[0], add_special_tokens=False)["input_ids"]])
    with torch.no_grad():
        adapted_logits = learner.model(input_ids).logits
        with learner.model.disable_adapter():
            base_logits = learner.model(input_ids).logits
    assert not torch.allclose(adapted_logits, base_logits)

    # The same adapter loaded from disk under another name samples the same.
    saved = learner.save_adapter(str(tmp_path))
    from_disk = AdapterRef(name="from_disk", lora_id=saved.lora_id + 1000, path=saved.path)
    assert sampler.generate(prompts[:1], GREEDY, adapter=from_disk)[0][0] == with_adapter
    with pytest.raises(ValueError, match="is not in the model and has no path"):
        sampler.generate(prompts[:1], GREEDY, adapter=AdapterRef(name="missing", lora_id=3))


@pytest.mark.parametrize("with_adapter", [False, True])
def test_shared_prefix_gives_the_same_samples_as_prefilling_every_row(lively_model, tokenizer, prompts, monkeypatch, with_adapter):
    from solver.learner import Learner, LearnerConfig

    model, adapter = lively_model, None
    if with_adapter:  # a trained adapter must be active in the shared prefill too
        learner = Learner(lively_model, tokenizer, LearnerConfig(learning_rate=1e-2))
        learner.train([(prompts[0], FENCE_PROGRAM)] * 4, seed=0)
        model, adapter = learner.model, learner.adapter_ref
    sampler = TransformersSampler(model, tokenizer)
    params = SamplingParams(n=6, temperature=1.0, max_new_tokens=20, seed=5)
    calls = []
    shared = sampler._shared_prefix
    monkeypatch.setattr(sampler, "_shared_prefix", lambda model, ids: calls.append(len(ids)) or shared(model, ids))
    with_prefix = sampler.generate(prompts[:1], params, adapter=adapter)[0]
    assert calls == [6]  # one batch of six rows with one prompt: the prefix was shared
    monkeypatch.setattr(sampler, "_shared_prefix", lambda model, ids: None)
    assert sampler.generate(prompts[:1], params, adapter=adapter)[0] == with_prefix
    assert len({c.text for c in with_prefix}) > 1  # really sampled, not six copies of one text


def test_generation_stops_at_the_deadline(lively_model, tokenizer, prompts):
    import time

    sampler = TransformersSampler(lively_model, tokenizer)
    long = SamplingParams(n=4, temperature=1.0, max_new_tokens=20_000, seed=0)
    started = time.monotonic()
    (row,) = sampler.generate(prompts[:1], replace(long, deadline=started + 0.5))
    assert time.monotonic() - started < 5.0  # 20,000 tokens x 4 rows would take minutes
    assert len(row) == 4 and all(c.num_tokens < 20_000 for c in row)
    assert any(not c.finished and c.num_tokens > 0 for c in row)  # cut at the deadline, not at eos
    (past,) = sampler.generate(prompts[:1], replace(long, deadline=started - 1.0))
    assert [(c.text, c.num_tokens, c.finished) for c in past] == [("", 0, False)] * 4


# --- rows of different temperatures in one batch -----------------------------------------------


def test_row_temperature_top_p_matches_transformers_warpers():
    import torch
    from transformers.generation.logits_process import TemperatureLogitsWarper, TopPLogitsWarper

    from solver.sampler.transformers_backend import RowTemperatureTopP

    torch.manual_seed(0)
    scores, ids = torch.randn(3, 50) * 3, torch.zeros(3, 1, dtype=torch.long)
    expected = TopPLogitsWarper(0.9)(ids, TemperatureLogitsWarper(0.7)(ids, scores))
    assert torch.allclose(RowTemperatureTopP([0.7] * 3, 0.9)(ids, scores), expected)
    mixed = RowTemperatureTopP([0.7, 2.0, 0.7], 1.0)(ids, scores)
    assert torch.allclose(mixed[1], scores[1] / 2.0) and torch.allclose(mixed[2], scores[2] / 0.7)


def test_groups_of_different_temperatures_share_one_generate_call(lively_model, tokenizer, prompts, monkeypatch):
    sampler = TransformersSampler(lively_model, tokenizer)
    assert sampler.batch_size == 64  # the CPU default
    calls = []
    original = lively_model.generate
    monkeypatch.setattr(lively_model, "generate", lambda *a, **k: calls.append(k["input_ids"].shape[0]) or original(*a, **k))
    cold = SamplingParams(n=4, temperature=1e-6, max_new_tokens=16, seed=1)
    hot = SamplingParams(n=6, temperature=5.0, max_new_tokens=16, seed=2)
    cold_rows, hot_rows = sampler.generate([prompts[0], prompts[0]], [cold, hot])
    assert calls == [10]  # one call, not one per temperature
    # Each row had its own temperature: the cold rows are the greedy text, the hot ones scatter.
    greedy = sampler.generate([prompts[0]], SamplingParams(temperature=0, max_new_tokens=16))[0][0]
    assert all(row.text == greedy.text for row in cold_rows)
    assert len({row.text for row in hot_rows}) == 6
    # Seeds: the same call gives the same samples; another seed for one group changes them.
    assert sampler.generate([prompts[0], prompts[0]], [cold, hot]) == [cold_rows, hot_rows]
    assert sampler.generate([prompts[0], prompts[0]], [cold, replace(hot, seed=3)])[1] != hot_rows


def test_adapter_samples_from_a_merged_copy_made_once_per_version(lively_model, tokenizer, prompts):
    import torch
    from peft import PeftModel

    from solver.learner import Learner, LearnerConfig

    learner = Learner(lively_model, tokenizer, LearnerConfig(learning_rate=1e-2))
    learner.train([(prompts[0], FENCE_PROGRAM)] * 4, seed=0)
    before = {name: p.detach().clone() for name, p in learner.model.named_parameters()}
    sampler = TransformersSampler(learner.model, tokenizer)
    sampler.generate(prompts[:1], GREEDY, adapter=learner.adapter_ref)
    merged = sampler._merged
    assert not isinstance(merged, PeftModel) and merged is not learner.model.get_base_model()
    input_ids = torch.tensor([tokenizer(prompts[0], add_special_tokens=False)["input_ids"]])
    with torch.no_grad():
        adapted, plain = learner.model(input_ids).logits, merged(input_ids).logits
        base = learner.model.get_base_model()
        with learner.model.disable_adapter():
            unadapted = base(input_ids).logits
    assert torch.allclose(plain, adapted, atol=1e-4) and not torch.allclose(plain, unadapted, atol=1e-2)
    # The learner's model is untouched: still an adapter on the same weights.
    assert all(torch.equal(p, before[name]) for name, p in learner.model.named_parameters())
    sampler.generate(prompts[:1], GREEDY, adapter=learner.adapter_ref)
    assert sampler._merged is merged  # the same adapter version: the same copy
    learner.train([(prompts[1], FENCE_PROGRAM)] * 2, seed=0)
    sampler.generate(prompts[:1], GREEDY, adapter=learner.adapter_ref)
    assert sampler._merged is not merged  # new weights, new copy


def test_prompts_that_differ_in_token_limit_or_seeding_get_separate_calls(lively_model, tokenizer, prompts, monkeypatch):
    sampler = TransformersSampler(lively_model, tokenizer)
    calls = []
    original = lively_model.generate
    monkeypatch.setattr(lively_model, "generate", lambda *a, **k: calls.append(k["input_ids"].shape[0]) or original(*a, **k))
    seeded = SamplingParams(n=2, temperature=1.0, max_new_tokens=6, seed=1)
    rows = sampler.generate(prompts[:1] * 3, [seeded, replace(seeded, max_new_tokens=3), replace(seeded, seed=None)])
    assert sorted(calls) == [2, 2, 2]
    assert all(c.num_tokens <= 3 for c in rows[1]) and any(c.num_tokens > 3 for c in rows[0])


def test_a_bf16_model_samples_its_adapter_unmerged(lively_model, tokenizer, prompts):
    import torch

    from solver.learner import Learner, LearnerConfig

    learner = Learner(lively_model.to(torch.bfloat16), tokenizer, LearnerConfig(learning_rate=1e-2))
    learner.train([(prompts[0], FENCE_PROGRAM)] * 2, seed=0)
    sampler = TransformersSampler(learner.model, tokenizer)
    sampler.generate(prompts[:1], GREEDY, adapter=learner.adapter_ref)
    assert sampler._merged is None  # merged into bf16 weights, the update would be rounded
