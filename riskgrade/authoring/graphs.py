"""The policy's graphs as Mermaid or Graphviz DOT text, for people to look at."""

from __future__ import annotations

import re

import networkx as nx

from riskgrade.policy import Policy
from riskgrade.rules.graph import supersession_graph

_SHAPES = {
    "fact": ("([", "])"),
    "derived": ("[/", "/]"),
    "rule": ("[", "]"),
    "override": ("{{", "}}"),
    "finding": ("(", ")"),
    "level": ("((", "))"),
    "recommendation": ("[[", "]]"),
}
_DOT_SHAPES = {
    "fact": "ellipse",
    "derived": "parallelogram",
    "rule": "box",
    "override": "hexagon",
    "finding": "note",
    "level": "circle",
    "recommendation": "box3d",
}


def dependency_graph(policy: Policy, *, used_facts_only: bool = True) -> nx.DiGraph:
    """facts -> derived facts -> rules -> findings -> countermeasures (supersession edges too).
    With ``used_facts_only``, facts no rule or derived fact reads are left out."""
    graph = policy.checked.graph.copy()
    if used_facts_only:
        unused = [
            n
            for n, d in graph.nodes(data=True)
            if d.get("kind") == "fact" and graph.out_degree(n) == 0
        ]
        graph.remove_nodes_from(unused)
    for node in graph.nodes:
        graph.nodes[node].setdefault("kind", node.split(":", 1)[0])
    return graph


def supersession(policy: Policy) -> nx.DiGraph:
    """Countermeasure A -> B when A supersedes B."""
    graph = supersession_graph({k: v.supersedes for k, v in policy.checked.catalogue.items()})
    return nx.relabel_nodes(graph, {n: f"recommendation:{n}" for n in graph.nodes})


def _ident(node: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", node)


def to_mermaid(graph: nx.DiGraph, title: str = "") -> str:
    """``graph`` as a Mermaid flowchart (left to right), one node shape per kind and dashed
    arrows for supersession; ``title`` becomes a comment line."""
    lines = ["flowchart LR"]
    if title:
        lines.insert(0, f"%% {title}")
    for node in sorted(graph.nodes):
        kind = graph.nodes[node].get("kind", node.split(":", 1)[0])
        left, right = _SHAPES.get(kind, ("[", "]"))
        label = node.split(":", 1)[1]
        lines.append(f'    {_ident(node)}{left}"{label}"{right}')
    for source, target, data in sorted(graph.edges(data=True)):
        arrow = "-.->|supersedes|" if data.get("supersedes") else "-->"
        lines.append(f"    {_ident(source)} {arrow} {_ident(target)}")
    return "\n".join(lines) + "\n"


def to_dot(graph: nx.DiGraph, title: str = "policy") -> str:
    """``graph`` as a Graphviz DOT digraph named ``title``, for ``dot -Tsvg`` and the like."""
    lines = [f'digraph "{title}" {{', "    rankdir=LR;"]
    for node in sorted(graph.nodes):
        kind = graph.nodes[node].get("kind", node.split(":", 1)[0])
        label = node.split(":", 1)[1]
        lines.append(f'    "{node}" [label="{label}", shape={_DOT_SHAPES.get(kind, "box")}];')
    for source, target, data in sorted(graph.edges(data=True)):
        style = ' [style=dashed, label="supersedes"]' if data.get("supersedes") else ""
        lines.append(f'    "{source}" -> "{target}"{style};')
    lines.append("}")
    return "\n".join(lines) + "\n"
