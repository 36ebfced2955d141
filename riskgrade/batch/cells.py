"""Text cells typed into columns as the row reader types them, for the table path.

:func:`by_value` types a column of a count, amount, flag or category: plain numbers by Polars,
every other distinct cell once by the row reader's own :func:`~riskgrade.batch.columns.cell_value`.
:func:`items_column` decodes JSON lists of hazards, buildings or lifts against the item's
declared types, sending what Polars would change silently the slow way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl

from riskgrade.batch.columns import BadValue, cell_value, checked

EDGE = r"^[\x1c-\x1f]|[\x1c-\x1f]$"  # space to Python's str.strip, not to Polars'
_ESCAPED_CONTROL = r"\\u00[01][0-9a-fA-F]|\\u[dD][89a-fA-F]|\\[bf]"  # the same, as JSON escapes

_PLAIN_NUMBERS = {  # cells Polars casts exactly as the row reader reads them (15 digits: exact)
    ("int", "int"): r"^-?[0-9]{1,15}$",
    ("number", "float"): r"^(-?[0-9]{1,15}\.[0-9]{1,15}|-?[1-9][0-9]{0,14}|[0-9]{1,15})$",
}


_FEW = 8  # distinct cells typed by comparison rather than by a join (measured: 3x faster)
_DTYPES: dict[str, pl.DataType] = {
    "int": pl.Int64(),
    "float": pl.Float64(),
    "bool": pl.Boolean(),
}


def _fits(kind: str, value: Any) -> bool:
    """Whether a cell's value goes into the typed column of a fact of ``kind`` as it is."""
    if kind == "int":  # pydantic takes a yes/no word's bool as 1 or 0, and so does this
        return type(value) in (int, bool) and -(2**53) <= value <= 2**53
    if kind == "float":
        return type(value) in (int, bool, float) and (type(value) is float or abs(value) <= 2**53)
    if kind == "bool":
        return type(value) is bool
    if kind == "items":
        return type(value) is list
    return type(value) is str  # text, categories, dates (validated from their text)


def _cell(raw: str, kind: str) -> tuple[Any, bool]:
    """A cell as the row reader reads it, and whether it read without a problem."""
    try:
        return checked(cell_value(raw, kind)), True
    except BadValue:
        return None, False


def by_value(cells: pl.Series, kind: str, target: str) -> tuple[pl.Series, pl.Series]:
    """A text column typed as the row reader reads a cell of ``kind``: its values for a column
    of ``target``, and which fit. Plain numbers are cast by Polars; other cells are read each
    distinct one once by the row reader's own function."""
    pattern = _PLAIN_NUMBERS.get((kind, target))
    if pattern is None:
        return _by_distinct_value(cells, kind, target)
    plain = cells.str.contains(pattern).fill_null(False)
    cast = cells.cast(_DTYPES[target], strict=False)
    if plain.sum() + cells.null_count() == cells.len():  # nothing else: nothing to look up
        return cast, pl.Series(cells.name, [True], pl.Boolean).new_from_index(0, cells.len())
    others = pl.select(pl.when(~plain).then(cells)).to_series()
    values, fits = _by_distinct_value(others, kind, target)
    values = pl.select(pl.when(plain).then(cast).otherwise(values)).to_series()
    return values, plain | fits


def _by_distinct_value(cells: pl.Series, kind: str, target: str) -> tuple[pl.Series, pl.Series]:
    """:func:`by_value` of each distinct cell by :func:`~riskgrade.batch.columns.cell_value`."""
    distinct = cells.unique().drop_nulls()
    if target != "items" and distinct.len() <= _FEW:  # a flag's few spellings: no join
        if not distinct.len():  # nothing but blanks: nothing to compare with
            n, dtype = cells.len(), _DTYPES.get(target, pl.String())
            return pl.repeat(None, n, dtype=dtype, eager=True), pl.repeat(True, n, eager=True)
        value, fit = _spellings(pl.col("raw"), distinct.to_list(), kind, target)
        out = pl.DataFrame({"raw": cells}).select(value.alias("value"), fit.alias("fits"))
        return out["value"], out["fits"]
    read = [_cell(raw, kind) for raw in distinct.to_list()]
    fits = [ok and (v is None or _fits(target, v)) for v, ok in read]
    kept = [v if ok else None for (v, _), ok in zip(read, fits, strict=True)]
    if target in ("int", "float"):
        kept = [int(v) if type(v) is bool else v for v in kept]
    if target == "items":
        typed = _items(kept)
        if typed is None:  # items Polars cannot hold in one column: every list row by rows
            fits = [ok and v is None for v, ok in zip(kept, fits, strict=True)]
            typed = pl.Series([None] * len(kept), dtype=pl.List(pl.Null))
    elif target in _DTYPES:
        typed = pl.Series(kept, dtype=_DTYPES[target])
    else:
        typed = pl.Series(kept, dtype=pl.String)
    table = pl.DataFrame({"raw": distinct, "value": typed, "fits": fits})
    joined = pl.DataFrame({"raw": cells}).join(table, on="raw", how="left", maintain_order="left")
    return joined["value"], joined["fits"].fill_null(True)


def typed_columns(
    batch: pl.DataFrame, columns: Sequence[tuple[str, str, str]]
) -> list[tuple[pl.Expr, pl.Expr]]:
    """:func:`by_value` of many text columns of ``batch`` (each ``(name, kind, target)``) as
    expressions over it, ``(values, fits)`` each: one query finds what each column holds (all
    plain numbers, or its few distinct spellings), so that typing a table is one more query,
    not a few per column. A column with other cells is typed by :func:`by_value` itself."""
    probes: list[pl.Expr] = []
    for i, (name, kind, target) in enumerate(columns):
        raw = pl.col(name)
        pattern = _PLAIN_NUMBERS.get((kind, target))
        if pattern is not None:
            probes.append((raw.str.contains(pattern) | raw.is_null()).all().alias(str(i)))
        else:  # at most a few more than _FEW distinct cells kept: others go by_value
            few = raw.drop_nulls().unique().head(_FEW + 1).implode()
            probes.append(few.alias(str(i)))
    found = batch.select(probes).row(0) if probes else ()
    typed: list[tuple[pl.Expr, pl.Expr]] = []
    for (name, kind, target), seen in zip(columns, found, strict=True):
        if seen is True:  # plain numbers only (or blanks)
            typed.append((pl.col(name).cast(_DTYPES[target], strict=False), pl.lit(True)))
        elif isinstance(seen, list) and len(seen) <= _FEW and target != "items":
            typed.append(_spellings(pl.col(name), seen, kind, target))
        else:
            values, fits = by_value(batch[name], kind, target)
            typed.append((pl.lit(values), pl.lit(fits)))
    return typed


def _spellings(
    raw: pl.Expr, distinct: list[str], kind: str, target: str
) -> tuple[pl.Expr, pl.Expr]:
    """A column of a few distinct cells typed by comparison with each (no join)."""
    dtype = _DTYPES.get(target, pl.String())
    value, fit = pl.lit(None, dtype), pl.lit(True)
    for cell in distinct:
        v, ok = _cell(cell, kind)
        ok = ok and (v is None or _fits(target, v))
        v = (int(v) if type(v) is bool and target in ("int", "float") else v) if ok else None
        value = pl.when(raw == cell).then(pl.lit(v, dtype)).otherwise(value)
        fit = pl.when(raw == cell).then(pl.lit(ok)).otherwise(fit)
    return value, fit


_STARTS = {"str": '"n', "int": "0-9n-", "float": "0-9n-", "bool": "tfn"}  # a JSON value's start
_DECODED: dict[str, pl.DataType] = {
    "int": pl.Float64(),  # a fraction or a huge number must stay visible to the validation
    "float": pl.Float64(),
    "bool": pl.Boolean(),
}


def items_column(cells: pl.Series, fields: Mapping[str, str]) -> tuple[pl.Series, pl.Series]:
    """A column of JSON lists of items decoded by Polars against the item's declared types.

    Polars refuses a value of another JSON type than its field's, which sends the row to the row
    reader; what it would let pass silently (a key the item does not have, a number too long
    for a float) sends the whole column, or the row, the slow way."""
    text = cells.str.strip_chars()
    present = text.is_not_null() & (text != "")
    listy = present & text.str.starts_with("[") & ~cells.str.contains(EDGE).fill_null(False)
    odd_row = r"[0-9]{16}|" + _ESCAPED_CONTROL  # the row the slow way
    # a key the item does not have (Polars would drop it, pydantic names it), or a value of
    # another JSON type than its field's (5 for a hazard's level: Polars would turn it into
    # the field's type): the column the slow way
    odd_column = "|".join(
        [_unknown_key(fields)]
        + [
            rf'"{re.escape(f)}"\s*:\s*[^\s{_STARTS.get(kind, _STARTS["str"])}]'
            for f, kind in fields.items()
        ]
    )
    odd = text.str.contains(f"{odd_row}|{odd_column}").fill_null(False)  # one pass if neither
    if odd.any():
        listy = listy & ~(odd & text.str.contains(odd_row).fill_null(False))
        odd = odd & listy & text.str.contains(odd_column).fill_null(False)
    candidates = pl.select(pl.when(listy).then(text)).to_series()
    if not odd.any():
        dtype = pl.Struct({f: _DECODED.get(kind, pl.String()) for f, kind in fields.items()})
        try:
            decoded = candidates.str.json_decode(pl.List(dtype))
        except pl.exceptions.PolarsError:
            pass
        else:
            return decoded, listy | ~present
    return by_value(cells, "list", "items")


def _unknown_key(names: Iterable[str]) -> str:
    """A pattern for a JSON object key (``"..."`` then ``:``, or something in a string like one)
    that is not one of ``names`` as written: its text left the names' common path somewhere (a
    key spelt with an escape, ``"\\u0069d"``, counts as unknown: the slow way reads it)."""
    trie: dict[str, Any] = {}
    for name in names:
        assert re.fullmatch(r"[A-Za-z0-9_]+", name), name  # no character a class must escape
        node = trie
        for char in name:
            node = node.setdefault(char, {})
        node[""] = {}

    def other(node: dict[str, Any]) -> str:
        chars = "".join(c for c in node if c)
        ways = [] if "" in node else [""]  # the key ends here, short of every name
        ways.append(rf'(?:[^"\\{chars}]|\\.){_CHAR}*')  # a character no name has here
        ways += [c + f"(?:{other(child)})" for c, child in node.items() if c]
        return "|".join(ways)

    return rf'"(?:{other(trie)})"\s*:'


_CHAR = r'(?:[^"\\]|\\.)'  # one character of a JSON string (an escape counts as one)


def _items(values: list[Any]) -> pl.Series | None:
    """Lists of hazards, buildings or lifts as one List(Struct) column, or None where Polars
    would change them (items that are not objects, or values of mixed kinds in one field)."""
    for items in values:
        if items is not None and not all(isinstance(item, dict) and item for item in items):
            return None
    try:
        series = pl.Series(values, strict=True)
    except (TypeError, ValueError, pl.exceptions.PolarsError):
        return None
    inner = series.dtype.inner if isinstance(series.dtype, pl.List) else None
    if not isinstance(inner, pl.Struct | pl.Null):
        return None
    if isinstance(inner, pl.Struct):  # a field some items lack would be named for all of them
        fields = {f.name for f in inner.fields}
        if any(set(item) != fields for items in values if items for item in items):
            return None
    if series.to_list() != values:  # a value Polars turned into another (5 into "5")
        return None
    return series
