"""Stage 2, parse: the policy format as pydantic models.

The same models validate YAML and generate the policy format's JSON Schema. A policy is one
file or a folder of files; each file may hold any of the top-level sections below and the
sections are merged (rules concatenated, named entries joined; a repeated id is an error).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
SeverityName = Literal["minor", "serious", "major"]
# Spelled out because a Literal must be; tests/check/test_schema.py holds them to the enums
# (RiskLevel.names(), DutyGrade.names()), where the orders live.
LevelName = Literal["blue", "yellow", "orange", "red"]
GradeName = Literal["A", "B", "C", "D"]
UnknownMode = Literal["finding", "gap"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Model):
    """A message in Chinese and English."""

    zh: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]


class Basis(Text):
    """A legal basis; ``penalty`` states what breaching it costs (cited by enforcement) and
    ``summary`` what the cited text says, in one line (so a reviewer can check the citation)."""

    penalty: Text | None = None
    summary: Text | None = None


class Defaults(_Model):
    """What a policy does by default with undecided rules and breaches assumed for missing facts."""

    unknown: UnknownMode = "finding"
    """What a rule does when its condition cannot be decided for missing facts:
    ``finding`` reports a data gap *and* counts the rule as breached (pessimistic);
    ``gap`` reports the data gap only."""
    assumed_severity: SeverityName | None = None
    """The most severe a breach *assumed* for missing facts may be graded (e.g. ``serious``:
    a major finding needs known facts). None: no limit."""
    verify: Id | None = None
    """The catalogue entry given for a breach assumed for missing facts *instead of* the rule's
    own countermeasures (a verification task naming the facts to collect): no order, penalty
    or deadline rests on missing data. None: assumed breaches recommend as known ones do."""


class Header(_Model):
    """The ``policy:`` section: name, version, title and defaults."""

    name: str
    version: str
    title: Text | None = None
    defaults: Defaults = Defaults()


class FactDecl(_Model):
    """A fact a policy adds to the schema; ``worse`` declares which way it gets worse
    (property tests worsen facts along it)."""

    type: Literal["bool", "int", "number", "str", "date", "enum"]
    values: list[str] | None = None
    description: Text | None = None
    worse: Literal["higher", "lower", "true", "false", "older"] | None = None


class Case(_Model):
    """One case of a derived fact: its value when ``when`` holds."""

    when: str = "true"
    value: str


class Derived(_Model):
    """A derived fact: ``expr``, or ``cases`` tried in order (the first that holds wins)."""

    type: Literal["bool", "int", "number", "str", "date", "enum"]
    values: list[str] | None = None
    expr: str | None = None
    cases: list[Case] | None = None
    description: Text | None = None


class Trigger(_Model):
    """A recommendation a rule or override gives only when ``when`` holds for the unit
    (an undecided condition counts as holding)."""

    id: Id
    when: str = "true"


Recommends = list[Id | Trigger]


def trigger_ids(recommends: Recommends) -> list[str]:
    """The catalogue ids a ``recommend`` list names."""
    return [r if isinstance(r, str) else r.id for r in recommends]


class Rule(_Model):
    """A duty check: when ``when`` holds, the unit breaches ``duty``."""

    id: Id
    duty: Id
    when: str
    severity: SeverityName
    deduction: Annotated[float, Field(ge=0, le=100)]
    basis: list[Id]
    message: Text
    evidence: list[str] | None = None
    unknown: UnknownMode | None = None
    recommend: Recommends = []


class Countermeasure(_Model):
    """A catalogue entry: what to do, who does it, by when, under which law."""

    title: Text
    text: Text
    responsible: Literal["enterprise", "regulator", "industry_department", "third_party"]
    priority: Annotated[int, Field(ge=1, le=9)]
    deadline_days: Annotated[int, Field(ge=0, le=3650)]
    basis: list[Id] = []
    supersedes: list[Id] = []
    cite_penalties: bool = False
    """Append the penalties of the legal bases that the causing findings cite."""
    requires_evidence: bool = False
    """Recommend only for violations established from known facts, never for a breach
    assumed because facts were missing (no one is fined on missing data)."""


class Band(_Model):
    """A band edge: the lowest score (``min``) that reaches a grade or level."""

    min: float
    exclusive: bool = False


class DutyScoring(_Model):
    """How duty fulfilment is scored: a checklist from ``start``, graded by bands and capped by
    the worst severity."""

    method: str = "checklist"
    start: Annotated[float, Field(gt=0, le=1000)] = 100
    bands: dict[GradeName, Band]
    caps: dict[SeverityName, GradeName] = {}


class FactorRow(_Model):
    """One row of a risk factor's table: the factor's value when ``when`` holds."""

    when: str = "true"
    value: float
    note: Text | None = None
    unknown: Literal["match", "skip"] = "match"
    """When ``when`` is undecided for missing facts: ``match`` takes this row (pessimistic,
    the default) or ``skip`` goes on to the next row (for facts that only matter where they
    apply, such as buildings)."""


class Override(_Model):
    """A floor on the risk level (e.g. a fatal accident makes a unit at least orange)."""

    id: Id
    when: str
    at_least: LevelName
    basis: list[Id]
    message: Text
    recommend: Recommends = []
    unknown: Literal["apply", "ignore"] = "ignore"
    """When the condition is undecided for missing facts: ``apply`` the override anyway
    (pessimistic) or ``ignore`` it; either way a data gap is reported."""


class MatrixRow(_Model):
    """One row of a stated risk matrix: the colour of each cell, by column value."""

    row: float
    """A value of the row factor."""
    levels: list[LevelName]
    """The colour of each cell of this row, one per column value, in the same order."""


class MatrixTable(_Model):
    """A risk matrix stated cell by cell: the level is read off the table at (row factor's
    value, column factor's value) instead of banding the combined score.

    .. code-block:: yaml

        matrix:
          rows: S              # inherent risk tier
          columns: L           # management level
          column_values: [1, 2, 3]
          cells:
            - {row: 2, levels: [yellow, orange, red]}
            - {row: 1, levels: [blue, yellow, orange]}
    """

    rows: str
    columns: str
    column_values: Annotated[list[float], Field(min_length=1)]
    cells: Annotated[list[MatrixRow], Field(min_length=1)]

    def lookup(self) -> dict[tuple[Decimal, Decimal], LevelName]:
        """(row value, column value) -> colour, for a matrix whose rows all have one level per
        column value (the check stage refuses any other)."""
        columns = [Decimal(str(v)) for v in self.column_values]
        return {
            (Decimal(str(row.row)), column): level
            for row in self.cells
            for column, level in zip(columns, row.levels, strict=True)
        }


class RiskScoring(_Model):
    """How the risk level is reached: a method over factor tables, bands or a matrix, overrides."""

    method: str
    basis: list[Id] = []
    """The legal basis of the risk grading itself (cited when a level alone triggers a
    recommendation)."""
    factors: dict[str, list[FactorRow]]
    bands: dict[LevelName, Band] = {}
    """Levels by the combined score (required unless ``matrix`` states the levels)."""
    matrix: MatrixTable | None = None
    overrides: list[Override] = []
    recommend: dict[LevelName, Recommends] = {}
    """Countermeasures a level gives; a conditional one may read the scoring facts
    (``duty_grade``, ``findings_major`` ...)."""


class Scoring(_Model):
    """The ``scoring:`` section: duty scoring and risk scoring."""

    duty: DutyScoring
    risk: RiskScoring


class Expect(_Model):
    """What a policy test case expects; only the fields given are compared."""

    risk_level: LevelName | None = None
    duty_grade: GradeName | None = None
    duty_score: float | None = None
    risk_score: float | None = None
    tier: str | None = None
    findings: list[Id] | None = None
    includes_findings: list[Id] = []
    excludes_findings: list[Id] = []
    recommendations: list[Id] | None = None
    includes_recommendations: list[Id] = []
    excludes_recommendations: list[Id] = []


class TestCase(_Model):
    """A policy test case: facts in, an expected grade, level or findings out."""

    name: str
    extends: str | None = None
    """Start from the named case's facts; ``facts`` then changes only what it lists."""
    as_of: dt.date
    facts: dict[str, Any]
    expect: Expect


class Waiver(_Model):
    """An approved exemption of one unit from one rule until ``expires`` (inclusive)."""

    unit: Annotated[str, Field(min_length=1)]
    rule: Id
    justification: Text
    approved_by: Annotated[str, Field(min_length=1)]
    expires: dt.date


class PolicyFile(_Model):
    """One YAML file of a policy; every section is optional."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_: str | None = Field(default=None, alias="$schema")
    policy: Header | None = None
    facts: dict[Id, FactDecl] = {}
    derived: dict[Id, Derived] = {}
    bases: dict[Id, Basis] = {}
    duties: dict[Id, Text] = {}
    rules: list[Rule] = []
    catalogue: dict[Id, Countermeasure] = {}
    scoring: Scoring | None = None
    tests: list[TestCase] = []
    waivers: list[Waiver] = []
