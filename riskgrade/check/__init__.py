"""Stage 3, check: validate documents into a :class:`CheckedPolicy`, collecting every problem.

``check`` only reads its input. It validates each file against the policy format, merges the
files, parses and type-checks every expression against the fact schema, resolves every
reference, and builds the dependency graph; all problems are returned together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import networkx as nx
from pydantic import ValidationError

from riskgrade.check.checked import (
    BASE_SCHEMA,
    CheckedPolicy,
    CheckedRule,
    DerivedFact,
    Location,
)
from riskgrade.check.format import (
    Derived,
    FactDecl,
    Header,
    Override,
    PolicyFile,
    Rule,
    TestCase,
    Waiver,
    trigger_ids,
)
from riskgrade.check.load import Document, Path_
from riskgrade.check.scoring import ScoringChecks
from riskgrade.check.structure import structure_problems
from riskgrade.diagnostics import Diagnostic, did_you_mean
from riskgrade.rules import graph as graphs
from riskgrade.rules.expr import ExprSyntaxError, Node, names_in, parse
from riskgrade.rules.satisfiable import never_true
from riskgrade.rules.typecheck import AS_OF, typecheck
from riskgrade.rules.types import Schema, Type, type_from_name

MAX_RULES = 2000


class _Where:
    """An item together with the document and path it came from."""

    def __init__(self, document: Document, path: Path_) -> None:
        self.document = document
        self.path = path

    def at(self, *more: str | int) -> Path_:
        return (*self.path, *more)

    def location(self, *more: str | int) -> Location:
        line, column = self.document.position(self.at(*more))
        return Location(self.document.file, line, column)

    def diagnostic(
        self, code: str, message: str, *more: str | int, hint: str | None = None
    ) -> Diagnostic:
        return self.document.diagnostic(code, message, self.at(*more), hint)


class _Checker(ScoringChecks):
    def __init__(self, documents: list[Document]) -> None:
        self.documents = documents
        self.problems: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []

    # ------------------------------------------------------------------ structure

    def validate(self) -> list[tuple[PolicyFile, Document]]:
        files = []
        for document in self.documents:
            data = document.data
            if not isinstance(data, dict):
                self.problems.append(
                    document.diagnostic("RG010", "a policy file must be a mapping of sections", ())
                )
                continue
            try:
                files.append((PolicyFile.model_validate(data), document))
            except ValidationError as exc:
                self.problems.extend(structure_problems(exc, document))
        return files

    def merge(self, files: list[tuple[PolicyFile, Document]]) -> dict[str, Any]:
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
        singles: dict[str, tuple[Any, _Where]] = {}
        for policy_file, document in files:
            for section in ("policy", "scoring"):
                value = getattr(policy_file, section)
                if value is None:
                    continue
                if section in singles:
                    self.problems.append(
                        document.diagnostic(
                            "RG102", f"section {section!r} appears twice", (section,)
                        )
                    )
                singles[section] = (value, _Where(document, (section,)))
            for section in ("facts", "derived", "bases", "duties", "catalogue"):
                for key, value in getattr(policy_file, section).items():
                    self.add(merged[section], section, key, value, _Where(document, (section, key)))
            for index, rule in enumerate(policy_file.rules):
                self.add(merged["rules"], "rule", rule.id, rule, _Where(document, ("rules", index)))
            for index, case in enumerate(policy_file.tests):
                merged["tests"].append((case, _Where(document, ("tests", index))))
            for index, waiver in enumerate(policy_file.waivers):
                merged["waivers"].append((waiver, _Where(document, ("waivers", index))))
        complete = len(files) == len(self.documents)  # a file that failed may hold them
        for section in ("policy", "scoring"):
            if section not in singles and complete:
                file = self.documents[0].file if self.documents else "<policy>"
                self.problems.append(
                    Diagnostic("RG101", f"the policy has no {section!r} section", file, 1, 1)
                )
        merged.update(singles)
        return merged

    def add(self, table: dict[str, Any], what: str, key: str, value: Any, where: _Where) -> None:
        if key in table:
            first = table[key][1]
            self.problems.append(
                where.diagnostic(
                    "RG102", f"duplicate {what} id {key!r} (first at {first.location()})"
                )
            )
            return
        table[key] = (value, where)

    # ------------------------------------------------------------------ expressions

    def expression(self, text: str, schema: Schema, where: _Where, *path: str | int) -> Node | None:
        """Parse and type-check one boolean or value expression; None if it failed."""
        line, column = where.document.position(where.at(*path))
        file = where.document.file
        if not isinstance(text, str):
            text = json.dumps(text) if not isinstance(text, bool) else str(text).lower()
        try:
            node = parse(text)
        except ExprSyntaxError as exc:
            self.problems.append(Diagnostic("RG201", exc.message, file, line, column + exc.column))
            return None
        _, found = typecheck(node, schema)
        for problem in found:
            self.problems.append(
                Diagnostic(
                    problem.code, problem.message, file, line, column + problem.pos, problem.hint
                )
            )
        return None if found else node

    def condition(self, text: str, schema: Schema, where: _Where, *path: str | int) -> Node | None:
        node = self.expression(text, schema, where, *path)
        if node is None:
            return None
        typ, _ = typecheck(node, schema)
        if typ.kind not in ("bool", "any"):
            self.problems.append(
                where.diagnostic("RG202", f"a condition must be bool, got {typ}", *path)
            )
            return None
        return node

    # ------------------------------------------------------------------ sections

    def schema(self, merged: dict[str, Any]) -> tuple[Schema, dict[str, FactDecl]]:
        schema = dict(BASE_SCHEMA)
        extra: dict[str, FactDecl] = {}
        for name, (decl, where) in merged["facts"].items():
            if name in schema or name == AS_OF:
                self.problems.append(
                    where.diagnostic("RG102", f"fact {name!r} is already in the schema")
                )
                continue
            schema[name] = _declared_type(decl.type, decl.values)
            extra[name] = decl
        for name, (decl, where) in merged["derived"].items():
            if name in schema or name == AS_OF:
                self.problems.append(
                    where.diagnostic("RG102", f"derived fact {name!r} shadows a fact")
                )
                continue
            schema[name] = _declared_type(decl.type, decl.values)
        return schema, extra

    def derived(
        self, merged: dict[str, Any], schema: Schema
    ) -> tuple[list[DerivedFact], dict[str, set[str]]]:
        facts: dict[str, DerivedFact] = {}
        reads: dict[str, set[str]] = {}
        for name, (decl, where) in merged["derived"].items():
            decl: Derived  # type: ignore[no-redef]
            if (decl.expr is None) == (decl.cases is None):
                self.problems.append(
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
                when_node = self.condition(when, schema, where, *when_path)
                value_node = self.expression(value, schema, where, *value_path)
                if when_node is None or value_node is None:
                    ok = False
                    continue
                typ, _ = typecheck(value_node, schema)
                want = schema[name]
                if typ.kind not in (want.kind, "null", "any") and not (
                    typ.is_textual and want.is_textual
                ):
                    self.problems.append(
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
                reads[name] = set().union(*(names_in(w) | names_in(v) for w, v in cases)) & set(
                    schema
                )
        cycles = graphs.derived_cycles(graphs.build_graph((), reads, {}, {}, {}, {}))
        for cycle in cycles:
            where = merged["derived"][cycle[0]][1]
            self.problems.append(
                where.diagnostic(
                    "RG301", "derived facts form a cycle: " + " -> ".join([*cycle, cycle[0]])
                )
            )
        if cycles:
            return [], reads
        return [facts[name] for name in graphs.derived_order(reads) if name in facts], reads

    def rules(
        self, merged: dict[str, Any], schema: Schema, header: Header | None
    ) -> list[CheckedRule]:
        default_unknown = header.defaults.unknown if header else "finding"
        checked = []
        if len(merged["rules"]) > MAX_RULES:
            self.problems.append(
                Diagnostic("RG601", f"more than {MAX_RULES} rules", self.documents[0].file, 1, 1)
            )
        for rule_id, (rule, where) in merged["rules"].items():
            rule: Rule  # type: ignore[no-redef]
            self.references(rule.basis, merged["bases"], "legal basis", "RG306", where, "basis")
            self.references([rule.duty], merged["duties"], "duty", "RG307", where, "duty")
            triggers = self.triggers(rule.recommend, merged, schema, where, "recommend")
            for i, name in enumerate(rule.evidence or []):
                if name not in schema:
                    self.problems.append(
                        where.diagnostic(
                            "RG203",
                            f"unknown fact {name!r} in evidence",
                            "evidence",
                            i,
                            hint=did_you_mean(name, schema),
                        )
                    )
            node = self.condition(rule.when, schema, where, "when")
            if node is None:
                continue
            if never_true(node):
                self.problems.append(
                    where.diagnostic(
                        "RG302",
                        f"rule {rule_id!r} can never fire: its condition is never true",
                        "when",
                    )
                )
                continue
            checked.append(
                CheckedRule(
                    rule,
                    node,
                    frozenset(names_in(node) & set(schema)),
                    rule.unknown or default_unknown,
                    where.location(),
                    triggers,
                )
            )
        return checked

    def triggers(
        self,
        recommends: list[Any],
        merged: dict[str, Any],
        schema: Schema,
        where: _Where,
        *path: str | int,
    ) -> tuple[tuple[str, Node | None], ...]:
        """Resolve a ``recommend`` list: catalogue ids, with an optional extra condition."""
        out: list[tuple[str, Node | None]] = []
        for i, entry in enumerate(recommends):
            rec_id = entry if isinstance(entry, str) else entry.id
            at = (*path, i) if isinstance(entry, str) else (*path, i, "id")
            if rec_id not in merged["catalogue"]:
                hint = did_you_mean(rec_id, merged["catalogue"])
                self.problems.append(
                    where.diagnostic("RG304", f"unknown recommendation {rec_id!r}", *at, hint=hint)
                )
                continue
            node = None
            if not isinstance(entry, str) and entry.when.strip() != "true":
                node = self.condition(entry.when, schema, where, *path, i, "when")
            out.append((rec_id, node))
        return tuple(out)

    def references(
        self,
        ids: list[str],
        table: dict[str, Any],
        what: str,
        code: str,
        where: _Where,
        *path: str | int,
    ) -> None:
        for i, ref in enumerate(ids):
            if ref not in table:
                at = (
                    (*path, i)
                    if len(ids) > 1 or path[-1] in ("basis", "recommend", "supersedes")
                    else path
                )
                self.problems.append(
                    where.diagnostic(
                        code, f"unknown {what} {ref!r}", *at, hint=did_you_mean(ref, table)
                    )
                )

    def catalogue(self, merged: dict[str, Any]) -> dict[str, list[str]]:
        supersedes = {}
        for rec_id, (entry, where) in merged["catalogue"].items():
            self.references(entry.basis, merged["bases"], "legal basis", "RG306", where, "basis")
            self.references(
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
            self.problems.append(
                where.diagnostic(
                    "RG305",
                    "supersession forms a cycle: " + " -> ".join([*cycle, cycle[0]]),
                    "supersedes",
                )
            )
        return supersedes

    def waivers(self, merged: dict[str, Any], today: dt.date) -> list[Waiver]:
        out = []
        for waiver, where in merged["waivers"]:
            if waiver.rule not in merged["rules"]:
                hint = did_you_mean(waiver.rule, merged["rules"])
                self.problems.append(
                    where.diagnostic(
                        "RG308", f"waiver names unknown rule {waiver.rule!r}", "rule", hint=hint
                    )
                )
                continue
            if waiver.expires < today:
                line, column = where.document.position(where.at("expires"))
                message = (
                    f"waiver of {waiver.rule!r} for unit {waiver.unit!r} expired on "
                    f"{waiver.expires} and is ignored"
                )
                self.warnings.append(
                    Diagnostic(
                        "RG309", message, where.document.file, line, column, severity="warning"
                    )
                )
            out.append(waiver)
        return out

    def tests(self, merged: dict[str, Any]) -> list[tuple[TestCase, Location]]:
        out = []
        known_rules = set(merged["rules"])
        for case, where in merged["tests"]:
            expect = case.expect
            for field_name in ("findings", "includes_findings", "excludes_findings"):
                for ref in getattr(expect, field_name) or []:
                    if ref not in known_rules and ref not in {
                        o.id for o in self._overrides(merged)
                    }:
                        self.problems.append(
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
                        self.problems.append(
                            where.diagnostic(
                                "RG501",
                                f"test {case.name!r} names unknown recommendation {ref!r}",
                                "expect",
                                field_name,
                                hint=did_you_mean(ref, merged["catalogue"]),
                            )
                        )
            out.append((case, where.location()))
        return out

    @staticmethod
    def _overrides(merged: dict[str, Any]) -> list[Override]:
        return merged["scoring"][0].risk.overrides if "scoring" in merged else []


def _declared_type(name: str, values: list[str] | None) -> Type:
    typ = type_from_name(name, values)
    assert typ is not None  # the model only admits known names
    return typ


def check(
    documents: list[Document], today: dt.date | None = None
) -> tuple[CheckedPolicy | None, list[Diagnostic]]:
    """Check loaded documents; returns the checked policy (None on errors) and all diagnostics."""
    checker = _Checker(documents)
    files = checker.validate()
    merged = checker.merge(files)
    header: Header | None = merged["policy"][0] if "policy" in merged else None
    schema, extra = checker.schema(merged)
    derived, derived_reads = checker.derived(merged, schema)
    rules = checker.rules(merged, schema, header)
    method, factors, overrides, level_triggers = checker.scoring(merged, schema)
    supersedes = checker.catalogue(merged)
    tests = checker.tests(merged)
    waivers = checker.waivers(merged, today or dt.date.today())
    graph = graphs.build_graph(
        schema.keys() - derived_reads.keys(),
        derived_reads,
        {r.rule.id: (set(r.reads), [rec for rec, _ in r.triggers]) for r in rules},
        {
            o.override.id: (names_in(o.condition) & set(schema), [rec for rec, _ in o.triggers])
            for o in overrides
        },
        {level: [rec for rec, _ in triggers] for level, triggers in level_triggers.items()},
        supersedes,
    )
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
            checker.problems.append(
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
            checker.problems.append(
                where.diagnostic(
                    "RG303",
                    f"recommendation {rec_id!r} is never reached: "
                    "no rule, override or level triggers it",
                )
            )
    problems = checker.problems
    if problems or header is None or method is None:
        return None, problems + checker.warnings
    matrix = merged["scoring"][0].risk.matrix  # a method was found, so scoring is there
    canonical = json.dumps(
        [d.data for d in documents], sort_keys=True, default=str, ensure_ascii=False
    )
    policy = CheckedPolicy(
        header=header,
        schema=schema,
        extra_facts=extra,
        derived=derived,
        rules=rules,
        bases={k: v for k, (v, _) in merged["bases"].items()},
        duties={k: v for k, (v, _) in merged["duties"].items()},
        catalogue={k: v for k, (v, _) in merged["catalogue"].items()},
        scoring=merged["scoring"][0],
        risk_method=method,
        factors=factors,
        overrides=overrides,
        tests=tests,
        graph=graph,
        content_hash=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        warnings=checker.warnings,
        waivers=waivers,
        level_triggers=level_triggers,
        matrix_cells=matrix.lookup() if matrix is not None else {},
    )
    closure_graph = graphs.supersession_graph(supersedes)
    policy.supersedes_closure = {
        rec: frozenset(nx.descendants(closure_graph, rec)) for rec in policy.catalogue
    }
    policy.derived_sources = {
        name: frozenset(
            node.split(":", 1)[1]
            for node in nx.ancestors(graph, graphs.node("derived", name))
            if node.startswith("fact:")
        )
        for name in derived_reads
    }
    return policy, checker.warnings


__all__ = ["check"]
