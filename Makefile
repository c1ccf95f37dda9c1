# The two commands of the README: `make reproduce` and `make test`.
# Each creates the virtual environment on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PROFILE ?= quick
# pytest-xdist workers of make test (the long notebook test runs beside the rest)
TEST_WORKERS ?= 2
# The profile's datasets, each NAME or NAME=DATASET (e.g. cifar10=folder:data/my-cifar);
# cifar10: torchvision's CIFAR-10, or offline the JPEG copy in $(AEUTILS_DATA)/cifar10-jpeg
DATASETS ?= mnist cifar10
DATASET_ARGS := $(foreach d,$(DATASETS),--dataset $(d))
DATASET_MAP := $(foreach d,$(DATASETS),$(if $(findstring =,$(d)),--dataset-map $(d)))
# make figures PROFILE=thesis also publishes its executed notebooks as Markdown here
PUBLISH := $(if $(filter thesis,$(PROFILE)),--publish docs/notebooks)
export AEUTILS_DATA ?= data
# pip byte-compiles every file it installs (torch, triton, CUDA libraries: 40 s of a 107 s
# install measured here); instead Python compiles, once, the modules that are imported.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install test lint reproduce figures slides ship tables grid bench cuda-check strip clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --no-compile -e '.[dev]'
	touch $@

install: $(VENV)/.installed

test: install  ## lint, then the test suite (synthetic data; real MNIST if AEUTILS_DATA has it)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist worksteal

reproduce: install  ## run every notebook with papermill for PROFILE, regenerating figures/
	$(PY) -m aeutils reproduce --profile $(PROFILE) $(DATASET_ARGS)

figures: install  ## redraw every figure and table of PROFILE from its shipped results (no training)
	$(PY) -m aeutils reproduce --profile $(PROFILE) --render $(DATASET_ARGS) $(PUBLISH) \
		--figures figures/$(PROFILE) --output build/notebooks/$(PROFILE)

slides: install  ## the talk: docs/slides/PROFILE.pptx, its PDF and contact sheet (LibreOffice) from figures/PROFILE; fails if a text overflows its box
	$(PY) -m aeutils slides --profile $(PROFILE)

ship: install  ## render PROFILE from its shipped store, drop the score files no figure read, git add the rest
	$(PY) -m aeutils reproduce --profile $(PROFILE) --render --prune $(DATASET_ARGS) $(PUBLISH) \
		--figures figures/$(PROFILE) --output build/notebooks/$(PROFILE)
	$(PY) -m aeutils ship --profile $(PROFILE) --stage

tables: install  ## rewrite the generated tables of README.md and docs/*.md from the numbers files
	$(PY) -m aeutils tables

grid: install  ## only the training grid of PROFILE (resumable)
	$(PY) -m aeutils grid --profile $(PROFILE) $(DATASET_MAP)

BENCH_OUT ?= build/bench

bench: install  ## every speed benchmark in benchmarks/ (numbers in BENCH_OUT; needs the bench extra for PyOD)
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) benchmarks/bench_ssim.py --json $(BENCH_OUT)/bench_ssim.json
	$(PY) benchmarks/bench_models.py --json $(BENCH_OUT)/bench_models.json
	$(PY) benchmarks/bench_baselines.py --json $(BENCH_OUT)/bench_baselines.json
	$(PY) benchmarks/bench_vs_pyod.py --json $(BENCH_OUT)/bench_vs_pyod.json

cuda-check: install  ## on a machine with CUDA: the tests that train and score, on the GPU (log in build/cuda-check)
	PYTHON=$(PY) bash scripts/cuda_check.sh build/cuda-check

strip:  ## remove outputs from the committed notebooks
	$(PY) -m nbstripout notebooks/*.ipynb

clean:
	rm -rf build .pytest_cache
