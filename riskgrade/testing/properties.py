"""Property checks for whole policies, with shrinking, reported in policy terms."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskgrade.assessment import Assessment
from riskgrade.errors import PropertyFailure, RiskgradeError
from riskgrade.facts import ITEM_WORSE, WORSE, Direction
from riskgrade.policy import EngineName, Policy
from riskgrade.testing.strategies import enterprises

Facts = dict[str, Any]
CHECKS = ("totality", "determinism", "justification", "unique", "monotonic", "unknown")


def directions(policy: Policy) -> dict[str, Direction]:
    """The declared worse direction of every fact: the schema's and the policy's own."""
    out = dict(WORSE)
    out.update({n: d.worse for n, d in policy.checked.extra_facts.items() if d.worse})
    return out


def worsen(facts: Facts, name: str, direction: Direction, step: int = 1) -> Facts | None:
    """``facts`` with ``name`` one step worse, or None when it cannot get worse (unknown,
    already at its worst, or worsening would break a count's total)."""
    value = facts.get(name)
    if value is None:
        return None
    worse = dict(facts)
    if direction in ("true", "false"):
        target = direction == "true"
        if value is target:
            return None
        worse[name] = target
    elif direction == "older":
        worse[name] = (dt.date.fromisoformat(str(value)) - dt.timedelta(days=30 * step)).isoformat()
    elif direction == "higher":
        worse[name] = value + step
        for part, total in (
            ("migrant_workers", "employees"),
            ("special_workers", "employees"),
            ("worst_accident_deaths_3y", "fatalities_3y"),
            ("penalties_180d", "penalties_12m"),
        ):
            if (
                name == part
                and total in worse
                and worse[total] is not None
                and worse[name] > worse[total]
            ):
                worse[total] = worse[name]  # more of a kind of worker means more workers
    else:
        if value - step < 0:
            return None
        worse[name] = value - step
    return worse


def worsen_item(
    facts: Facts, group: str, index: int, field: str, direction: Direction
) -> Facts | None:
    """``facts`` with ``field`` of item ``index`` in list ``group`` (e.g. a hazard's
    ``deadline``) one step worse, or None when there is no such item or it cannot get worse."""
    items = facts.get(group)
    if not items or index >= len(items):
        return None
    changed = worsen(dict(items[index]), field, direction)
    if changed is None:
        return None
    worse = dict(facts)
    worse[group] = [*items[:index], changed, *items[index + 1 :]]
    return worse


def _open_hazard(facts: Facts, level: str) -> Facts | None:
    if facts.get("hazards") is None:
        return None
    hazard = {"id": "HX", "level": level, "found_on": "2000-01-01", "deadline": "2000-02-01"}
    return {**facts, "hazards": [*facts["hazards"], hazard]}


def _fired(a: Assessment) -> set[str]:
    return {f.rule for f in a.findings if f.kind in ("violation", "override")}


def _describe(a: Assessment) -> str:
    return f"{a.risk_level.name.lower()}/{a.duty_grade.value}"


def _better(after: Assessment, before: Assessment) -> bool:
    return after.risk_level < before.risk_level or after.duty_grade.rank < before.duty_grade.rank


def _responsible(before: Assessment, after: Assessment) -> str:
    gone = sorted(_fired(before) - _fired(after))
    new = sorted(_fired(after) - _fired(before))
    return f"rules firing only before: {gone}; only after: {new}"


def check_assessment(policy: Policy, facts: Facts, a: Assessment) -> None:
    """Justification and uniqueness of one assessment."""
    rules = {f.rule for f in a.findings}
    for rec in a.recommendations:
        if not rec.because or not set(rec.because) <= rules:
            raise PropertyFailure(
                f"justification: countermeasure {rec.id!r} cites {rec.because}, but the findings "
                f"are {sorted(rules)}"
            )
    for finding in a.findings:
        if not finding.basis:
            raise PropertyFailure(f"justification: finding {finding.rule!r} cites no legal basis")
    ids: list[str] = [r.id for r in a.recommendations]
    if len(ids) != len(set(ids)):
        raise PropertyFailure(f"unique: a countermeasure appears twice: {ids}")
    closure = policy.checked.supersedes_closure
    for rec_id in ids:
        superseded = closure.get(rec_id, frozenset()) & set(ids)
        if superseded:
            raise PropertyFailure(
                f"unique: {rec_id!r} is shown with {sorted(superseded)}, which it supersedes"
            )


def assert_policy_properties(
    policy: Policy,
    *,
    max_examples: int = 200,
    as_of: dt.date | None = None,
    engine: EngineName = "python",
    facts: st.SearchStrategy[Facts] | None = None,
    checks: tuple[str, ...] = CHECKS,
) -> None:
    """Check, with shrinking, that ``policy`` is total, deterministic, justified, free of
    duplicate or superseded countermeasures, monotonic along every declared worse direction,
    and that unknown facts never improve a grade without a data-gap finding saying so.

    Raises :class:`PropertyFailure` naming the minimal enterprise, the fact changed, the two
    grades and the rules responsible::

        riskgrade.testing.assert_policy_properties(riskgrade.load_policy("my/policy"))
    """
    when = as_of or dt.date.today()
    strategy = facts if facts is not None else enterprises(policy=policy, as_of=when)
    worse_dirs = directions(policy)
    unknowable = [n for n in worse_dirs if n not in ("employees",)]

    def grade(f: Facts) -> Assessment:
        try:
            return policy.grade(f, as_of=when, engine=engine)
        except RiskgradeError as exc:
            raise PropertyFailure(f"totality: grading raised {type(exc).__name__}: {exc}") from exc
        except Exception as exc:
            raise PropertyFailure(
                f"totality: grading crashed with {type(exc).__name__}: {exc}"
            ) from exc

    @settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(strategy)
    def run(sample: Facts) -> None:
        before = grade(sample)
        if "determinism" in checks:
            again = grade(dict(reversed(list(copy.deepcopy(sample).items()))))
            if again.model_dump() != before.model_dump():
                graded = f"{_describe(before)} then {_describe(again)}"
                raise PropertyFailure(
                    f"determinism: the same facts graded {graded}; " + _responsible(before, again)
                )
        if "justification" in checks or "unique" in checks:
            check_assessment(policy, sample, before)
        if "monotonic" in checks:
            for label, change in _worsenings(sample, worse_dirs):
                worse = change()
                if worse is None:
                    continue
                after = grade(worse)
                if _better(after, before):
                    raise PropertyFailure(
                        f"monotonic: worsening {label} improved the grade "
                        f"{_describe(before)} -> {_describe(after)}; " + _responsible(before, after)
                    )
        if "unknown" in checks:
            for name in unknowable:
                if sample.get(name) is None:
                    continue
                after = grade({**sample, name: None})
                reported = any(name in f.missing for f in after.findings)
                if _better(after, before) and not reported:
                    raise PropertyFailure(
                        f"unknown: making {name} unknown (was {sample[name]!r}) improved the grade "
                        f"{_describe(before)} -> {_describe(after)} with no data gap reported; "
                        + _responsible(before, after)
                    )

    run()


def _worsenings(
    sample: Facts, worse_dirs: dict[str, Direction]
) -> list[tuple[str, Callable[[], Facts | None]]]:
    """Every one-step worsening that applies to ``sample``, labelled for failure messages."""
    out: list[tuple[str, Callable[[], Facts | None]]] = []
    for name, direction in sorted(worse_dirs.items()):
        value = sample.get(name)
        if value is not None:
            label = f"{name} ({value!r}, worse is {direction})"
            out.append((label, partial(worsen, sample, name, direction)))
    for group, fields in ITEM_WORSE.items():
        for index in range(len(sample.get(group) or [])):
            for field, direction in fields.items():
                label = f"{group}[{index}].{field} (worse is {direction})"
                out.append((label, partial(worsen_item, sample, group, index, field, direction)))
    if sample.get("hazards") is not None:
        for level in ("general", "major"):
            label = f"hazards (one more open {level} hazard)"
            out.append((label, partial(_open_hazard, sample, level)))
    return out


def assert_engines_agree(
    policy: Policy,
    *,
    max_examples: int = 200,
    as_of: dt.date | None = None,
    facts: st.SearchStrategy[Facts] | None = None,
) -> None:
    """Check that every evaluation path (durable_rules and the Python interpreter) gives the
    same assessment on generated enterprises."""
    when = as_of or dt.date.today()
    strategy = facts if facts is not None else enterprises(policy=policy, as_of=when)

    @settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        database=None,
    )
    @given(strategy)
    def run(sample: Facts) -> None:
        durable = policy.grade(sample, as_of=when, engine="durable").model_dump(mode="json")
        python = policy.grade(sample, as_of=when, engine="python").model_dump(mode="json")
        durable.pop("engine")
        python.pop("engine")
        if durable != python:
            keys = sorted(k for k in durable if durable[k] != python[k])
            first = keys[0]
            detail = f"durable {durable[first]!r} vs python {python[first]!r}"
            raise PropertyFailure(f"engines disagree on {keys}: {detail}")

    run()
