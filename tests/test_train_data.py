"""The training stream: sharded without duplicates, reproducible, resumable, split-invariant, padded right."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from solver.learner import IGNORE_INDEX
from solver.tasks import DrawingTaskConfig
from train.config import DataSource
from train.data import PAD_MULTIPLE, StepLayout, TrainStream, collate, draw_task, encode_task, validation_batches

MIX = (DataSource(task=DrawingTaskConfig(max_side=4, max_examples=2, max_draws=3)),)


def make_stream(tokenizer, *, batch_size=4, per_device=2, world=1, rank=0, seed=0, start_step=0,
                max_seq_len=2048, padding_free=False, mix=MIX) -> TrainStream:
    layout = StepLayout(batch_size=batch_size, per_device_batch_size=per_device, num_processes=world)
    return TrainStream(tokenizer, seed=seed, mix=mix, layout=layout, rank=rank, max_seq_len=max_seq_len,
                       padding_free=padding_free, start_step=start_step)


def take(stream: TrainStream, steps: int, workers: int = 0) -> list:
    loader = DataLoader(stream, batch_size=None, num_workers=workers)
    batches = []
    for batch in loader:
        batches.append(batch)
        if len(batches) == steps:
            return batches
    raise AssertionError("the stream ended")


def rows(batch) -> list[tuple[int, ...]]:
    """The samples of a step batch as token tuples, padding removed, in micro-batch order."""
    found = []
    for micro in batch.micro_batches:
        if micro.attention_mask is None:  # padding-free: split the row where positions restart
            ids, positions = micro.input_ids[0].tolist(), micro.position_ids[0].tolist()
            starts = [i for i, p in enumerate(positions) if p == 0] + [len(ids)]
            found += [tuple(ids[a:b]) for a, b in zip(starts, starts[1:])]
        else:
            found += [tuple(r[m.bool()].tolist()) for r, m in zip(micro.input_ids, micro.attention_mask)]
    return found


def same_batches(a, b) -> bool:
    return all(
        x.step == y.step and x.sample_indices == y.sample_indices and x.digest == y.digest
        and all(torch.equal(p.input_ids, q.input_ids) and torch.equal(p.labels, q.labels)
                for p, q in zip(x.micro_batches, y.micro_batches))
        for x, y in zip(a, b, strict=True)
    )


def test_sample_indices_tile_the_step():
    layout = StepLayout(batch_size=8, per_device_batch_size=2, num_processes=2)
    assert layout.grad_accum == 2
    assert list(layout.sample_indices(3, 0)) + list(layout.sample_indices(3, 1)) == list(range(24, 32))


def test_no_duplicates_across_two_ranks_and_two_workers(tokenizer):
    seen_indices, seen_rows = [], []
    for rank in (0, 1):
        batches = take(make_stream(tokenizer, world=2, per_device=1, rank=rank), steps=4, workers=2)
        assert [b.step for b in batches] == [0, 1, 2, 3]  # the loader interleaves its workers back in order
        for batch in batches:
            seen_indices += batch.sample_indices
            seen_rows += rows(batch)
    assert len(seen_indices) == len(set(seen_indices)) == 2 * 4 * 2
    assert len(seen_rows) == len(set(seen_rows)) == 16


def test_same_seed_same_batches_whatever_the_workers(tokenizer):
    first = take(make_stream(tokenizer), steps=3)
    assert same_batches(first, take(make_stream(tokenizer), steps=3, workers=2))
    other_seed = take(make_stream(tokenizer, seed=1), steps=3)
    assert not set(rows(first[0])) & set(rows(other_seed[0]))


def test_a_restart_continues_the_stream(tokenizer):
    fresh = take(make_stream(tokenizer), steps=5)
    resumed = take(make_stream(tokenizer, start_step=3), steps=2, workers=2)
    assert same_batches(fresh[3:], resumed)


def test_a_step_holds_the_same_samples_however_it_is_split(tokenizer):
    def step_rows(**layout) -> list:
        world = layout.get("world", 1)
        return sorted(r for rank in range(world) for r in rows(make_stream(tokenizer, rank=rank, **layout).step_batch(2)))

    reference = step_rows(per_device=4)
    assert step_rows(per_device=1) == reference  # 1 x 4 accumulation
    assert step_rows(per_device=1, world=2) == reference  # 2 ranks x 2 accumulation
    assert step_rows(per_device=2, world=2) == reference


def test_micro_batches_are_bucketed_by_length(tokenizer):
    batch = make_stream(tokenizer, batch_size=8, per_device=2).step_batch(0)
    lengths = [len(r) for r in rows(batch)]
    assert lengths == sorted(lengths)
    assert batch.tokens == sum(lengths)


def test_long_samples_are_redrawn_and_counted(tokenizer):
    mix = (DataSource(task=DrawingTaskConfig(min_side=2, max_side=8, max_examples=2)),)
    lengths = sorted(len(encode_task(tokenizer, draw_task(0, 0, i, mix)).input_ids) for i in range(40))
    limit = lengths[len(lengths) // 2]
    batch = make_stream(tokenizer, batch_size=8, per_device=8, mix=mix, max_seq_len=limit).step_batch(0)
    assert batch.skipped > 0
    assert all(len(r) <= limit for r in rows(batch))
    with pytest.raises(ValueError, match="raise --max-seq-len"):
        make_stream(tokenizer, mix=mix, max_seq_len=lengths[0] // 2).step_batch(0)


def test_labels_cover_the_program_fence_and_eos(tokenizer):
    task = draw_task(0, 0, 0, MIX)
    example = encode_task(tokenizer, task)
    micro = collate([example], tokenizer.pad_token_id, padding_free=False)
    target = [t for t in micro.labels[0].tolist() if t != IGNORE_INDEX]
    assert target[-1] == tokenizer.eos_token_id
    assert tokenizer.decode(target[:-1]) == task.program.rstrip("\n") + "\n```"


def test_padding_is_masked_and_padding_free_restarts_positions(tokenizer):
    examples = [encode_task(tokenizer, draw_task(0, 0, i, MIX)) for i in range(3)]
    lengths = [len(e.input_ids) for e in examples]
    padded = collate(examples, tokenizer.pad_token_id, padding_free=False)
    width = -(-max(lengths) // PAD_MULTIPLE) * PAD_MULTIPLE  # the longest, rounded up to a multiple
    assert padded.input_ids.shape == (3, width) and width - max(lengths) < PAD_MULTIPLE
    assert padded.attention_mask.sum(1).tolist() == lengths
    assert (padded.labels[padded.attention_mask == 0] == IGNORE_INDEX).all()
    packed = collate(examples, tokenizer.pad_token_id, padding_free=True)
    assert packed.input_ids.shape == (1, sum(lengths)) and packed.attention_mask is None
    assert packed.position_ids[0].tolist() == [p for n in lengths for p in range(n)]


def test_padding_free_gives_the_padded_loss(tokenizer, tiny_model):
    """transformers turns restarting position_ids into a block-diagonal mask (sdpa, no cache)."""
    examples = [encode_task(tokenizer, draw_task(0, 0, i, MIX)) for i in range(3)]
    losses = []
    for padding_free in (False, True):
        micro = collate(examples, tokenizer.pad_token_id, padding_free)
        with torch.no_grad():
            out = tiny_model(**micro.model_inputs("cpu"), use_cache=False, num_items_in_batch=torch.tensor(1.0))
        losses.append(float(out.loss))
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)


def test_validation_set_is_fixed_and_apart_from_training(tokenizer):
    first = validation_batches(tokenizer, val_seed=0, mix=MIX, n_tasks=6, max_seq_len=2048, batch_size=4, padding_free=False)
    again = validation_batches(tokenizer, val_seed=0, mix=MIX, n_tasks=6, max_seq_len=2048, batch_size=4, padding_free=False)
    assert [b.input_ids.shape[0] for b in first] == [4, 2]
    assert all(torch.equal(a.input_ids, b.input_ids) for a, b in zip(first, again))
    val_rows = {tuple(r[m.bool()].tolist()) for b in first for r, m in zip(b.input_ids, b.attention_mask)}
    train_rows = {r for b in take(make_stream(tokenizer, seed=0), steps=4) for r in rows(b)}
    assert not val_rows & train_rows


def test_barc_sources_mix_in_barc_format_tasks_with_their_reference_programs():
    from solver.models.project_tokenizer import load_project_tokenizer
    from solver.prompting.barc import ANSWER_PREFIX as BARC_PREFIX
    from train.config import DataSource
    from train.data import draw_task, encode_task

    mix = [DataSource(weight=1.0), DataSource(weight=1.0, barc=("gravity_down", "tile"), barc_train_pairs=2)]
    tasks = [draw_task(seed=0, purpose=0, index=i, mix=mix) for i in range(40)]
    barc = [t for t in tasks if t.prompt_format == "barc"]
    assert 5 < len(barc) < 35 and {t.name for t in barc} <= {"barc-gravity_down", "barc-tile"}
    assert all(len(t.inputs) == 3 and "def transform(" in t.program for t in barc)
    again = draw_task(seed=0, purpose=0, index=tasks.index(barc[0]), mix=mix)
    assert again.program == barc[0].program and all(np.array_equal(a, b) for a, b in zip(again.outputs, barc[0].outputs))
    tokenizer = load_project_tokenizer()
    example = encode_task(tokenizer, barc[0])
    text = tokenizer.decode(example.input_ids)
    assert "Here is the input grid for the test example" in text and BARC_PREFIX in text
    assert "def transform(" in tokenizer.decode(example.input_ids[example.prompt_length:])


def test_unknown_barc_generators_are_rejected_with_the_known_names():
    from train.config import DataSource

    with pytest.raises(ValueError, match="unknown BARC generators"):
        DataSource(barc=("no_such_generator",))
    assert len(DataSource(barc=("all",)).barc) >= 20
