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
from riskgrade.facts import fact_label
from riskgrade.grading.program import Program
from riskgrade.i18n import SEPARATORS, t


def recommend(
    program: Program,
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

    policy = program.policy
    triggers, order = program.triggers, program.catalogue_order
    verify = policy.header.defaults.verify
    for finding in findings:
        if finding.kind in ("violation", "override"):
            if finding.assumed and verify is not None:
                add(verify, [finding.rule])  # verify first: nothing is ordered on missing data
                continue
            for rec_id, condition in triggers.get(finding.rule, ()):
                if finding.assumed and policy.catalogue[rec_id].requires_evidence:
                    continue
                if condition is None or program.closure(condition)(env) is not False:
                    add(rec_id, [finding.rule])
    for rec_id, condition in policy.level_triggers.get(level.name.lower(), ()):
        if condition is None or program.closure(condition)(scoring_env or env) is not False:
            add(rec_id, ["risk_level"])
    present = set(causes)
    closure = policy.supersedes_closure
    for rec_id in sorted(present):
        for superseded in sorted(closure[rec_id] & present):
            add(rec_id, causes[superseded])
    dropped = {s for rec in present for s in closure[rec]} & present
    kept = sorted(present - dropped, key=lambda r: (policy.catalogue[r].priority, order[r], r))
    by_rule = {f.rule: f for f in findings}
    return [_recommendation(program, rec_id, causes[rec_id], by_rule) for rec_id in kept]


def _recommendation(
    program: Program, rec_id: str, because: list[str], findings: Mapping[str, Finding]
) -> Recommendation:
    policy = program.policy
    shared = program.recommendation_fields(rec_id)
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
            facts = SEPARATORS["zh"].join(fact_label(m, "zh") for m in missing)
            zh = t("verify", "zh", text=entry.text.zh, facts=facts)
            en = t("verify", "en", text=entry.text.en, facts=SEPARATORS["en"].join(missing))
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
            fields["basis"] = program.basis_text(list(penalised))
    return Recommendation.trusted(**fields)  # built from checked data: no need to validate
