# The two commands a newcomer needs are `make dry-run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# CPU build of torch for local and CI use; a bare `torch` pulls a multi-GB CUDA build.
TORCH_PIN ?= torch==2.13.0
ARGS ?=
# The CPU-sized default for `make dry-run`: fewer samples and tokens than a GPU run (flags in ARGS win).
DRY_RUN_FLAGS ?= --sampling 4@0.1,28@0.9 --max-new-tokens 400 --max-epochs 10 --splice 8 --time-budget 9m

.PHONY: venv test test-fast dry-run train bench clean wheels kaggle kaggle-rehearsal

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

# Kaggle packaging (README "Submit to Kaggle"). The wheels' target is the Kaggle image's Python and
# platform (kaggle/probe.ipynb prints them); pip does not widen an explicit platform, so list them all.
WHEELS_PYTHON_VERSION ?= 3.12
WHEELS_PLATFORM ?= manylinux_2_35_x86_64 manylinux_2_31_x86_64 manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_26_x86_64 manylinux_2_24_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux_2_5_x86_64 manylinux1_x86_64 linux_x86_64 any
WHEELS_DIR ?= offline_wheels/wheels
KAGGLE_USER ?= your-kaggle-username
KAGGLE_MODEL ?=
KAGGLE_DIST ?= dist/kaggle

wheels: venv
	$(PY) offline_wheels/download.py --requirements offline_wheels/requirements.txt --python-version $(WHEELS_PYTHON_VERSION) $(addprefix --platform ,$(WHEELS_PLATFORM)) --dest $(WHEELS_DIR)

kaggle: venv
	$(PY) kaggle/build_bundle.py --user $(KAGGLE_USER) --wheels $(WHEELS_DIR) --out $(KAGGLE_DIST) $(if $(KAGGLE_MODEL),--model $(KAGGLE_MODEL))

kaggle-rehearsal: kaggle
	$(PY) kaggle/rehearsal.py --bundle $(KAGGLE_DIST) --out runs/kaggle-rehearsal $(ARGS)

clean:
	rm -rf $(VENV) runs dist
