"""Small Qwen2-architecture causal LMs built from a named size, and loading any HF causal-LM folder.

Job: ``create_model`` builds a randomly initialised model for training from scratch, sized by name;
``load_model`` loads a saved folder (ours, or a downloaded Qwen2.5-Coder) ready for sampling and
test-time training. Nothing is downloaded: sizes are configs, weights come from folders.

Why Qwen2: vLLM, transformers and PEFT all serve it, so a from-scratch model and a downloaded
Qwen2.5 go through the same sampler and learner code, LoRA target names included.

Sizes (parameters with the project tokenizer's 1024-token vocabulary; embeddings are tied):

| size  | hidden | layers | heads (kv) | mlp  | parameters | bf16 bytes |
|-------|--------|--------|------------|------|------------|------------|
| tiny  | 64     | 2      | 4 (2)      | 512  | 0.29M      | 0.57 MB    |
| small | 256    | 8      | 8 (2)      | 704  | 5.91M      | 11.8 MB    |
| base  | 512    | 12     | 8 (2)      | 1408 | 34.4M      | 68.7 MB    |

``tiny`` is for CPU tests. ``small`` is the candidate embedded default: under 7M parameters so that
its bf16 weights fit 16 MB (measurements.md: a 6.3M model of this shape reached 58% greedy exact
match on drawing tasks after 330 s of training). ``base`` is for GPU experiments. Grouped-query
attention (2 kv heads) shrinks the KV cache 4x, which is what limits batched sampling.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from solver.models.rng import seeded_rng
from solver.models.tokenizer import EOS_TOKEN, PAD_TOKEN

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase, Qwen2ForCausalLM

logger = logging.getLogger(__name__)

MAX_POSITION_EMBEDDINGS = 8192
# Qwen2.5's RoPE base; it keeps 8192 positions well apart.
ROPE_THETA = 1_000_000.0


@dataclass(frozen=True)
class ModelShape:
    """The dials of one named size; everything else (vocab, special ids) comes from the tokenizer."""

    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    intermediate_size: int


MODEL_SIZES: dict[str, ModelShape] = {
    "tiny": ModelShape(hidden_size=64, num_layers=2, num_heads=4, num_kv_heads=2, intermediate_size=512),
    "small": ModelShape(hidden_size=256, num_layers=8, num_heads=8, num_kv_heads=2, intermediate_size=704),
    "base": ModelShape(hidden_size=512, num_layers=12, num_heads=8, num_kv_heads=2, intermediate_size=1408),
}


def model_shape(size: str) -> ModelShape:
    """Return the shape named ``size``.

    Raises:
        ValueError: on an unknown name; the message lists the known ones.
    """
    if size not in MODEL_SIZES:
        raise ValueError(f"unknown model size {size!r}; known sizes: {', '.join(MODEL_SIZES)}")
    return MODEL_SIZES[size]


def create_model(size: str, tokenizer: PreTrainedTokenizerBase, seed: int) -> Qwen2ForCausalLM:
    """Build a randomly initialised Qwen2 causal LM of a named size, in float32 on the CPU.

    Args:
        size: a key of ``MODEL_SIZES``.
        tokenizer: gives the vocabulary size and the bos/eos/pad ids, which go into both the model
            config and its generation config (so ``generate`` stops at the tokenizer's eos).
        seed: seeds the weight initialisation; the caller's global RNG state is left untouched.

    Raises:
        ValueError: on an unknown size.
    """
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    shape = model_shape(size)
    special_ids = {
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=shape.hidden_size,
        intermediate_size=shape.intermediate_size,
        num_hidden_layers=shape.num_layers,
        num_attention_heads=shape.num_heads,
        num_key_value_heads=shape.num_kv_heads,
        max_position_embeddings=MAX_POSITION_EMBEDDINGS,
        rope_parameters={"rope_type": "default", "rope_theta": ROPE_THETA},
        tie_word_embeddings=True,
        **special_ids,
    )
    with seeded_rng(seed):
        model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(**special_ids)
    return model.eval()


GENERIC_TOKENIZER_CLASSES = ("TokenizersBackend", "PreTrainedTokenizerFast")


def load_model(
    folder: str | Path,
    device: str | None = None,
    dtype: torch.dtype | str | None = None,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a causal LM and its tokenizer from a local folder, ready to sample and fine-tune.

    Works the same for folders written by ``create_model(...).save_pretrained`` plus
    ``tokenizer.save_pretrained`` and for downloaded HF folders such as Qwen2.5-Coder-Instruct.
    Nothing is fetched from the network.

    For ChatML chat models (the chat template uses ``<|im_end|>``) the eos token is set to
    ``<|im_end|>``, the end of an assistant turn, and added to the generation config's eos ids:
    Qwen base checkpoints ship ``<|endoftext|>`` as eos, which a chat turn never ends with. A
    missing pad token is set to an existing token (``<|endoftext|>`` when the vocabulary has it,
    else eos), never a new one: a new token resizes the embeddings, which made the original's
    adapters 2-4 GB. Pad == eos is harmless here because the sampler and the learner mask by
    attention mask and lengths, never by pad id.

    Args:
        folder: a folder with config, weights and tokenizer files.
        device: "cuda", "cpu", ...; None picks "cuda" when available, else "cpu".
        dtype: the weights' dtype; None keeps the dtype the checkpoint was saved in, except that
            a half-precision checkpoint (the default model is stored in bf16) is loaded in
            float32 on the CPU, where bf16 matmuls without hardware support were ~10x slower.

    Returns:
        ``(model, tokenizer)``, the model in eval mode on ``device``.
    """
    import torch
    from transformers import AutoModelForCausalLM

    tokenizer = load_chat_tokenizer(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype if dtype is not None else "auto")
    _stop_at_eos(model, tokenizer)
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if dtype is None and str(device).startswith("cpu") and model.dtype in (torch.bfloat16, torch.float16):
        model = model.float()
    return model.to(device).eval(), tokenizer


def load_tokenizer(folder: str | Path) -> PreTrainedTokenizerBase:
    """The tokenizer of a model folder, tokenising exactly as its ``tokenizer.json`` says.

    A folder whose ``tokenizer_config.json`` names the generic class (``TokenizersBackend`` or
    ``PreTrainedTokenizerFast``: the project tokenizer, saved beside every model trained here) is
    loaded with that class. ``AutoTokenizer`` would pick the class of the model type in
    ``config.json`` instead (``Qwen2Tokenizer``), which replaces the saved pre-tokenizer with
    Qwen's regex: indentation then splits into other tokens than the model was trained on, and
    per-task training on those targets wrecked the model (seen on 2026-11-22). Other folders
    (downloaded Qwen checkpoints) load with ``AutoTokenizer`` as usual.
    """
    import json

    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    config_file = Path(folder) / "tokenizer_config.json"
    config = json.loads(config_file.read_text()) if config_file.exists() else {}
    if config.get("tokenizer_class") in GENERIC_TOKENIZER_CLASSES and (Path(folder) / "tokenizer.json").exists():
        return PreTrainedTokenizerFast.from_pretrained(folder)
    return AutoTokenizer.from_pretrained(folder)


def load_chat_tokenizer(folder: str | Path) -> PreTrainedTokenizerBase:
    """``load_tokenizer`` with eos the end of a chat turn and a pad token: what ``load_model`` returns."""
    tokenizer = load_tokenizer(folder)
    _use_chat_special_tokens(tokenizer)
    return tokenizer


def _use_chat_special_tokens(tokenizer: PreTrainedTokenizerBase) -> None:
    """Make eos the end of a chat turn and give the tokenizer a pad token, in place."""
    vocab = tokenizer.get_vocab()
    if EOS_TOKEN in _chat_template_text(tokenizer) and EOS_TOKEN in vocab and tokenizer.eos_token != EOS_TOKEN:
        logger.warning("eos token %r replaced by %r, the end of a chat turn", tokenizer.eos_token, EOS_TOKEN)
        tokenizer.eos_token = EOS_TOKEN
    if tokenizer.pad_token is None:
        reusable = PAD_TOKEN in vocab and PAD_TOKEN != tokenizer.eos_token
        tokenizer.pad_token = PAD_TOKEN if reusable else tokenizer.eos_token
        logger.warning("tokenizer had no pad token; using the existing %r", tokenizer.pad_token)


def _stop_at_eos(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> None:
    """Let ``generate`` stop at the tokenizer's eos and pad with its pad token, in place."""
    generation_config = model.generation_config
    eos_ids = _as_list(generation_config.eos_token_id)
    if tokenizer.eos_token_id not in eos_ids:
        eos_ids.insert(0, tokenizer.eos_token_id)
    generation_config.eos_token_id = eos_ids
    if generation_config.pad_token_id is None:
        generation_config.pad_token_id = tokenizer.pad_token_id


def _chat_template_text(tokenizer: PreTrainedTokenizerBase) -> str:
    template = tokenizer.chat_template or ""
    if isinstance(template, dict):  # named templates: the "default" one renders chats
        template = template.get("default", "")
    return template


def _as_list(ids: Any) -> list[int]:
    if ids is None:
        return []
    return [ids] if isinstance(ids, int) else list(ids)
