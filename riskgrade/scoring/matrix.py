"""The risk matrix (LS) method: R = L × S, each factor 1-5."""

from __future__ import annotations

from decimal import Decimal

from riskgrade.scoring.registry import RISK_METHODS, RiskMethod

_ONE_TO_FIVE = frozenset(Decimal(n) for n in range(1, 6))

MATRIX = RISK_METHODS.register(
    "matrix",
    RiskMethod(
        name="matrix",
        factors=("L", "S"),
        allowed={"L": _ONE_TO_FIVE, "S": _ONE_TO_FIVE},
        combine=lambda values: values["L"] * values["S"],
    ),
)
