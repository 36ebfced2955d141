"""Why a unit got its grade, and what would have to change for a better one."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from riskgrade.assessment import Assessment, DutyGrade, Finding, RiskLevel, Score
from riskgrade.facts import Enterprise
from riskgrade.grading.score import grade as score
from riskgrade.grading.score import matrix_cell
from riskgrade.i18n import t
from riskgrade.policy import EngineName, Policy

MAX_CLEARED = 6
"""The largest set of findings searched when asking what would improve a grade."""


@dataclass(frozen=True)
class NextStep:
    """The smallest set of findings whose clearing gives a better level or grade, and the
    level or grade (``target``) it then reaches; ``status`` says why there is none (already
    the best, or inherent risk that no clearing removes)."""

    status: Literal["found", "best", "inherent"]
    target: str | None = None
    clear: tuple[str, ...] = ()


@dataclass(frozen=True)
class Explanation:
    """A unit's assessment with what to clear for the next better risk level and duty grade."""

    assessment: Assessment
    next_level: NextStep
    next_grade: NextStep


def explain(
    policy: Policy,
    facts: Mapping[str, Any] | Enterprise,
    *,
    as_of: dt.date | None = None,
    engine: EngineName = "durable",
) -> Explanation:
    """Grade ``facts`` and work out the smallest sets of findings to clear for the next better
    risk level and duty grade."""
    when = as_of or dt.date.today()
    assessment = policy.grade(facts, as_of=when, engine=engine)
    evaluated = policy.evaluate(facts, when, engine)
    env, findings = evaluated.facts, evaluated.findings
    # Heaviest first (overrides, then by deduction), so searches try the big levers first.
    weighted = [f for f in assessment.findings if f.kind in ("violation", "override")]
    weighted.sort(key=lambda f: (f.kind != "override", -f.deduction))
    clearable = [f.rule for f in weighted]
    level = assessment.risk_level
    grade = assessment.duty_grade

    def level_after(cleared: frozenset[str]) -> RiskLevel:
        return score(policy.program, env, _without(findings, cleared), cleared).risk_level

    def grade_after(cleared: frozenset[str]) -> DutyGrade:
        return score(policy.program, env, _without(findings, cleared), cleared).duty_grade

    if level is RiskLevel.BLUE:
        next_level = NextStep("best")
    else:
        target = RiskLevel(level - 1)
        found = _smallest(clearable, lambda c: level_after(c) <= target)
        next_level = (
            NextStep("found", level_after(frozenset(found)).name.lower(), found)
            if found is not None
            else NextStep("inherent", level_after(frozenset(clearable)).name.lower())
        )
    if grade is DutyGrade.A:
        next_grade = NextStep("best")
    else:
        better = list(DutyGrade)[grade.rank - 1]
        found = _smallest(clearable, lambda c: grade_after(c).rank <= better.rank)
        next_grade = (
            NextStep("found", grade_after(frozenset(found)).value, found)
            if found is not None
            else NextStep("inherent")
        )
    return Explanation(assessment, next_level, next_grade)


def _without(findings: list[Finding], cleared: frozenset[str]) -> list[Finding]:
    return [f for f in findings if f.rule not in cleared]


def _smallest(candidates: list[str], good: Any) -> tuple[str, ...] | None:
    """The first smallest combination (in finding order) for which ``good`` holds: an
    exhaustive search up to MAX_CLEARED findings, then a greedy one that starts from clearing
    everything and keeps each finding whose clearing is not needed."""
    for size in range(1, min(len(candidates), MAX_CLEARED) + 1):
        for combo in itertools.combinations(candidates, size):
            if good(frozenset(combo)):
                return combo
    if len(candidates) <= MAX_CLEARED or not good(frozenset(candidates)):
        return None
    kept = list(candidates)
    for rule in reversed(candidates):  # candidates come heaviest first: keep clearing those
        trial = [r for r in kept if r != rule]
        if good(frozenset(trial)):
            kept = trial
    return tuple(kept)


def _risk_arithmetic(policy: Policy, s: Score, product: str, lang: str) -> str:
    """How the risk level came about: a stated matrix's cell, or the banded product."""
    method = s.risk_method.upper()
    matrix = policy.checked.scoring.risk.matrix
    if matrix is not None:
        cell = matrix_cell(matrix, s.factors)
        return t("matrix_arithmetic", lang, method=method, cell=cell, band=s.band_level)
    score = f"{s.risk_score:g}"
    return t(
        "risk_arithmetic", lang, method=method, product=product, score=score, band=s.band_level
    )


def render(explanation: Explanation, policy: Policy, lang: str = "zh") -> str:
    """The explanation as plain text in ``lang``."""
    a = explanation.assessment
    s = a.score
    out = [
        t("explain_title", lang, name=a.name or a.entity_id, id=a.entity_id, as_of=a.as_of),
        t("risk_line", lang, level=a.risk_level.label(lang)),
        t("grade_line", lang, grade=a.duty_grade.value),
        "",
        f"## {t('findings_title', lang)}",
    ]
    shown = [f for f in a.findings if f.kind != "risk"]
    if not shown:
        out.append(f"  {t('no_findings', lang)}")
    for f in shown:
        tag = {"violation": f.severity, "data_gap": "data gap", "override": "override"}[f.kind]
        assumed = f" {t('assumed', lang)}" if f.assumed else ""
        out.append(f"- [{tag}] {f.rule}: {f.messages[lang]}{assumed}")
        basis = policy.program.basis_text(f.bases, lang)
        out.append(f"    {t('basis', lang)}: {basis}")
        if f.evidence:
            evidence = ", ".join(f"{k}={_short(v)}" for k, v in f.evidence.items())
            out.append(f"    {t('evidence', lang)}: {evidence}")
        if f.missing and f.kind != "data_gap":
            out.append(f"    {t('missing', lang)}: {', '.join(f.missing)}")
    deductions = " − ".join(f"{v:g}({k})" for k, v in s.deductions.items()) or "0"
    product = " × ".join(f"{k}={v:g}" for k, v in s.factors.items())
    out += [
        "",
        f"## {t('arithmetic_title', lang)}",
        "  "
        + t(
            "duty_arithmetic",
            lang,
            start=f"{s.duty_start:g}",
            deductions=deductions,
            score=f"{s.duty_score:g}",
            grade=a.duty_grade.value,
        ),
        "  " + _risk_arithmetic(policy, s, product, lang),
    ]
    if s.overrides:
        out += ["", f"## {t('overrides_title', lang)}"]
        for f in a.findings:
            if f.kind == "override":
                out.append(f"- {f.rule}: {f.messages[lang]}")
    out += ["", f"## {t('countermeasures_title', lang)}"]
    if not a.recommendations:
        out.append(f"  {t('no_findings', lang)}")
    for r in a.recommendations:
        when = t("deadline", lang, days=r.deadline_days, who=r.responsible)
        out.append(f"- [{r.priority}] {r.id}: {r.titles[lang]} — {when}")
        out.append(f"    {t('because', lang)}: {', '.join(r.because)}")
        for line in r.messages[lang].splitlines():
            out.append(f"    {line}")
    if a.waivers:
        out += ["", f"## {t('waivers_title', lang)}"]
        for w in a.waivers:
            key = "waiver_applied" if w.status == "applied" else "waiver_expired"
            out.append(
                "- "
                + t(
                    key,
                    lang,
                    rule=w.rule,
                    approved_by=w.approved_by,
                    expires=w.expires,
                    why=w.justification[lang],
                )
            )
    out += ["", f"## {t('next_title', lang)}"]
    out.append("- " + _next_level_text(explanation.next_level, lang))
    out.append("- " + _next_grade_text(explanation.next_grade, lang))
    return "\n".join(out) + "\n"


def _next_level_text(step: NextStep, lang: str) -> str:
    if step.status == "best":
        return t("next_level_best", lang)
    level = RiskLevel.from_name(step.target or "blue").label(lang)
    if step.status == "inherent":
        return t("next_level_none", lang, level=level)
    return t("next_level", lang, count=len(step.clear), level=level, rules=", ".join(step.clear))


def _next_grade_text(step: NextStep, lang: str) -> str:
    if step.status == "best":
        return t("next_grade_best", lang)
    if step.status == "inherent":
        return t("next_level_none", lang, level="-")
    return t(
        "next_grade", lang, count=len(step.clear), grade=step.target, rules=", ".join(step.clear)
    )


def _short(value: Any) -> str:
    if isinstance(value, list):
        return f"[{len(value)} items]" if value else "[]"
    return "null" if value is None else str(value)
