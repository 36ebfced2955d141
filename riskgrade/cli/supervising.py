"""``riskgrade report`` and ``riskgrade plan``: the district page and the inspection plan."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from riskgrade.batch import read as io
from riskgrade.batch.names import FieldNames
from riskgrade.batch.write import ErrorWriter, refuse_overwrite
from riskgrade.cli._common import (
    as_of_option,
    encoding_option,
    input_problem,
    lang_option,
    open_policy,
    policy_files,
    read_mapping,
    resolve_as_of,
    resolve_lang,
)
from riskgrade.errors import GradeError, OutputError, SettingsError
from riskgrade.i18n import t
from riskgrade.policy import Policy
from riskgrade.supervision.plan import (
    make_plan,
    plan_files,
    summary_rows,
    working_days,
    write_plan,
)
from riskgrade.supervision.settings import (
    SupervisionSettings,
    Unit,
    grade_units,
    load_settings,
    sample_district_path,
)

F = TypeVar("F", bound=Callable[..., Any])
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _shared(func: F) -> F:
    """INPUT, --policy, --settings, --as-of, --mapping, --encoding and --lang."""
    for option in (
        lang_option,
        encoding_option,
        click.option("--mapping", type=_FILE, default=None, help="Local header -> fact name."),
        as_of_option,
        click.option(
            "--settings",
            "settings_path",
            type=_FILE,
            default=None,
            help="Supervision settings YAML (targets, caps, key areas; default: bundled).",
        ),
        click.option(
            "--policy", "policy_path", type=click.Path(exists=True, path_type=Path), default=None
        ),
        click.argument("input_path", metavar="[INPUT]", type=_FILE, required=False),
    ):
        func = option(func)
    return func


def _plan_options(required: bool) -> Callable[[F], F]:
    """--inspectors, --days, --per-day and --start."""
    options = (
        click.option(
            "--start",
            type=click.DateTime(formats=["%Y-%m-%d"]),
            default=None,
            help="First day of the plan (default: the day after --as-of).",
        ),
        click.option(
            "--per-day",
            type=click.IntRange(1, 100),
            default=None,
            help="Units one inspector inspects a day (default: from the settings).",
        ),
        click.option(
            "--days", type=click.IntRange(1, 2000), required=required, help="Working days."
        ),
        click.option(
            "--inspectors", type=click.IntRange(0, 100000), required=required, help="Inspectors."
        ),
    )

    def add(func: F) -> F:
        for option in options:
            func = option(func)
        return func

    return add


def _settings(path: Path | None, lang: str) -> SupervisionSettings:
    try:
        return load_settings(path)
    except SettingsError as exc:
        click.echo(str(exc.args[0]).splitlines()[0], err=True)
        for diagnostic in exc.diagnostics:
            click.echo(diagnostic.render(lang), err=True)
        sys.exit(2)


def _graded(
    policy: Policy,
    input_path: Path | None,
    mapping: Path | None,
    as_of: dt.date,
    lang: str,
    encoding: str | None = None,
) -> tuple[list[Unit], list[GradeError], FieldNames]:
    """Read and grade INPUT (default: the bundled sample district) with a progress bar; bad
    rows are written beside the output and counted, never dropped silently."""
    path = input_path or sample_district_path()
    if input_path is None:
        click.echo(t("using_sample_district", lang), err=True)
    try:
        header_map = read_mapping(mapping)
        rows = list(io.read_rows(path, mapping=header_map, encoding=encoding))
    except io.InputError as exc:
        click.echo(input_problem(exc, lang), err=True)
        sys.exit(2)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(
        *columns, TimeElapsedColumn(), transient=True, console=Console(stderr=True)
    ) as progress:
        task = progress.add_task(path.name, total=len(rows))
        units, failures = grade_units(
            policy, rows, as_of, on_progress=lambda n: progress.update(task, completed=n)
        )
    return units, failures, FieldNames(header_map.headers, lang)


def _errors_file(output: Path) -> Path:
    """Where the rows that could not be graded go: beside the output, as ``grade`` names it."""
    return output.with_suffix(".errors.csv")


def _write_errors(job: _Job, output: Path) -> None:
    """The rows that could not be graded, each field named by the ledger's own header."""
    failures, lang = job.failures, job.lang
    if not failures:
        return
    path = _errors_file(output)
    writer = ErrorWriter(path, names=job.names)
    for failure in failures:
        writer.write(failure.index, failure)
    writer.close()
    click.echo(t("rows_failed_file", lang, failed=len(failures), path=path), err=True)


@dataclass(frozen=True)
class _Job:
    """What both commands start from: the graded units and the plan options, if any."""

    lang: str
    inputs: list[Path]
    settings: SupervisionSettings
    as_of: dt.date
    units: list[Unit]
    failures: list[GradeError]
    plan: dict[str, Any] | None
    policy: Policy
    names: FieldNames


def _prepare(
    outputs: list[Path],
    input_path: Path | None,
    policy_path: Path | None,
    settings_path: Path | None,
    as_of: dt.datetime | None,
    mapping: Path | None,
    lang: str | None,
    encoding: str | None,
    inspectors: int | None,
    days: int | None,
    per_day: int | None,
    start: dt.datetime | None,
) -> _Job:
    chosen = resolve_lang(lang)
    if (inspectors is None) != (days is None):
        raise click.UsageError("--inspectors and --days go together")
    inputs = [p for p in (input_path, mapping, settings_path) if p] + policy_files(policy_path)
    try:  # before reading or grading anything
        refuse_overwrite(inputs, outputs)
    except OutputError as exc:
        click.echo(t("cannot_write", chosen, error=exc), err=True)
        sys.exit(2)
    policy = open_policy(policy_path, chosen)
    settings = _settings(settings_path, chosen)
    when = resolve_as_of(as_of, sample=input_path is None, lang=chosen)
    plan = None
    if inspectors is not None and days is not None:
        off, on = settings.inspection.holidays, settings.inspection.workdays
        first = start.date() if start else working_days(when + dt.timedelta(days=1), 1, off, on)[0]
        plan = {"inspectors": inspectors, "days": days, "per_day": per_day, "start": first}
    units, failures, names = _graded(policy, input_path, mapping, when, chosen, encoding)
    return _Job(chosen, inputs, settings, when, units, failures, plan, policy, names)


@click.command("report")
@_shared
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
    help="The HTML page to write.",
)  # fmt: skip
@_plan_options(required=False)
def report_command(output: Path, **options: Any) -> None:
    """Write a district summary page for INPUT (default: the bundled sample district);
    with --inspectors and --days it includes an inspection plan."""
    from riskgrade.errors import MissingExtra
    from riskgrade.supervision.page import render_html, require, write_report
    from riskgrade.supervision.summary import summarize

    try:
        require()  # before grading anything
    except MissingExtra as exc:
        raise click.ClickException(str(exc)) from exc
    job = _prepare([output, _errors_file(output)], **options)
    summary = summarize(job.units, job.failures, job.policy, job.settings, job.as_of)
    plan = make_plan(job.units, settings=job.settings, **job.plan) if job.plan else None
    try:
        write_report(output, render_html(summary, lang=job.lang, plan=plan), inputs=job.inputs)
    except OutputError as exc:
        click.echo(t("cannot_write", job.lang, error=exc), err=True)
        sys.exit(2)
    _write_errors(job, output)
    graded, failed = len(job.units), len(job.failures)
    click.echo(t("report_written", job.lang, path=output, graded=graded, failed=failed))
    sys.exit(1 if job.failures else 0)


@click.command("plan")
@_shared
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
    help="The plan: .xlsx (sheets plan and summary) or .csv (+ .summary.csv).",
)  # fmt: skip
@_plan_options(required=True)
def plan_command(output: Path, **options: Any) -> None:
    """Schedule inspections of INPUT's units by risk for the given staff and days, and show the
    capacity gap (default INPUT: the bundled sample district)."""
    if output.suffix.lower() not in (".csv", ".xlsx"):
        raise click.BadParameter("write the plan as .csv or .xlsx", param_hint="--output")
    job = _prepare([*plan_files(output), _errors_file(output)], **options)
    assert job.plan is not None  # --inspectors and --days are required here
    plan = make_plan(job.units, settings=job.settings, **job.plan)
    try:
        write_plan(plan, output, job.lang, inputs=job.inputs)
    except OutputError as exc:
        click.echo(t("cannot_write", job.lang, error=exc), err=True)
        sys.exit(2)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    _write_errors(job, output)
    table = Table(title=t("plan_title", job.lang, path=output), show_header=False)
    for label, value in summary_rows(plan, job.lang):
        table.add_row(str(label), str(value))
    Console(highlight=False).print(table)
    sys.exit(1 if job.failures else 0)


__all__ = ["plan_command", "report_command"]
