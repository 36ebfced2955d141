"""Stage 5 over a whole table: every unit's derived facts and rule outcomes as columns.

The columnar counterpart of :mod:`riskgrade.grading.evaluate`, built on
:mod:`riskgrade.rules.columnar` from the same checked expressions. Derived facts are added in
dependency order (the first case that holds wins; an undecided case before it makes the value
unknown), then one Boolean column per rule: true (breached), null (unknown) or false.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from riskgrade.assessment import RiskLevel
from riskgrade.errors import EngineError, FactError
from riskgrade.facts import Enterprise
from riskgrade.grading.evaluate import Outcome, facts_of
from riskgrade.grading.program import Program
from riskgrade.rules.columnar import ROW, Columnar, dtype_of, frame_of, with_aggregates
from riskgrade.rules.expr import Node, names_in
from riskgrade.rules.graph import aggregate_reads
from riskgrade.rules.types import Schema


def unit_frame(
    program: Program, units: Iterable[tuple[Enterprise, Mapping[str, Any]]]
) -> pl.DataFrame:
    """Validated units (each with the policy's extra facts) as one typed table."""
    schema = program.policy.schema
    rows = ({**facts_of(unit), **extras} for unit, extras in units)
    return frame_of(rows, {n: t for n, t in schema.items() if n not in _derived(program)})


def _derived(program: Program) -> set[str]:
    return {d.name for d in program.policy.derived}


def with_derived(frame: pl.DataFrame, program: Program, as_of: dt.date) -> pl.DataFrame:
    """``frame`` with a column for each of the policy's derived facts."""
    steps = program.kept(("derived", as_of), lambda: _derived_steps(program, as_of))
    for compiler, columns in steps:
        frame = with_aggregates(frame, compiler).with_columns(columns)
    return frame


def _derived_steps(program: Program, as_of: dt.date) -> list[tuple[Columnar, list[pl.Expr]]]:
    """The derived facts' columns in steps, each with the compiler that met their aggregates:
    a fact goes in the step after the last of the derived facts before it that it reads (the
    policy lists them in dependency order), so that one query adds many."""
    derived, schema = program.policy.derived, program.policy.schema
    step_of: dict[str, int] = {}
    for fact in derived:
        reads = {n for case in fact.cases for node in case for n in _reads(node, schema)}
        step_of[fact.name] = 1 + max((step_of[n] for n in reads if n in step_of), default=-1)
    steps: list[tuple[Columnar, list[pl.Expr]]] = [
        (Columnar(schema, as_of), []) for _ in set(step_of.values())
    ]
    for fact in derived:
        compiler, columns = steps[step_of[fact.name]]
        chain: Any = None
        for when, then in fact.cases:
            condition, result = compiler.expr(when), compiler.expr(then)
            chain = (pl if chain is None else chain).when(condition.is_null()).then(None)
            chain = chain.when(condition).then(result)
        value = chain.otherwise(None) if chain is not None else pl.lit(None)
        columns.append(value.alias(fact.name))
    return steps


def _reads(node: Node, schema: Schema) -> set[str]:
    """The facts ``node`` reads, also inside aggregates' conditions (as the checker orders the
    derived facts by them)."""
    return names_in(node) | aggregate_reads(node, schema)


def rule_outcomes(frame: pl.DataFrame, program: Program, as_of: dt.date) -> pl.DataFrame:
    """One Boolean column per rule, in policy order and named by rule id, beside :data:`ROW`."""
    compiler, columns = program.kept(("outcomes", as_of), lambda: _outcomes(program, as_of))
    return with_aggregates(frame, compiler).select(ROW, *columns)


def _outcomes(program: Program, as_of: dt.date) -> tuple[Columnar, list[pl.Expr]]:
    compiler = Columnar(program.policy.schema, as_of)
    return compiler, [
        compiler.expr(rule.condition).cast(pl.Boolean).alias(rule.rule.id)
        for rule in program.policy.rules
    ]


def unit_outcomes(
    program: Program, units: list[tuple[Enterprise, Mapping[str, Any]]], as_of: dt.date
) -> list[list[Outcome]]:
    """Stage 5 for validated units as one table: each unit's rule outcomes in policy order
    (what :func:`riskgrade.grading.evaluate.evaluate_compiled` gives unit by unit)."""
    if not units:
        return []
    frame = with_derived(unit_frame(program, units), program, as_of)
    names: dict[bool | None, Outcome] = {True: "true", None: "unknown", False: "false"}
    table = rule_outcomes(frame, program, as_of).drop(ROW)
    return [[names[value] for value in row] for row in table.iter_rows()]


def grade_table(
    program: Program, units: Iterable[tuple[Enterprise, Mapping[str, Any]]], as_of: dt.date
) -> pl.DataFrame:
    """Stages 5–7 for validated units, as one table in their order: the flat result columns
    of ``riskgrade grade`` (:data:`riskgrade.batch.write.RESULT_COLUMNS`), then the band
    level and the overrides applied."""
    return _grade(unit_frame(program, units), program, as_of)[0]


def grade_records(
    program: Program,
    validate: Callable[[Mapping[str, Any]], tuple[Enterprise, dict[str, Any]]],
    records: Iterable[Mapping[str, Any]],
    as_of: dt.date,
    columns: Sequence[str],
) -> list[dict[str, Any] | FactError]:
    """Rows of facts graded as one table: per row, in order, its ``columns`` of
    :func:`grade_table`, or the :class:`FactError` ``validate`` raised for it."""
    out: list[dict[str, Any] | FactError | None] = []
    units: list[tuple[Enterprise, dict[str, Any]]] = []
    for record in records:
        try:
            units.append(validate(record))
        except FactError as exc:
            out.append(exc)
            continue
        out.append(None)  # filled in below
    if units:
        graded = iter(grade_table(program, units, as_of).select(columns).to_dicts())
        out = [item if item is not None else next(graded) for item in out]
    return [item for item in out if item is not None]


_PROBE = {"id": "probe", "industry": "retail", "employees": 1}


def unfit(
    program: Program, validate: Callable[[Mapping[str, Any]], tuple[Enterprise, dict[str, Any]]]
) -> str | None:
    """Why the columnar engine cannot grade ``program``'s units as tables, or None: a
    property of the policy alone (a derived fact named like a result column, points of more
    than six decimals), found by grading one unit as a table (None too if that unit does not
    validate under the policy). Found once per policy."""
    return program.kept(("unfit",), lambda: _probed(program, validate))


def _probed(
    program: Program, validate: Callable[[Mapping[str, Any]], tuple[Enterprise, dict[str, Any]]]
) -> str | None:
    try:
        grade_records(program, validate, [_PROBE], dt.date(2026, 1, 1), ["id"])
    except EngineError as exc:
        return str(exc)
    except NotImplementedError as exc:  # what the translation has no expression for
        return f"the columnar engine cannot grade {exc}: grade on another engine"
    return None


def grade_valid_frame(program: Program, frame: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """:func:`grade_table` for units validated as one typed table, as
    :func:`riskgrade.grading.columnar_validate.validate_frame` gives them (facts by name, the
    policy's extra facts beside them; other columns are ignored): the same columns, one row per
    unit in the table's order, without a Python dict per unit."""
    return grade_with_outcomes(program, frame, as_of)[0]


def grade_with_outcomes(
    program: Program,
    frame: pl.DataFrame,
    as_of: dt.date,
    extra: Mapping[str, pl.Expr] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`grade_valid_frame`, and the rule outcomes it graded on (:func:`rule_outcomes`,
    in the same order); ``extra``: more result columns, by name, computed over the graded
    table (its facts, derived facts and inner columns)."""
    derived = _derived(program)
    schema = {n: dtype_of(t) for n, t in program.policy.schema.items() if n not in derived}
    frame = frame.select(
        (pl.col(n) if n in frame.columns else pl.lit(None)).cast(dtype).alias(n)
        for n, dtype in schema.items()
    ).with_row_index(ROW)
    return _grade(frame, program, as_of, extra)


def _grade(
    frame: pl.DataFrame,
    program: Program,
    as_of: dt.date,
    extra: Mapping[str, pl.Expr] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Stages 5–7 over a typed table of units' facts numbered by :data:`ROW`: the results
    (and ``extra``'s columns after them), and the rule outcomes."""
    from riskgrade.grading import columnar_recommend, columnar_score

    frame = with_derived(frame, program, as_of)
    outcomes = rule_outcomes(frame, program, as_of)
    findings = columnar_score.rule_findings(outcomes, frame["id"], program, as_of)
    duty = columnar_score.duty(findings, program)
    frame = _beside(frame, duty)
    frame = _beside(frame, findings.drop(*duty.columns[1:], strict=False))
    frame = _beside(frame, columnar_score.risk(frame, program, as_of))
    frame = _beside(frame, columnar_recommend.recommend(frame, program, as_of))
    labels = {level.name.lower(): level.label_zh for level in RiskLevel}
    # the unit's tier is its ``tier`` fact where that is text (as the per-unit score reads it)
    typ = program.policy.schema.get("tier")
    textual = "tier" in frame.columns and typ is not None and typ.is_textual
    tier = pl.col("tier").cast(pl.String) if textual else pl.lit(None, pl.String)
    results = frame.sort(ROW).select(
        "id",
        "name",
        "risk_level",
        pl.col("risk_level").replace_strict(labels, return_dtype=pl.String).alias("risk_label_zh"),
        "duty_grade",
        "duty_score",
        "risk_score",
        tier.alias("tier"),
        "violations",
        columnar_recommend.missing(frame, program).alias("data_gaps"),
        "recommendations",
        "top_countermeasures_zh",
        "assumed_violations",
        "band_level",
        "overrides",
        *(expr.alias(name) for name, expr in (extra or {}).items()),
    )
    return results, outcomes.sort(ROW).drop(ROW)


def _beside(frame: pl.DataFrame, other: pl.DataFrame) -> pl.DataFrame:
    """``other``'s columns beside ``frame``'s: both hold the same units in the same order
    (every stage selects from the one before it), so no join is needed."""
    if not other[ROW].equals(frame[ROW]):  # a stage that reordered its rows: a bug here
        raise AssertionError("columnar stages out of step")
    if taken := [name for name in other.columns[1:] if name in frame.columns]:
        raise EngineError(
            f"the columnar engine names a column of its results {taken[0]!r}, and so does a "
            "fact of the policy: rename the fact, or grade on another engine"
        )
    return frame.hstack(other.drop(ROW).get_columns())


@dataclass(frozen=True)
class GradedFrame:
    """A table graded at once: one results row per valid input row, one failed row per
    invalid one; ``index`` in both is the row's 0-based position in the input."""

    results: pl.DataFrame
    """``index``, then the columns of :func:`grade_table`."""
    failed: pl.DataFrame
    """``index``, ``id`` (None when the row has none) and ``errors``: a list of
    ``{field, message}``, every bad field of the row."""


FAILED_SCHEMA: dict[str, pl.DataType] = {
    "index": pl.Int64(),
    "id": pl.String(),
    "errors": pl.List(pl.Struct({"field": pl.String, "message": pl.String})),
}


def grade_frame(
    program: Program,
    table: Any,
    as_of: dt.date,
    validate: Callable[[Mapping[str, Any]], tuple[Enterprise, dict[str, Any]]],
) -> GradedFrame:
    """Grade every row of a Polars, pandas or Arrow ``table`` of facts (columns named as the
    fact schema or its Chinese aliases); ``validate`` is the policy's per-row validation,
    which the whole-table validation (:func:`~riskgrade.grading.columnar_validate.validate_frame`)
    is held equal to by a differential test, and is no longer called here."""
    from riskgrade.grading.columnar_validate import validate_frame

    valid, failed = validate_frame(as_polars(table), program.policy)
    results = (
        grade_valid_frame(program, valid, as_of).insert_column(0, valid["index"])
        if valid.height
        else pl.DataFrame(schema={"index": pl.Int64})
    )
    return GradedFrame(results, failed.cast(pl.Schema(FAILED_SCHEMA)))


def as_polars(table: Any) -> pl.DataFrame:
    """A Polars frame of ``table``: a Polars, pandas or Arrow table (or a list of dicts)."""
    if isinstance(table, pl.DataFrame):
        return table
    if isinstance(table, pl.LazyFrame):
        return table.collect()
    module = type(table).__module__.split(".")[0]
    if module == "pandas":
        return pl.from_pandas(table)
    if module == "pyarrow":
        converted = pl.from_arrow(table)
        assert isinstance(converted, pl.DataFrame)
        return converted
    if isinstance(table, list):
        return pl.DataFrame(table)
    raise TypeError(f"expected a Polars, pandas or Arrow table, got {type(table).__name__}")
