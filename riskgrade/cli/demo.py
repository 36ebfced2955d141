"""``riskgrade demo``: grade the bundled sample enterprises and print a table."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
from rich.table import Table

from riskgrade.assessment import Assessment, RiskLevel
from riskgrade.cli._common import (
    as_of_option,
    console,
    engine_option,
    lang_option,
    open_policy,
    read_rows,
    resolve_as_of,
    resolve_lang,
    sample_rows,
)
from riskgrade.errors import GradeError, RiskgradeError
from riskgrade.i18n import DEMO_HEADERS, t

_LEVEL_STYLE = {
    RiskLevel.RED: "bold white on red",
    RiskLevel.ORANGE: "bold black on dark_orange",
    RiskLevel.YELLOW: "black on yellow",
    RiskLevel.BLUE: "white on blue",
}


def assessments_table(results: list[Assessment | GradeError], lang: str, top: int = 3) -> Table:
    """A readable table: id, name, risk colour, duty grade, top countermeasures."""
    head = DEMO_HEADERS[lang]
    table = Table(show_lines=True)
    table.add_column(head[0], no_wrap=True)
    table.add_column(head[1], overflow="fold", max_width=24)
    table.add_column(head[2], no_wrap=True)
    table.add_column(head[3], justify="center")
    table.add_column(head[4], overflow="fold")
    for item in results:
        if isinstance(item, GradeError):
            table.add_row(item.entity_id or f"#{item.index}", "", "—", "—", str(item))
            continue
        level = item.risk_level
        measures = "\n".join(r.titles[lang] for r in item.recommendations[:top]) or "—"
        table.add_row(
            item.entity_id,
            item.name or "",
            f"[{_LEVEL_STYLE[level]}] {level.label(lang)} [/]",
            item.duty_grade.value,
            measures,
        )
    return table


@click.command()
@lang_option
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Policy file or folder (default: the bundled default policy).",
)
@click.option(
    "--input",
    "input_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Enterprises as JSON or JSON Lines (default: the bundled samples).",
)
@as_of_option
@engine_option
def demo(
    lang: str | None,
    policy_path: Path | None,
    input_path: Path | None,
    as_of: dt.datetime | None,
    engine: str,
) -> None:
    """Grade the sample enterprises with the default policy and print a table."""
    lang = resolve_lang(lang)
    policy = open_policy(policy_path, lang)
    rows = sample_rows() if input_path is None else read_rows(input_path, lang)
    when = resolve_as_of(as_of, sample=input_path is None, lang=lang)
    try:
        results = list(policy.grade_many(rows, as_of=when, engine=engine))  # type: ignore[arg-type]
    except RiskgradeError as exc:
        click.echo(f"riskgrade: {exc}", err=True)
        sys.exit(2)
    title = (
        f"{policy.name} {policy.version} · as of {when}"
        if lang == "en"
        else f"策略 {policy.name} {policy.version} · 评估日期 {when}"
    )
    table = assessments_table(results, lang)
    table.title = title
    out = console()
    out.print(table)
    failed = sum(1 for r in results if isinstance(r, GradeError))
    out.print(
        t("rows_summary", lang, rows=len(results), graded=len(results) - failed, failed=failed)
    )
    sys.exit(1 if failed else 0)
