# The two commands a newcomer needs are `make dry-run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# CPU build of torch for local and CI use; a bare `torch` pulls a multi-GB CUDA build.
TORCH_PIN ?= torch==2.13.0
ARGS ?=
# The CPU-sized default for `make dry-run`: fewer samples and tokens than a GPU run (flags in ARGS win).
DRY_RUN_FLAGS ?= --sampling 4@0.1,28@0.9 --max-new-tokens 400 --max-epochs 10 --time-budget 4m

.PHONY: venv test test-fast dry-run train bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH_PIN)"
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

venv: $(VENV)/.installed

test: venv
	$(PY) -m pytest -q -n 2 $(ARGS)

dry-run: venv
	$(PY) -m solver dry-run $(DRY_RUN_FLAGS) $(ARGS)

train: venv
	$(PY) -m train $(ARGS)

bench: venv
	$(PY) benchmarks/sandbox_throughput.py
	$(PY) benchmarks/generator_throughput.py
	$(PY) benchmarks/her_epoch_cpu.py

clean:
	rm -rf $(VENV) runs dist
