"""The keywords an integration supplies itself, refused when a user passes them too."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ArgumentValueError

__all__ = ["refuse_supplied"]


def refuse_supplied(overrides: Mapping[str, Any], supplied: Sequence[str], by: str) -> None:
    """Raise for the first of ``overrides`` that the integration supplies itself (``by`` says
    from where).

    >>> refuse_supplied({"targets": "end"}, ("data", "inputs"), "from the rollout")
    >>> try:
    ...     refuse_supplied({"data": 1}, ("data", "inputs"), "from the rollout")
    ... except ArgumentValueError as e:
    ...     print(e)
    data=1 is not valid; expected nothing: data, inputs are supplied from the rollout
    """
    given = sorted(set(overrides) & set(supplied))
    if given:
        raise ArgumentValueError(
            given[0], overrides[given[0]], f"nothing: {', '.join(supplied)} are supplied {by}"
        )
