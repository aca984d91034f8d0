# lmsched: `make demo` and `make test` work on a fresh machine (they create .venv themselves).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
# Fixed creation time so the demo's outputs are byte-identical run after run.
DEMO_NOW ?= 2026-11-23T09:00:00-05:00
OUT    := examples/out

.DEFAULT_GOAL := help
.PHONY: help demo test bench bench-large golden lint screenshots fonts catalogs clean

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

# The demo's patient calendars are keyed with the demo-only site key shipped in examples/ (the
# saved-plan commands do not read clinic.toml): nothing is created in the user's home.
demo: export LMSCHED_SITE_KEY_FILE := $(CURDIR)/examples/demo-site-key
demo: $(VENV)/.runtime ## Write the example plans (JSON, CSV, iCalendar, PDF) into examples/out/
	@mkdir -p $(OUT)
	$(BIN)/lmsched plan examples/patient-adult.toml --now $(DEMO_NOW) \
		--json $(OUT)/plan-adult.json --csv $(OUT)/plan-adult.csv --ics $(OUT)/plan-adult-patient.ics \
		--pdf $(OUT)/patient-calendar.pdf --staff-pdf $(OUT)/staff-sheet.pdf
	$(BIN)/lmsched plan examples/patient-adult.toml --now $(DEMO_NOW) --quiet \
		--audience staff --ics $(OUT)/plan-adult-staff.ics
	$(BIN)/lmsched plan examples/patient-child.toml --now $(DEMO_NOW) --quiet \
		--json $(OUT)/plan-child.json --csv $(OUT)/plan-child.csv --ics $(OUT)/plan-child-patient.ics \
		--pdf $(OUT)/patient-calendar-child.pdf --staff-pdf $(OUT)/staff-sheet-child.pdf
	$(BIN)/lmsched plan examples/patient-her2.toml --now $(DEMO_NOW) --quiet \
		--json $(OUT)/plan-her2.json --csv $(OUT)/plan-her2.csv --ics $(OUT)/plan-her2-patient.ics \
		--pdf $(OUT)/patient-calendar-her2.pdf --staff-pdf $(OUT)/staff-sheet-her2.pdf
	$(BIN)/lmsched reschedule $(OUT)/plan-adult.json --delay 2026-12-17 --days 7 --quiet \
		--reason "Platelets 45 on 2026-12-16" --decided-by "Dr Rivera" --now 2026-12-16T15:00:00-05:00 \
		--json $(OUT)/plan-adult-r1.json --ics $(OUT)/plan-adult-r1-patient.ics --pdf $(OUT)/patient-calendar-r1.pdf
	$(BIN)/lmsched plan examples/patient-es.toml --now $(DEMO_NOW) --quiet --large-print \
		--allow-unreviewed-translation --json $(OUT)/plan-es.json --ics $(OUT)/plan-es-patient.ics \
		--pdf $(OUT)/patient-calendar-es-large.pdf
	$(BIN)/lmsched plan examples/patient-vi.toml --now $(DEMO_NOW) --quiet \
		--json $(OUT)/plan-vi.json --pdf $(OUT)/patient-calendar-vi.pdf --staff-pdf $(OUT)/staff-sheet-vi.pdf
	$(BIN)/lmsched plan examples/patient-adult.toml --csf-flow unknown --now $(DEMO_NOW) --quiet \
		--json $(OUT)/plan-flow.json --ics $(OUT)/plan-flow-patient.ics
	$(BIN)/lmsched reschedule $(OUT)/plan-flow.json --csf-flow normal --quiet \
		--reason "Flow study 2026-12-10: normal flow" --now 2026-12-11T15:00:00-05:00 --json $(OUT)/plan-flow-r1.json
	$(BIN)/lmsched diff $(OUT)/plan-adult.json $(OUT)/plan-adult-r1.json > $(OUT)/diff-adult-r1.txt \
		|| [ $$? -eq 1 ]  # exit 1: the plans differ, as they should
	$(BIN)/lmsched batch examples/week.csv --out $(OUT)/week --clinic examples/clinic.toml --chairs 3 \
		--formats json,ics,pdf --now $(DEMO_NOW)
	@rm -f $(OUT)/clinic.lmsched $(OUT)/clinic.lmsched-wal $(OUT)/clinic.lmsched-shm
	$(BIN)/lmsched workspace init $(OUT)/clinic.lmsched --site-key examples/demo-site-key --now $(DEMO_NOW)
	$(BIN)/lmsched workspace import --workspace $(OUT)/clinic.lmsched --decided-by "demo" --now $(DEMO_NOW) \
		$(OUT)/plan-adult.json $(OUT)/plan-adult-r1.json $(OUT)/plan-child.json $(OUT)/plan-es.json \
		$(OUT)/plan-vi.json $(OUT)/week/*/plan.json > /dev/null
	$(BIN)/lmsched patients --workspace $(OUT)/clinic.lmsched --now $(DEMO_NOW)
	$(BIN)/lmsched agenda --workspace $(OUT)/clinic.lmsched --from 2026-12-14 --to 2026-12-20 --chairs 3 \
		--clinic examples/clinic.toml --now $(DEMO_NOW) --pdf $(OUT)/agenda-week.pdf --csv $(OUT)/agenda-week.csv \
		|| [ $$? -eq 1 ]  # exit 1: a day is over capacity, as the example week is
	@echo "Example outputs are in $(OUT)/"

test: $(VENV)/.dev ## Install what the tests need and run the whole suite
	$(BIN)/python -m pytest

lint: $(VENV)/.dev ## ruff, mypy (strict on the package) and the layer contract (.importlinter)
	$(BIN)/ruff check scheduler tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(VENV)/.dev ## Measure start-up, one plan, the embedded font, a 1,000-patient batch against its floor, a workspace
	$(BIN)/python benchmarks/bench_cli.py; cli=$$?; $(BIN)/python benchmarks/bench_fonts.py; fonts=$$?; \
		$(BIN)/python benchmarks/bench_batch.py; batch=$$?; $(BIN)/python benchmarks/bench_workspace.py; ws=$$?; \
		[ $$cli -eq 0 ] && [ $$fonts -eq 0 ] && [ $$batch -eq 0 ] && [ $$ws -eq 0 ]  # all run; fails when a target is missed

bench-large: $(VENV)/.dev ## The workspace benchmark at 1,000 and 20,000 patients (about 10 minutes; not for CI)
	$(BIN)/python benchmarks/bench_workspace.py --large

fonts: $(VENV)/.dev ## Regenerate scheduler/fonts/ (static Noto Sans subsets, OFL) from fontpkg-noto-sans
	$(BIN)/python tools/make_fonts.py

catalogs: $(VENV)/.dev ## Extract patient messages into scheduler/locale/lmsched.pot, update each .po, list untranslated
	$(BIN)/python tools/extract_messages.py

golden: $(VENV)/.dev ## Regenerate tests/golden/ from the examples (review the diff!)
	UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests/cli/test_golden.py

screenshots: demo ## Render the example PDFs to PNG for the README (needs pdftoppm: poppler-utils)
	@command -v pdftoppm >/dev/null || { echo "pdftoppm not found: install poppler-utils"; exit 1; }
	@mkdir -p docs/img
	pdftoppm -r 70 -png -singlefile -f 1 -l 1 $(OUT)/patient-calendar.pdf docs/img/patient-calendar-cover
	pdftoppm -r 70 -png -singlefile -f 3 -l 3 $(OUT)/patient-calendar.pdf docs/img/patient-calendar-month
	pdftoppm -r 70 -png -singlefile -f 1 -l 1 $(OUT)/staff-sheet.pdf docs/img/staff-sheet
	pdftoppm -r 70 -png -singlefile -f 3 -l 3 $(OUT)/staff-sheet.pdf docs/img/staff-sheet-admin
	pdftoppm -r 70 -png -singlefile -f 3 -l 3 $(OUT)/patient-calendar-child.pdf docs/img/patient-calendar-child-month
	pdftoppm -r 70 -png -singlefile -f 2 -l 2 $(OUT)/week/agenda.pdf docs/img/agenda
	pdftoppm -r 70 -png -singlefile -f 2 -l 2 $(OUT)/agenda-week.pdf docs/img/agenda-week
	pdftoppm -r 70 -png -singlefile -f 3 -l 3 $(OUT)/patient-calendar-her2.pdf docs/img/patient-calendar-her2-month
	pdftoppm -r 70 -png -singlefile -f 1 -l 1 $(OUT)/patient-calendar-es-large.pdf docs/img/patient-calendar-es-large-cover
	pdftoppm -r 70 -png -singlefile -f 6 -l 6 $(OUT)/patient-calendar-es-large.pdf docs/img/patient-calendar-es-large-month
	pdftoppm -r 70 -png -singlefile -f 1 -l 1 $(OUT)/patient-calendar-vi.pdf docs/img/patient-calendar-vi-cover
	pdftoppm -r 70 -png -singlefile -f 1 -l 1 $(OUT)/staff-sheet-vi.pdf docs/img/staff-sheet-vi
	pdftoppm -r 100 -png -singlefile -f 2 -l 2 -x 0 -y 0 -W 1100 -H 710 $(OUT)/staff-sheet-her2.pdf docs/img/staff-sheet-checks
	pdftoppm -r 70 -png -singlefile -f 5 -l 5 $(OUT)/patient-calendar-her2.pdf docs/img/patient-calendar-tests

clean: ## Remove the virtual environment and generated outputs
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis .mypy_cache .ruff_cache
