"""Stage 3, check: the passes over the whole checked policy, once every section is checked.

``graph`` builds the dependency graph (facts -> derived facts -> rules and overrides ->
countermeasures); ``reachability`` reports countermeasures that nothing can trigger.
"""

from __future__ import annotations

from riskgrade.check.format import trigger_ids
from riskgrade.check.state import CheckState
from riskgrade.diagnostics import did_you_mean
from riskgrade.rules import graph as graphs
from riskgrade.rules.expr import names_in


def graph(state: CheckState) -> None:
    """Build the dependency graph from the checked facts, rules, overrides and catalogue."""
    schema = state.schema
    state.graph = graphs.build_graph(
        schema.keys() - state.derived_reads.keys(),
        state.derived_reads,
        {r.rule.id: (set(r.reads), [rec for rec, _ in r.triggers]) for r in state.rules},
        {
            o.override.id: (names_in(o.condition) & set(schema), [rec for rec, _ in o.triggers])
            for o in state.overrides
        },
        {level: [rec for rec, _ in triggers] for level, triggers in state.level_triggers.items()},
        state.supersedes,
    )


def reachability(state: CheckState) -> None:
    """Report an unknown default ``verify`` countermeasure and every one nothing triggers."""
    merged, header = state.merged, state.header
    # Count what every rule names, checked or not, so one broken rule does not also make its
    # countermeasures look unreachable.
    named = {rec for rule, _ in merged["rules"].values() for rec in trigger_ids(rule.recommend)}
    if "scoring" in merged:
        risk = merged["scoring"][0].risk
        named |= {rec for o in risk.overrides for rec in trigger_ids(o.recommend)}
        named |= {rec for recs in risk.recommend.values() for rec in trigger_ids(recs)}
    if header is not None and header.defaults.verify is not None:
        verify = header.defaults.verify
        named.add(verify)
        if verify not in merged["catalogue"]:
            state.problems.append(
                merged["policy"][1].diagnostic(
                    "RG304",
                    f"unknown recommendation {verify!r}",
                    "defaults",
                    "verify",
                    hint=did_you_mean(verify, merged["catalogue"]),
                )
            )
    for rec_id, (_, where) in merged["catalogue"].items():
        if rec_id not in named:
            state.problems.append(
                where.diagnostic(
                    "RG303",
                    f"recommendation {rec_id!r} is never reached: "
                    "no rule, override or level triggers it",
                )
            )
