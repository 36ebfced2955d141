"""What a policy's own test cases exercise: rules, countermeasures, grades, levels and the
score values on either side of every band boundary."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from riskgrade.assessment import Assessment, DutyGrade, RiskLevel
from riskgrade.authoring.cases import CaseResult
from riskgrade.check.checked import CheckedPolicy
from riskgrade.rules.expr import Node, constants_in


@dataclass(frozen=True)
class Boundary:
    """One band threshold, the scores nearest to it and the scores the cases tested.

    ``below``/``above`` are the nearest scores the policy's numbers can produce on each side
    (for the risk scale: every product of factor values, some of which no unit can reach, such
    as an industry-only consequence with a non-industry exposure).
    """

    scale: str  # "duty" or "risk"
    band: str
    threshold: float
    below: float | None
    above: float | None
    at_reachable: bool
    tested: frozenset[float]
    exact: bool = True
    """Duty scores move in fixed steps, so the nearest scores must be tested exactly; for
    risk products a tested score on each side of the threshold is enough."""

    @property
    def tested_below(self) -> float | None:
        """The highest tested score under the threshold (None if no case scored under it)."""
        return max((v for v in self.tested if v < self.threshold), default=None)

    @property
    def tested_above(self) -> float | None:
        """The lowest tested score over the threshold (None if no case scored over it)."""
        return min((v for v in self.tested if v > self.threshold), default=None)

    @property
    def covered(self) -> dict[str, bool]:
        """Whether the cases tested each side: ``below``, ``at`` and ``above`` the threshold."""
        if self.exact:
            below = self.below is not None and self.below in self.tested
            above = self.above is not None and self.above in self.tested
        else:
            below, above = self.tested_below is not None, self.tested_above is not None
        return {"below": below, "at": self.threshold in self.tested, "above": above}

    @property
    def complete(self) -> bool:
        """True when both sides were tested, and the threshold itself where it must be."""
        covered = self.covered
        at_needed = self.exact and self.at_reachable
        return covered["below"] and covered["above"] and (covered["at"] or not at_needed)


@dataclass(frozen=True)
class Threshold:
    """A number a condition compares a fact with, and whether cases sat just below, at and
    just above it (integers: one step either side; other numbers: within 5 %)."""

    fact: str
    value: float
    used_in: tuple[str, ...]
    below: bool | None  # None: nothing can lie below (a count compared with 0)
    at: bool
    above: bool

    @property
    def sides(self) -> int:
        """How many of below, at and above the cases tested (0 to 3)."""
        return int(bool(self.below)) + int(self.at) + int(self.above)

    @property
    def possible(self) -> int:
        """How many sides can be tested: 2 when nothing lies below, else 3."""
        return 2 if self.below is None else 3


@dataclass
class Coverage:
    """Counts of how often each policy element was reached by the test cases."""

    rules: Counter[str] = field(default_factory=Counter)
    recommendations: Counter[str] = field(default_factory=Counter)
    duty_grades: Counter[str] = field(default_factory=Counter)
    risk_levels: Counter[str] = field(default_factory=Counter)
    boundaries: list[Boundary] = field(default_factory=list)
    thresholds: list[Threshold] = field(default_factory=list)
    all_rules: list[str] = field(default_factory=list)
    all_recommendations: list[str] = field(default_factory=list)

    def missing(self) -> list[str]:
        """Everything the cases never reach, as readable lines (empty when complete)."""
        out = [f"rule {r}" for r in self.all_rules if not self.rules[r]]
        out += [
            f"recommendation {r}" for r in self.all_recommendations if not self.recommendations[r]
        ]
        out += [f"duty grade {g}" for g in DutyGrade.names() if not self.duty_grades[g]]
        out += [f"risk level {lvl}" for lvl in RiskLevel.names() if not self.risk_levels[lvl]]
        for b in self.boundaries:
            if not b.complete:
                gaps = [side for side, ok in b.covered.items() if not ok]
                out.append(
                    f"{b.scale} boundary {b.band} {b.threshold:g}: {', '.join(gaps)} untested"
                )
        return out

    def counts(self) -> tuple[int, int]:
        """(items covered, items in all): rules, countermeasures, grades, levels, band
        boundaries (each needed side) and numeric thresholds (three sides each)."""
        hit = sum(1 for r in self.all_rules if self.rules[r])
        hit += sum(1 for r in self.all_recommendations if self.recommendations[r])
        hit += sum(1 for g in DutyGrade.names() if self.duty_grades[g])
        hit += sum(1 for lvl in RiskLevel.names() if self.risk_levels[lvl])
        total = len(self.all_rules) + len(self.all_recommendations) + 8
        for b in self.boundaries:
            sides = ["below", "above"] + (["at"] if b.exact and b.at_reachable else [])
            hit += sum(1 for side in sides if b.covered[side])
            total += len(sides)
        hit += sum(t.sides for t in self.thresholds)
        total += sum(t.possible for t in self.thresholds)
        return hit, total

    @property
    def percent(self) -> float:
        """The share of covered items in per cent (100 when there is nothing to cover)."""
        hit, total = self.counts()
        return 100.0 * hit / total if total else 100.0

    def render_thresholds(self) -> str:
        """One line per numeric threshold: fact, value, sides tested and where it is used."""
        lines = []
        for th in self.thresholds:
            marks = " ".join(
                f"{name}={'-' if ok is None else 'yes' if ok else 'no'}"
                for name, ok in (("below", th.below), ("at", th.at), ("above", th.above))
            )
            lines.append(f"  {th.fact} {th.value:g}: {marks}  ({', '.join(th.used_in)})")
        return "\n".join(lines)

    def render(self) -> str:
        """The coverage report as text: shares reached, band boundaries and what is not covered."""

        def share(counter: Counter[str], names: list[str]) -> str:
            hit = sum(1 for n in names if counter[n])
            return f"{hit}/{len(names)}"

        lines = [
            f"rules reached {share(self.rules, self.all_rules)}, "
            f"countermeasures reached {share(self.recommendations, self.all_recommendations)}, "
            f"duty grades {share(self.duty_grades, list('ABCD'))}, "
            f"risk levels {share(self.risk_levels, ['blue', 'yellow', 'orange', 'red'])}"
        ]
        for b in self.boundaries:
            marks = " ".join(f"{side}={'yes' if ok else 'no'}" for side, ok in b.covered.items())
            tested = f"tested {_g(b.tested_below)} < {b.threshold:g} < {_g(b.tested_above)}"
            nearest = f"possible {_g(b.below)} < {b.threshold:g} < {_g(b.above)}"
            lines.append(f"  {b.scale} {b.band} >= {b.threshold:g}: {marks} ({tested}; {nearest})")
        lines.extend(f"  NOT COVERED: {line}" for line in self.missing())
        return "\n".join(lines)


def coverage(policy: CheckedPolicy, results: list[CaseResult]) -> Coverage:
    """Measure what ``results`` (from :func:`riskgrade.authoring.cases.run_cases`) exercised."""
    cov = Coverage(
        all_rules=[r.rule.id for r in policy.rules] + [o.override.id for o in policy.overrides],
        all_recommendations=list(policy.catalogue),
    )
    assessments: list[Assessment] = [r.assessment for r in results if r.assessment is not None]
    for a in assessments:
        cov.rules.update({f.rule for f in a.findings if f.kind in ("violation", "override")})
        cov.recommendations.update(r.id for r in a.recommendations)
        cov.duty_grades[a.duty_grade.value] += 1
        cov.risk_levels[a.risk_level.name.lower()] += 1
    duty_scores = frozenset(a.score.duty_score for a in assessments)
    risk_scores = frozenset(a.score.risk_score for a in assessments)
    step = _step([r.rule.deduction for r in policy.rules])
    for grade, band in policy.scoring.duty.bands.items():
        if band.min <= 0:
            continue
        cov.boundaries.append(
            Boundary("duty", grade, band.min, band.min - step, band.min + step, True, duty_scores)
        )
    cov.thresholds = _thresholds(policy, results)
    reachable = sorted(_products(policy))
    for level, band in policy.scoring.risk.bands.items():
        if band.min <= 0:
            continue
        below = max((v for v in reachable if v < band.min), default=None)
        above = min((v for v in reachable if v > band.min), default=None)
        cov.boundaries.append(
            Boundary(
                "risk", level, band.min, below, above, band.min in reachable, risk_scores, False
            )
        )
    return cov


def _conditions(policy: CheckedPolicy) -> list[tuple[str, Node]]:
    out: list[tuple[str, Node]] = [(r.rule.id, r.condition) for r in policy.rules]
    out += [(o.override.id, o.condition) for o in policy.overrides]
    for derived in policy.derived:
        out += [(derived.name, node) for case in derived.cases for node in case]
    for name, rows in policy.factors.items():
        out += [(f"factor {name}", row.condition) for row in rows]
    return out


def _observed(facts: Mapping[str, Any], name: str) -> list[float]:
    """The numbers a case holds for ``name``: the fact itself, or that field of list items."""
    value = facts.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [value]
    found = []
    for other in facts.values():
        if isinstance(other, list | tuple):
            for item in other:
                if isinstance(item, Mapping):
                    v = item.get(name)
                    if isinstance(v, int | float) and not isinstance(v, bool):
                        found.append(v)
    return found


def _thresholds(policy: CheckedPolicy, results: list[CaseResult]) -> list[Threshold]:
    used: dict[tuple[str, float], list[str]] = {}
    for where, node in _conditions(policy):
        for fact, value in constants_in(node):
            places = used.setdefault((fact, float(value)), [])
            if where not in places:
                places.append(where)
    out = []
    for (fact, value), places in sorted(used.items()):
        seen = [v for r in results for v in _observed(r.facts, fact)]
        integral = value.is_integer() and all(float(v).is_integer() for v in seen)
        step = 1.0 if integral else max(1.0, abs(value) * 0.05)
        below: bool | None
        if integral and value == 0:
            below = None  # counts are never negative
        elif integral:
            below = value - 1 in seen
        else:
            below = any(value - step <= v < value for v in seen)
        above = any(value < v <= value + step for v in seen) if not integral else value + 1 in seen
        out.append(Threshold(fact, value, tuple(places), below, value in seen, above))
    return out


def _g(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _step(deductions: list[float]) -> float:
    """The smallest difference two duty scores can have (gcd of the deductions)."""
    cents = [round(d * 100) for d in deductions if d > 0]
    return (math.gcd(*cents) / 100) if cents else 1.0


def _products(policy: CheckedPolicy) -> set[float]:
    """Every risk score the factor tables can combine to."""
    names = list(policy.factors)
    values = [sorted({row.value for row in policy.factors[n]}) for n in names]
    out = set()
    for combo in itertools.product(*values):
        out.add(float(policy.risk_method.combine(dict(zip(names, combo, strict=True)))))
    return out


__all__ = ["Boundary", "Coverage", "coverage"]
