"""``riskgrade grade``: grade a whole ledger file into a results file."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from riskgrade.batch.read import InputError, load_mapping
from riskgrade.batch.run import BatchEngine, grade_file
from riskgrade.cli._common import (
    as_of_option,
    lang_option,
    open_policy,
    resolve_as_of,
    resolve_lang,
)
from riskgrade.i18n import t

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("grade")
@click.argument("input_path", metavar="INPUT", type=_FILE)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Results: .csv, .xlsx, .json or .jsonl.",
)
@click.option(
    "--errors",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Bad rows with their row number and field errors (default: OUTPUT.errors.csv).",
)
@click.option("--policy", "policy_path", type=click.Path(exists=True, path_type=Path), default=None)
@as_of_option
@click.option(
    "--engine",
    type=click.Choice(["compiled", "durable", "python", "columnar"]),
    default="compiled",
    show_default=True,
    help="Evaluation path; columnar grades each chunk of rows as one table "
    "(CSV, XLSX or Parquet results).",
)
@click.option(
    "--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes."
)
@click.option(
    "--mapping", type=_FILE, default=None, help="YAML/JSON file: local header -> fact name."
)
@click.option("--sheet", default=None, help="XLSX sheet holding the units (default: the first).")
@click.option("--hazards", type=_FILE, default=None, help="Linked hazards file (unit id column).")
@click.option("--buildings", type=_FILE, default=None, help="Linked buildings file.")
@click.option("--elevators", type=_FILE, default=None, help="Linked elevators file.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run (CSV/JSON Lines output).")
@click.option(
    "--strict-columns",
    is_flag=True,
    help="Refuse columns that are no fact (by default they are ignored and named once).",
)
@lang_option
def grade_command(
    input_path: Path,
    output: Path,
    errors: Path | None,
    policy_path: Path | None,
    as_of: dt.datetime | None,
    engine: str,
    workers: int,
    mapping: Path | None,
    sheet: str | None,
    hazards: Path | None,
    buildings: Path | None,
    elevators: Path | None,
    resume: bool,
    strict_columns: bool,
    lang: str | None,
) -> None:
    """Grade every enterprise in INPUT (.csv, .xlsx, .json, .jsonl) into OUTPUT."""
    lang = resolve_lang(lang)
    policy = open_policy(policy_path, lang)
    chosen: BatchEngine = engine  # type: ignore[assignment]
    linked = {
        k: v
        for k, v in (("hazards", hazards), ("buildings", buildings), ("elevators", elevators))
        if v
    }
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        columns = load_mapping(mapping, policy=policy, strict=strict_columns)
        with Progress(*columns, transient=True, console=Console(stderr=True)) as progress:
            task = progress.add_task(str(input_path.name), total=None)
            summary = grade_file(
                policy,
                policy.source,
                input_path,
                output,
                errors=errors,
                as_of=resolve_as_of(as_of),
                engine=chosen,
                workers=workers,  # type: ignore[arg-type]
                mapping=columns,
                sheet=sheet,
                linked=linked,
                on_progress=lambda n: progress.update(task, completed=n),
                resume=resume,
            )
    except InputError as exc:
        click.echo(t("bad_input", lang, error=exc), err=True)
        sys.exit(2)
    if columns.unknown:
        names = ", ".join(columns.unknown)
        click.echo(t("ignored_columns", lang, count=len(columns.unknown), names=names), err=True)
    click.echo(
        t("rows_summary", lang, rows=summary.rows, graded=summary.graded, failed=summary.failed)
    )
    sys.exit(1 if summary.failed else 0)
