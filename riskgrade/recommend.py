"""Stage 7, recommend: findings and risk level -> targeted, de-duplicated countermeasures.

Each catalogue entry named by a violation or override (when its extra condition, if any, holds
for the unit) or by the risk level is collected with the findings that caused it. Entries
superseded (directly or transitively) by another collected entry are dropped and their causes
passed to the entry that supersedes them; the rest are ordered by priority, then catalogue
order. An entry with ``cite_penalties`` quotes the penalty of every legal basis its causes cite;
one with ``requires_evidence`` ignores breaches assumed for missing facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from riskgrade.assessment import Finding, Recommendation, RiskLevel
from riskgrade.checked import CheckedPolicy
from riskgrade.findings import basis_text
from riskgrade.rules.expr import Node


def recommend(
    policy: CheckedPolicy, findings: list[Finding], level: RiskLevel, env: Mapping[str, Any]
) -> list[Recommendation]:
    causes: dict[str, list[str]] = {}

    def add(rec_id: str, because: list[str]) -> None:
        bucket = causes.setdefault(rec_id, [])
        bucket.extend(b for b in because if b not in bucket)

    triggers: dict[str, tuple[tuple[str, Node | None], ...]] = {
        r.rule.id: r.triggers for r in policy.rules
    }
    triggers.update({o.override.id: o.triggers for o in policy.overrides})
    for finding in findings:
        if finding.kind in ("violation", "override"):
            for rec_id, condition in triggers.get(finding.rule, ()):
                if finding.assumed and policy.catalogue[rec_id].requires_evidence:
                    continue
                if condition is None or policy.closure(condition)(env) is not False:
                    add(rec_id, [finding.rule])
    level_name: Any = level.name.lower()
    for rec_id in policy.scoring.risk.recommend.get(level_name) or []:
        add(rec_id, ["risk_level"])
    present = set(causes)
    closure = policy.supersedes_closure
    for rec_id in sorted(present):
        for superseded in sorted(closure[rec_id] & present):
            add(rec_id, causes[superseded])
    dropped = {s for rec in present for s in closure[rec]} & present
    order = {rec: i for i, rec in enumerate(policy.catalogue)}
    kept = sorted(present - dropped, key=lambda r: (policy.catalogue[r].priority, order[r], r))
    by_rule = {f.rule: f for f in findings}
    return [_recommendation(policy, rec_id, causes[rec_id], by_rule) for rec_id in kept]


def _recommendation(
    policy: CheckedPolicy, rec_id: str, because: list[str], findings: Mapping[str, Finding]
) -> Recommendation:
    entry = policy.catalogue[rec_id]
    zh, en = entry.text.zh, entry.text.en
    basis_ids = list(entry.basis)
    if entry.cite_penalties:
        cited = [b for rule in because if rule in findings for b in findings[rule].bases]
        penalties = {b: policy.bases[b].penalty for b in dict.fromkeys(cited)}
        penalised = {b: text for b, text in penalties.items() if text is not None}
        if penalised:
            zh += "".join(f"\n{policy.bases[b].zh}：{t.zh}" for b, t in penalised.items())
            en += "".join(f"\n{policy.bases[b].en}: {t.en}" for b, t in penalised.items())
            basis_ids = list(penalised)
    return Recommendation.model_construct(  # built from checked data: no need to validate
        id=rec_id,
        priority=entry.priority,
        deadline_days=entry.deadline_days,
        responsible=entry.responsible,
        because=because,
        title=entry.title.zh,
        titles={"zh": entry.title.zh, "en": entry.title.en},
        message=zh,
        messages={"zh": zh, "en": en},
        basis=basis_text(policy, basis_ids),
    )
