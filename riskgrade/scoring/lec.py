"""The LEC method (作业条件危险性评价法): D = L × E × C."""

from __future__ import annotations

from decimal import Decimal

from riskgrade.scoring.registry import RISK_METHODS, RiskMethod


def _values(*numbers: str) -> frozenset[Decimal]:
    return frozenset(Decimal(n) for n in numbers)


def _product(values: dict[str, Decimal]) -> Decimal:
    return values["L"] * values["E"] * values["C"]


LEC = RISK_METHODS.register(
    "lec",
    RiskMethod(
        name="lec",
        factors=("L", "E", "C"),
        allowed={
            "L": _values("10", "6", "3", "1", "0.5", "0.2", "0.1"),
            "E": _values("10", "6", "3", "2", "1", "0.5"),
            "C": _values("100", "40", "15", "7", "3", "1"),
        },
        combine=_product,
    ),
)
