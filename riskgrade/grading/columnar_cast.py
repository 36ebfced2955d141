"""How the columnar validation casts one column of facts to its type, as pydantic would.

A column is cast by Polars expressions where its values are in the usual forms (``12``,
``true``, ``2026-11-28``, an enum's value); any other value is judged by pydantic itself, once per
distinct value. :func:`cast_many` casts many columns at once (one pass for all the usual values,
then pydantic only for the columns that hold others), so that a table's fixed cost does not grow
with a query per fact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

_KINDS = {"int": "integer", "float": "number", "bool": "boolean", "str": "string"}
_FINITE = "Input should be a finite number"
_FRACTION = "Input should be a valid integer, got a number with a fractional part"
_TYPE = {k: f"Input should be a valid {v}" for k, v in _KINDS.items()}
_TRUE = ["1", "on", "t", "true", "y", "yes"]
_FALSE = ["0", "off", "f", "false", "n", "no"]
_ISO = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DTYPES: dict[str, Any] = {"int": pl.Int64(), "float": pl.Float64(), "bool": pl.Boolean()}

Judge = Callable[[Any], tuple[Any, str | None]]
Fast = Callable[["Spec", str, pl.Expr], tuple[pl.Expr, pl.Expr, pl.Expr]]  # value, why, odd


@dataclass(frozen=True)
class Spec:
    """How one fact (or one field of a nested item) is validated."""

    name: str
    kind: str  # int, float, bool, str, enum, date or items
    dtype: pl.DataType
    judge: Judge  # pydantic's own verdict on one value, bounds aside
    aliases: tuple[str, ...] = ()
    required: bool = False
    values: tuple[str, ...] = ()
    bounds: tuple[tuple[str, Any], ...] = ()  # ("ge" | "le" | "min_length", limit)
    model: Any = None
    adapter: Any = None  # the TypeAdapter of a list of items


def input_kind(dtype: pl.DataType) -> str:
    """The kind of Python value a column of ``dtype`` holds, as far as the casts know them."""
    if dtype.is_integer() or dtype.is_float():
        return "int" if dtype.is_integer() else "float"
    if dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum):
        return "str"
    known = [(pl.Null, "null"), (pl.Boolean, "bool"), (pl.Date, "date"), (pl.Datetime, "datetime")]
    return next((name for kind, name in known if dtype == kind), "other")


def usual_cast(spec: Spec, given: str, v: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """The cast of values in the usual forms, as (value, error, left to pydantic)."""
    null, fine, no = pl.lit(None, spec.dtype), pl.lit(None, pl.String), pl.lit(False)
    value: pl.Expr
    if given in ("null", "other"):
        return null, fine, pl.lit(given == "other")
    if given in ("int", "float") and spec.kind in ("date", "str"):  # an Excel day; an id
        return null, fine, pl.lit(True)
    kind, text = spec.kind, v.cast(pl.String)
    if kind == "date":
        if given in ("date", "datetime"):
            return (v if given == "date" else v.dt.date()), fine, no
        if given != "str":
            return null, pl.lit(f"expected a date, got {given}"), no
        day = text.str.to_date("%Y-%m-%d", strict=False)
        usual = (text.str.contains(_ISO) & (day.dt.year() >= 1)).fill_null(False)
        return pl.when(usual).then(day), fine, ~usual
    if kind == "enum":
        listed = [f"'{v}'" for v in spec.values]
        listed = [", ".join(listed[:-1]), listed[-1]] if len(listed) > 1 else listed
        message = pl.lit("Input should be " + " or ".join(listed))
        known = text.is_in(spec.values)  # other spellings (餐饮, Retail): the validator's
        return (pl.when(known).then(text), fine, ~known) if given == "str" else (null, message, no)
    if given in ("date", "datetime") or (kind == "str" and given != "str"):
        return null, pl.lit(_TYPE[kind]), no
    if kind == "str" or (kind == "bool" and given == "bool"):
        return v.cast(spec.dtype), fine, no
    if kind == "bool" and given == "str":
        low = text.str.to_lowercase()
        value = pl.when(low.is_in(_TRUE)).then(True).when(low.is_in(_FALSE)).then(False)
        return value, fine, value.is_null()
    if kind == "bool":  # from a number: 0 or 1 only
        value = pl.when(v == 1).then(True).when(v == 0).then(False)
        if given == "float":  # any other float is pydantic's to judge
            return value, fine, value.is_null()
        why = pl.lit(_TYPE["bool"] + ", unable to interpret input")
        return value, pl.when(value.is_null()).then(why), no
    if given == "str":  # numbers in plain decimal digits
        pattern = r"^[+-]?[0-9]{1,18}$" if kind == "int" else r"^[+-]?[0-9]+(\.[0-9]+)?$"
        usual = text.str.contains(pattern)
        number = text.str.strip_prefix("+").cast(spec.dtype, strict=False)
        return pl.when(usual).then(number), fine, ~usual
    if kind == "float" or given == "bool":
        return v.cast(spec.dtype), fine, no
    if given == "int":
        value = v.cast(pl.Int64, strict=False)
        return value, fine, value.is_null()
    finite, whole, small = v.is_finite(), v.floor() == v, v.abs() < 2.0**62
    error = pl.when(~finite).then(pl.lit(_FINITE)).when(~whole).then(pl.lit(_FRACTION))
    value = pl.when(finite & whole & small).then(v.cast(pl.Int64, strict=False))
    return value, error, finite & whole & ~small


def cast(values: pl.Series, spec: Spec, fast: Fast = usual_cast) -> tuple[pl.Series, pl.Series]:
    """``values`` as ``spec``'s type, and why each bad one is bad (null where fine or missing)."""
    return cast_many(values.to_frame("v"), [(spec, "v", fast)])[0]


def cast_many(
    frame: pl.DataFrame, jobs: Sequence[tuple[Spec, str, Fast]]
) -> list[tuple[pl.Series, pl.Series]]:
    """:func:`cast` of each ``(spec, column, fast)`` of ``frame``, in one pass over the table for
    the values in the usual forms; pydantic judges the others, once per distinct value."""
    if not jobs:
        return []
    usual: list[pl.Expr] = []
    schema = frame.schema  # (built anew by each read)
    for i, (spec, column, fast) in enumerate(jobs):
        v = pl.col(column)
        value, error, odd = fast(spec, input_kind(schema[column]), v)
        usual += [
            pl.when(v.is_not_null()).then(value).cast(spec.dtype).alias(f"v{i}"),
            pl.when(v.is_not_null()).then(error).cast(pl.String).alias(f"e{i}"),
            (v.is_not_null() & odd).alias(f"o{i}"),
        ]
    out = frame.select(usual)
    odd = out.select(pl.col(f"o{i}").any() for i in range(len(jobs))).row(0)
    for i, (spec, column, _) in enumerate(jobs):
        if odd[i]:  # values in other forms: pydantic's, each distinct one once
            rows = out[f"o{i}"].arg_true()
            judged = judge_each(frame[column].gather(rows).to_list(), spec.judge)
            out = out.with_columns(
                out[f"v{i}"].scatter(rows, pl.Series([j[0] for j in judged], dtype=spec.dtype)),
                out[f"e{i}"].scatter(rows, pl.Series([j[1] for j in judged], dtype=pl.String)),
            )
    bounded = out.select(
        e for i, (spec, _, _) in enumerate(jobs) for e in _bounded(spec, f"v{i}", f"e{i}")
    )
    return [(bounded[f"v{i}"], bounded[f"e{i}"]) for i in range(len(jobs))]


def _bounded(spec: Spec, value: str, error: str) -> tuple[pl.Expr, pl.Expr]:
    """The value column, and its error column with the schema's bounds (pydantic checks them
    after the type; the first broken one is named)."""
    x, e = pl.col(value), pl.col(error)
    checks = [(~x.is_finite(), _FINITE)] if spec.kind == "float" else []
    for key, limit in spec.bounds:
        if key == "ge":
            checks.append((x < limit, f"Input should be greater than or equal to {limit}"))
        elif key == "le":
            checks.append((x > limit, f"Input should be less than or equal to {limit}"))
        else:
            plural = "" if limit == 1 else "s"
            message = f"String should have at least {limit} character{plural}"
            checks.append((x.str.len_chars() < limit, message))
    for failed, message in checks:
        e = pl.when(e.is_null() & failed.fill_null(False)).then(pl.lit(message)).otherwise(e)
    return x, e.alias(error)


_PLAIN = (str, int, float, bool)


def judge_each(raw: list[Any], judge: Callable[[Any], Any]) -> list[Any]:
    """``judge`` of each value, once per distinct hashable value (a tuple of dicts is not).
    Values other than text and numbers are told apart by their ``repr`` too: two equal
    datetimes of different zones fall on different dates."""
    seen: dict[tuple[Any, ...], Any] = {}
    out: list[Any] = []
    for value in raw:
        try:
            key = (
                (type(value), value) if type(value) in _PLAIN else (type(value), value, repr(value))
            )
            known = key in seen
        except Exception:  # unhashable, or a value whose hash or == fails: judged alone
            out.append(judge(value))
            continue
        verdict = seen[key] if known else seen.setdefault(key, judge(value))
        out.append(verdict)
    return out


def nulls(dtype: pl.DataType, n: int) -> pl.Series:
    """A column of ``n`` unknown values of ``dtype`` (a tenth of ``pl.repeat``'s fixed cost)."""
    return pl.Series("", [None], dtype=dtype).new_from_index(0, n)
