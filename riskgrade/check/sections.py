"""Stage 3, check: the passes for the policy's sections (all but ``scoring``).

``validate`` and ``merge`` turn documents into one table per section; ``schema``, ``derived``,
``rules``, ``catalogue``, ``tests`` and ``waivers`` check one section each against what the
earlier passes left in the :class:`~riskgrade.check.state.CheckState`.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

import networkx as nx
from pydantic import ValidationError

from riskgrade.check.checked import BASE_SCHEMA, CheckedRule, DerivedFact
from riskgrade.check.format import Derived, FactDecl, Override, PolicyFile, Rule
from riskgrade.check.state import (
    CheckState,
    Triggers,
    Where,
    check_condition,
    check_expression,
)
from riskgrade.check.structure import structure_problems
from riskgrade.diagnostics import Diagnostic, did_you_mean
from riskgrade.rules import graph as graphs
from riskgrade.rules.expr import Node, names_in
from riskgrade.rules.satisfiable import never_true
from riskgrade.rules.typecheck import AS_OF, typecheck
from riskgrade.rules.types import Schema, Type, type_from_name

MAX_RULES = 2000

# ---------------------------------------------------------------------- structure


def validate(state: CheckState) -> None:
    """Validate each document against the policy format (the parsed files go to ``files``).

    A section that fails validation is left out of its file and recorded in ``broken``, with
    every section of a file that did not load, so later passes know what may be missing."""
    for document in state.documents:
        data = document.data
        if document.failed:  # already reported by the loader
            state.broken |= _sections_named(document.text)
            continue
        if not isinstance(data, dict):
            state.problems.append(
                document.diagnostic("RG010", "a policy file must be a mapping of sections", ())
            )
            state.broken.add("*")
            continue
        try:
            state.files.append((PolicyFile.model_validate(data), document))
        except ValidationError as exc:
            state.problems.extend(structure_problems(exc, document))
            bad = {str(err["loc"][0]) for err in exc.errors() if err["loc"]} or {"*"}
            state.broken |= _broken_by(bad)
            good = {k: v for k, v in data.items() if k not in bad}
            try:
                state.files.append((PolicyFile.model_validate(good), document))
            except ValidationError:
                state.broken.add("*")


_SECTIONS = frozenset(f.alias or name for name, f in PolicyFile.model_fields.items())
_TOP_KEY = re.compile(r"^([A-Za-z_$][\w$]*)\s*[:：]", re.MULTILINE)


def _sections_named(text: str) -> set[str]:
    """The sections a file that did not load seems to hold (all, if none can be told)."""
    return _broken_by(set(_TOP_KEY.findall(text))) or {"*"}


def _broken_by(keys: set[str]) -> set[str]:
    """The sections that ``keys`` stand for: a known section itself, a misspelt one the
    sections it is close to, anything else every section."""
    out: set[str] = set()
    for key in keys:
        if key in _SECTIONS:
            out.add(key)
        else:
            close = difflib.get_close_matches(key, _SECTIONS, n=3, cutoff=0.6)
            out |= set(close) if close else {"*"}
    return out


def merge(state: CheckState) -> None:
    """Merge the validated files into one table per section; a repeated id is a problem."""
    merged: dict[str, Any] = {
        "facts": {},
        "derived": {},
        "bases": {},
        "duties": {},
        "catalogue": {},
        "rules": {},
        "tests": [],
        "waivers": [],
    }
    singles: dict[str, tuple[Any, Where]] = {}
    for policy_file, document in state.files:
        for section in ("policy", "scoring"):
            value = getattr(policy_file, section)
            if value is None:
                continue
            if section in singles:
                state.problems.append(
                    document.diagnostic("RG102", f"section {section!r} appears twice", (section,))
                )
            singles[section] = (value, Where(document, (section,)))
        for section in ("facts", "derived", "bases", "duties", "catalogue"):
            for key, value in getattr(policy_file, section).items():
                _add(state, merged[section], section, key, value, Where(document, (section, key)))
        for index, rule in enumerate(policy_file.rules):
            _add(state, merged["rules"], "rule", rule.id, rule, Where(document, ("rules", index)))
        for index, case in enumerate(policy_file.tests):
            merged["tests"].append((case, Where(document, ("tests", index))))
        for index, waiver in enumerate(policy_file.waivers):
            merged["waivers"].append((waiver, Where(document, ("waivers", index))))
    complete = not state.broken  # a file that failed may hold them
    for section in ("policy", "scoring"):
        if section not in singles and complete:
            file = state.documents[0].file if state.documents else "<policy>"
            state.problems.append(
                Diagnostic("RG101", f"the policy has no {section!r} section", file, 1, 1)
            )
    merged.update(singles)
    state.merged = merged
    state.header = merged["policy"][0] if "policy" in merged else None


def _add(
    state: CheckState, table: dict[str, Any], what: str, key: str, value: Any, where: Where
) -> None:
    if key in table:
        first = table[key][1]
        state.problems.append(
            where.diagnostic("RG102", f"duplicate {what} id {key!r} (first at {first.location()})")
        )
        return
    table[key] = (value, where)


# ---------------------------------------------------------------------- references


def resolve_triggers(
    state: CheckState, recommends: list[Any], schema: Schema, where: Where, *path: str | int
) -> Triggers:
    """Resolve a ``recommend`` list: catalogue ids, with an optional extra condition."""
    catalogue = state.merged["catalogue"]
    out: list[tuple[str, Node | None]] = []
    for i, entry in enumerate(recommends):
        rec_id = entry if isinstance(entry, str) else entry.id
        at = (*path, i) if isinstance(entry, str) else (*path, i, "id")
        if rec_id not in catalogue:
            hint = did_you_mean(rec_id, catalogue)
            state.problems.append(
                where.diagnostic("RG304", f"unknown recommendation {rec_id!r}", *at, hint=hint)
            )
            continue
        node = None
        if not isinstance(entry, str) and entry.when.strip() != "true":
            node = check_condition(state, entry.when, schema, where, *path, i, "when")
        out.append((rec_id, node))
    return tuple(out)


def check_references(
    state: CheckState,
    ids: list[str],
    table: dict[str, Any],
    what: str,
    code: str,
    where: Where,
    *path: str | int,
) -> None:
    """Report each of ``ids`` that is not a key of ``table`` (an unknown basis, duty, ...)."""
    for i, ref in enumerate(ids):
        if ref not in table:
            at = (
                (*path, i)
                if len(ids) > 1 or path[-1] in ("basis", "recommend", "supersedes")
                else path
            )
            state.problems.append(
                where.diagnostic(
                    code, f"unknown {what} {ref!r}", *at, hint=did_you_mean(ref, table)
                )
            )


# ---------------------------------------------------------------------- sections


def schema(state: CheckState) -> None:
    """Add the declared and derived facts to the base fact schema."""
    merged = state.merged
    out = dict(BASE_SCHEMA)
    extra: dict[str, FactDecl] = {}
    for name, (decl, where) in merged["facts"].items():
        if name in out or name == AS_OF:
            state.problems.append(
                where.diagnostic("RG102", f"fact {name!r} is already in the schema")
            )
            continue
        out[name] = _declared_type(decl.type, decl.values)
        extra[name] = decl
    for name, (decl, where) in merged["derived"].items():
        if name in out or name == AS_OF:
            state.problems.append(
                where.diagnostic("RG102", f"derived fact {name!r} shadows a fact")
            )
            continue
        out[name] = _declared_type(decl.type, decl.values)
    state.schema, state.extra_facts = out, extra


def derived(state: CheckState) -> None:
    """Check each derived fact's cases and order the derived facts; a cycle is a problem."""
    merged, schema = state.merged, state.schema
    facts: dict[str, DerivedFact] = {}
    reads: dict[str, set[str]] = {}
    for name, (decl, where) in merged["derived"].items():
        decl: Derived  # type: ignore[no-redef]
        if (decl.expr is None) == (decl.cases is None):
            state.problems.append(
                where.diagnostic(
                    "RG101", f"derived fact {name!r} needs exactly one of 'expr' or 'cases'"
                )
            )
            continue
        raw = (
            [("true", decl.expr, ("expr",), ("expr",))]
            if decl.expr is not None
            else [
                (case.when, case.value, ("cases", i, "when"), ("cases", i, "value"))
                for i, case in enumerate(decl.cases or [])
            ]
        )
        cases = []
        ok = True
        for when, value, when_path, value_path in raw:
            when_node = check_condition(state, when, schema, where, *when_path)
            value_node = check_expression(state, value, schema, where, *value_path)
            if when_node is None or value_node is None:
                ok = False
                continue
            typ, _ = typecheck(value_node, schema)
            want = schema[name]
            if typ.kind not in (want.kind, "null", "any") and not (
                typ.is_textual and want.is_textual
            ):
                state.problems.append(
                    where.diagnostic(
                        "RG202",
                        f"{name!r} is declared {want} but this value is {typ}",
                        *value_path,
                    )
                )
                ok = False
            cases.append((when_node, value_node))
        if ok:
            facts[name] = DerivedFact(
                name, schema[name], tuple(cases), where.location(), decl.description
            )
            reads[name] = set().union(*(names_in(w) | names_in(v) for w, v in cases)) & set(schema)
    # the order also follows the derived facts read inside an aggregate's condition, which an
    # engine must have computed before it counts the items (``reads`` is what names the
    # facts missing behind a derived fact, so it stays as it is)
    order: dict[str, set[str]] = {}
    for name, known in reads.items():
        given = facts[name].cases
        order[name] = known.union(*(graphs.aggregate_reads(n, schema) for c in given for n in c))
    cycles = graphs.derived_cycles(graphs.build_graph((), order, {}, {}, {}, {}))
    for cycle in cycles:
        where = merged["derived"][cycle[0]][1]
        state.problems.append(
            where.diagnostic(
                "RG301", "derived facts form a cycle: " + " -> ".join([*cycle, cycle[0]])
            )
        )
    state.derived_reads = reads
    if not cycles:
        state.derived = [facts[name] for name in graphs.derived_order(order) if name in facts]


def rules(state: CheckState) -> None:
    """Check each rule's references, evidence and condition; one that never fires is a problem."""
    merged, schema, header = state.merged, state.schema, state.header
    default_unknown = header.defaults.unknown if header else "finding"
    if len(merged["rules"]) > MAX_RULES:
        state.problems.append(
            Diagnostic("RG601", f"more than {MAX_RULES} rules", state.documents[0].file, 1, 1)
        )
    for rule_id, (rule, where) in merged["rules"].items():
        rule: Rule  # type: ignore[no-redef]
        check_references(state, rule.basis, merged["bases"], "legal basis", "RG306", where, "basis")
        check_references(state, [rule.duty], merged["duties"], "duty", "RG307", where, "duty")
        triggers = resolve_triggers(state, rule.recommend, schema, where, "recommend")
        for i, name in enumerate(rule.evidence or []):
            if name not in schema:
                state.problems.append(
                    where.diagnostic(
                        "RG203",
                        f"unknown fact {name!r} in evidence",
                        "evidence",
                        i,
                        hint=did_you_mean(name, schema),
                    )
                )
        node = check_condition(state, rule.when, schema, where, "when")
        if node is None:
            continue
        if never_true(node):
            state.problems.append(
                where.diagnostic(
                    "RG302",
                    f"rule {rule_id!r} can never fire: its condition is never true",
                    "when",
                )
            )
            continue
        state.rules.append(
            CheckedRule(
                rule,
                node,
                frozenset(names_in(node) & set(schema)),
                rule.unknown or default_unknown,
                where.location(),
                triggers,
            )
        )


def catalogue(state: CheckState) -> None:
    """Check the catalogue's references and supersession; a supersession cycle is a problem."""
    merged = state.merged
    supersedes = {}
    for rec_id, (entry, where) in merged["catalogue"].items():
        check_references(
            state, entry.basis, merged["bases"], "legal basis", "RG306", where, "basis"
        )
        check_references(
            state,
            entry.supersedes,
            merged["catalogue"],
            "recommendation",
            "RG304",
            where,
            "supersedes",
        )
        supersedes[rec_id] = [s for s in entry.supersedes if s in merged["catalogue"]]
    order = list(merged["catalogue"])
    for cycle in nx.simple_cycles(graphs.supersession_graph(supersedes)):
        # Report where reading top-down closes the cycle: its last entry in file order.
        where = merged["catalogue"][max(cycle, key=order.index)][1]
        state.problems.append(
            where.diagnostic(
                "RG305",
                "supersession forms a cycle: " + " -> ".join([*cycle, cycle[0]]),
                "supersedes",
            )
        )
    state.supersedes = supersedes


def tests(state: CheckState) -> None:
    """Check that each test case names only known rules, overrides and recommendations."""
    merged = state.merged
    known_rules = set(merged["rules"])
    for case, where in merged["tests"]:
        expect = case.expect
        for field_name in ("findings", "includes_findings", "excludes_findings"):
            for ref in getattr(expect, field_name) or []:
                if ref not in known_rules and ref not in {o.id for o in _overrides(merged)}:
                    state.problems.append(
                        where.diagnostic(
                            "RG501",
                            f"test {case.name!r} names unknown rule {ref!r}",
                            "expect",
                            field_name,
                            hint=did_you_mean(ref, known_rules),
                        )
                    )
        for field_name in (
            "recommendations",
            "includes_recommendations",
            "excludes_recommendations",
        ):
            for ref in getattr(expect, field_name) or []:
                if ref not in merged["catalogue"]:
                    state.problems.append(
                        where.diagnostic(
                            "RG501",
                            f"test {case.name!r} names unknown recommendation {ref!r}",
                            "expect",
                            field_name,
                            hint=did_you_mean(ref, merged["catalogue"]),
                        )
                    )
        state.tests.append((case, where.location()))


def waivers(state: CheckState) -> None:
    """Check that each waiver names a known rule; an expired one is kept with a warning."""
    merged = state.merged
    for waiver, where in merged["waivers"]:
        if waiver.rule not in merged["rules"]:
            hint = did_you_mean(waiver.rule, merged["rules"])
            state.problems.append(
                where.diagnostic(
                    "RG308", f"waiver names unknown rule {waiver.rule!r}", "rule", hint=hint
                )
            )
            continue
        if waiver.expires < state.today:
            line, column = where.document.position(where.at("expires"))
            message = (
                f"waiver of {waiver.rule!r} for unit {waiver.unit!r} expired on "
                f"{waiver.expires} and is ignored"
            )
            state.warnings.append(
                Diagnostic("RG309", message, where.document.file, line, column, severity="warning")
            )
        state.waivers.append(waiver)


def _overrides(merged: dict[str, Any]) -> list[Override]:
    return merged["scoring"][0].risk.overrides if "scoring" in merged else []


def _declared_type(name: str, values: list[str] | None) -> Type:
    typ = type_from_name(name, values)
    assert typ is not None  # the model only admits known names
    return typ
