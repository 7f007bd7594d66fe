"""User-written recurrent cells with declared layouts, and the behaviour probes their tests share.

Three cells a user writes (PyTorch's benchmarks/fastrnns/custom_lstms.py and haste styles), each
with its :class:`rnninit.Declaration`, and :class:`Loop`, which runs a cell over a sequence so that
``auto`` sees the horizon. The probes read RAW parameters with the test's own index arithmetic
(gate ``j`` is rows, or columns for a transposed kernel, ``j*H:(j+1)*H``), never through
``rnninit.gates``.
"""

from __future__ import annotations

import torch
from torch import nn

import rnninit


class LinearLSTMCell(nn.Module):
    """``nn.Linear(in, 4H)`` and ``nn.Linear(H, 4H)``, gates i, f, g, o."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.ih = nn.Linear(input_size, 4 * hidden_size)
        self.hh = nn.Linear(hidden_size, 4 * hidden_size)

    def forward(
        self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if state is None:
            zeros = x.new_zeros(x.shape[0], self.hidden_size)
            state = (zeros, zeros)
        h, c = state
        i, f, g, o = (self.ih(x) + self.hh(h)).chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c


LINEAR_LSTM = rnninit.Declaration(
    "LSTM", "ifgo", input="ih.weight", recurrent="hh.weight", bias_ih="ih.bias", bias_hh="hh.bias"
)


class LayerNormLSTMCell(nn.Module):
    """custom_lstms.py's LayerNormLSTMCell: i, f, g, o; the layer norms' biases are the biases."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.weight_ih = nn.Parameter(torch.randn(4 * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.randn(4 * hidden_size, hidden_size))
        self.layernorm_i = nn.LayerNorm(4 * hidden_size)
        self.layernorm_h = nn.LayerNorm(4 * hidden_size)
        self.layernorm_c = nn.LayerNorm(hidden_size)

    def forward(
        self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if state is None:
            zeros = x.new_zeros(x.shape[0], self.hidden_size)
            state = (zeros, zeros)
        h, c = state
        gates = self.layernorm_i(x @ self.weight_ih.t()) + self.layernorm_h(h @ self.weight_hh.t())
        i, f, g, o = gates.chunk(4, 1)
        c = self.layernorm_c(torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g))
        return torch.sigmoid(o) * torch.tanh(c), c


LAYER_NORM_LSTM = rnninit.Declaration(
    "LSTM",
    "ifgo",
    input="weight_ih",
    recurrent="weight_hh",
    bias_ih="layernorm_i.bias",
    bias_hh="layernorm_h.bias",
)


class HasteLSTMCell(nn.Module):
    """haste's LSTM: kernels stored transposed ``(in, 4H)``, ``(H, 4H)``; gates i, g, f, o."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.kernel = nn.Parameter(torch.randn(input_size, 4 * hidden_size))
        self.recurrent_kernel = nn.Parameter(torch.randn(hidden_size, 4 * hidden_size))
        self.bias = nn.Parameter(torch.zeros(4 * hidden_size))

    def forward(
        self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if state is None:
            zeros = x.new_zeros(x.shape[0], self.hidden_size)
            state = (zeros, zeros)
        h, c = state
        i, g, f, o = (x @ self.kernel + h @ self.recurrent_kernel + self.bias).chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c


HASTE_LSTM = rnninit.Declaration(
    "LSTM",
    "igfo",
    input="kernel",
    recurrent="recurrent_kernel",
    bias_ih="bias",
    stacking="columns",
)


class Loop(nn.Module):
    """Runs ``cell`` over a time-major sequence ``(T, N, in)``; returns the last ``h``."""

    def __init__(self, cell: nn.Module) -> None:
        super().__init__()
        self.cell = cell

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        state = None
        for t in range(x.shape[0]):
            state = self.cell(x[t], state)
        assert state is not None
        return state[0] if isinstance(state, tuple) else state


def raw(cell: nn.Module, name: str) -> torch.Tensor:
    """The raw parameter ``name`` (dotted for a submodule), detached, float64."""
    return cell.get_parameter(name).detach().double()


def block(cell: nn.Module, decl: rnninit.Declaration, kind: str, gate: str) -> torch.Tensor:
    """Gate ``gate``'s block of the raw ``kind`` parameter, as ``(H, in)`` / ``(H,)``, by index
    arithmetic on the stored tensor (rows, or columns of a transposed kernel)."""
    name = getattr(decl, kind)
    p = raw(cell, name)
    g = len(decl.gates)
    j = decl.gates.index(gate)
    if p.dim() == 1:
        h = p.shape[0] // g
        return p[j * h : (j + 1) * h]
    if decl.stacking == "columns":
        h = p.shape[1] // g
        return p[:, j * h : (j + 1) * h].T
    h = p.shape[0] // g
    return p[j * h : (j + 1) * h]


def effective_bias(cell: nn.Module, decl: rnninit.Declaration, gate: str) -> torch.Tensor:
    """``b_ih[gate] + b_hh[gate]`` (or the one bias) from the raw parameters."""
    b = block(cell, decl, "bias_ih", gate)
    if decl.bias_hh is not None:
        b = b + block(cell, decl, "bias_hh", gate)
    return b


def step_states(cell: nn.Module, x: torch.Tensor, state: object) -> list[torch.Tensor]:
    """Run ``cell`` over ``x`` ``(T, N, in)`` from ``state``; the memory (``c`` for a pair, else
    ``h``) after every step."""
    out = []
    with torch.no_grad():
        for t in range(x.shape[0]):
            state = cell(x[t], state)
            out.append(state[1] if isinstance(state, tuple) else state)
    return out
