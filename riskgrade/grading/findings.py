"""Rule outcomes -> findings (violations and data gaps) with evidence and legal basis."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from riskgrade.assessment import SEVERITY_ORDER, Finding, TraceEvent, WaiverNote
from riskgrade.check.checked import CheckedPolicy, CheckedRule
from riskgrade.check.format import Text
from riskgrade.grading.evaluate import Evaluation
from riskgrade.grading.program import Program
from riskgrade.i18n import SEPARATORS, t

_KIND_ORDER = {"risk": 0, "override": 1, "violation": 2, "data_gap": 3}


_PLAIN = frozenset({str, int, float, bool, type(None)})


def jsonable(value: Any) -> Any:
    """A fact value as JSON-ready data (dates as ISO text)."""
    if type(value) in _PLAIN:  # the common case, first
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def missing_facts(policy: CheckedPolicy, names: Iterable[str], env: Mapping[str, Any]) -> list[str]:
    """The unknown facts behind ``names``, following derived facts back to what they read."""
    missing: set[str] = set()
    for name in names:
        value = env.get(name)
        sources = policy.derived_sources.get(name)
        if sources is not None:
            if value is None:
                missing.update(fact for fact in sources if env.get(fact) is None)
        elif value is None:
            missing.add(name)
        elif isinstance(value, list | tuple):
            if any(v is None for item in value for v in item.values()):
                missing.add(name)  # some item lacks a field the rule may need
    return sorted(missing)


def gap_messages(text: Text, missing: list[str]) -> dict[str, str]:
    """The data-gap message for a check that could not be decided."""
    return {
        lang: t(
            "finding_gap", lang, text=getattr(text, lang), missing=SEPARATORS[lang].join(missing)
        )
        for lang in ("zh", "en")
    }


def _messages(text: Text) -> dict[str, str]:
    return {"zh": text.zh, "en": text.en}


def _finding(program: Program, rule: CheckedRule, env: Mapping[str, Any], **extra: Any) -> Finding:
    shared, evidence_names = program.finding_fields(rule)
    return Finding.trusted(  # built from checked data: no need to validate
        **shared,
        bases=list(rule.rule.basis),
        evidence={name: jsonable(env.get(name)) for name in evidence_names},
        **extra,
    )


def rule_findings(
    program: Program, evaluation: Evaluation
) -> tuple[list[Finding], list[TraceEvent]]:
    """Violations and data gaps for every rule that did not come out plainly false."""
    policy = program.policy
    findings: list[Finding] = []
    env = evaluation.env
    cap = policy.header.defaults.assumed_severity
    for rule, outcome in zip(policy.rules, evaluation.outcomes, strict=True):
        spec = rule.rule
        if outcome == "false":
            continue
        if outcome == "true" or rule.unknown == "finding":
            assumed = outcome == "unknown"
            severity = spec.severity
            if assumed and cap is not None and SEVERITY_ORDER[severity] > SEVERITY_ORDER[cap]:
                severity = cap  # a breach resting on missing facts is never graded major
            findings.append(
                _finding(
                    program,
                    rule,
                    env,
                    kind="violation",
                    severity=severity,
                    deduction=spec.deduction,
                    message=spec.message.zh,
                    messages=_messages(spec.message),
                    assumed=assumed,
                    missing=missing_facts(policy, rule.reads, env) if assumed else [],
                )
            )
        if outcome == "unknown":
            missing = missing_facts(policy, rule.reads, env)
            messages = gap_messages(spec.message, missing)
            findings.append(
                _finding(
                    program,
                    rule,
                    env,
                    kind="data_gap",
                    severity="info",
                    message=messages["zh"],
                    messages=messages,
                    missing=missing,
                )
            )
    trace = [
        TraceEvent.trusted(
            stage="rule",
            id=policy.rules[i].rule.id,
            outcome=evaluation.outcomes[i],  # type: ignore[arg-type]
            source=str(policy.rules[i].location),
        )
        for i in evaluation.fired
    ]
    return findings, trace


def order_findings(policy: CheckedPolicy, findings: list[Finding]) -> list[Finding]:
    """Overrides first, then violations by severity, then data gaps; ties in policy order."""
    position = {rule.rule.id: i for i, rule in enumerate(policy.rules)}
    return sorted(
        findings,
        key=lambda f: (
            _KIND_ORDER[f.kind],
            -SEVERITY_ORDER[f.severity],
            position.get(f.rule, -1),
            f.rule,
        ),
    )


def apply_waivers(
    policy: CheckedPolicy, unit: str, findings: list[Finding], as_of: dt.date
) -> tuple[list[Finding], list[WaiverNote]]:
    """Drop the findings of rules waived for ``unit`` on ``as_of``; note every waiver of the
    unit, expired ones included (an expired waiver is ignored)."""
    notes: list[WaiverNote] = []
    waived: set[str] = set()
    for waiver in policy.waivers:
        if waiver.unit != unit:
            continue
        active = as_of <= waiver.expires
        if active:
            waived.add(waiver.rule)
        notes.append(
            WaiverNote(
                rule=waiver.rule,
                status="applied" if active else "expired",
                justification={"zh": waiver.justification.zh, "en": waiver.justification.en},
                approved_by=waiver.approved_by,
                expires=waiver.expires,
            )
        )
    kept = [f for f in findings if f.rule not in waived or f.kind not in ("violation", "data_gap")]
    return kept, notes
