"""The ``rnninit`` command: top-level help and the ``demo`` subcommand."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rnninit.cli import main


def test_demo_prints_the_gate_table_of_the_chosen_scheme(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--scheme", "keras", "--cell", "gru", "--hidden", "3"]) == 0
    out = capsys.readouterr().out
    assert "scheme 'keras'" in out
    # GRU gates r, z, n all appear, and the keep gate z has a timescale column filled
    for gate in (" r ", " z ", " n "):
        assert gate in out
    assert "rnninit.check" in out


def test_demo_reports_a_scheme_that_cannot_apply(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--scheme", "chrono", "--cell", "rnn"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnninit demo: error:") and "LSTM, GRU" in err


def test_module_entry_point_and_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "rnninit", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("bench", "report", "inspect", "demo"):
        assert command in out
    assert main([]) == 2
