# lmsched: `make demo` and `make test` work on a fresh machine (they create .venv themselves).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
# Fixed creation time so the demo's outputs are byte-identical run after run.
DEMO_NOW ?= 2026-11-23T09:00:00-05:00
OUT    := examples/out

.DEFAULT_GOAL := help
.PHONY: help demo test bench golden lint clean

help: ## Show the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	@touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[dev]'
	@touch $(VENV)/.runtime $@

demo: $(VENV)/.runtime ## Write the example plans (JSON, CSV, iCalendar) into examples/out/
	@mkdir -p $(OUT)
	$(BIN)/lmsched plan examples/patient-adult.toml --now $(DEMO_NOW) \
		--json $(OUT)/plan-adult.json --csv $(OUT)/plan-adult.csv --ics $(OUT)/plan-adult-patient.ics
	$(BIN)/lmsched plan examples/patient-adult.toml --now $(DEMO_NOW) --quiet \
		--audience staff --ics $(OUT)/plan-adult-staff.ics
	$(BIN)/lmsched plan examples/patient-child.toml --now $(DEMO_NOW) --quiet \
		--json $(OUT)/plan-child.json --csv $(OUT)/plan-child.csv --ics $(OUT)/plan-child-patient.ics
	@echo "Example outputs are in $(OUT)/"

test: $(VENV)/.dev ## Install what the tests need and run the whole suite
	$(BIN)/python -m pytest

lint: $(VENV)/.dev ## ruff and mypy (strict on the package)
	$(BIN)/ruff check scheduler tests benchmarks
	$(BIN)/mypy

bench: $(VENV)/.runtime ## Measure start-up and one plan on this machine (benchmarks/)
	$(BIN)/python benchmarks/bench_cli.py

golden: $(VENV)/.dev ## Regenerate tests/golden/ from the examples (review the diff!)
	UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests/test_golden.py

clean: ## Remove the virtual environment and generated outputs
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis .mypy_cache .ruff_cache
