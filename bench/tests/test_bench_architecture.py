"""The benchmark beside the library (issue 30): its keyword lists come from rnninit's one
definition, every module sits in a layer of its contract, and it needs no rnninit internals the
library does not export."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from rnninit_bench import models, spec

from rnninit import schemes
from rnninit.states import STATE_KINDS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "bench" / "src" / "rnninit_bench"


def test_the_keyword_lists_are_derived_from_the_library() -> None:
    # the spec strings take every key that is not a nested dict / what the benchmark supplies
    assert set(spec.SPEC_OVERRIDE_KEYS) == set(schemes.OVERRIDE_KEYS) - {"gates", "layers"}
    supplied = {"data", "lengths", "max_batches", "inputs"}
    assert set(spec.SPEC_AUTO_KEYS) == set(schemes.AUTO_PARAMS) - supplied
    # the benchmark's own state conditions: rnninit's kinds (from the one list) + folk recipes
    assert set(models.LIBRARY_STATES) <= set(STATE_KINDS)
    assert not set(models.FOLK_STATES) & set(STATE_KINDS)
    assert set(models.BENCH_STATES) == set(models.LIBRARY_STATES) | set(models.FOLK_STATES)


def test_every_module_is_in_a_layer_of_the_contract() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if c.get("containers") == ["rnninit_bench"])
    layered = {n.strip() for layer in contract["layers"] for n in re.split(r"[|:]", layer)}
    assert {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"} == layered


def test_the_benchmark_uses_no_private_rnninit_module() -> None:
    private = re.compile(r"^\s*(?:from|import) rnninit(?:\.\w+)*\._\w+", re.M)
    offenders = [p.name for p in PACKAGE.glob("*.py") if private.search(p.read_text())]
    assert offenders == []
