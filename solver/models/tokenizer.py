"""The project's own tokenizer for models trained from scratch: byte-level BPE, one token per digit.

Job: train a small byte-level BPE on prompt-like text and wrap it as a
``transformers.PreTrainedTokenizerFast`` with a ChatML chat template, so that our models and
downloaded Qwen models are driven through the same code (``apply_chat_template``, ``save_pretrained``,
``AutoTokenizer.from_pretrained``).

Choices, and why:
- **Every digit is its own token.** Grids are rendered as rows of digits ("0 333"); a merge such as
  "33" would give a cell's colour a different token depending on its neighbours, which the
  original (arc25) asserted against. ``Digits(individual_digits=True)`` runs before the byte-level
  split, so no merge can ever join two digits or a digit and another character.
- **Byte-level alphabet**: all 256 bytes are in the base vocabulary, so no text is unknown.
- **Special tokens reuse, never resize**: ``<|endoftext|>`` is the pad token and is distinct from the
  eos token ``<|im_end|>`` (arc25 §8.4: with pad == eos, eos was masked out of the labels and the
  model never learnt to stop). The ids are fixed: 0, 1, 2 for ``<|endoftext|>``, ``<|im_start|>``,
  ``<|im_end|>``; there is no bos token and nothing is added around encoded text.
- **ChatML**, the format of Qwen2.5 chat models, so prompts rendered for either model family look the
  same. The template does not trim message content: ``continue_final_message=True`` then ends the
  rendered text exactly at an assistant pre-fill such as "```python\\n", newline included.

Trade-off: 1024 tokens (the default) keeps the embedding table of the ``small`` model at 0.26M of
its ~6M parameters; a larger vocabulary shortens prompts a little (digits stay one token each).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast

PAD_TOKEN = "<|endoftext|>"
IM_START_TOKEN = "<|im_start|>"
EOS_TOKEN = "<|im_end|>"
SPECIAL_TOKENS = (PAD_TOKEN, IM_START_TOKEN, EOS_TOKEN)

# Longest sequence our models are built for (factory.MAX_POSITION_EMBEDDINGS).
MODEL_MAX_LENGTH = 8192

# ChatML as in Qwen2.5, minus its default system message: the caller chooses the system prompt.
CHATML_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{%- endif %}"
)


def train_tokenizer(texts: Iterable[str], vocab_size: int = 1024) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE tokenizer with one token per digit and a ChatML chat template.

    Args:
        texts: the training corpus, e.g. rendered prompts and programs; read once.
        vocab_size: the largest vocabulary, special tokens and the 256 byte tokens included. The
            result is smaller when the corpus has too few distinct pairs to merge.

    Returns:
        A fast tokenizer with pad ``<|endoftext|>`` (id 0), eos ``<|im_end|>`` (id 2), no bos, that
        adds no special tokens when encoding. ``save_pretrained(folder)`` writes a folder that
        ``AutoTokenizer.from_pretrained(folder)`` loads offline.

    Raises:
        ValueError: if ``vocab_size`` cannot hold the byte alphabet and the special tokens.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    smallest = len(alphabet) + len(SPECIAL_TOKENS)
    if vocab_size < smallest:
        raise ValueError(f"vocab_size must be at least {smallest} (256 bytes + 3 special tokens), got {vocab_size}")

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=alphabet,
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token=EOS_TOKEN,
        pad_token=PAD_TOKEN,
        additional_special_tokens=[IM_START_TOKEN],
        chat_template=CHATML_TEMPLATE,
        model_max_length=MODEL_MAX_LENGTH,
        clean_up_tokenization_spaces=False,
    )
