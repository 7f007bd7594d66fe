"""Initial-state shapes against what the real PyTorch modules return, and shape errors."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from rnninit.errors import ArgumentTypeError, ArgumentValueError, StateShapeError
from rnninit.layouts import layout_of
from rnninit.states import InitialState, Recurrent, check_state, initial_state, state_shapes
from rnninit.states.shapes import spec_of

IN, H = 3, 6


def _module(family: str, layers: int, bidir: bool, batch_first: bool, proj: int) -> nn.Module:
    cls = {"RNN": nn.RNN, "GRU": nn.GRU, "LSTM": nn.LSTM}[family]
    kw = {"proj_size": proj} if proj else {}
    return cls(IN, H, num_layers=layers, bidirectional=bidir, batch_first=batch_first, **kw)


CONFIGS = [
    (fam, layers, bidir, bf, proj)
    for fam, layers, bidir, bf in itertools.product(
        ("RNN", "GRU", "LSTM"), (1, 2), (False, True), (False, True)
    )
    for proj in ((0, 4) if fam == "LSTM" else (0,))
]


def _as_tuple(state: object) -> tuple[torch.Tensor, ...]:
    return state if isinstance(state, tuple) else (state,)  # type: ignore[return-value]


def _inputs(batch_first: bool) -> dict[str, object]:
    n, t = 5, 7
    x = torch.randn(n, t, IN) if batch_first else torch.randn(t, n, IN)
    lengths = torch.tensor([7, 3, 6, 2, 5])
    padded = torch.randn(n, t, IN) if batch_first else torch.randn(t, n, IN)
    packed = pack_padded_sequence(padded, lengths, batch_first=batch_first, enforce_sorted=False)
    return {"batched": x, "unbatched": torch.randn(t, IN), "packed": packed}


@pytest.mark.parametrize(("family", "layers", "bidir", "batch_first", "proj"), CONFIGS)
def test_shapes_match_the_final_state_pytorch_returns(
    family: str, layers: int, bidir: bool, batch_first: bool, proj: int
) -> None:
    rnn = _module(family, layers, bidir, batch_first, proj)
    for name, x in _inputs(batch_first).items():
        _, final = rnn(x)  # zero state: PyTorch builds it; h_n has h0's shape
        built = InitialState(rnn, "xavier_normal")(like=x)
        got = tuple(t.shape for t in _as_tuple(built))
        assert got == tuple(t.shape for t in _as_tuple(final)), name
        rnn(x, built)  # PyTorch accepts it
        check_state(rnn, built, x)  # and so do we
        zeros = initial_state(rnn, like=x)  # the functional form, default init
        assert tuple(t.shape for t in _as_tuple(zeros)) == got, name


@pytest.mark.parametrize("proj", [0, 4])
def test_lstm_h_and_c_widths_and_explicit_batch(proj: int) -> None:
    rnn = nn.LSTM(IN, H, num_layers=3, bidirectional=True, proj_size=proj, batch_first=True)
    h, c = initial_state(rnn, batch_size=9)
    assert h.shape == (6, 9, proj or H)
    assert c.shape == (6, 9, H)
    h, c = initial_state(rnn)  # no batch: unbatched
    assert h.shape == (6, proj or H) and c.shape == (6, H)
    assert state_shapes(rnn, 2) == ((6, 2, proj or H), (6, 2, H))


@pytest.mark.parametrize("cell_cls", [nn.RNNCell, nn.GRUCell, nn.LSTMCell])
def test_cell_shapes(cell_cls: type[nn.Module]) -> None:
    cell = cell_cls(IN, H)
    for x in (torch.randn(4, IN), torch.randn(IN)):
        final = cell(x)
        built = InitialState(cell, "xavier_uniform")(like=x)
        assert tuple(t.shape for t in _as_tuple(built)) == tuple(t.shape for t in _as_tuple(final))
        cell(x, built)


def test_dtype_and_device_follow_like_then_module() -> None:
    rnn = nn.GRU(IN, H).double()
    assert initial_state(rnn, batch_size=2).dtype == torch.float64
    assert initial_state(rnn, like=torch.randn(4, 2, IN, dtype=torch.float32)).dtype == (
        torch.float32
    )
    assert initial_state(rnn, batch_size=2, dtype=torch.float16).dtype == torch.float16
    packed = pack_padded_sequence(torch.randn(4, 3, IN), torch.tensor([4, 2, 1]))
    assert initial_state(rnn, like=packed).shape == (1, 3, H)


def test_batch_size_and_like_must_agree() -> None:
    rnn = nn.GRU(IN, H)
    with pytest.raises(StateShapeError, match="disagrees"):
        initial_state(rnn, batch_size=3, like=torch.randn(4, 2, IN))
    with pytest.raises(ArgumentTypeError, match="batch_size"):
        initial_state(rnn, batch_size=2.0)  # type: ignore[arg-type]
    with pytest.raises(ArgumentValueError, match="batch_size"):
        initial_state(rnn, batch_size=0)
    with pytest.raises(StateShapeError, match="must be"):
        initial_state(rnn, like=torch.randn(2, 3, 4, IN))


# --- shape errors -------------------------------------------------------------------------------


def _torch_rejects(rnn: nn.Module, x: torch.Tensor, state: object) -> bool:
    try:
        rnn(x, state)
    except (RuntimeError, ValueError, AttributeError, TypeError, IndexError):
        return True
    return False


def test_batch_first_h0_mistake_is_named_with_expected_and_given() -> None:
    rnn = nn.LSTM(IN, H, num_layers=2, batch_first=True)
    x = torch.randn(5, 7, IN)
    bad = (torch.zeros(5, 2, H), torch.zeros(5, 2, H))
    assert _torch_rejects(rnn, x, bad)
    with pytest.raises(StateShapeError) as err:
        check_state(rnn, bad, x)
    msg = str(err.value)
    assert "expected shape (2, 5, 6)" in msg and "got (5, 2, 6)" in msg
    assert "batch_first" in msg and "transpose(0, 1)" in msg
    with pytest.raises(StateShapeError, match="batch_first layout"):
        Recurrent(rnn, "zeros")(x, bad)


CASES = [
    # (module factory, input, state, fragment of the message)
    (lambda: nn.GRU(IN, H), torch.randn(7, 5, IN), torch.zeros(5, H), "missing the num_layers"),
    (lambda: nn.GRU(IN, H), torch.randn(7, 5, IN), torch.zeros(1, 4, H), "batch size 4"),
    (lambda: nn.GRU(IN, H, 2), torch.randn(7, 5, IN), torch.zeros(1, 5, H), "dim 0 must be"),
    (
        lambda: nn.GRU(IN, H, bidirectional=True),
        torch.randn(7, 5, IN),
        torch.zeros(1, 5, H),
        "1 * 2 = 2",
    ),
    (lambda: nn.GRU(IN, H), torch.randn(7, IN), torch.zeros(1, 5, H), "unbatched"),
    (lambda: nn.GRU(IN, H), torch.randn(7, 5, IN), torch.zeros(1, H), "no batch dimension"),
    (lambda: nn.RNN(IN, H), torch.randn(7, 5, IN), torch.zeros(1, 5, H + 1), "hidden_size = 6"),
    (
        lambda: nn.LSTM(IN, H, proj_size=2),
        torch.randn(7, 5, IN),
        (torch.zeros(1, 5, H), torch.zeros(1, 5, H)),
        "proj_size = 2",
    ),
    (
        lambda: nn.LSTM(IN, H),
        torch.randn(7, 5, IN),
        torch.zeros(1, 5, H),
        "got a tensor of shape (1, 5, 6)",
    ),
    (
        lambda: nn.GRU(IN, H),
        torch.randn(7, 5, IN),
        (torch.zeros(1, 5, H), torch.zeros(1, 5, H)),
        "pairs are for LSTMs",
    ),
    (lambda: nn.GRU(IN, H), torch.randn(7, 5, IN), torch.zeros(1, 5, H).double(), "dtype"),
    (lambda: nn.GRUCell(IN, H), torch.randn(5, IN), torch.zeros(1, 5, H), "squeeze(0)"),
    (lambda: nn.GRUCell(IN, H), torch.randn(5, IN), torch.zeros(H), "batch dim"),
]


@pytest.mark.parametrize(("factory", "x", "state", "fragment"), CASES)
def test_wrong_states_get_a_clear_error_where_pytorch_also_fails(
    factory: object, x: torch.Tensor, state: object, fragment: str
) -> None:
    rnn = factory()  # type: ignore[operator]
    assert _torch_rejects(rnn, x, state), "the case must be a real error"
    with pytest.raises(StateShapeError) as err:
        check_state(rnn, state, x)
    assert fragment in str(err.value)
    if "dtype" not in fragment:
        assert "expected" in str(err.value)


def test_given_state_passes_through_unchanged() -> None:
    torch.manual_seed(0)
    rnn = nn.LSTM(IN, H, num_layers=2, batch_first=True)
    wrapped = Recurrent(rnn, "learned")
    x = torch.randn(4, 6, IN)
    state = (torch.randn(2, 4, H), torch.randn(2, 4, H))
    out, (hn, cn) = wrapped(x, state)
    ref, (rh, rc) = rnn(x, state)
    assert torch.equal(out, ref) and torch.equal(hn, rh) and torch.equal(cn, rc)


@pytest.mark.parametrize(("family", "layers", "bidir", "batch_first", "proj"), CONFIGS)
def test_state_spec_reads_the_module_through_its_layout(
    family: str, layers: int, bidir: bool, batch_first: bool, proj: int
) -> None:
    rnn = _module(family, layers, bidir, batch_first, proj)
    spec = spec_of(rnn)
    assert spec.layout == layout_of(rnn) and spec.module_name == f"nn.{family}"
    assert (spec.family, spec.is_cell, spec.num_layers) == (family, False, layers)
    assert spec.num_directions == (2 if bidir else 1)
    assert spec.layers_dirs == layers * (2 if bidir else 1)
    assert (spec.hidden_size, spec.hidden_out) == (H, proj or H)
    assert (spec.input_size, spec.batch_first) == (IN, batch_first)
    assert spec.has_cell_state == (family == "LSTM")
    x = torch.randn(5, 7, IN) if batch_first else torch.randn(7, 5, IN)  # batch 5 != L*D
    _, final = rnn(x)  # the real module's state shapes
    assert spec.shapes(5) == tuple(t.shape for t in _as_tuple(final))
    assert spec.widths == tuple(t.shape[-1] for t in _as_tuple(final))
    assert spec.names == (("h0", "c0") if family == "LSTM" else ("h0",))
    assert spec.compatible(spec_of(_module(family, layers, bidir, not batch_first, proj)))
    assert not spec.compatible(spec_of(_module(family, layers + 1, bidir, batch_first, proj)))


def test_state_spec_of_cells() -> None:
    spec = spec_of(nn.LSTMCell(IN, H))
    assert (spec.is_cell, spec.layers_dirs, spec.widths) == (True, 1, (H, H))
    assert spec.shapes(5) == ((5, H), (5, H)) and spec.shapes(None) == ((H,), (H,))
    assert spec.describe() == "nn.LSTMCell(hidden_size=6)"
    assert not spec.compatible(spec_of(nn.LSTM(IN, H)))
