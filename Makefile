# Quick start: `make bench` (the quick benchmark report) and `make test`.
# Both create .venv, install torch 2.13.0 (CPU) first, then rnninit with its extras.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.rnninit-installed

.PHONY: setup bench demo test lint typecheck unit docs clean

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

DOCS_STAMP := $(VENV)/.rnninit-docs-installed

$(DOCS_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[docs]"
	touch $(DOCS_STAMP)

# The documentation site (mkdocs.yml) into site/; --strict: a broken link, a missing reference,
# a docstring warning or a public name left out of the API reference fails the build.
docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

test: lint typecheck unit

clean:
	rm -rf $(VENV) bench-out .pytest_cache .mypy_cache .ruff_cache
