"""The policy's dependency graph: facts -> derived facts -> rules -> findings -> countermeasures."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import networkx as nx

from riskgrade.rules.expr import (
    AGGREGATE_FUNCTIONS,
    Arith,
    BoolOp,
    Call,
    Compare,
    In,
    Name,
    Neg,
    Node,
    Not,
    names_in,
)
from riskgrade.rules.types import Schema


def node(kind: str, name: str) -> str:
    """The graph's name for a node: ``kind:name``, e.g. ``rule:staffing_over_100``."""
    return f"{kind}:{name}"


def build_graph(
    facts: Iterable[str],
    derived: Mapping[str, set[str]],
    rules: Mapping[str, tuple[set[str], list[str]]],
    overrides: Mapping[str, tuple[set[str], list[str]]],
    level_recommendations: Mapping[str, list[str]],
    supersedes: Mapping[str, list[str]],
) -> nx.DiGraph:
    """Build the graph. ``rules`` and ``overrides`` map an id to (names read, recommendations)."""
    graph = nx.DiGraph()
    derived_names = set(derived)
    for fact in facts:
        graph.add_node(node("fact", fact), kind="fact")

    def source(name: str) -> str:
        return node("derived" if name in derived_names else "fact", name)

    for name, reads in derived.items():
        graph.add_node(node("derived", name), kind="derived")
        for read in reads:
            graph.add_edge(source(read), node("derived", name))
    for kind, table in (("rule", rules), ("override", overrides)):
        for rule_id, (reads, recommends) in table.items():
            graph.add_node(node(kind, rule_id), kind=kind)
            graph.add_node(node("finding", rule_id), kind="finding")
            graph.add_edge(node(kind, rule_id), node("finding", rule_id))
            for read in reads:
                graph.add_edge(source(read), node(kind, rule_id))
            for rec in recommends:
                graph.add_edge(node("finding", rule_id), node("recommendation", rec))
    for level, recommends in level_recommendations.items():
        graph.add_node(node("level", level), kind="level")
        for rec in recommends:
            graph.add_edge(node("level", level), node("recommendation", rec))
    for rec, superseded in supersedes.items():
        graph.add_node(node("recommendation", rec), kind="recommendation")
        for other in superseded:
            graph.add_edge(
                node("recommendation", rec), node("recommendation", other), supersedes=True
            )
    return graph


def derived_cycles(graph: nx.DiGraph) -> list[list[str]]:
    """Cycles among derived facts, each as a list of names."""
    sub = graph.subgraph(n for n, d in graph.nodes(data=True) if d.get("kind") == "derived")
    return [[n.split(":", 1)[1] for n in cycle] for cycle in nx.simple_cycles(sub)]


def supersession_graph(supersedes: Mapping[str, list[str]]) -> nx.DiGraph:
    """The countermeasures alone, with an edge A -> B when A supersedes B."""
    graph = nx.DiGraph()
    graph.add_nodes_from(supersedes)
    for rec, superseded in supersedes.items():
        graph.add_edges_from((rec, other) for other in superseded)
    return graph


def derived_order(derived: Mapping[str, set[str]]) -> list[str]:
    """Derived facts in an order where each comes after the derived facts it reads."""
    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(derived))
    for name, reads in derived.items():
        graph.add_edges_from((read, name) for read in reads if read in derived)
    return list(nx.lexicographical_topological_sort(graph))


def aggregate_reads(node: Node, schema: Schema) -> set[str]:
    """The unit's facts ``node`` reads inside aggregates' conditions: the names there that are
    not the items' own fields (an item's field shadows the unit's fact of the same name).
    ``names_in`` leaves them out; an engine must still know them before it counts the items,
    so the derived facts' order follows them."""
    found: set[str] = set()
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Call):
            if current.func in AGGREGATE_FUNCTIONS and len(current.args) == 2:
                collection = current.args[0]
                typ = schema.get(collection.name) if isinstance(collection, Name) else None
                fields = set(typ.item or {}) if typ is not None else set()
                found |= names_in(current.args[1], item_fields=True) - fields
            stack.extend(current.args)
        elif isinstance(current, Not | Neg | In):
            stack.append(current.operand)
        elif isinstance(current, Arith | Compare):
            stack.extend((current.left, current.right))
        elif isinstance(current, BoolOp):
            stack.extend(current.operands)
    return found & set(schema)
