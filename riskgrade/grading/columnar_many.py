"""``Policy.grade_many`` on the columnar engine: chunks of rows graded as tables.

The first row is graded on its own (see :data:`FIRST`); then each chunk of rows becomes one
table (:mod:`riskgrade.grading.columnar_rows`), validated and graded at once. Each valid row
yields an :class:`~riskgrade.Assessment` holding what the table gave (id, name, risk level,
duty grade) whose score, findings, recommendations, trace and waivers are built when first
read (:meth:`~riskgrade.Assessment.deferred`), by the per-unit pipeline from the rule outcomes
the table computed: iterating a batch and reading its levels costs little more than the
table's evaluation. A failed row yields the :class:`GradeError` that pydantic's validation of
the row gives, word for word.

Rows the table cannot hold exactly (an unknown key, a fact named twice, odd items), and rows
the two validations judge differently (a count beyond 64 bits), go the per-row way: validated
one by one, their rules evaluated as one table, graded whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any

import polars as pl

from riskgrade.assessment import DEFERRED, Assessment, DutyGrade, RiskLevel
from riskgrade.errors import EngineError, FactError, GradeError
from riskgrade.facts import Enterprise
from riskgrade.grading.columnar import grade_with_outcomes, unit_outcomes
from riskgrade.grading.columnar_recommend import gapped
from riskgrade.grading.columnar_rows import ITEM_KEYS, rows_frame, unencodable
from riskgrade.grading.columnar_validate import validate_frame
from riskgrade.grading.evaluate import Outcome, facts_of
from riskgrade.grading.pipeline import grade_unit, row_id

if TYPE_CHECKING:
    from riskgrade.policy import Policy

CHUNK = 20_000
"""Rows per table: the table's fixed cost (about 0.1 s) is spread over this many rows."""
FIRST = 1
"""Rows graded before the first table, one by one (validated by pydantic, the rules still
evaluated as a table), so that the first result needs only the first row: 36 ms, where a
table of one row costs its whole fixed cost (103 ms)."""

_NESTED = frozenset(ITEM_KEYS)  # hazards, buildings, lifts, by any of their names
_LEVELS = {level.name.lower(): level for level in RiskLevel}
_GRADES = {grade.value: grade for grade in DutyGrade}
_OUTCOMES: dict[bool | None, Outcome] = {True: "true", None: "unknown", False: "false"}


def grade_rows(
    policy: Policy, rows: Iterable[Mapping[str, Any] | Enterprise], as_of: dt.date
) -> Iterator[Assessment | GradeError]:
    """One :class:`Assessment` or :class:`GradeError` per row, in order (see the module). Each
    row is copied as it is read (a source may reuse one dict); if the source fails, the rows
    read before are graded and yielded, then its exception is raised."""
    return (item for item, _ in _graded(policy, rows, as_of, None))


@dataclass(frozen=True)
class Kept:
    """What :func:`grade_rows_keeping` keeps of a graded unit beside its assessment."""

    facts: dict[str, Any]
    """The facts asked for (derived facts included), as the unit was graded on them."""
    record: dict[str, Any] | None
    """The unit's row of the results table (:func:`~riskgrade.grading.columnar.grade_table`'s
    columns, and ``data_gapped``: whether it has a data gap), read without building the
    assessment; None for a unit graded whole (its assessment holds all of it)."""


def grade_rows_keeping(
    policy: Policy,
    rows: Iterable[Mapping[str, Any] | Enterprise],
    as_of: dt.date,
    facts: Iterable[str],
) -> Iterator[tuple[Assessment, Kept] | tuple[GradeError, None]]:
    """:func:`grade_rows`, each assessment with what was kept of its unit (:class:`Kept`):
    the values of the named ``facts`` (names the policy's schema does not know are left out),
    and its results row."""
    known = set(policy.checked.schema)
    return _graded(policy, rows, as_of, tuple(n for n in facts if n in known))  # type: ignore[return-value]


def _graded(
    policy: Policy,
    rows: Iterable[Mapping[str, Any] | Enterprise],
    as_of: dt.date,
    keep: tuple[str, ...] | None,
) -> Iterator[tuple[Assessment | GradeError, Kept | None]]:
    iterator, start, first = iter(rows), 0, True
    while True:
        part: list[Any] = []
        failure: Exception | None = None
        try:
            for row in islice(iterator, FIRST if first else CHUNK):
                part.append(copied(row))
        except Exception as exc:  # the source's: after the rows it gave
            failure = exc
        if first:
            yield from _per_row(policy, part, list(range(len(part))), start, as_of, keep)
        elif part:
            yield from _chunk(policy, part, start, as_of, keep)
        if failure is not None:
            raise failure
        if not part and not first:
            return
        start, first = start + len(part), False


def copied(row: Any) -> Any:
    """``row`` as it is now: a mapping copied, with its lists of hazards, buildings and lifts
    and their dicts (a source may reuse any of them); an :class:`Enterprise` is immutable."""
    if not isinstance(row, Mapping):
        return row
    copy = dict(row)
    for key in _NESTED.intersection(copy):
        items = copy[key]
        if isinstance(items, list | tuple):
            fresh = [dict(item) if isinstance(item, dict) else item for item in items]
            copy[key] = fresh if isinstance(items, list) else tuple(fresh)
    return copy


def _chunk(
    policy: Policy, rows: list[Any], start: int, as_of: dt.date, keep: tuple[str, ...] | None
) -> Iterator[tuple[Assessment | GradeError, Kept | None]]:
    framed = rows_frame(rows, policy.checked)
    # each row's result, and what was kept of it, in two lists: no pair per row held (fewer
    # objects for the garbage collector to walk while the chunk is read)
    out: list[Assessment | GradeError | None] = [None] * len(rows)
    held: list[Kept | None] = [None] * len(rows)
    valid, failed = validate_frame(framed.frame, policy.checked)
    rest = framed.odd + [framed.kept[index] for index in failed["index"]]
    if valid.height:
        extra = None
        if keep is not None:
            extra = {_KEPT + n: pl.col(n) for n in keep} | {"data_gapped": gapped(policy.program)}
        try:
            results, outcomes = grade_with_outcomes(policy.program, valid, as_of, extra)
        except (EngineError, NotImplementedError):
            # what the whole table cannot grade (a derived fact named like a result column, a
            # deduction of more than six decimals), the per-row way can
            rest += [framed.kept[index] for index in valid["index"]]
        else:
            indexes = valid["index"].to_list()
            _defer(policy, rows, framed.kept, indexes, (results, outcomes), (out, held), as_of)
    rest.sort()
    per_row = _per_row(policy, rows, rest, start, as_of, keep)
    for position, (graded, kept) in zip(rest, per_row, strict=True):
        out[position], held[position] = graded, kept
    for at, item in enumerate(out):
        assert item is not None
        out[at] = None  # held by the caller alone from now on (it may build and drop it)
        yield item, held[at]
        held[at] = None


def _defer(
    policy: Policy,
    rows: list[Any],
    kept: list[int],
    indexes: list[int],
    graded: tuple[pl.DataFrame, pl.DataFrame],
    out: tuple[list[Assessment | GradeError | None], list[Kept | None]],
    as_of: dt.date,
) -> None:
    """A deferred assessment in ``out`` for each graded row, and what was kept of it beside
    (``indexes``: rows of the table, ``kept``: their positions in ``rows``)."""
    results, outcomes = graded
    load = _Chunk(policy, as_of, outcomes).load  # one bound method for every assessment
    assessments, kept_of = out
    checked = policy.program.policy
    name_, version, digest = checked.header.name, checked.header.version, checked.content_hash
    columns = [results[c].to_list() for c in ("id", "name", "risk_level", "duty_grade")]
    held = _kept(results) if "data_gapped" in results.columns else None
    for at, (index, unit, name, level, grade) in enumerate(zip(indexes, *columns, strict=True)):
        position = kept[index]
        values = {
            "entity_id": unit,
            "name": name,
            "as_of": as_of,
            "risk_level": _LEVELS[level],
            "duty_grade": _GRADES[grade],
            "policy_name": name_,
            "policy_version": version,
            "policy_hash": digest,
            "engine": "columnar",
            _ROW: rows[position],
            _AT: at,
        }
        assessments[position] = Assessment.deferred(load, values)
        if held is not None:
            kept_of[position] = next(held)


def _kept(results: pl.DataFrame) -> Iterator[Kept]:
    """What was kept of each unit of ``results`` (its columns of kept facts named
    :data:`_KEPT` and the fact)."""
    names = [c for c in results.columns if c.startswith(_KEPT)]
    renamed = pl.col(names).name.map(lambda c: c.removeprefix(_KEPT))
    facts = results.select(renamed).to_dicts() if names else [{} for _ in range(results.height)]
    records = results.drop(names).to_dicts()
    for record, values in zip(records, facts, strict=True):
        yield Kept(values, record)


_KEPT = "riskgrade: kept "  # results columns of the facts grade_rows_keeping keeps
_ROW, _AT = "riskgrade: row", "riskgrade: at"  # what a deferred assessment is built from


class _Chunk:
    """What the deferred parts of one chunk's assessments are built from, beside each one's
    own row: the chunk's rule outcomes (so an assessment kept unbuilt keeps its row and the
    outcomes, a bit or two per rule and unit, not the chunk's rows)."""

    def __init__(self, policy: Policy, as_of: dt.date, outcomes: pl.DataFrame) -> None:
        self.policy, self.as_of, self.outcomes = policy, as_of, outcomes

    def load(self, values: dict[str, Any]) -> dict[str, Any]:
        """The deferred fields of the assessment of ``values`` (its row, and its row ``at`` of
        the outcomes), by the per-unit pipeline on the rule outcomes the table computed; it
        must agree with what the table graded (id, risk level, duty grade)."""
        enterprise, extras = self.policy.validate(values[_ROW])
        outcomes = [_OUTCOMES[value] for value in self.outcomes.row(values[_AT])]
        whole = grade_unit(
            self.policy.program, enterprise, extras, self.as_of, "columnar", outcomes
        ).assessment
        graded = (values["entity_id"], values["risk_level"], values["duty_grade"])
        if (whole.entity_id, whole.risk_level, whole.duty_grade) != graded:
            raise EngineError(  # a bug of riskgrade's: the differential tests hold them equal
                f"the columnar engine graded {graded[0]!r} {graded[1].name} {graded[2]}, the "
                f"per-unit pipeline {whole.risk_level.name} {whole.duty_grade}"
            )
        return {name: whole.__dict__[name] for name in DEFERRED}


def _per_row(
    policy: Policy,
    rows: list[Any],
    positions: list[int],
    start: int,
    as_of: dt.date,
    keep: tuple[str, ...] | None,
) -> Iterator[tuple[Assessment | GradeError, Kept | None]]:
    """Rows graded the per-row way: validated one by one (a failed row's :class:`GradeError`
    is pydantic's), the valid ones' rules evaluated as one table."""
    checked: list[tuple[Enterprise, dict[str, Any]] | GradeError] = []
    for position in positions:
        row = rows[position]
        try:
            checked.append(policy.validate(row))
        except FactError as exc:
            unit = exc.entity_id or row_id(row)
            checked.append(GradeError(start + position, unit, exc.errors, exc))
    # a text Arrow cannot hold (a lone surrogate, as ``errors="surrogateescape"`` reads bytes
    # that are not UTF-8) has no columnar form: such a unit is graded on the compiled engine
    unit_ok = [
        not isinstance(item, GradeError)
        and not unencodable(facts_of(item[0]))
        and not unencodable(item[1])
        for item in checked
    ]
    units: list[tuple[Enterprise, Mapping[str, Any]]] = [
        i for i, ok in zip(checked, unit_ok, strict=True) if ok and not isinstance(i, GradeError)
    ]
    try:
        outcomes = iter(unit_outcomes(policy.program, units, as_of))
    except EngineError as exc:
        for position, item in zip(positions, checked, strict=True):
            if isinstance(item, GradeError):
                yield item, None
            else:
                yield _engine_error(start + position, rows[position], exc), None
        return
    for item, ok in zip(checked, unit_ok, strict=True):
        if isinstance(item, GradeError):
            yield item, None
            continue
        if ok:
            graded = grade_unit(policy.program, *item, as_of, "columnar", next(outcomes))
        else:
            graded = grade_unit(policy.program, *item, as_of, "compiled")
        kept = None if keep is None else Kept({n: graded.facts.get(n) for n in keep}, None)
        yield graded.assessment, kept


def _engine_error(index: int, row: Any, exc: EngineError) -> GradeError:
    return GradeError(index, row_id(row), [("(engine)", str(exc))], exc)
