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


def test_the_benchmark_commands_name_the_install_command_when_it_is_absent(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """rnninit-bench is a distribution of its own (issue 30): without it, ``rnninit bench``,
    ``report`` and ``crossdata`` are still listed and say how to install it."""
    monkeypatch.setitem(sys.modules, "rnninit_bench", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "rnninit_bench.cli", raising=False)
    for command in ("bench", "report", "crossdata"):
        assert main([command, "--quick"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"rnninit {command}: error: the benchmark is not installed")
        assert "pip install -e bench" in err
