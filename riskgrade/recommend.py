"""Stage 7, recommend: findings and risk level -> targeted, de-duplicated countermeasures.

Each catalogue entry named by a violation, an override or the risk level is collected with the
findings that caused it; entries superseded (directly or transitively) by another collected
entry are dropped and their causes passed to the entry that supersedes them; the rest are
ordered by priority, then catalogue order.
"""

from __future__ import annotations

from typing import Any

from riskgrade.assessment import Finding, Recommendation, RiskLevel
from riskgrade.checked import CheckedPolicy
from riskgrade.findings import basis_text


def recommend(
    policy: CheckedPolicy, findings: list[Finding], level: RiskLevel
) -> list[Recommendation]:
    causes: dict[str, list[str]] = {}

    def add(rec_id: str, because: list[str]) -> None:
        bucket = causes.setdefault(rec_id, [])
        bucket.extend(b for b in because if b not in bucket)

    triggers = {r.rule.id: r.rule.recommend for r in policy.rules}
    triggers.update({o.override.id: o.override.recommend for o in policy.overrides})
    for finding in findings:
        if finding.kind in ("violation", "override"):
            for rec_id in triggers.get(finding.rule, []):
                add(rec_id, [finding.rule])
    level_name: Any = level.name.lower()
    level_recs = policy.scoring.risk.recommend.get(level_name) or []
    if level_recs:
        drivers = [
            f.rule
            for f in findings
            if f.kind == "override"
            or (f.kind == "violation" and f.severity in ("serious", "major"))
        ]
        for rec_id in level_recs:
            add(rec_id, drivers or [f"risk_level:{level.name.lower()}"])
    present = set(causes)
    closure = policy.supersedes_closure
    for rec_id in sorted(present):
        for superseded in sorted(closure[rec_id] & present):
            add(rec_id, causes[superseded])
    dropped = {s for rec in present for s in closure[rec]} & present
    order = {rec: i for i, rec in enumerate(policy.catalogue)}
    kept = sorted(present - dropped, key=lambda r: (policy.catalogue[r].priority, order[r], r))
    return [_recommendation(policy, rec_id, causes[rec_id]) for rec_id in kept]


def _recommendation(policy: CheckedPolicy, rec_id: str, because: list[str]) -> Recommendation:
    entry = policy.catalogue[rec_id]
    return Recommendation(
        id=rec_id,
        priority=entry.priority,
        deadline_days=entry.deadline_days,
        responsible=entry.responsible,
        because=because,
        title=entry.title.zh,
        titles={"zh": entry.title.zh, "en": entry.title.en},
        message=entry.text.zh,
        messages={"zh": entry.text.zh, "en": entry.text.en},
        basis=basis_text(policy, entry.basis),
    )
