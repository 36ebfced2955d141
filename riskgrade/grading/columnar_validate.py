"""Stage 4 over a whole table: every row of a frame of facts validated at once.

The columnar counterpart of :func:`riskgrade.grading.pipeline.validate`, held to it by a
differential test: the same rows fail, naming the same fields in the same order (a row is its
non-null cells).

Each column is cast as pydantic (with the fields' validators of :mod:`riskgrade.values`) casts
each cell: the usual forms (``12``, ``true``, ``2026-11-28``, an enum's value) by Polars
expressions, any other (``" 12 "``, ``是``, ``餐饮``, ``2026年6月1日``, an Excel day, a Decimal)
by pydantic itself, once per distinct value. Items are exploded to one row each. Then the
schema's bounds, the totals of ``Enterprise._cross_field`` and the policy's extra facts.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from typing import Annotated, Any

import polars as pl
from pydantic import AliasChoices, BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from pydantic.functional_validators import BeforeValidator

from riskgrade.check.checked import CheckedPolicy
from riskgrade.check.format import FactDecl
from riskgrade.facts import Building, Date, Elevator, Enterprise, Hazard, declared_value
from riskgrade.grading.columnar_cast import (
    _DTYPES,
    Fast,
    Judge,
    Spec,
    cast,
    cast_many,
    input_kind,
    judge_each,
    nulls,
    usual_cast,
)

_EXTRA = "Extra inputs are not permitted"
_LONG: dict[str, Any] = {"index": pl.Int64, "rank": pl.Int64, "pos": pl.Int64, "sub": pl.Int64}
_LONG |= {"field": pl.String, "message": pl.String}
_Checked = tuple[pl.Series, pl.DataFrame]  # typed values, and their problems (_LONG)
_NONE = pl.DataFrame(schema=_LONG)  # no problems


def _specs(model: type[BaseModel]) -> list[Spec]:
    return [_spec(name, info) for name, info in model.model_fields.items()]


def _spec(name: str, info: FieldInfo) -> Spec:
    annotation: Any = info.annotation
    core = annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        core = next(a for a in typing.get_args(annotation) if a is not type(None))
    alias = info.validation_alias
    choices = alias.choices if isinstance(alias, AliasChoices) else [name]
    aliases = tuple(a for a in choices if isinstance(a, str))
    limits = [(k, getattr(m, k, None)) for m in info.metadata for k in ("ge", "le", "min_length")]
    bounds = tuple((key, limit) for key, limit in limits if limit is not None)
    common: dict[str, Any] = {"aliases": aliases, "required": info.is_required()}
    # The field's before-validators (是/否, 餐饮 ...) judge too, a blank being None (unknown).
    before = [m for m in info.metadata if isinstance(m, BeforeValidator)]
    typed: Any = Annotated[annotation, *before] if before else core  # type: ignore[valid-type]
    if typing.get_origin(core) is typing.Literal:
        values = tuple(str(v) for v in typing.get_args(core))
        return Spec(name, "enum", pl.String(), _by(TypeAdapter(typed)), values=values, **common)
    if typing.get_origin(core) is tuple:
        item, adapter = typing.get_args(core)[0], TypeAdapter(annotation)
        dtype = pl.List(pl.Struct({s.name: s.dtype for s in _ITEMS[item]}))
        return Spec(name, "items", dtype, _by(adapter), model=item, adapter=adapter, **common)
    if core is dt.date:
        return Spec(name, "date", pl.Date(), _by(TypeAdapter(Date)), **common)
    kind = {bool: "bool", int: "int", float: "float", str: "str"}[core]
    judge = _by(TypeAdapter(typed, config=ConfigDict(allow_inf_nan=False)), kind == "int")
    return Spec(name, kind, _DTYPES.get(kind, pl.String()), judge, bounds=bounds, **common)


def _by(adapter: TypeAdapter[Any], int64: bool = False) -> Judge:
    def judge(value: Any) -> tuple[Any, str | None]:
        try:
            result = adapter.validate_python(value)
        except ValidationError as exc:
            return None, exc.errors()[0]["msg"].removeprefix("Value error, ")
        if int64 and not -(2**63) <= result < 2**63:  # a count beyond an Int64 column
            return None, "Input should be an integer within 64 bits (pydantic takes it)"
        return result, None

    return judge


_ITEMS: dict[Any, list[Spec]] = {m: _specs(m) for m in (Hazard, Building, Elevator)}
_ENTERPRISE = _specs(Enterprise)
_NAMES = {alias for spec in _ENTERPRISE for alias in spec.aliases}
_DATE = Spec("date", "date", pl.Date(), _by(TypeAdapter(Date)))


def _problems(
    table: pl.DataFrame, where: pl.Expr, field: Any, message: Any, rank: int, sub: int = 0
) -> pl.DataFrame:
    """One problem per row of ``table`` where ``where`` holds, sortable into pydantic's order
    by (``index``, ``rank``, ``pos``, ``sub``)."""
    pos = pl.col("pos") if "pos" in table.columns else pl.lit(0)
    field, message = (x if isinstance(x, pl.Expr) else pl.lit(x) for x in (field, message))
    return table.filter(where).select(
        pl.col("index").cast(pl.Int64),
        pl.lit(rank, pl.Int64).alias("rank"),
        pos.cast(pl.Int64).alias("pos"),
        pl.lit(sub, pl.Int64).alias("sub"),
        field.cast(pl.String).alias("field"),
        message.cast(pl.String).alias("message"),
    )


def _items(items: pl.Series, loc: str, spec: Spec, rank: int) -> _Checked:
    """A column of hazards, buildings or lifts: typed lists of items, and the problems of the
    items (``hazards.0.deadline``)."""
    if isinstance(items.dtype, pl.Array):
        items = items.cast(pl.List(items.dtype.inner))
    inner = items.dtype.inner if isinstance(items.dtype, pl.List) else None
    if not isinstance(inner, pl.Struct) and inner != pl.Null:
        return _items_by_pydantic(items, loc, spec, rank)
    model, specs = spec.model, _ITEMS[spec.model]
    given = [f.name for f in inner.fields] if isinstance(inner, pl.Struct) else []
    rows = pl.DataFrame({"items": items}).with_row_index("index")
    flat = (
        rows.with_columns(pos=pl.int_ranges(pl.col("items").list.len()))
        .explode("items", "pos")
        .filter(pl.col("pos").is_not_null())
    )
    n = flat.height
    fields = flat.select(pl.col("items").struct.unnest()) if given else pl.DataFrame()
    jobs = [(field, field.name, usual_cast) for field in specs if field.name in given]
    cast_fields = dict(zip([job[1] for job in jobs], cast_many(fields, jobs), strict=True))
    columns: dict[str, pl.Series] = {}
    for field in specs:  # a field no item has: unknown throughout
        if field.name not in cast_fields:
            cast_fields[field.name] = nulls(field.dtype, n), nulls(pl.String(), n)
        columns[f"v:{field.name}"], columns[f"e:{field.name}"] = cast_fields[field.name]
    flat = flat.with_columns(**columns)
    here, present = pl.lit(loc + ".") + pl.col("pos").cast(pl.String), pl.col("items").is_not_null()
    unknown = [name for name in given if name not in {field.name for field in specs}]
    wrong = pl.any_horizontal(pl.col(f"e:{f.name}").is_not_null() for f in specs)
    order: Any = pl.lit(None, pl.String)
    if model is Hazard and not unknown:  # Hazard._dates_ordered, once every field is valid
        deadline, fixed, found = (
            pl.col("v:deadline"),
            pl.col("v:rectified_on"),
            pl.col("v:found_on"),
        )
        order = pl.when(deadline < found).then(pl.lit("deadline is before found_on"))
        order = order.when(fixed < found).then(pl.lit("rectified_on is before found_on"))
    parts = [_NONE]
    # a problem table per field costs a query each: only built where some item has a problem
    if unknown or flat.select((~present | wrong | order.is_not_null()).any()).item():
        not_a_record = f"Input should be a valid dictionary or instance of {model.__name__}"
        parts.append(_problems(flat, ~present, here, not_a_record, rank))
        for j, field in enumerate(specs, 1):
            error = pl.col(f"e:{field.name}")
            where = error.is_not_null()
            parts.append(_problems(flat, where, here + f".{field.name}", error, rank, j))
        for j, name in enumerate(unknown, 100):
            parts.append(_problems(flat, present, here + f".{name}", _EXTRA, rank, j))
        sound = present & ~wrong
        parts.append(_problems(flat, sound & order.is_not_null(), here, order, rank, 999))
    record = pl.struct(pl.col(f"v:{field.name}").alias(field.name) for field in specs)
    grouped = flat.group_by("index", maintain_order=True).agg(record.alias("value"))
    joined = rows.join(grouped, on="index", how="left", maintain_order="left")
    empty = pl.col("value").fill_null(pl.lit([], dtype=spec.dtype))
    value = joined.select(pl.when(pl.col("items").is_not_null()).then(empty).cast(spec.dtype))
    return value.to_series(), pl.concat(parts)


def _items_by_pydantic(items: pl.Series, loc: str, spec: Spec, rank: int) -> _Checked:
    """A column of items in no usual form (text, numbers, lists of scalars): pydantic's."""
    adapter = spec.adapter

    def judge(value: Any) -> tuple[Any, list[tuple[str, str]]]:
        try:
            result = adapter.validate_python(value)
        except ValidationError as exc:
            return None, [
                (".".join([loc, *map(str, e["loc"])]), e["msg"].removeprefix("Value error, "))
                for e in exc.errors()
            ]
        return (None if result is None else [dict(i.__dict__) for i in result]), []

    judged = judge_each(items.to_list(), judge)
    found = [
        {"index": i, "rank": rank, "pos": k, "sub": 0, "field": field, "message": message}
        for i, (_, errors) in enumerate(judged)
        for k, (field, message) in enumerate(errors)
    ]
    return pl.Series([j[0] for j in judged], dtype=spec.dtype), pl.DataFrame(found, schema=_LONG)


def _field(
    frame: pl.DataFrame,
    spec: Spec,
    found: list[str],
    rank: int,
    done: tuple[pl.Series, pl.Series] | None = None,
) -> _Checked:
    """The typed value and the problems of one fact, read from the first of its columns (its
    name, then its Chinese headers) that holds a value in each row; ``done``: the cast of its
    only column, made beforehand with the others (:func:`cast_many`)."""
    required = "Field required" if spec.required else None
    if done is not None:  # one column: its cast is the value, and names the problems
        value, error = done
        cells = frame[found[0]]
        if error.null_count() == len(error) and (required is None or not cells.null_count()):
            return value, _NONE  # (most facts of most tables: no query)
        table = pl.DataFrame({"message": error, "given": cells.is_not_null()})
        if required is not None:  # a missing value is named by the fact, as pydantic names it
            missing = pl.when(pl.col("given")).then("message").otherwise(pl.lit(required))
            table = table.with_columns(missing.alias("message"))
        if table["message"].null_count() == table.height:
            return value, _NONE
        field = pl.when(pl.col("given")).then(pl.lit(found[0])).otherwise(pl.lit(spec.name))
        message = pl.col("message")
        table = table.with_row_index("index")
        return value, _problems(table, message.is_not_null(), field, message, rank)
    if not found:
        missing = pl.DataFrame({"index": range(frame.height)}, schema={"index": pl.Int64})
        problems = _problems(missing, pl.lit(required is not None), spec.name, required, rank)
        return nulls(spec.dtype, frame.height), problems
    parts: dict[str, pl.Series] = {}
    value_of: Any = pl
    field_of: Any = pl
    message_of: Any = pl
    nested: list[pl.DataFrame] = []
    for i, column in enumerate(found):
        parts[f"g{i}"] = frame[column].is_not_null()
        if spec.kind == "items":
            parts[f"v{i}"], problems = _items(frame[column], column, spec, rank)
            nested.append(problems)
        else:
            parts[f"v{i}"], parts[f"e{i}"] = done or cast(frame[column], spec)
            message_of = message_of.when(pl.col(f"g{i}")).then(pl.col(f"e{i}"))
        value_of = value_of.when(pl.col(f"g{i}")).then(pl.col(f"v{i}"))
        field_of = field_of.when(pl.col(f"g{i}")).then(pl.lit(column))
    table = pl.DataFrame(parts).with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("index"))
    value = table.select(value_of.otherwise(None).cast(spec.dtype)).to_series()
    if spec.kind == "items":  # each row's problems are those of the column it was read from
        winner = table.select(field_of.otherwise(None)).to_series()
        chosen = [
            p.filter(winner.gather(p["index"]) == column) if len(found) > 1 else p
            for p, column in zip(nested, found, strict=True)
        ]
        return value, pl.concat(chosen)
    table = table.with_columns(
        field_of.otherwise(pl.lit(spec.name)).alias("field"),
        message_of.otherwise(pl.lit(required, pl.String)).alias("message"),
    )
    message = pl.col("message")
    return value, _problems(table, message.is_not_null(), pl.col("field"), message, rank)


def _extra(decl: FactDecl) -> tuple[Spec, Fast]:
    """A fact the policy adds, judged as :func:`riskgrade.grading.pipeline.validate` does:
    by :func:`riskgrade.facts.declared_value` where its type is not the usual one."""
    kind, values = decl.type, decl.values
    if kind == "date":
        return _DATE, usual_cast

    def judge(raw: Any) -> tuple[Any, str | None]:
        try:
            return declared_value(raw, kind, values), None
        except ValueError as exc:
            return None, str(exc)

    def fast(spec: Spec, given: str, v: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
        usual = pl.lit(False)
        if kind == "bool":
            usual = pl.lit(given == "bool")
        elif kind in ("int", "number") and given in ("int", "float"):
            # a NaN or an infinity is judged by ``declared_value``, which refuses it
            usual = pl.lit(True) if given == "int" else v.is_finite()
            if kind == "int" and given == "float":
                usual = usual & (v.floor() == v)
        elif kind in ("str", "enum") and given == "str":
            usual = v.cast(pl.String).is_in(values) if kind == "enum" and values else pl.lit(True)
        value = pl.when(usual).then(v.cast(spec.dtype, strict=False))
        return value, pl.lit(None, pl.String), ~usual

    dtype = {"bool": pl.Boolean(), "int": pl.Float64(), "number": pl.Float64()}.get(kind)
    return Spec(kind, kind, dtype or pl.String(), judge), fast


_TOTALS = [
    ("migrant_workers", "employees"), ("workers_trained", "employees"),
    ("migrant_workers_trained", "migrant_workers"),
    ("special_workers_certified", "special_workers"), ("special_workers", "employees"),
    ("worst_accident_deaths_3y", "fatalities_3y"), ("penalties_180d", "penalties_12m"),
]  # fmt: skip
"""The pairs of ``Enterprise._cross_field``, in its order: no count may exceed its total."""


def validate_frame(frame: pl.DataFrame, policy: CheckedPolicy) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Validate every row of ``frame`` against the fact schema and ``policy``'s extra facts.

    Returns ``(valid, failed)``. ``valid`` holds the rows that passed: ``index`` (the row's
    0-based position), every fact of the schema by its name (Chinese headers renamed), typed
    (``Int64`` counts, ``Float64`` amounts, ``Boolean``, ``Date``, ``String`` for text and
    enums, lists of structs for hazards, buildings and lifts), then the policy's extra facts.
    ``failed`` holds the others: ``index``, ``id`` (as the per-row path gives it) and
    ``errors``, a list of ``{field, message}`` naming every bad field, in pydantic's order."""
    declared, n = policy.extra_facts, frame.height
    columns = set(frame.columns)
    values: dict[str, pl.Series] = {}
    parts = [_NONE]
    surplus: dict[str, pl.Series] = {}
    found_in = {
        spec.name: [a for a in spec.aliases if a in columns and a not in declared]
        for spec in _ENTERPRISE
    }
    singles = [s for s in _ENTERPRISE if len(found_in[s.name]) == 1 and s.kind != "items"]
    jobs = [(spec, found_in[spec.name][0], usual_cast) for spec in singles]
    extras = [(name, *_extra(decl)) for name, decl in declared.items()]
    jobs += [(spec, name, fast) for name, spec, fast in extras if name in columns]
    done = dict(zip([job[1] for job in jobs], cast_many(frame, jobs), strict=True))
    for rank, spec in enumerate(_ENTERPRISE):
        found = found_in[spec.name]
        for later, alias in enumerate(found[1:], 1):  # a header shadowed by an earlier one
            earlier = frame.select(pl.any_horizontal(pl.col(found[:later]).is_not_null()))
            surplus[alias] = frame[alias].is_not_null() & earlier.to_series()
        single = done.get(found[0]) if len(found) == 1 and spec.kind != "items" else None
        values[spec.name], problems = _field(frame, spec, found, rank, single)
        parts.append(problems)
    for position, column in enumerate(frame.columns):
        if column not in _NAMES and column not in declared:
            surplus[column] = frame[column].is_not_null()
        if column in surplus:
            flags = pl.DataFrame({"x": surplus[column]}).with_row_index("index")
            parts.append(_problems(flags, pl.col("x"), column, _EXTRA, 1000 + position))
    for name, spec, fast in extras:
        values[name], values[f"!{name}"] = (
            done[name] if name in columns else cast(nulls(pl.Null(), n), spec, fast)
        )
    table = pl.DataFrame(values, height=n).with_row_index("index").cast({"index": pl.Int64})
    sound = ~pl.col("index").is_in(pl.concat(parts)["index"].unique().implode())
    for rank, (name, total) in enumerate(_TOTALS, 2000):
        exceeds = (pl.col(name) > pl.col(total)).fill_null(False)
        message = pl.format(f"{name} ({{}}) exceeds {total} ({{}})", pl.col(name), pl.col(total))
        parts.append(_problems(table, sound & exceeds, name, message, rank))
    facts_failed = pl.col("index").is_in(pl.concat(parts)["index"].unique().implode())
    for rank, name in enumerate(declared, 3000):
        error = pl.col(f"!{name}")
        parts.append(_problems(table, error.is_not_null(), name, error, rank))
    ordered = pl.concat(parts).sort("index", "rank", "pos", "sub", maintain_order=True)
    errors = pl.struct("field", "message").alias("errors")
    failed = ordered.group_by("index", maintain_order=True).agg(errors)
    names = [spec.name for spec in _ENTERPRISE] + list(declared)
    valid = table.filter(~pl.col("index").is_in(failed["index"].implode())).select("index", *names)
    # The id of a failed row: FactError.entity_id, else str(row["id"]); the raw id where the
    # schema's facts failed, the validated one where only the policy's extra facts did.
    raw = nulls(pl.String(), failed.height)
    if "id" in frame.columns:
        cells = frame["id"].gather(failed["index"])
        raw = cells.cast(pl.String) if input_kind(cells.dtype) in ("str", "null") else pl.Series(
            [None if x is None else str(x) for x in cells.to_list()], dtype=pl.String
        )  # fmt: skip
    entity = pl.when(facts_failed).then(raw).otherwise(table["id"].gather(failed["index"]))
    return valid, failed.select("index", entity.alias("id"), "errors")
