"""Grade the same enterprises under two policy versions and compare."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from itertools import tee
from typing import Any

from riskgrade.assessment import Assessment, DutyGrade, RiskLevel
from riskgrade.batch.names import FieldNames
from riskgrade.errors import GradeError
from riskgrade.policy import EngineName, Policy

LEVELS = RiskLevel.names()
GRADES = DutyGrade.names()


@dataclass(frozen=True)
class Change:
    """One unit whose level or grade moved, with the rules that fire under only one policy."""

    entity_id: str
    name: str | None
    old_level: str
    new_level: str
    old_grade: str
    new_grade: str
    rules_added: tuple[str, ...]
    rules_removed: tuple[str, ...]


GRADED, FAILED = "graded", "failed"


@dataclass(frozen=True)
class Failure:
    """A row that could not be graded under one policy or both: ``old`` and ``new`` are each
    ``"graded"`` or ``"failed"``, ``before``/``after`` the level/grade where it was graded
    (``"blue/A"``), ``errors`` the field errors where it failed."""

    index: int
    entity_id: str | None
    old: str
    new: str
    before: str | None
    after: str | None
    errors: tuple[str, ...]

    @property
    def transition(self) -> str:
        """``graded → failed``, ``failed → graded`` or ``failed → failed``."""
        return f"{self.old} → {self.new}"


@dataclass
class PolicyDiff:
    """How the same units grade under an old and a new policy: level and grade transitions
    (``levels[old][new]`` counts units), the units that moved, and the population stability
    index of the level shares (``psi``; above about 0.25 the distribution shifted markedly)."""

    old: str
    new: str
    units: int = 0
    failed: int = 0
    levels: dict[str, Counter[str]] = field(default_factory=dict)
    grades: dict[str, Counter[str]] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    psi: float = 0.0
    failures: list[Failure] = field(default_factory=list)
    """Rows that failed under either policy, in input order (``failed`` counts them)."""

    def transitions(self) -> Counter[str]:
        """How many failed rows made each transition (``graded → failed`` ...)."""
        return Counter(f.transition for f in self.failures)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "old": self.old,
            "new": self.new,
            "units": self.units,
            "failed": self.failed,
            "levels": {k: dict(v) for k, v in self.levels.items()},
            "grades": {k: dict(v) for k, v in self.grades.items()},
            "changes": [dataclasses.asdict(c) for c in self.changes],
            "psi": self.psi if self.units else None,
            "failures": [
                {**dataclasses.asdict(f), "errors": list(f.errors)} for f in self.failures
            ],
            "transitions": dict(sorted(self.transitions().items())),
            "level_share": {"old": self.level_share("old"), "new": self.level_share("new")},
        }

    def level_share(self, which: str) -> dict[str, float]:
        """The share of each level under the old (``which="old"``) or new policy."""
        counts: Counter[str] = Counter()
        for old, row in self.levels.items():
            for new, n in row.items():
                counts[old if which == "old" else new] += n
        total = sum(counts.values()) or 1
        return {lvl: counts[lvl] / total for lvl in LEVELS}


def population_stability_index(old: Mapping[str, float], new: Mapping[str, float]) -> float:
    """PSI = Σ (new − old) · ln(new / old), with empty bins floored at 0.0001."""
    floor = 1e-4
    total = 0.0
    for key in sorted(old.keys() | new.keys()):  # a set's order varies with the hash seed
        p, q = max(old.get(key, 0.0), floor), max(new.get(key, 0.0), floor)
        total += (q - p) * math.log(q / p)
    return total


def _graded(
    policy: Policy, rows: Iterable[Mapping[str, Any]], as_of: dt.date, engine: EngineName
) -> Iterator[tuple[Assessment | GradeError, Callable[[], set[str]]]]:
    """Each row's assessment (or error) under ``policy``, with the rules it breaches or that
    override its level: on the columnar engine read from the results table, so that no
    assessment is built."""
    from riskgrade.grading.columnar_copy import thawed
    from riskgrade.grading.columnar_many import grade_rows_keeping

    if engine != "columnar":  # (the per-row engines take mappings, not frozen copies)
        for graded in policy.grade_many(map(thawed, rows), as_of=as_of, engine=engine):
            yield graded, partial(_fired, graded)
        return
    for graded, kept in grade_rows_keeping(policy, rows, as_of, ()):
        record = kept.record if kept is not None else None
        if record is None:
            yield graded, partial(_fired, graded)
        else:
            fired = {*record["violations"].split(), *record["overrides"]}
            yield graded, fired.copy


def _fired(a: Assessment | GradeError) -> set[str]:
    assert isinstance(a, Assessment)
    return {f.rule for f in a.findings if f.kind in ("violation", "override")}


def diff_policies(
    old: Policy,
    new: Policy,
    rows: Iterable[Mapping[str, Any]],
    *,
    as_of: dt.date,
    engine: EngineName = "columnar",
    names: FieldNames | None = None,
) -> PolicyDiff:
    """Grade every row under both policies; rows that fail under either are counted, their
    fields named by ``names`` (the ledger's own headers) where given. Each policy grades the
    rows as one batch (:meth:`~riskgrade.Policy.grade_many`): on the columnar engine, the
    default, a table at a time, building the findings of changed units only."""
    result = PolicyDiff(old=f"{old.name} {old.version}", new=f"{new.name} {new.version}")
    result.levels = {lvl: Counter() for lvl in LEVELS}
    result.grades = {g: Counter() for g in GRADES}
    from riskgrade.grading.columnar_copy import Shapes, copied

    # each batch reads ahead a table's rows at most; each row copied as it is read, as a
    # source may reuse one dict
    shapes = Shapes()
    first, second = tee(copied(row, shapes) for row in rows)
    graded = zip(
        _graded(old, first, as_of, engine), _graded(new, second, as_of, engine), strict=True
    )
    for index, ((before, fired_before), (after, fired_after)) in enumerate(graded):
        if isinstance(before, GradeError) or isinstance(after, GradeError):
            result.failed += 1
            result.failures.append(_failure(index, before, after, names or FieldNames()))
            continue
        result.units += 1
        old_level, new_level = _name(before.risk_level), _name(after.risk_level)
        result.levels[old_level][new_level] += 1
        result.grades[before.duty_grade.value][after.duty_grade.value] += 1
        if (old_level, before.duty_grade) != (new_level, after.duty_grade):
            result.changes.append(
                Change(
                    entity_id=before.entity_id,
                    name=before.name,
                    old_level=old_level,
                    new_level=new_level,
                    old_grade=before.duty_grade.value,
                    new_grade=after.duty_grade.value,
                    rules_added=tuple(sorted(fired_after() - fired_before())),
                    rules_removed=tuple(sorted(fired_before() - fired_after())),
                )
            )
    result.psi = population_stability_index(result.level_share("old"), result.level_share("new"))
    return result


def _failure(
    index: int, before: Assessment | GradeError, after: Assessment | GradeError, names: FieldNames
) -> Failure:
    """The failure record of a row that failed under at least one policy."""
    errors: list[str] = []
    for outcome in (before, after):
        if isinstance(outcome, GradeError):
            named = names.errors(outcome.errors)
            errors += [f"{f}: {m}" for f, m in named if f"{f}: {m}" not in errors]
    graded = [o for o in (before, after) if isinstance(o, Assessment)]
    entity = (
        graded[0].entity_id
        if graded
        else next(
            (o.entity_id for o in (before, after) if isinstance(o, GradeError) and o.entity_id),
            None,
        )
    )
    return Failure(
        index=index,
        entity_id=entity,
        old=FAILED if isinstance(before, GradeError) else GRADED,
        new=FAILED if isinstance(after, GradeError) else GRADED,
        before=_shown(before),
        after=_shown(after),
        errors=tuple(errors),
    )


def _shown(outcome: Assessment | GradeError) -> str | None:
    if isinstance(outcome, GradeError):
        return None
    return f"{_name(outcome.risk_level)}/{outcome.duty_grade.value}"


def _name(level: RiskLevel) -> str:
    return level.name.lower()
