# The two set-up commands: `make demo` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint bench bench-record bench-playground clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# the digits extra (scikit-learn) too: the first report has its digits section
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[digits]"
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(STAMP)

demo: $(STAMP)
	$(BIN)/backproplab report --out report
	@echo "open report/report.html (or read report/report.md)"

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests

test: lint
	$(BIN)/python -m pytest -q

# bench writes benchmarks/results/latest.json (git-ignored); bench-record keeps the run in the
# committed benchmarks/results.json as this CPU model's latest (one per model) and redraws the
# README's tables from it, for a run meant to be the record
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench,web]"
	$(BIN)/python benchmarks/run.py

bench-record: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench,web]"
	$(BIN)/python benchmarks/run.py --record

# the playground's part alone: training speed while backproplab serve streams (a minute)
bench-playground: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[web]"
	$(BIN)/python benchmarks/playground.py

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache .hypothesis
