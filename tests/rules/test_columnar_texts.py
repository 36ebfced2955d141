"""``texts_where`` and ``lists_where`` give what the plain Polars expressions they replace give
(``concat_str`` / ``concat_list`` over ``when(condition).then(text)``), for any number of
conditions (runs of eight and the parts of a run), with nulls among them."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from riskgrade.rules.columnar import lists_where, texts_where

_TEXT = st.text(st.sampled_from("ab_中文 ,；"), min_size=1, max_size=6)
Table = tuple[pl.DataFrame, list[tuple[pl.Expr, str]]]


@st.composite
def _tables(draw: st.DrawFn) -> Table:
    width, height = draw(st.integers(0, 20)), draw(st.integers(0, 12))
    columns: dict[str, list[bool | None]] = {"row": [True] * height}
    cell = st.sampled_from([True, False, None])
    for i in range(width):
        columns[f"c{i}"] = draw(st.lists(cell, min_size=height, max_size=height))
    texts = draw(st.lists(_TEXT, min_size=width, max_size=width))
    frame = pl.DataFrame(columns, schema={c: pl.Boolean for c in columns})
    return frame, [(pl.col(f"c{i}"), text) for i, text in enumerate(texts)]


def _chosen(frame: pl.DataFrame, parts: list[tuple[pl.Expr, str]]) -> list[list[str]]:
    """Per row, the texts of the conditions that hold, in order (by Python, cell by cell)."""
    names = [condition.meta.output_name() for condition, _ in parts]
    return [
        [text for name, (_, text) in zip(names, parts, strict=True) if row[name] is True]
        for row in frame.iter_rows(named=True)
    ]


@settings(max_examples=300, deadline=None)
@given(_tables(), st.sampled_from([" ", "；", ", "]))
def test_texts_where_joins_the_texts_that_hold(table: Table, separator: str) -> None:
    frame, parts = table
    got = frame.select("row", texts_where(parts, separator).alias("x"))["x"].to_list()
    assert got == [separator.join(chosen) for chosen in _chosen(frame, parts)]
    if parts:  # and it is what the plain expression gives
        whens = [pl.when(condition).then(pl.lit(text)) for condition, text in parts]
        plain = pl.concat_str(whens, separator=separator, ignore_nulls=True)
        assert got == frame.select(plain.alias("x"))["x"].to_list()


@settings(max_examples=300, deadline=None)
@given(_tables())
def test_lists_where_lists_the_texts_that_hold(table: Table) -> None:
    frame, parts = table
    got = frame.select("row", lists_where(parts).alias("x"))["x"]  # beside a column, as used
    assert got.dtype == pl.List(pl.String)
    assert got.to_list() == _chosen(frame, parts)
