"""Stage 7 over a whole table: breaches, overrides and levels -> countermeasures; data gaps.

The columnar counterpart of :mod:`riskgrade.grading.recommend`, with its semantics: an entry
is collected when a breach or applied override names it (its extra condition not false for the
unit) or the unit's level does; a breach assumed for missing facts gives only the policy's
``verify`` entry if it names one, and never an entry that ``requires_evidence``; an entry
superseded by another collected entry is dropped; the rest are ordered by priority, then
catalogue order. Also the facts missing behind every data gap (following derived facts back to
what they are computed from), as the per-unit ``missing_facts`` finds them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import polars as pl

from riskgrade.check.checked import SCORING_FACTS
from riskgrade.grading.program import Program
from riskgrade.rules.columnar import ROW, Columnar, texts_where, with_aggregates
from riskgrade.rules.expr import names_in


def recommend(frame: pl.DataFrame, program: Program, as_of: dt.date) -> pl.DataFrame:
    """Per unit: the countermeasures' ids in order (``recommendations``, space-joined) and
    the first three titles in Chinese (``top_countermeasures_zh``). ``frame`` holds the facts,
    the scoring facts and the columns of :mod:`riskgrade.grading.columnar_score`."""
    plan = program.kept(("recommend", as_of), lambda: _Recommend.of(program, as_of))
    frame = with_aggregates(with_aggregates(frame, plan.facts), plan.scoring)
    # Materialised step by step: Polars does not share the ``present`` expressions between the
    # many places superseding entries and ordered strings read them (8x slower in one select).
    flags = frame.select(ROW, *plan.present)
    places = flags.select(ROW, *plan.kept).select(ROW, *plan.places)
    return places.select(ROW, *plan.columns)


@dataclass(frozen=True)
class _Recommend:
    """The expressions of :func:`recommend` for one policy and date, step by step."""

    facts: Columnar
    scoring: Columnar
    present: list[pl.Expr]
    """Whether each countermeasure is collected (``p:<id>``)."""
    kept: list[pl.Expr]
    """Whether it is kept, not superseded (``k:<id>``), in the order they are listed."""
    places: list[pl.Expr]
    """The ``k:`` columns, and each one's place among the kept ones (``n:<id>``)."""
    columns: list[pl.Expr]

    @classmethod
    def of(cls, program: Program, as_of: dt.date) -> _Recommend:
        policy = program.policy
        facts = Columnar(policy.schema, as_of)
        scoring = Columnar({**policy.schema, **SCORING_FACTS}, as_of)
        verify = policy.header.defaults.verify
        causes: dict[str, list[pl.Expr]] = defaultdict(list)
        fired: list[tuple[str, pl.Expr, pl.Expr]] = [
            (
                c.rule.id,
                pl.col(f"v:{c.rule.id}"),
                pl.col(f"v:{c.rule.id}") & pl.col(f"g:{c.rule.id}"),
            )
            for c in policy.rules
        ]
        fired += [
            (
                o.override.id,
                pl.col(f"o:{o.override.id}"),
                pl.col(f"o:{o.override.id}") & pl.col(f"og:{o.override.id}"),
            )
            for o in policy.overrides
        ]
        for cause, breached, assumed in fired:
            confirmed = breached
            if verify is not None:
                causes[verify].append(assumed)
                confirmed = breached & ~assumed
            for rec_id, condition in program.triggers.get(cause, ()):
                evidence = policy.catalogue[rec_id].requires_evidence
                given = confirmed & ~assumed if evidence else confirmed
                if condition is not None:
                    given = given & facts.expr(condition).fill_null(True)
                causes[rec_id].append(given)
        for level, triggers in policy.level_triggers.items():
            at_level = pl.col("risk_level") == level
            for rec_id, condition in triggers:
                given = at_level
                if condition is not None:
                    given = given & scoring.expr(condition).fill_null(True)
                causes[rec_id].append(given)
        present = [pl.any_horizontal(e).alias(f"p:{r}") for r, e in causes.items()]
        closure = policy.supersedes_closure
        kept: dict[str, pl.Expr] = {}
        for rec in causes:
            superseding = [pl.col(f"p:{other}") for other in causes if rec in closure[other]]
            found = pl.col(f"p:{rec}")
            kept[rec] = found & ~pl.any_horizontal(superseding) if superseding else found
        order = sorted(
            kept, key=lambda r: (policy.catalogue[r].priority, program.catalogue_order[r], r)
        )
        taken = [pl.col(f"k:{rec}") for rec in order]
        # an entry's place among the kept ones: the first three give the titles
        places = [*taken, *(
            pl.sum_horizontal(t.cast(pl.Int32) for t in taken[: i + 1]).alias(f"n:{rec}")
            for i, rec in enumerate(order)
        )]  # fmt: skip
        ids = list(zip(taken, order, strict=True))
        titles = [
            (t & (pl.col(f"n:{rec}") <= 3), policy.catalogue[rec].title.zh)
            for t, rec in zip(taken, order, strict=True)
        ]
        return cls(
            facts,
            scoring,
            present,
            [kept[rec].alias(f"k:{rec}") for rec in order],
            places,
            [
                texts_where(ids, " ").alias("recommendations"),
                texts_where(titles, "；").alias("top_countermeasures_zh"),
            ],
        )


def gapped(program: Program) -> pl.Expr:
    """Whether the unit has a data gap (the assessment's ``data_gaps`` is not empty): a rule or
    override it could not decide, or a scoring row it skipped for want of a fact it names (a
    row skipped with every fact given, as an undecided derived fact leaves it, is no gap)."""
    return program.kept(("gapped",), lambda: _gapped(program))


def _gapped(program: Program) -> pl.Expr:
    flags = [
        g.active if g.always else pl.any_horizontal(pl.lit(False), *(e for _, e in _because(g)))
        for g in _gaps(program)
    ]
    return pl.any_horizontal(pl.lit(False), *flags)


@dataclass(frozen=True)
class _Gap:
    """A data gap a unit can have."""

    active: pl.Expr
    """Whether the unit has it."""
    reads: set[str]
    """The facts it reads."""
    always: bool
    """Whether it is a data gap even when none of ``reads`` is missing (a rule's, an
    override's); a scoring row's is one only when a fact it reads is missing."""
    program: Program


def _gaps(program: Program) -> list[_Gap]:
    """Each data gap a unit can have."""
    policy = program.policy
    schema = set(policy.schema)
    gaps = [_Gap(pl.col(f"g:{c.rule.id}"), set(c.reads), True, program) for c in policy.rules]
    gaps += [
        _Gap(pl.col(f"og:{o.override.id}"), names_in(o.condition) & schema, True, program)
        for o in policy.overrides
    ]
    for name, rows in policy.factors.items():
        gaps += [
            _Gap(pl.col(f"fg:{name}:{k}"), names_in(row.condition) & schema, False, program)
            for k, row in enumerate(rows)
            if row.unknown == "skip"
        ]
    return gaps


def _because(gap: _Gap) -> list[tuple[str, pl.Expr]]:
    """Each fact that may be missing behind ``gap``, with whether it is (and the gap active)."""
    policy = gap.program.policy
    out: list[tuple[str, pl.Expr]] = []
    for name in gap.reads:
        sources = policy.derived_sources.get(name)
        if sources is not None:
            for source in sources:
                # a derived fact names its unknown sources (no look inside their lists)
                unknown = pl.col(name).is_null() & pl.col(source).is_null()
                out.append((source, gap.active & unknown))
        else:
            out.append((name, gap.active & _absent(name, gap.program)))
    return out


def missing(frame: pl.DataFrame, program: Program) -> pl.Expr:
    """The facts missing behind the unit's data gaps, sorted and space-joined."""
    return program.kept(("missing",), lambda: _missing(program))


def _missing(program: Program) -> pl.Expr:
    because: dict[str, list[pl.Expr]] = defaultdict(list)
    for gap in _gaps(program):
        for name, expr in _because(gap):
            because[name].append(expr)
    return texts_where([(pl.any_horizontal(because[n]), n) for n in sorted(because)], " ")


def _absent(name: str, program: Program) -> pl.Expr:
    """Whether fact ``name`` is unknown; a list also when some item lacks a field."""
    typ = program.policy.schema[name]
    value = pl.col(name)
    if typ.kind != "list" or not typ.item:
        return value.is_null()
    lacking = pl.any_horizontal(pl.element().struct.field(f).is_null() for f in typ.item)
    return value.is_null() | value.list.eval(lacking).list.any().fill_null(False)
