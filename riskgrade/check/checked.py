"""The output of the check stage: a policy whose every expression parsed and type-checked and
whose every reference resolved, with source locations for traces and diagnostics."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import networkx as nx

from riskgrade.assessment import DutyGrade
from riskgrade.check.format import (
    Basis,
    Countermeasure,
    FactDecl,
    Header,
    Override,
    Rule,
    Scoring,
    TestCase,
    Text,
    Waiver,
)
from riskgrade.diagnostics import Diagnostic, Location
from riskgrade.facts import Enterprise
from riskgrade.rules.expr import Node
from riskgrade.rules.types import NUMBER, Schema, Type, enum, schema_of_model
from riskgrade.scoring.registry import RiskMethod

BASE_SCHEMA: Schema = schema_of_model(Enterprise)
"""The fact schema v1 as expression-language types."""

SCORING_FACTS: Schema = {
    "findings_major": NUMBER,
    "findings_serious": NUMBER,
    "findings_minor": NUMBER,
    "findings_total": NUMBER,
    "data_gaps": NUMBER,
    "duty_score": NUMBER,
    "duty_grade": enum(*DutyGrade.names()),
}
"""Extra names that factor tables, overrides and level countermeasures may read."""


@dataclass(frozen=True)
class DerivedFact:
    """A derived fact, checked: its type and its cases as (condition, value) expressions."""

    name: str
    type: Type
    cases: tuple[tuple[Node, Node], ...]
    location: Location
    description: Text | None = None


@dataclass(frozen=True)
class CheckedRule:
    """A rule, checked: its parsed condition, the facts it reads and its countermeasures."""

    rule: Rule
    condition: Node
    reads: frozenset[str]
    unknown: str
    location: Location
    triggers: tuple[tuple[str, Node | None], ...] = ()
    """Recommendations with their extra condition (None: always)."""


@dataclass(frozen=True)
class CheckedOverride:
    """A risk-level override, checked: its parsed condition and its countermeasures."""

    override: Override
    condition: Node
    location: Location
    triggers: tuple[tuple[str, Node | None], ...] = ()


@dataclass(frozen=True)
class FactorRow:
    """One row of a risk factor's table, checked: the value it gives when its condition holds."""

    condition: Node
    value: Decimal
    note: Text | None
    location: Location
    unknown: str = "match"


@dataclass(frozen=True)
class CheckedPolicy:
    """A policy that checked clean: every expression parsed and typed, every reference resolved.

    The check stage's output, read by every later stage and written by none: what grading
    builds from it once lives in :class:`riskgrade.grading.program.Program`."""

    header: Header
    schema: Schema
    extra_facts: dict[str, FactDecl]
    derived: list[DerivedFact]
    rules: list[CheckedRule]
    bases: dict[str, Basis]
    duties: dict[str, Text]
    catalogue: dict[str, Countermeasure]
    scoring: Scoring
    risk_method: RiskMethod
    factors: dict[str, list[FactorRow]]
    overrides: list[CheckedOverride]
    tests: list[tuple[TestCase, Location]]
    graph: nx.DiGraph
    content_hash: str
    warnings: list[Diagnostic] = field(default_factory=list)
    supersedes_closure: dict[str, frozenset[str]] = field(default_factory=dict)
    """Each catalogue entry -> every entry it supersedes, directly or through others."""
    waivers: list[Waiver] = field(default_factory=list)
    level_triggers: dict[str, tuple[tuple[str, Node | None], ...]] = field(default_factory=dict)
    """Each risk level -> the countermeasures it gives, with their extra condition."""
    matrix_cells: dict[tuple[Decimal, Decimal], str] = field(default_factory=dict)
    """A stated risk matrix as (row value, column value) -> colour (empty: levels by bands)."""
    derived_sources: dict[str, frozenset[str]] = field(default_factory=dict)
    """Each derived fact -> the schema facts it is computed from (through other derived facts)."""
