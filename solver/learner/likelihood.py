"""Log-probabilities of completion tokens: the training loss and the "did it learn" measure.

Both the learner's loss and ``sequence_log_likelihood`` go through ``target_log_probs``, so the
quantity the tests watch is exactly the one training lowers. The model's head is run only on the
positions that predict a target (``logits_to_keep``): with Qwen2.5's 151k-token vocabulary a
4,000-token prompt would otherwise need 2.4 GB of float32 logits for nothing.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from solver.learner.examples import IGNORE_INDEX, encode_example


def target_log_probs(
    model, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-probability of every label token under ``model``.

    Args:
        model: a causal LM (or PEFT model) whose forward accepts ``logits_to_keep``.
        input_ids, attention_mask, labels: (batch, seq) tensors; labels are ``IGNORE_INDEX``
            where no loss is taken. Padding must be on the right.

    Returns:
        ``(log_probs, mask)``, both (batch, k) for the last k positions of the sequence, where k
        reaches back to the first labelled token of any row; ``log_probs`` is float32 and only
        meaningful where ``mask`` is True.
    """
    labelled = (labels != IGNORE_INDEX).any(dim=0).nonzero()
    if len(labelled) == 0:
        raise ValueError("labels hold no target token")
    first = int(labelled[0])
    assert first >= 1, "the first token has no prediction; every example starts with a prompt"
    seq_len = input_ids.shape[1]
    # Logits at positions first-1 .. seq-2 predict tokens first .. seq-1: keep seq-first+1, drop the last.
    keep = seq_len - first + 1
    logits = model(input_ids=input_ids, attention_mask=attention_mask, logits_to_keep=keep, use_cache=False).logits
    logits = logits[:, :-1].float()  # (batch, k, vocab)
    targets = labels[:, first:]  # (batch, k)
    mask = targets != IGNORE_INDEX
    log_probs = -F.cross_entropy(logits.transpose(1, 2), targets.clamp(min=0), reduction="none")
    return log_probs, mask


def sequence_log_likelihood(model, tokenizer, prompt: str, completion: str) -> float:
    """Sum of the log-probabilities (nats) of the completion's tokens given the prompt.

    The completion is encoded as the learner trains on it (``encode_example``: program, closing
    fence, eos), so the value rises when training on the same pair succeeds. A PEFT model is
    evaluated with its active adapter; the model's train/eval mode is restored afterwards.
    """
    example = encode_example(tokenizer, prompt, completion)
    device = model.device
    input_ids = torch.tensor([example.input_ids], device=device)
    labels = torch.tensor([example.labels], device=device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            log_probs, mask = target_log_probs(model, input_ids, torch.ones_like(input_ids), labels)
    finally:
        model.train(was_training)
    return float(log_probs[mask].sum())
