"""Initial hidden (and cell) states of recurrent networks: every kind, with shapes handled.

* :func:`initial_state`: a state tensor (or ``(h0, c0)``) from any parameter-free initializer
  (the weights' registry: ``init="normal"``, ``("uniform", {...})``, a number, a callable);
* :class:`InitialState`: a module producing a state, including the learned kinds
  ``"learned"``, ``"learned_noisy"`` and ``"conditional"``;
* :func:`attach_initial_state`: give an existing module its own (e.g. learned) initial state,
  in place, keeping its class, attributes and ``state_dict`` keys (:func:`remove_initial_state`
  undoes it);
* :class:`Recurrent`: a wrapper around ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (its keys gain the
  ``rnn.`` prefix) that builds
  (or carries, ``stateful=True``) its initial state;
* :func:`check_state`: validate a state against a module and input with a clear message.

See ``docs/states.md``.
"""

from __future__ import annotations

from .attach import attach_initial_state, remove_initial_state
from .functional import initial_state
from .kinds import STATE_KINDS, LearnedKind
from .modules import InitialState, State
from .recurrent import Recurrent
from .shapes import StateSpec, check_state, state_shapes

__all__ = [
    "STATE_KINDS",
    "InitialState",
    "LearnedKind",
    "Recurrent",
    "State",
    "StateSpec",
    "attach_initial_state",
    "check_state",
    "initial_state",
    "remove_initial_state",
    "state_shapes",
]
