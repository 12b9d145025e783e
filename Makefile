# Two commands do all set-up: `make repro` (the main job) and `make test` (the tests).
# Each creates .venv and installs the pinned project on first use; later calls skip the install
# (the stamp file is rebuilt only when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
export DVC_NO_ANALYTICS := 1
export MLFLOW_DISABLE_TELEMETRY := true
export AWS_EC2_METADATA_DISABLED := true
export RAY_USAGE_STATS_ENABLED := 0

.PHONY: install test test-all repro lint bench gpu-check clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Two pytest workers (pytest-xdist), each test file on one worker so a module's shared fixtures
# (one scratch `dvc repro`, one seed-0 run) are built once. One worker leaves a core idle while
# an end-to-end test starts processes and waits (Ray, MLflow, DVC, servers): on 2 cores, two
# took 11-12.5 min against 20 for one; three took 13.7 (the cores are saturated at two).
# `make test PYTEST_WORKERS=0` runs them in this process, one after the other.
# --no-loadscope-reorder keeps tests/conftest.py's order (end-to-end files first): xdist's
# default hands out the files with the most tests first, which left two long e2e files for the
# end and one worker idle for 1.5 min.
PYTEST_WORKERS ?= 2

test: $(STAMP)
	$(VENV)/bin/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

repro: $(STAMP)
	@test -f dvc.yaml || { echo "make repro: no dvc.yaml yet, so there is no pipeline to reproduce"; exit 1; }
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" dvc repro
	$(VENV)/bin/python -m pipeline.results_summary translation digit_translation adaptation

lint: $(STAMP)
	$(VENV)/bin/ruff check unit_core pipeline tests

bench: $(STAMP)
	$(VENV)/bin/python -m pipeline.bench --compare
	$(VENV)/bin/python -m pipeline.bench.time_to_quality

# ≤ 10 min on one GPU, JSON summary, non-zero exit on any failure; a CPU smoke without CUDA
gpu-check: $(STAMP)
	scripts/gpu_check.sh $(GPU_CHECK_ARGS)

clean:
	rm -rf $(VENV)
