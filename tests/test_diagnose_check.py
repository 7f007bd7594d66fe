"""``check``: each pitfall is produced the way users produce it and must be found; correct
rnninit schemes must produce no finding."""

from __future__ import annotations

import json
import warnings

import pytest
import torch
from torch import nn

import rnninit
from rnninit.diagnose import Finding, Report, check


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _init(module: nn.Module, scheme: str, seed: int, **kw: object) -> nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rnninit.errors.SchemeWarning)
        return rnninit.init_(module, scheme, generator=_gen(seed), **kw)


_GATED = ("pytorch", "flax", "sonnet", "orthogonal", "uniform_gate", "folk_normal", "keras")
_CASES = [
    *[(fam, {}, s) for fam in (nn.LSTM, nn.GRU) for s in _GATED],
    *[(nn.LSTM, {"proj_size": 3}, s) for s in _GATED],
    *[(nn.RNN, {}, s) for s in ("pytorch", "flax", "sonnet", "orthogonal", "keras", "irnn")],
    *[(nn.RNN, {"nonlinearity": "relu"}, s) for s in ("pytorch", "orthogonal", "irnn", "flax")],
]


@pytest.mark.parametrize("hidden", [8, 48])
@pytest.mark.parametrize(("family", "kwargs", "scheme"), _CASES)
def test_no_finding_on_correct_schemes(
    family: type[nn.Module], kwargs: dict, scheme: str, hidden: int
) -> None:
    for seed in range(3):
        m = _init(family(5, hidden, num_layers=2, bidirectional=True, **kwargs), scheme, seed)
        report = check(m)
        assert report.ok, (scheme, seed, str(report))


@pytest.mark.parametrize("family", [nn.LSTM, nn.GRU])
@pytest.mark.parametrize("seq_len", [100, 300, 1000])
def test_chrono_for_the_declared_length_is_not_flagged(
    family: type[nn.Module], seq_len: int
) -> None:
    m = _init(family(4, 32, num_layers=2), "chrono", 0, max_timescale=seq_len)
    assert check(m, seq_len=seq_len).ok


@pytest.mark.parametrize("family", [nn.LSTM, nn.GRU, nn.RNN])
@pytest.mark.parametrize("hidden", [4, 16, 128])
def test_pytorch_default_on_long_sequences_is_flagged(family: type[nn.Module], hidden: int) -> None:
    torch.manual_seed(hidden)
    m = family(3, hidden, num_layers=2)
    assert check(m).ok and check(m, seq_len=99).ok  # not declared long: nothing to say
    report = check(m, seq_len=500)
    assert report.codes == ["pytorch_default_long_sequence"]
    f = report[0]
    assert f.severity == "warning" and "500" in f.seen
    assert "rnninit.init_(model, 'auto', data=batch)" in f.fix  # the recommended start
    if family is not nn.RNN:
        assert "timescale median" in f.seen
        assert "with no data at hand, rnninit.init_(model, 'chrono', max_timescale=500)" in f.fix
    # the rnninit 'pytorch' scheme writes the same distribution
    assert check(_init(family(3, hidden), "pytorch", 1), seq_len=500).codes == [
        "pytorch_default_long_sequence"
    ]


def test_doubled_forget_bias_written_into_both_biases() -> None:
    h = 10
    m = _init(nn.LSTM(3, h, num_layers=2), "orthogonal", 0)
    assert check(m).ok  # init_ puts forget bias 1 into b_ih only
    with torch.no_grad():  # the folk snippet: fill the forget slice of every bias with 1
        for name, p in m.named_parameters():
            if "bias" in name:
                p[h : 2 * h].fill_(1.0)
    report = check(m)
    assert report.codes == ["doubled_bias", "doubled_bias"]
    assert report[0].where == ("bias_ih_l0[f]", "bias_hh_l0[f]")
    assert "sees 2" in report[0].seen and "0.881" in report[0].seen


def test_doubled_bias_on_gru_keep_gate_but_not_on_its_new_gate() -> None:
    m = _init(nn.GRU(3, 6), "orthogonal", 0)
    with torch.no_grad():
        m.bias_ih_l0[12:18] = 0.5  # b_in and b_hn both 0.5: not a sum, nothing to report
        m.bias_hh_l0[12:18] = 0.5
    assert check(m).ok
    with torch.no_grad():
        m.bias_ih_l0[6:12] = 2.0
        m.bias_hh_l0[6:12] = 2.0
    assert [f.where for f in check(m)] == [("bias_ih_l0[z]", "bias_hh_l0[z]")]


def test_whole_matrix_orthogonal_recurrent_weight() -> None:
    m = _init(nn.LSTM(3, 16, num_layers=2), "orthogonal", 0)
    nn.init.orthogonal_(m.weight_hh_l1)  # the folk call, on the stacked (64, 16) matrix
    report = check(m)
    assert report.codes == ["whole_matrix_orthogonal"]
    assert report[0].where == ("weight_hh_l1",)
    r = check(_init(nn.GRU(3, 16, num_layers=2), "folk_xavier", 0))
    assert r.codes == ["whole_matrix_orthogonal"]
    assert r[0].where == ("weight_hh_l0", "weight_hh_l1")
    # the keras scheme does the same on purpose (Keras' own default, for ports): not flagged...
    keras = _init(nn.GRU(3, 16, num_layers=2), "keras", 0)
    assert check(keras).ok
    # ...but the same weights loaded into a fresh layer are
    fresh = nn.GRU(3, 16, num_layers=2)
    fresh.load_state_dict(keras.state_dict())
    assert check(fresh).codes == ["whole_matrix_orthogonal"]


def test_relu_rnn_with_spectral_radius_above_one() -> None:
    m = _init(nn.RNN(3, 32, nonlinearity="relu"), "irnn", 0)
    assert check(m).ok  # identity: radius exactly 1
    with torch.no_grad():
        m.weight_hh_l0.mul_(1.1)
    report = check(m)
    assert report.codes == ["relu_spectral_radius"] and "1.1" in report[0].seen
    # the same weights in a tanh RNN are not this pitfall
    t = nn.RNN(3, 32)
    t.load_state_dict(m.state_dict())
    assert check(t).ok


def test_replaced_parameter_is_found_before_the_next_forward() -> None:
    m = _init(nn.LSTM(3, 8), "orthogonal", 0)
    m.weight_hh_l0 = nn.Parameter(torch.randn(32, 8))  # the folk way to "initialize"
    report = check(m)
    assert report.codes == ["replaced_parameter"] and report[0].where == ("weight_hh_l0",)
    m2 = _init(nn.GRU(3, 8), "orthogonal", 0)
    m2.register_parameter("bias_hh_l0", nn.Parameter(torch.zeros(24)))
    assert check(m2).codes == ["replaced_parameter"]


def test_parameters_missing_from_the_optimizer() -> None:
    model = nn.Sequential()
    model.add_module("rnn", _init(nn.LSTM(3, 8), "orthogonal", 0))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    assert check(model, optimizer=opt).ok
    model.rnn.weight_ih_l0 = nn.Parameter(torch.randn(32, 3) * 0.1)  # after the optimizer
    report = check(model, optimizer=opt)
    assert report.codes == ["not_in_optimizer", "replaced_parameter"]
    assert report[0].severity == "error" and report[0].where == ("rnn.weight_ih_l0",)


class _WithState(nn.Module):
    def __init__(self, use_state: bool) -> None:
        super().__init__()
        from rnninit.states import InitialState

        self.rnn = _init(nn.GRU(3, 5), "orthogonal", 0)
        self.state = InitialState(self.rnn, "learned")
        self.use_state = use_state

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h0 = self.state(like=x) if self.use_state else None
        return self.rnn(x, h0)[0].sum()


def test_learned_state_without_gradient() -> None:
    pytest.importorskip("rnninit.states")
    x = torch.randn(7, 2, 3, generator=_gen())
    bad = _WithState(use_state=False)
    assert check(bad).ok  # no backward yet: cannot tell
    bad(x).backward()
    report = check(bad)
    assert report.codes == ["state_without_gradient"] and report[0].where == ("state.h0",)
    good = _WithState(use_state=True)
    good(x).backward()
    assert check(good).ok


def test_report_formats_and_order() -> None:
    model = nn.Sequential()
    model.add_module("rnn", _init(nn.LSTM(3, 8), "orthogonal", 0))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    model.rnn.weight_ih_l0 = nn.Parameter(torch.randn(32, 3))
    report = check(model, optimizer=opt)
    assert [f.severity for f in report] == ["error", "warning"]
    text = str(report)
    assert "1 error, 1 warning" in text and "fix:" in text and "why:" in text
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is False and data["findings"][0]["code"] == "not_in_optimizer"
    assert "| severity |" in report.to_markdown()
    assert "no finding" in str(check(nn.GRU(2, 3)))
    assert isinstance(report, Report) and isinstance(report[0], Finding)


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="torch.nn.Module"):
        check("lstm")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seq_len"):
        check(nn.LSTM(2, 3), seq_len=0)
    with pytest.raises(TypeError, match="optimizer"):
        check(nn.LSTM(2, 3), optimizer=[1])  # type: ignore[arg-type]
    with pytest.raises(rnninit.errors.NoRecurrentModuleError):
        check(nn.Linear(2, 3))
    with pytest.raises(ValueError, match="severity"):
        Finding("x", "fatal", (), "", "", "")


def test_check_does_not_touch_the_model() -> None:
    m = nn.LSTM(3, 6, num_layers=2)
    before = {k: v.clone() for k, v in m.state_dict().items()}
    check(m, seq_len=200)
    assert all(torch.equal(v, before[k]) for k, v in m.state_dict().items())


def _weights_only(model: nn.Module) -> torch.optim.Optimizer:
    """An optimizer built over the recurrent weights only (the learned state forgotten)."""
    own = [p for n, p in model.named_parameters() if "initial_state" not in n and "state." not in n]
    return torch.optim.SGD(own, lr=0.1)


def test_learned_states_left_out_of_the_optimizer_are_an_error() -> None:
    from rnninit.states import Recurrent, attach_initial_state

    attached = nn.Sequential()
    attached.add_module("rnn", attach_initial_state(_init(nn.LSTM(3, 8), "orthogonal", 0)))
    wrapped = Recurrent(_init(nn.GRU(3, 5), "orthogonal", 0), "learned")
    free = _WithState(use_state=True)
    cases = [
        (attached, ("rnn.initial_state.h0", "rnn.initial_state.c0")),
        (wrapped, ("initial_state.h0",)),
        (free, ("state.h0",)),
    ]
    for model, where in cases:
        report = check(model, optimizer=_weights_only(model))
        assert report.codes == ["not_in_optimizer"] and report[0].where == where
        assert report[0].severity == "error" and "initial state" in report[0].seen
        assert check(model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1)).ok
    frozen = attach_initial_state(_init(nn.GRU(3, 5), "orthogonal", 0))
    frozen.initial_state.h0.requires_grad_(False)  # not meant to train: nothing to report
    assert check(frozen, optimizer=_weights_only(frozen)).ok
    zeros = attach_initial_state(_init(nn.GRU(3, 5), "orthogonal", 0), "zeros")  # no parameter
    assert check(zeros, optimizer=torch.optim.SGD(zeros.parameters(), lr=0.1)).ok


def test_an_attached_learned_state_does_not_hide_the_pytorch_default() -> None:
    from rnninit.states import attach_initial_state

    torch.manual_seed(0)
    m = attach_initial_state(nn.LSTM(3, 64), "learned")
    with torch.no_grad():
        m.initial_state.h0.fill_(0.9)  # a trained state: far outside +-1/sqrt(H)
    assert check(m, seq_len=500).codes == ["pytorch_default_long_sequence"]


def _two_layers() -> nn.Module:
    from rnninit.states import attach_initial_state

    model = nn.Module()
    model.enc = attach_initial_state(_init(nn.LSTM(3, 8), "orthogonal", 0))
    model.dec = attach_initial_state(_init(nn.LSTM(8, 8), "orthogonal", 0))
    with torch.no_grad():  # the doubled forget bias, in the decoder only
        model.dec.bias_ih_l0[8:16] = 1.0
        model.dec.bias_hh_l0[8:16] = 1.0
    return model


def test_check_selects_modules_with_include_and_exclude() -> None:
    model = _two_layers()
    assert check(model).codes == ["doubled_bias"]
    assert check(model, include="enc").ok and check(model, exclude=["d*"]).ok
    report = check(model, include="dec")
    assert report.codes == ["doubled_bias"] and report[0].where[0] == "dec.bias_ih_l0[f]"
    assert "(dec)" in report.checked and "enc" not in report.checked
    # a learned state follows the module it is attached to
    opt = torch.optim.SGD([p for n, p in model.named_parameters() if n != "enc.initial_state.h0"])
    assert check(model, include="dec", optimizer=opt).codes == ["doubled_bias"]
    missing = check(model, include="enc", optimizer=opt)
    assert missing.codes == ["not_in_optimizer"] and missing[0].where == ("enc.initial_state.h0",)
    with pytest.raises(rnninit.errors.NoRecurrentModuleError, match="'enc', 'dec'"):
        check(model, include="decoder")


@pytest.mark.parametrize("family", [nn.LSTM, nn.GRU])
def test_the_fix_check_suggests_for_long_sequences_clears_the_warning(
    family: type[nn.Module],
) -> None:
    torch.manual_seed(0)
    m = family(3, 16, num_layers=2, batch_first=True)
    assert check(m, seq_len=500).codes == ["pytorch_default_long_sequence"]
    batch = torch.randn(4, 500, 3, generator=torch.Generator().manual_seed(1))
    rnninit.init_(m, "auto", data=batch, generator=torch.Generator().manual_seed(2))  # as told
    assert check(m, seq_len=500).ok, str(check(m, seq_len=500))
    fallback = _init(family(3, 16, num_layers=2), "chrono", 3, max_timescale=500)  # no data
    assert check(fallback, seq_len=500).ok
