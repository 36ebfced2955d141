"""Single expressions on the columnar path against the interpreter, value by value."""

from __future__ import annotations

import datetime as dt
import random

import polars as pl
import pytest

from riskgrade.rules.columnar import Columnar
from riskgrade.rules.expr import parse
from riskgrade.rules.interpret import evaluate
from riskgrade.rules.typecheck import AS_OF
from riskgrade.rules.types import BOOL, DATE, NUMBER, STR

AS_OF_DATE = dt.date(2026, 11, 28)
SCHEMA = {"x": NUMBER, "y": NUMBER, "flag": BOOL, "when": DATE, "kind": STR}


def _rows(count: int) -> list[dict[str, object]]:
    rng = random.Random(7)

    def maybe(value: object) -> object:
        return None if rng.random() < 0.2 else value

    return [
        {
            "x": maybe(float(rng.randrange(-50, 100_000))),
            "y": maybe(float(rng.choice([0, 1, 3, 7, -2, 0.5]))),
            "flag": maybe(rng.random() < 0.5),
            "when": maybe(AS_OF_DATE - dt.timedelta(days=rng.randrange(0, 2000))),
            "kind": maybe(rng.choice(["a", "b", "c"])),
        }
        for _ in range(count)
    ]


EXPRESSIONS = [
    "x / 3",
    "x / y",
    "x * 0.1 + y - 7",
    "-x >= y",
    "x > 10 and flag",
    "x > 10 or not flag",
    'kind in ["a", "b"]',
    'kind not in ["a"]',
    "x == null",
    "known(when) and when != null",
    "days_since(when) > 365",
    "year(when) < year(as_of)",
    "when + 30 < as_of",
    "as_of - when",
    "min(x, y)",
    "max(x, 3)",
    'date("2026-01-01") <= when',
]


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_an_expression_agrees_with_the_interpreter(text: str) -> None:
    rows = _rows(3000)
    node = parse(text)
    frame = pl.DataFrame(rows, schema={"x": pl.Float64, "y": pl.Float64, "flag": pl.Boolean,
                                        "when": pl.Date, "kind": pl.String})  # fmt: skip
    got = frame.select(Columnar(SCHEMA, AS_OF_DATE).expr(node).alias("v"))["v"].to_list()
    want = [evaluate(node, {**row, AS_OF: AS_OF_DATE}) for row in rows]
    assert [g for g, w in zip(got, want, strict=True) if g != w] == []
    assert any(w is None for w in want) or text.startswith(("known", "x == null"))
