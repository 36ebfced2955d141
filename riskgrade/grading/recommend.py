"""Stage 7, recommend: findings and risk level -> targeted, de-duplicated countermeasures.

Each catalogue entry named by a violation or override (when its extra condition, if any, holds
for the unit) or by the risk level is collected with the findings that caused it. Entries
superseded (directly or transitively) by another collected entry are dropped and their causes
passed to the entry that supersedes them; the rest are ordered by priority, then catalogue
order. An entry with ``cite_penalties`` quotes the penalty of every legal basis its causes cite;
one with ``requires_evidence`` ignores breaches assumed for missing facts. Where the policy
names a ``verify`` entry, a breach assumed for missing facts gives only that verification task,
listing the facts to collect, and none of the rule's own countermeasures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from riskgrade.assessment import Finding, Recommendation, RiskLevel
from riskgrade.check.checked import CheckedPolicy
from riskgrade.facts import fact_label
from riskgrade.grading.findings import basis_text
from riskgrade.rules.expr import Node


def recommend(
    policy: CheckedPolicy,
    findings: list[Finding],
    level: RiskLevel,
    env: Mapping[str, Any],
    scoring_env: Mapping[str, Any] | None = None,
) -> list[Recommendation]:
    """The countermeasures for one graded unit. ``scoring_env`` (the facts plus the scoring
    facts) is what conditional level countermeasures read."""
    causes: dict[str, list[str]] = {}

    def add(rec_id: str, because: list[str]) -> None:
        bucket = causes.setdefault(rec_id, [])
        bucket.extend(b for b in because if b not in bucket)

    triggers, order = _tables(policy)
    verify = policy.header.defaults.verify
    for finding in findings:
        if finding.kind in ("violation", "override"):
            if finding.assumed and verify is not None:
                add(verify, [finding.rule])  # verify first: nothing is ordered on missing data
                continue
            for rec_id, condition in triggers.get(finding.rule, ()):
                if finding.assumed and policy.catalogue[rec_id].requires_evidence:
                    continue
                if condition is None or policy.closure(condition)(env) is not False:
                    add(rec_id, [finding.rule])
    for rec_id, condition in policy.level_triggers.get(level.name.lower(), ()):
        if condition is None or policy.closure(condition)(scoring_env or env) is not False:
            add(rec_id, ["risk_level"])
    present = set(causes)
    closure = policy.supersedes_closure
    for rec_id in sorted(present):
        for superseded in sorted(closure[rec_id] & present):
            add(rec_id, causes[superseded])
    dropped = {s for rec in present for s in closure[rec]} & present
    kept = sorted(present - dropped, key=lambda r: (policy.catalogue[r].priority, order[r], r))
    by_rule = {f.rule: f for f in findings}
    return [_recommendation(policy, rec_id, causes[rec_id], by_rule) for rec_id in kept]


_Triggers = dict[str, tuple[tuple[str, Node | None], ...]]


def _tables(policy: CheckedPolicy) -> tuple[_Triggers, dict[str, int]]:
    """Each rule's and override's countermeasures, and the catalogue order (built once)."""
    tables: tuple[_Triggers, dict[str, int]] | None = policy._cache.get("recommend")
    if tables is None:
        triggers: _Triggers = {r.rule.id: r.triggers for r in policy.rules}
        triggers.update({o.override.id: o.triggers for o in policy.overrides})
        order = {rec: i for i, rec in enumerate(policy.catalogue)}
        tables = policy._cache["recommend"] = (triggers, order)
    return tables


def _shared(policy: CheckedPolicy, rec_id: str) -> dict[str, Any]:
    """The fields of a countermeasure that do not depend on its causes (built once)."""
    statics: dict[str, dict[str, Any]] = policy._cache.setdefault("recommendations", {})
    shared = statics.get(rec_id)
    if shared is None:
        entry = policy.catalogue[rec_id]
        shared = statics[rec_id] = {
            "id": rec_id,
            "priority": entry.priority,
            "deadline_days": entry.deadline_days,
            "responsible": entry.responsible,
            "title": entry.title.zh,
            "titles": {"zh": entry.title.zh, "en": entry.title.en},
            "message": entry.text.zh,
            "messages": {"zh": entry.text.zh, "en": entry.text.en},
            "basis": basis_text(policy, entry.basis),
        }
    return shared


def _recommendation(
    policy: CheckedPolicy, rec_id: str, because: list[str], findings: Mapping[str, Finding]
) -> Recommendation:
    shared = _shared(policy, rec_id)
    fields = {
        **shared,
        "titles": dict(shared["titles"]),
        "messages": dict(shared["messages"]),
        "because": because,
    }
    entry = policy.catalogue[rec_id]
    if rec_id == policy.header.defaults.verify:
        missing = sorted({m for r in because if r in findings for m in findings[r].missing})
        if missing:
            zh = f"{entry.text.zh}（待核实：{'、'.join(fact_label(m, 'zh') for m in missing)}）"
            en = f"{entry.text.en} (to verify: {', '.join(missing)})"
            fields.update(message=zh, messages={"zh": zh, "en": en})
    if entry.cite_penalties:
        cited = [b for rule in because if rule in findings for b in findings[rule].bases]
        penalties = {b: policy.bases[b].penalty for b in dict.fromkeys(cited)}
        penalised = {b: text for b, text in penalties.items() if text is not None}
        if penalised:
            zh = entry.text.zh + "".join(
                f"\n{policy.bases[b].zh}：{t.zh}" for b, t in penalised.items()
            )
            en = entry.text.en + "".join(
                f"\n{policy.bases[b].en}: {t.en}" for b, t in penalised.items()
            )
            fields.update(message=zh, messages={"zh": zh, "en": en})
            fields["basis"] = basis_text(policy, list(penalised))
    return Recommendation.trusted(**fields)  # built from checked data: no need to validate
