"""The benchmark model: one recurrent layer and a linear head, with a chosen initial state.

Initial-state kinds compared by the benchmark:

* ``zeros``: PyTorch's default (no state passed).
* ``folk_randn``: the forum recipe ``h0 = torch.randn(L*D, N, H)`` (and the same for c0), drawn
  anew for every batch, at test time too.
* ``folk_xavier``: the forum recipe ``nn.init.xavier_uniform_(torch.empty(L*D, N, H))`` per batch.
  Its fans come from the tensor's shape (fan_in = N*H, fan_out = L*D*H), so its scale depends on
  the batch size N: std 0.235 at N=1, 0.055 at N=32 (anchors.md). rnninit deliberately does not
  offer it; it is implemented here only to measure it.
* ``normal`` (std 0.1), ``xavier_uniform`` (std 1/sqrt(H), batch-independent), ``learned``,
  ``learned_noisy`` (noise std 0.1 in training): rnninit's own kinds
  (:func:`rnninit.states.initial_state` and :class:`rnninit.states.InitialState`); in eval mode
  the random ones give their mean (zeros), as the library does.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from rnninit.errors import UnknownNameError
from rnninit.states import InitialState, initial_state

__all__ = ["BENCH_STATES", "CELLS", "FOLK_STATES", "LIBRARY_STATES", "SeqModel", "build_rnn"]

#: Recurrent cells of the benchmark.
CELLS: tuple[str, ...] = ("lstm", "gru", "rnn_relu")

#: The forum recipes for an initial state that the benchmark measures and rnninit deliberately
#: does not offer (so they are not in :data:`rnninit.states.STATE_KINDS`).
FOLK_STATES: tuple[str, ...] = ("folk_randn", "folk_xavier")

#: rnninit's own initial-state kinds that the benchmark compares: names of
#: :data:`rnninit.states.STATE_KINDS`, the one list of the library's kinds (a test checks it).
LIBRARY_STATES: tuple[str, ...] = ("zeros", "normal", "xavier_uniform", "learned", "learned_noisy")

#: The initial-state conditions of the benchmark: PyTorch's default (zeros), the folk recipes,
#: then rnninit's kinds (see the module docstring).
BENCH_STATES: tuple[str, ...] = ("zeros", *FOLK_STATES, *LIBRARY_STATES[1:])

_LEARNED = ("learned", "learned_noisy")

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None


def build_rnn(cell: str, input_size: int, hidden: int) -> nn.RNNBase:
    """A batch-first ``nn.LSTM``, ``nn.GRU`` or ``nn.RNN(nonlinearity='relu')``."""
    if cell == "lstm":
        return nn.LSTM(input_size, hidden, batch_first=True)
    if cell == "gru":
        return nn.GRU(input_size, hidden, batch_first=True)
    if cell == "rnn_relu":
        return nn.RNN(input_size, hidden, nonlinearity="relu", batch_first=True)
    raise UnknownNameError("cell", cell, CELLS)


class SeqModel(nn.Module):
    """Recurrent layer + linear head.

    ``head="last"`` reads the last step (one prediction per sequence, e.g. adding, digits);
    ``head="every"`` reads every step (e.g. copy, echo).
    """

    def __init__(
        self,
        cell: str,
        input_size: int,
        hidden: int,
        output_size: int,
        head: str = "last",
        state: str = "zeros",
    ) -> None:
        super().__init__()
        if head not in ("last", "every"):
            raise UnknownNameError("head", head, ("last", "every"))
        if state not in BENCH_STATES:
            raise UnknownNameError("state", state, BENCH_STATES)
        self.rnn = build_rnn(cell, input_size, hidden)
        self.head = nn.Linear(hidden, output_size)
        self.head_mode = head
        self.state_kind = state
        self.state: nn.Module | None = None
        if state in _LEARNED:
            self.state = InitialState(self.rnn, state)

    def initial(self, batch: int, generator: torch.Generator | None) -> State:
        """The initial state for a batch of ``batch`` sequences (None means zeros)."""
        kind = self.state_kind
        if kind == "zeros":
            return None
        if self.state is not None:
            return self._as_state(self.state(batch, generator=generator))
        if kind in ("normal", "xavier_uniform"):
            return self._as_state(initial_state(self.rnn, kind, batch, generator=generator))
        lstm = isinstance(self.rnn, nn.LSTM)
        shape = (
            self.rnn.num_layers * (2 if self.rnn.bidirectional else 1),
            batch,
            self.rnn.hidden_size,
        )

        def draw() -> torch.Tensor:
            t = torch.empty(shape)
            if kind == "folk_randn":
                return t.normal_(0.0, 1.0, generator=generator)
            # the forum recipe: fans from the (L*D, N, H) shape, so the scale depends on N
            nn.init.xavier_uniform_(t, generator=generator)
            return t

        h0 = draw()
        return (h0, draw()) if lstm else h0

    @staticmethod
    def _as_state(value: Any) -> State:
        if isinstance(value, tuple):
            return (value[0], value[1])
        return value  # type: ignore[no-any-return]

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Outputs: (N, out) for ``head="last"``, (N, T, out) for ``head="every"``."""
        h = self.initial(x.shape[0], generator)
        out, _ = self.rnn(x) if h is None else self.rnn(x, h)
        if self.head_mode == "last":
            return self.head(out[:, -1])  # type: ignore[no-any-return]
        return self.head(out)  # type: ignore[no-any-return]
