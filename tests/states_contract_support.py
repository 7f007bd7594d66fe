"""Sizes that cannot coincide (input 3, hidden 6, proj 4, batch 5, time 7), the spelled-out
module descriptions of messages, and input builders shared by the state contract tests."""

from __future__ import annotations

import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

IN, H, P, N, T = 3, 6, 4, 5, 7

GRU1 = "nn.GRU(hidden_size=6, num_layers=1, bidirectional=False, batch_first=False)"
GRU2 = "nn.GRU(hidden_size=6, num_layers=2, bidirectional=False, batch_first=False)"
GRU_BF = "nn.GRU(hidden_size=6, num_layers=1, bidirectional=False, batch_first=True)"
GRU_BI = "nn.GRU(hidden_size=6, num_layers=1, bidirectional=True, batch_first=False)"
GRU_2BI = "nn.GRU(hidden_size=6, num_layers=2, bidirectional=True, batch_first=False)"
LSTM2_BF = "nn.LSTM(hidden_size=6, num_layers=2, bidirectional=False, batch_first=True)"
LSTM_P = "nn.LSTM(hidden_size=6, proj_size=4, num_layers=1, bidirectional=False, batch_first=False)"
CONVENTIONS = "see the shape conventions in docs/states.md"


def _z(*shape: int) -> torch.Tensor:
    return torch.zeros(*shape)


def _packed(batch_first: bool = False) -> PackedSequence:
    lengths = torch.tensor([4, 7, 1, 6, 5])  # batch 5 at t=0, 4 at t=1; unsorted
    padded = torch.randn(N, T, IN) if batch_first else torch.randn(T, N, IN)
    return pack_padded_sequence(padded, lengths, batch_first=batch_first, enforce_sorted=False)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)
