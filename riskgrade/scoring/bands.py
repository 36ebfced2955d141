"""Bands: the grade or level a score falls in, read from edges ordered best or worst first.

All comparisons are decimal, so a score lands on the same side of an edge on every platform.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Protocol


class Edge(Protocol):
    """A band's lower edge as a policy states it (``min``, and whether it is ``exclusive``)."""

    @property
    def min(self) -> float:
        """The lowest score in the band."""
        ...

    @property
    def exclusive(self) -> bool:
        """True when the band starts just above ``min``."""
        ...


def in_band(value: Decimal, edge: Edge) -> bool:
    """Whether ``value`` reaches the band starting at ``edge``."""
    bound = Decimal(str(edge.min))
    return value > bound if edge.exclusive else value >= bound


def first_band(
    value: Decimal, order: Iterable[str], bands: Mapping[Any, Edge], default: str
) -> str:
    """The first band in ``order`` that ``value`` reaches, else ``default``.

    >>> from types import SimpleNamespace as Band
    >>> bands = {"A": Band(min=90, exclusive=False), "B": Band(min=75, exclusive=False)}
    >>> first_band(Decimal(80), "AB", bands, "D")
    'B'
    """
    return next((name for name in order if name in bands and in_band(value, bands[name])), default)
