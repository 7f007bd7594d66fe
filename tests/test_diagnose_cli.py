"""``rnninit inspect`` and the checkpoint loader: inference of the module type from a state_dict,
clear errors on bad files (never a traceback), and the PNG plots."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

import rnninit
from rnninit.cli import main
from rnninit.diagnose import CheckpointError, load_checkpoint
from rnninit.diagnose.plots import write_plots

PNG = b"\x89PNG\r\n\x1a\n"


def _save(obj: object, path: Path) -> Path:
    torch.save(obj, path)
    return path


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(10, 6)
        self.encoder = nn.Module()
        self.encoder.lstm = nn.LSTM(6, 8, num_layers=2, bidirectional=True, proj_size=3)
        self.dec = nn.GRUCell(6, 5)
        self.head = nn.Linear(5, 2)


@pytest.mark.parametrize(
    "module",
    [
        nn.LSTM(3, 7, num_layers=3),
        nn.GRU(4, 5, bidirectional=True, bias=False),
        nn.RNN(2, 6, num_layers=2),
        nn.LSTM(3, 8, proj_size=2, bidirectional=True),
        nn.LSTMCell(3, 4),
        nn.GRUCell(2, 3, bias=False),
    ],
    ids=lambda m: repr(m),
)
def test_state_dict_round_trip_rebuilds_the_same_module(module: nn.Module, tmp_path: Path) -> None:
    path = _save(module.state_dict(), tmp_path / "m.pt")
    loaded = load_checkpoint(path)
    rebuilt = loaded.model
    assert type(rebuilt) is type(module)
    assert rnninit.layouts.layout_of(rebuilt) == rnninit.layouts.layout_of(module)
    for k, v in module.state_dict().items():
        assert torch.equal(rebuilt.state_dict()[k], v)
    assert any("inferred from parameter names and shapes" in n for n in loaded.notes)


def test_nested_model_with_other_layers(tmp_path: Path) -> None:
    net = _Net()
    loaded = load_checkpoint(_save({"state_dict": net.state_dict(), "epoch": 3}, tmp_path / "c.pt"))
    names = [n for n, _ in rnninit.layouts.find_recurrent(loaded.model)]
    assert names == ["encoder.lstm", "dec"]
    lstm = loaded.model.get_submodule("encoder.lstm")
    assert isinstance(lstm, nn.LSTM) and lstm.proj_size == 3 and lstm.bidirectional
    assert torch.equal(lstm.weight_hr_l1_reverse, net.encoder.lstm.weight_hr_l1_reverse)
    assert any("'state_dict' entry" in n for n in loaded.notes)
    assert any("non-recurrent entries skipped" in n for n in loaded.notes)


def test_rnn_nonlinearity_is_assumed_and_can_be_given(tmp_path: Path) -> None:
    path = _save(nn.RNN(2, 4, nonlinearity="relu").state_dict(), tmp_path / "r.pt")
    default = load_checkpoint(path)
    assert default.model.nonlinearity == "tanh"
    assert any("cannot be read" in n for n in default.notes)
    assert load_checkpoint(path, nonlinearity="relu").model.nonlinearity == "relu"
    assert isinstance(load_checkpoint(path, family="RNN").model, nn.RNN)
    with pytest.raises(CheckpointError, match="--family LSTM has 4 gates but the weights have 1"):
        load_checkpoint(path, family="LSTM")


def test_double_precision_is_kept(tmp_path: Path) -> None:
    m = nn.GRU(2, 3, dtype=torch.float64)
    rebuilt = load_checkpoint(_save(m.state_dict(), tmp_path / "d.pt")).model
    assert rebuilt.weight_hh_l0.dtype == torch.float64


def test_whole_module_needs_trust(tmp_path: Path) -> None:
    net = _Net()
    path = _save(net, tmp_path / "whole.pt")
    with pytest.raises(CheckpointError, match="--trust"):
        load_checkpoint(path)
    loaded = load_checkpoint(path, trust=True)
    assert type(loaded.model).__name__ == "_Net"


def _bad_state_dicts() -> dict[str, tuple[object, str]]:
    gru = nn.GRU(4, 6, num_layers=2).state_dict()
    wrong_rows = dict(gru, weight_hh_l0=torch.zeros(17, 6))
    wrong_layer = dict(gru, weight_ih_l1=torch.zeros(18, 5))
    missing = {k: v for k, v in gru.items() if k != "bias_hh_l1"}
    return {
        "empty": ({}, "empty dict"),
        "no_tensors": ({"epoch": 3, "lr": 0.1}, "without tensors"),
        "no_recurrent": (nn.Linear(3, 4).state_dict(), "no recurrent weights"),
        "gate_count": (wrong_rows, "not a gate count"),
        "inconsistent": (wrong_layer, "inconsistent shapes"),
        "missing": (missing, "bias_hh_l1"),
        "a_list": ([1, 2, 3], "not a state_dict"),
    }


@pytest.mark.parametrize("case", list(_bad_state_dicts()))
def test_bad_checkpoints_give_a_clear_error_and_exit_2(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    obj, message = _bad_state_dicts()[case]
    path = _save(obj, tmp_path / f"{case}.pt")
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)
    assert main(["inspect", str(path), "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnninit inspect: error: ") and message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"hello, not a checkpoint", "not a PyTorch checkpoint"), (b"", "not a PyTorch checkpoint")],
)
def test_files_that_are_not_checkpoints(
    content: bytes, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "junk.pt"
    path.write_bytes(content)
    assert main(["inspect", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnninit inspect: error: ") and message in err
    assert main(["inspect", str(tmp_path / "missing.pt")]) == 2
    assert "is not a file" in capsys.readouterr().err
    whole = _save(nn.GRU(2, 3), tmp_path / "whole.pt")
    assert main(["inspect", str(whole)]) == 2
    assert "--trust" in capsys.readouterr().err


def test_inspect_prints_and_writes_valid_pngs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    net = _Net()
    with torch.no_grad():  # the folk forget-bias mistake, to be reported
        for name, p in net.encoder.lstm.named_parameters():
            if "bias" in name:
                p[8:16].fill_(1.0)
    path = _save(net.state_dict(), tmp_path / "net.pt")
    out = tmp_path / "plots"
    assert main(["inspect", str(path), "--out", str(out), "--seq-len", "50"]) == 0
    text = capsys.readouterr().out
    assert "encoder.lstm: LSTM(input_size=6, hidden_size=8" in text
    assert "rnninit.describe" in text and "doubled_bias" in text
    assert "gradient horizon of encoder.lstm" in text and "T=50" in text
    names = sorted(p.name for p in out.iterdir())
    assert names == ["biases.png", "horizon.png", "singular_values.png", "timescales.png"]
    for p in out.iterdir():
        data = p.read_bytes()
        assert data.startswith(PNG) and len(data) > 5000


def test_inspect_markdown_and_trusted_module(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _save(rnninit.init_(nn.GRU(3, 4), "chrono", max_timescale=30), tmp_path / "g.pt")
    assert main(["inspect", str(path), "--trust", "--markdown", "--no-plots"]) == 0
    text = capsys.readouterr().out
    assert "| param |" in text and "no finding" in text and "weights_only=False" in text


def test_write_plots_on_rnn_and_cells(tmp_path: Path) -> None:
    model = nn.ModuleDict({"rnn": nn.RNN(3, 4), "cell": nn.LSTMCell(3, 5)})
    paths = write_plots(model, tmp_path, seq_len=20)
    assert len(paths) == 4
    assert all(p.read_bytes().startswith(PNG) for p in paths)


def test_inspect_include_and_exclude_select_the_modules_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _save(_Net().state_dict(), tmp_path / "net.pt")
    # both forms select the GRUCell alone: the tables, the check and the horizon leave the LSTM out
    for args in (["--include", "dec"], ["--exclude", "encoder.*"]):
        out = tmp_path / args[0].strip("-")
        assert main(["inspect", str(path), "--out", str(out), "--seq-len", "30", *args]) == 0
        text = capsys.readouterr().out
        tables = text.split("inferred from parameter names and shapes")[-1]
        assert "dec.weight_ih" in tables and "encoder.lstm" not in tables
        assert "gradient horizon of dec:" in text and "rnninit.check: Module (dec)" in text
        assert sorted(p.name for p in out.iterdir()) == [
            "biases.png",
            "horizon.png",
            "singular_values.png",
            "timescales.png",
        ]
    # without a selection the LSTM comes first (control: the assertions above can fail)
    assert main(["inspect", str(path), "--no-plots"]) == 0
    assert "gradient horizon of encoder.lstm:" in capsys.readouterr().out


def test_inspect_selection_that_matches_nothing_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _save(_Net().state_dict(), tmp_path / "net.pt")
    code = main(["inspect", str(path), "--no-plots", "--include", "dec", "--exclude", "d*"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("rnninit inspect: error: ")
    assert "leave no recurrent module" in err and "'encoder.lstm'" in err and "'dec'" in err


def test_write_plots_biases_follow_the_selection(tmp_path: Path) -> None:
    lstm = rnninit.init_(nn.LSTM(3, 4), "keras")  # forget bias 1
    gru = rnninit.init_(nn.GRU(3, 4), "flax")
    model = nn.ModuleDict({"lstm": lstm, "gru": gru})
    from rnninit.diagnose.plots import plot_biases

    only_gru = plot_biases(model, tmp_path / "g.png", include="gru")
    both = plot_biases(model, tmp_path / "b.png")
    assert only_gru.read_bytes().startswith(PNG) and both.read_bytes() != only_gru.read_bytes()
