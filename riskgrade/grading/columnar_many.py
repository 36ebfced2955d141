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
from functools import partial
from itertools import islice
from typing import TYPE_CHECKING, Any

import polars as pl

from riskgrade.assessment import DEFERRED, Assessment, DutyGrade, RiskLevel
from riskgrade.errors import EngineError, FactError, GradeError
from riskgrade.facts import Enterprise
from riskgrade.grading.columnar import grade_with_outcomes, unit_outcomes
from riskgrade.grading.columnar_copy import Shapes, copied, thawed
from riskgrade.grading.columnar_recommend import gapped
from riskgrade.grading.columnar_rows import rows_frame, unencodable
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
    copy = partial(copied, shapes=Shapes())  # the rows' key orders, shared by their copies
    while True:
        part: list[Any] = []
        failure: Exception | None = None
        try:
            part += map(copy, islice(iterator, FIRST if first else CHUNK))
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


def _chunk(
    policy: Policy, rows: list[Any], start: int, as_of: dt.date, keep: tuple[str, ...] | None
) -> Iterator[tuple[Assessment | GradeError, Kept | None]]:
    framed = rows_frame(rows, policy.checked)
    # each row's result: a row the table graded holds its row of the results (an int) until
    # it is yielded, when its assessment is made: the chunk holds no assessment, so no
    # object per row lives long enough for the garbage collector to walk it again and again
    out: list[Assessment | GradeError | int | None] = [None] * len(rows)
    held: list[Kept | None] = [None] * len(rows)
    valid, failed = validate_frame(framed.frame, policy.checked)
    rest = framed.odd + [framed.kept[index] for index in failed["index"]]
    made: _Made | None = None
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
            made = _Made(policy, as_of, results, outcomes)
            for at, index in enumerate(valid["index"].to_list()):
                out[framed.kept[index]] = at
    rest.sort()
    per_row = _per_row(policy, rows, rest, start, as_of, keep)
    for position, (graded, kept) in zip(rest, per_row, strict=True):
        out[position], held[position] = graded, kept
    for position, item in enumerate(out):
        assert item is not None
        out[position] = None  # held by the caller alone from now on (it may build and drop it)
        if type(item) is int:
            assert made is not None
            rows[position], row = None, rows[position]  # the assessment's alone too
            yield made.assessment(item, row), made.kept(item)
        else:
            yield item, held[position]  # type: ignore[misc]
            held[position] = None


class _Made:
    """What a chunk's assessments are made from as they are yielded: the table's columns of
    the fields it graded, and what their deferred parts are built from (:class:`_Chunk`)."""

    def __init__(
        self, policy: Policy, as_of: dt.date, results: pl.DataFrame, outcomes: pl.DataFrame
    ) -> None:
        self.load = _Chunk(policy, as_of, outcomes).load  # one bound method for them all
        self.as_of = as_of
        checked = policy.program.policy
        self.policy = checked.header.name, checked.header.version, checked.content_hash
        self.ids, self.names = results["id"].to_list(), results["name"].to_list()
        self.levels = [_LEVELS[level] for level in results["risk_level"].to_list()]
        self.grades = [_GRADES[grade] for grade in results["duty_grade"].to_list()]
        self.held = _kept(results) if "data_gapped" in results.columns else None

    def assessment(self, at: int, row: Any) -> Assessment:
        """The deferred assessment of the table's row ``at``, the copy ``row`` of its input."""
        name_, version, digest = self.policy
        values = {
            "entity_id": self.ids[at],
            "name": self.names[at],
            "as_of": self.as_of,
            "risk_level": self.levels[at],
            "duty_grade": self.grades[at],
            "policy_name": name_,
            "policy_version": version,
            "policy_hash": digest,
            "engine": "columnar",
            _ROW: row,
            _AT: at,
        }
        return Assessment.deferred(self.load, values)

    def kept(self, at: int) -> Kept | None:
        """What was kept of the table's row ``at``, if anything is kept."""
        if self.held is None:
            return None
        facts, records = self.held
        kept = Kept(facts[at], records[at])
        facts[at] = records[at] = None  # type: ignore[call-overload]  # the caller's alone
        return kept


def _kept(results: pl.DataFrame) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What was kept of each unit of ``results``: its kept facts (the columns named
    :data:`_KEPT` and the fact) and its record (the other columns)."""
    names = [c for c in results.columns if c.startswith(_KEPT)]
    renamed = pl.col(names).name.map(lambda c: c.removeprefix(_KEPT))
    facts = results.select(renamed).to_dicts() if names else [{} for _ in range(results.height)]
    return facts, results.drop(names).to_dicts()


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
        enterprise, extras = self.policy.validate(thawed(values[_ROW]))
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
        row = thawed(rows[position])
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
                yield _engine_error(start + position, thawed(rows[position]), exc), None
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
