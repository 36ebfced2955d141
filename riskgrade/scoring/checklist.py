"""The checklist method of duty scoring: start from full marks, deduct per breached duty.

Each breached rule deducts once, however often it is found; the score never drops below zero.
The grade from the bands is then capped by the worst severity found (a serious breach keeps a
unit from grade A, say), as the policy's ``caps`` state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any


def checklist_score(start: float, deductions: Mapping[str, float]) -> Decimal:
    """``start`` minus every deduction, never below zero.

    >>> checklist_score(100, {"no_ppe": 10, "no_plan": 5})
    Decimal('85')
    """
    total = sum((Decimal(str(d)) for d in deductions.values()), Decimal(0))
    return max(Decimal(str(start)) - total, Decimal(0))


def capped(grade: str, severities: Iterable[str], caps: Mapping[Any, str]) -> str:
    """``grade`` lowered to the cap of each severity found (grades sort best first: "A" < "D").

    >>> capped("A", ["minor", "serious"], {"serious": "B"})
    'B'
    """
    for severity in severities:
        if severity in caps:
            grade = max(grade, caps[severity])
    return grade
