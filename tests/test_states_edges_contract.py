"""Edge contracts of rnninit.states: scripting an attached InitialState raises ExportError
with guidance naming the alternatives, and an attached learned state has the batch shape of
the input for a batch size different from num_layers * directions."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from rnninit.errors import ExportError
from rnninit.states import attach_initial_state


class _Net(nn.Module):
    def __init__(self, rnn: nn.Module) -> None:
        super().__init__()
        self.rnn = rnn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(x)[0]


def test_jit_script_of_attached_state_names_alternatives() -> None:
    torch.manual_seed(0)
    rnn = attach_initial_state(nn.GRU(3, 4, num_layers=2), "learned")
    before = {k: v.clone() for k, v in rnn.state_dict().items()}
    with pytest.raises(ExportError) as caught:
        torch.jit.script(_Net(rnn))
    msg = str(caught.value)
    for fragment in (
        "torch.jit.script cannot compile an rnninit InitialState",
        "attach_initial_state",
        "rnninit.Recurrent",
        "torch.jit.trace(model, example_inputs)",
        "torch.export.export(model, args, dynamic_shapes=...)",
        "torch.onnx.export(model, args, dynamo=True, dynamic_shapes=...)",
        "rnninit.states.remove_initial_state(rnn)",
        "docs/states.md",
    ):
        assert fragment in msg
    after = rnn.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_attached_state_follows_batch_size() -> None:
    torch.manual_seed(0)
    rnn = attach_initial_state(nn.LSTM(3, 5, num_layers=2, bidirectional=True), "learned")
    out, (h, c) = rnn(torch.randn(6, 7, 3))
    assert out.shape == (6, 7, 10)
    assert h.shape == (4, 7, 5)
    assert c.shape == (4, 7, 5)
