"""Training the base model: generated drawing tasks in, ``<output>/final`` out (issue 4).

Modules, one job each:

| module | job |
|---|---|
| ``config`` | ``TrainConfig``: every option, validated and resolved before any model loads |
| ``data`` | the seeded stream of tokenised step batches, sharded by sample index, and the validation set |
| ``models`` | build from scratch or load a folder; adapter (LoRA/DoRA) or full; precision |
| ``optimization`` | AdamW and the warmup + linear/cosine/constant schedule |
| ``loop`` | ``run_training``: the accelerate loop, logs, validation, checkpoints, export |
| ``checkpoint`` | save, keep the newest K, resume |
| ``validation`` | loss on held-out tasks; pass@n by sampling and running programs |
| ``tracking`` | metrics.csv, TensorBoard, optional Weights & Biases |
| ``export`` | the final folder, the model card, ``merge_adapter`` |
| ``provenance`` | resolved config, git commit, library versions |
| ``cli`` | ``python -m train`` and ``python -m train merge`` |

``train`` imports ``solver``, never the reverse. Importing ``train`` or ``train.config`` loads no
torch; ``train.cli`` imports the loop only once the options are valid.
"""
