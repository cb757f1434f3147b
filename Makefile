# The two commands a newcomer needs are `make dry-run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# CPU build of torch for local and CI use; a bare `torch` pulls a multi-GB CUDA build.
TORCH_PIN ?= torch==2.13.0
ARGS ?=

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
	$(PY) -m solver dry-run $(ARGS)

train: venv
	$(PY) -m train $(ARGS)

bench: venv
	$(PY) benchmarks/sandbox_throughput.py
	$(PY) benchmarks/generator_throughput.py

clean:
	rm -rf $(VENV) runs dist
