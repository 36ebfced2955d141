"""Stage 3, check: the pass for the ``scoring`` section (methods, bands, factor tables, the
risk matrix, overrides and level countermeasures)."""

from __future__ import annotations

from decimal import Decimal

from riskgrade.assessment import DutyGrade, RiskLevel
from riskgrade.check.checked import SCORING_FACTS, CheckedOverride, FactorRow
from riskgrade.check.format import Scoring
from riskgrade.check.sections import check_references, resolve_triggers
from riskgrade.check.state import CheckState, Where, check_condition
from riskgrade.scoring import DUTY_METHODS, RISK_METHODS, RiskMethod


def scoring_section(state: CheckState) -> None:
    """Check the scoring section: methods, bands, factor tables, matrix, overrides, levels."""
    merged, schema = state.merged, state.schema
    if "scoring" not in merged:
        return
    scoring, where = merged["scoring"]
    scoring: Scoring  # type: ignore[no-redef]
    score_schema = {**schema, **SCORING_FACTS}
    if scoring.duty.method not in DUTY_METHODS:
        state.problems.append(
            where.diagnostic(
                "RG401",
                f"unknown duty scoring method {scoring.duty.method!r}",
                "duty",
                "method",
                hint=DUTY_METHODS.hint(scoring.duty.method),
            )
        )
    missing = set(DutyGrade.names()) - set(scoring.duty.bands)
    if missing:
        state.problems.append(
            where.diagnostic(
                "RG403",
                "duty bands lack grade(s) " + ", ".join(sorted(missing)),
                "duty",
                "bands",
            )
        )
    missing = set(RiskLevel.names()) - set(scoring.risk.bands)
    if scoring.risk.matrix is not None:
        if scoring.risk.bands:
            state.problems.append(
                where.diagnostic(
                    "RG402",
                    "risk levels come from the matrix: remove the bands (or the matrix)",
                    "risk",
                    "bands",
                )
            )
    elif missing:
        state.problems.append(
            where.diagnostic(
                "RG403",
                "risk bands lack level(s) " + ", ".join(sorted(missing)),
                "risk",
                "bands",
            )
        )
    for table, order, path in (
        (scoring.duty.bands, DutyGrade.names(), "duty"),
        (scoring.risk.bands, RiskLevel.names(worst_first=True), "risk"),
    ):
        mins = [table[k].min for k in order if k in table]
        if mins != sorted(mins, reverse=True):
            state.problems.append(
                where.diagnostic(
                    "RG402",
                    f"{path} bands must fall from {order[0]} to {order[-1]}",
                    path,
                    "bands",
                )
            )
    method: RiskMethod | None = None
    if scoring.risk.method not in RISK_METHODS:
        state.problems.append(
            where.diagnostic(
                "RG401",
                f"unknown risk method {scoring.risk.method!r}",
                "risk",
                "method",
                hint=RISK_METHODS.hint(scoring.risk.method),
            )
        )
    else:
        method = RISK_METHODS.get(scoring.risk.method)
        values = {
            name: [Decimal(str(row.value)) for row in rows]
            for name, rows in scoring.risk.factors.items()
        }
        for factor, index, message in method.problems(values):
            at = [
                p for p in (factor, index, "value" if index is not None else None) if p is not None
            ]
            state.problems.append(where.diagnostic("RG402", message, "risk", "factors", *at))
    factors: dict[str, list[FactorRow]] = {}
    for name, rows in scoring.risk.factors.items():
        factors[name] = []
        if not rows or rows[-1].when.strip() != "true":
            state.problems.append(
                where.diagnostic(
                    "RG402",
                    f"factor {name!r} needs a last row without a condition (the default)",
                    "risk",
                    "factors",
                    name,
                )
            )
        for i, row in enumerate(rows):
            node = check_condition(
                state, row.when, score_schema, where, "risk", "factors", name, i, "when"
            )
            if node is not None:
                factors[name].append(
                    FactorRow(
                        node,
                        Decimal(str(row.value)),
                        row.note,
                        where.location("risk", "factors", name, i),
                        row.unknown,
                    )
                )
    if method is not None and scoring.risk.matrix is not None:
        check_matrix(state, scoring, method, where)
    overrides = []
    for i, override in enumerate(scoring.risk.overrides):
        check_references(
            state,
            override.basis,
            merged["bases"],
            "legal basis",
            "RG306",
            where,
            "risk",
            "overrides",
            i,
            "basis",
        )
        triggers = resolve_triggers(
            state, override.recommend, schema, where, "risk", "overrides", i, "recommend"
        )
        node = check_condition(
            state, override.when, score_schema, where, "risk", "overrides", i, "when"
        )
        if node is not None:
            overrides.append(
                CheckedOverride(override, node, where.location("risk", "overrides", i), triggers)
            )
    check_references(
        state, scoring.risk.basis, merged["bases"], "legal basis", "RG306", where, "risk", "basis"
    )
    level_triggers = {
        level: resolve_triggers(state, recs, score_schema, where, "risk", "recommend", level)
        for level, recs in scoring.risk.recommend.items()
    }
    state.risk_method = method
    state.factors = factors
    state.overrides = overrides
    state.level_triggers = level_triggers


def check_matrix(state: CheckState, scoring: Scoring, method: RiskMethod, where: Where) -> None:
    """Check a stated matrix: it covers every factor value and no colour falls as one rises."""
    matrix = scoring.risk.matrix
    assert matrix is not None
    at = ("risk", "matrix")
    if {matrix.rows, matrix.columns} != set(method.factors) or len(method.factors) != 2:
        message = (
            f"the matrix's rows and columns must be the {method.name} method's two factors "
            f"({', '.join(method.factors)}), got {matrix.rows!r} and {matrix.columns!r}"
        )
        state.problems.append(where.diagnostic("RG402", message, *at))
        return
    columns = [Decimal(str(v)) for v in matrix.column_values]
    rows = [Decimal(str(r.row)) for r in matrix.cells]
    for name, values, path in (
        (matrix.columns, columns, "column_values"),
        (matrix.rows, rows, "cells"),
    ):
        if len(set(values)) != len(values):
            message = f"the matrix repeats a value of {name}"
            state.problems.append(where.diagnostic("RG402", message, *at, path))
            return
        used = {Decimal(str(row.value)) for row in scoring.risk.factors.get(name, [])}
        for value in sorted(used - set(values)):
            message = f"the matrix has no {name} = {value.normalize():f}, which {name} can take"
            state.problems.append(where.diagnostic("RG402", message, *at, path))
    for i, row in enumerate(matrix.cells):
        if len(row.levels) != len(columns):
            message = (
                f"matrix row {matrix.rows} = {rows[i].normalize():f} has {len(row.levels)} "
                f"levels for {len(columns)} column values"
            )
            state.problems.append(where.diagnostic("RG402", message, *at, "cells", i, "levels"))
            return
    level = {cell: RiskLevel.from_name(name) for cell, name in matrix.lookup().items()}
    down, across = sorted(rows), sorted(columns)
    for i, row in enumerate(down):
        for j, column in enumerate(across):
            lower = [
                (matrix.columns, level[row, across[j - 1]]) if j else None,
                (matrix.rows, level[down[i - 1], column]) if i else None,
            ]
            for rising, before in filter(None, lower):
                if level[row, column] < before:
                    message = (
                        f"the matrix lowers the colour as {rising} rises "
                        f"(at {matrix.rows} = {row.normalize():f}, "
                        f"{matrix.columns} = {column.normalize():f})"
                    )
                    at_row = rows.index(row)
                    state.problems.append(
                        where.diagnostic("RG404", message, *at, "cells", at_row, "levels")
                    )
