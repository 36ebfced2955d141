"""``texts_where`` and ``lists_where`` give what the plain Polars expressions they replace give
(``concat_str`` / ``concat_list`` over ``when(condition).then(text)``), for any number of
conditions (runs of eight and the parts of a run), with nulls among them."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from riskgrade.rules.columnar import lists_where, texts_where

_TEXT = st.text(st.sampled_from("ab_中文 ,；"), max_size=6)  # "" too: joined as concat_str joins it
Table = tuple[pl.DataFrame, list[tuple[pl.Expr, str]], list[list[str]]]


@st.composite
def _tables(draw: st.DrawFn) -> Table:
    """A frame of Boolean columns with nulls, ``(condition, text)`` parts over it (some of the
    conditions constants, so that a run may read no column at all), and per row the texts
    whose condition holds, found cell by cell in Python."""
    width, height = draw(st.integers(0, 20)), draw(st.integers(0, 12))
    columns: dict[str, list[bool | None]] = {"row": [True] * height}
    held: list[list[bool | None]] = []
    conditions: list[pl.Expr] = []
    for i in range(width):
        if draw(st.booleans()):
            constant = draw(st.sampled_from([True, False, None]))
            conditions.append(pl.lit(constant, pl.Boolean))
            held.append([constant] * height)
        else:
            cells = draw(
                st.lists(st.sampled_from([True, False, None]), min_size=height, max_size=height)
            )
            columns[f"c{i}"] = cells
            conditions.append(pl.col(f"c{i}"))
            held.append(cells)
    texts = draw(st.lists(_TEXT, min_size=width, max_size=width))
    frame = pl.DataFrame(columns, schema={c: pl.Boolean for c in columns})
    chosen = [[t for t, h in zip(texts, held, strict=True) if h[r] is True] for r in range(height)]
    return frame, list(zip(conditions, texts, strict=True)), chosen


@settings(max_examples=300, deadline=None)
@given(_tables(), st.sampled_from([" ", "；", ", "]))
def test_texts_where_joins_the_texts_that_hold(table: Table, separator: str) -> None:
    frame, parts, chosen = table
    got = frame.select("row", texts_where(parts, separator).alias("x"))["x"].to_list()
    assert got == [separator.join(texts) for texts in chosen]
    if parts:  # and it is what the plain expression gives
        whens = [pl.when(condition).then(pl.lit(text)) for condition, text in parts]
        plain = pl.concat_str(whens, separator=separator, ignore_nulls=True)
        assert got == frame.select("row", plain.alias("x"))["x"].to_list()


@settings(max_examples=300, deadline=None)
@given(_tables())
def test_lists_where_lists_the_texts_that_hold(table: Table) -> None:
    frame, parts, chosen = table
    got = frame.select("row", lists_where(parts).alias("x"))["x"]  # beside a column, as used
    assert got.dtype == pl.List(pl.String)
    assert got.to_list() == chosen
