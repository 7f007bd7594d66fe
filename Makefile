# Quick start: `make bench` (the quick benchmark report) and `make test`.
# Both create .venv, install torch 2.13.0 (CPU) first, then rnninit with its extras.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.rnninit-installed

.PHONY: setup bench demo test lint typecheck unit clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

bench: $(STAMP)
	$(BIN)/rnninit bench --quick --out bench-out

demo: $(STAMP)
	$(BIN)/rnninit demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy --strict src/rnninit

unit: $(STAMP)
	KERAS_BACKEND=torch $(BIN)/pytest -n 2 -q

test: lint typecheck unit

clean:
	rm -rf $(VENV) bench-out .pytest_cache .mypy_cache .ruff_cache
