"""The ``riskgrade`` command line."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from riskgrade.assessment import Assessment, RiskLevel
from riskgrade.errors import GradeError, PolicyError, RiskgradeError
from riskgrade.policy import load_policy

SAMPLE_AS_OF = dt.date(2026, 11, 28)
"""The date the bundled sample data describes; the demo grades as of this day by default."""

_LEVEL_STYLE = {
    RiskLevel.RED: "bold white on red",
    RiskLevel.ORANGE: "bold black on dark_orange",
    RiskLevel.YELLOW: "black on yellow",
    RiskLevel.BLUE: "white on blue",
}
_HEADERS = {
    "zh": ("编号", "名称", "风险等级", "履责等级", "主要对策", "行数", "已评级", "失败"),
    "en": (
        "ID",
        "Name",
        "Risk level",
        "Duty grade",
        "Top countermeasures",
        "rows",
        "graded",
        "failed",
    ),
}


def default_lang() -> str:
    """Chinese unless the environment's locale asks for English."""
    locale = (
        os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or ""
    )
    return "en" if locale.lower().startswith("en") else "zh"


def sample_rows() -> list[dict[str, Any]]:
    """The bundled sample enterprises."""
    text = (resources.files("riskgrade") / "data" / "sample_enterprises.json").read_text("utf-8")
    rows: list[dict[str, Any]] = json.loads(text)
    return rows


def assessments_table(results: list[Assessment | GradeError], lang: str, top: int = 3) -> Table:
    """A readable table: id, name, risk colour, duty grade, top countermeasures."""
    head = _HEADERS[lang]
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="riskgrade")
def main() -> None:
    """riskgrade: grade work-safety duty fulfilment and risk from YAML policies."""


@main.command()
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="Output language.")
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
    help="A JSON list of enterprises (default: the bundled samples).",
)
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help=f"Evaluation date (default: {SAMPLE_AS_OF}, the samples' date).",
)
@click.option(
    "--engine", type=click.Choice(["durable", "python"]), default="durable", show_default=True
)
def demo(
    lang: str | None,
    policy_path: Path | None,
    input_path: Path | None,
    as_of: dt.datetime | None,
    engine: str,
) -> None:
    """Grade the sample enterprises with the default policy and print a table."""
    lang = lang or default_lang()
    console = Console(width=None if sys.stdout.isatty() else 150)
    try:
        policy = load_policy(policy_path)
    except PolicyError as exc:
        for diagnostic in exc.diagnostics:
            click.echo(diagnostic.render(), err=True)
        sys.exit(1)
    if input_path is None:
        rows = sample_rows()
    else:
        rows = json.loads(input_path.read_text("utf-8"))
        if not isinstance(rows, list):
            raise click.BadParameter("expected a JSON list of enterprises", param_hint="--input")
    when = as_of.date() if as_of else SAMPLE_AS_OF
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
    console.print(table)
    failed = sum(1 for r in results if isinstance(r, GradeError))
    head = _HEADERS[lang]
    console.print(
        f"{head[5]} {len(results)} · {head[6]} {len(results) - failed} · {head[7]} {failed}"
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
