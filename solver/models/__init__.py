"""Language models: the project tokenizer, named Qwen2 sizes built from configs, and folder loading.

Importing this package does not import torch or transformers; the functions do, when called.
"""

from solver.models.factory import (
    MAX_POSITION_EMBEDDINGS,
    MODEL_SIZES,
    ModelShape,
    create_model,
    load_model,
    model_shape,
)
from solver.models.rng import seeded_rng
from solver.models.tokenizer import CHATML_TEMPLATE, EOS_TOKEN, IM_START_TOKEN, PAD_TOKEN, train_tokenizer

__all__ = [
    "CHATML_TEMPLATE",
    "EOS_TOKEN",
    "IM_START_TOKEN",
    "MAX_POSITION_EMBEDDINGS",
    "MODEL_SIZES",
    "PAD_TOKEN",
    "ModelShape",
    "create_model",
    "load_model",
    "model_shape",
    "seeded_rng",
    "train_tokenizer",
]
