"""Stage 3, check: validate documents into a :class:`CheckedPolicy`, collecting every problem.

``check`` only reads its input. It runs :data:`PASSES` in order over one shared
:class:`~riskgrade.check.state.CheckState`: validate each file against the policy format, merge
the files, parse and type-check every expression against the fact schema, resolve every
reference and build the dependency graph; all problems are returned together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import networkx as nx

from riskgrade.check.cases import check_cases
from riskgrade.check.checked import CheckedPolicy
from riskgrade.check.links import graph, reachability
from riskgrade.check.load import Document
from riskgrade.check.scoring import scoring_section
from riskgrade.check.sections import (
    catalogue,
    derived,
    merge,
    rules,
    schema,
    tests,
    validate,
    waivers,
)
from riskgrade.check.state import CheckState, Pass, is_cascade
from riskgrade.diagnostics import Diagnostic
from riskgrade.rules import graph as graphs

# Problems are reported in the order the passes find them: reordering changes the diagnostics.
PASSES: tuple[Pass, ...] = (
    validate,
    merge,  # needs validate's files; leaves the merged sections and header the rest read
    schema,  # from here on, expressions are typed against the schema
    derived,
    rules,
    scoring_section,  # (so named not to hide the riskgrade.check.scoring module)
    catalogue,
    tests,  # before waivers, as the recorded diagnostics have it
    check_cases,  # after schema: a case's facts are validated against it
    waivers,
    graph,  # needs the outputs of derived, rules, scoring_section and catalogue
    reachability,
)
"""The check passes in the order they run (each may read what the ones before it left)."""


def check(
    documents: list[Document], today: dt.date | None = None
) -> tuple[CheckedPolicy | None, list[Diagnostic]]:
    """Check loaded documents; returns the checked policy (None on errors) and all diagnostics."""
    state = CheckState(documents, today or dt.date.today())
    for run in PASSES:
        run(state)
    # One root cause, one diagnostic: drop what a missing section explains, and repeats.
    state.problems = list(dict.fromkeys(p for p in state.problems if not is_cascade(state, p)))
    if state.problems or state.broken or state.header is None or state.risk_method is None:
        return None, state.problems + state.warnings
    return _checked_policy(state), state.warnings


def _checked_policy(state: CheckState) -> CheckedPolicy:
    """The checked policy from a state whose passes found no problem."""
    assert state.header is not None and state.risk_method is not None
    merged = state.merged
    scoring = merged["scoring"][0]  # a method was found, so scoring is there
    canonical = json.dumps(
        [d.data for d in state.documents], sort_keys=True, default=str, ensure_ascii=False
    )
    closure_graph = graphs.supersession_graph(state.supersedes)
    return CheckedPolicy(
        header=state.header,
        schema=state.schema,
        extra_facts=state.extra_facts,
        derived=state.derived,
        rules=state.rules,
        bases={k: v for k, (v, _) in merged["bases"].items()},
        duties={k: v for k, (v, _) in merged["duties"].items()},
        catalogue={k: v for k, (v, _) in merged["catalogue"].items()},
        scoring=scoring,
        risk_method=state.risk_method,
        factors=state.factors,
        overrides=state.overrides,
        tests=state.tests,
        graph=state.graph,
        content_hash=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        warnings=state.warnings,
        supersedes_closure={
            rec: frozenset(nx.descendants(closure_graph, rec)) for rec in merged["catalogue"]
        },
        waivers=state.waivers,
        level_triggers=state.level_triggers,
        matrix_cells=scoring.risk.matrix.lookup() if scoring.risk.matrix is not None else {},
        derived_sources={
            name: frozenset(
                node.split(":", 1)[1]
                for node in nx.ancestors(state.graph, graphs.node("derived", name))
                if node.startswith("fact:")
            )
            for name in state.derived_reads
        },
    )


__all__ = ["PASSES", "check"]
