"""Stage 3, check: the state every check pass reads and extends, and where its problems are.

:class:`CheckState` holds the input documents, the problems found so far and each pass's
output; :class:`Where` locates a merged item in its document; :func:`check_expression` and
:func:`check_condition` parse and type-check one expression, reporting at its location.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from riskgrade.check.checked import (
    CheckedOverride,
    CheckedRule,
    DerivedFact,
    FactorRow,
    Location,
)
from riskgrade.check.format import FactDecl, Header, PolicyFile, TestCase, Waiver
from riskgrade.check.load import Document, Path_
from riskgrade.diagnostics import Diagnostic
from riskgrade.rules.expr import ExprSyntaxError, Node, parse
from riskgrade.rules.typecheck import typecheck
from riskgrade.rules.types import Schema
from riskgrade.scoring import RiskMethod

Triggers = tuple[tuple[str, Node | None], ...]
"""Resolved ``recommend`` entries: catalogue id with its extra condition (None: always)."""


class Where:
    """An item together with the document and path it came from."""

    def __init__(self, document: Document, path: Path_) -> None:
        self.document = document
        self.path = path

    def at(self, *more: str | int) -> Path_:
        """The path of this item extended by ``more``."""
        return (*self.path, *more)

    def location(self, *more: str | int) -> Location:
        """The file, line and column of this item (or of ``more`` inside it)."""
        line, column = self.document.position(self.at(*more))
        return Location(self.document.file, line, column)

    def diagnostic(
        self, code: str, message: str, *more: str | int, hint: str | None = None
    ) -> Diagnostic:
        """A diagnostic located at this item (or at ``more`` inside it)."""
        return self.document.diagnostic(code, message, self.at(*more), hint)


@dataclass
class CheckState:
    """What the check passes share: the input, the problems so far and each pass's output."""

    documents: list[Document]
    today: dt.date
    problems: list[Diagnostic] = field(default_factory=list)
    """Errors in the order found; any error means there is no checked policy."""
    warnings: list[Diagnostic] = field(default_factory=list)
    # validate
    files: list[tuple[PolicyFile, Document]] = field(default_factory=list)
    broken: set[str] = field(default_factory=set)
    """Sections (``"*"``: any) that a file which did not load or validate may have held."""
    # merge: section -> {id: (item, Where)}, tests and waivers -> [(item, Where)],
    # policy and scoring -> (item, Where) when present
    merged: dict[str, Any] = field(default_factory=dict)
    header: Header | None = None
    # schema
    schema: Schema = field(default_factory=dict)
    extra_facts: dict[str, FactDecl] = field(default_factory=dict)
    # derived
    derived: list[DerivedFact] = field(default_factory=list)
    derived_reads: dict[str, set[str]] = field(default_factory=dict)
    # rules
    rules: list[CheckedRule] = field(default_factory=list)
    # scoring
    risk_method: RiskMethod | None = None
    factors: dict[str, list[FactorRow]] = field(default_factory=dict)
    overrides: list[CheckedOverride] = field(default_factory=list)
    level_triggers: dict[str, Triggers] = field(default_factory=dict)
    # catalogue
    supersedes: dict[str, list[str]] = field(default_factory=dict)
    # tests
    tests: list[tuple[TestCase, Location]] = field(default_factory=list)
    # waivers
    waivers: list[Waiver] = field(default_factory=list)
    # graph
    graph: nx.DiGraph = field(default_factory=nx.DiGraph)


CASCADES: dict[str, frozenset[str]] = {
    "RG203": frozenset({"facts", "derived"}),
    "RG303": frozenset({"rules", "scoring", "policy"}),
    "RG304": frozenset({"catalogue"}),
    "RG306": frozenset({"bases"}),
    "RG307": frozenset({"duties"}),
    "RG308": frozenset({"rules"}),
    "RG501": frozenset({"rules", "scoring", "catalogue", "facts", "derived", "tests"}),
}
"""Diagnostic code -> the sections whose absence also causes it: a name is "unknown" when
the file that defines it did not load, so such a diagnostic would repeat one root cause."""


def is_cascade(state: CheckState, diagnostic: Diagnostic) -> bool:
    """True when ``diagnostic`` may only follow from a section that did not load or validate."""
    sections = CASCADES.get(diagnostic.code)
    return sections is not None and bool(state.broken & (sections | {"*"}))


Pass = Callable[[CheckState], None]
"""One check pass: reads the state earlier passes left and adds its output and problems."""


def check_expression(
    state: CheckState, text: str, schema: Schema, where: Where, *path: str | int
) -> Node | None:
    """Parse and type-check one boolean or value expression; None if it failed."""
    line, column = where.document.position(where.at(*path))
    file = where.document.file
    if not isinstance(text, str):
        text = json.dumps(text) if not isinstance(text, bool) else str(text).lower()
    try:
        node = parse(text)
    except ExprSyntaxError as exc:
        state.problems.append(
            Diagnostic("RG201", exc.message, file, line, column + exc.column, exc.hint)
        )
        return None
    _, found = typecheck(node, schema)
    for problem in found:
        state.problems.append(
            Diagnostic(
                problem.code, problem.message, file, line, column + problem.pos, problem.hint
            )
        )
    return None if found else node


def check_condition(
    state: CheckState, text: str, schema: Schema, where: Where, *path: str | int
) -> Node | None:
    """Parse and type-check one expression that must be bool; None if it failed."""
    node = check_expression(state, text, schema, where, *path)
    if node is None:
        return None
    typ, _ = typecheck(node, schema)
    if typ.kind not in ("bool", "any"):
        state.problems.append(
            where.diagnostic("RG202", f"a condition must be bool, got {typ}", *path)
        )
        return None
    return node
