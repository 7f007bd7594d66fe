"""The mutation-testing configuration (``[tool.mutmut]`` in pyproject.toml) names files that
exist, and every contract test file is in its test selection (a renamed or split test file
would otherwise drop out of ``make mutation`` silently)."""

from __future__ import annotations

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the package supports 3.10

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]


def test_every_selected_test_file_exists() -> None:
    selected = MUTMUT["pytest_add_cli_args_test_selection"]
    assert [p for p in selected if not (ROOT / p).is_file()] == []


def test_every_contract_test_file_is_selected() -> None:
    contract = {f"tests/{p.name}" for p in (ROOT / "tests").glob("test_*_contract.py")}
    assert len(contract) >= 14
    assert sorted(contract - set(MUTMUT["pytest_add_cli_args_test_selection"])) == []


def test_every_mutated_path_matches_a_source_file() -> None:
    missing = [p for p in MUTMUT["only_mutate"] if not list(ROOT.glob(p))]
    assert missing == []
