"""``riskgrade grade``: grade a whole ledger file into a results file."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import IO, Any, get_args

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

from riskgrade.batch.checkpoint import checkpoint_path, recorded_engine
from riskgrade.batch.read import InputError, detect_format, load_value_mapping
from riskgrade.batch.run import BatchEngine, BatchSummary, common_gaps, errors_path, grade_file
from riskgrade.batch.write import refuse_overwrite
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
from riskgrade.errors import OutputError, RunAborted
from riskgrade.facts import fact_label
from riskgrade.grading.columnar import unfit
from riskgrade.i18n import t
from riskgrade.policy import Policy

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("grade")
@click.argument("input_path", metavar="INPUT", type=_FILE)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="结果文件 / Results: .csv, .xlsx, .json or .jsonl; - writes them to stdout "
    "(CSV without a byte-order mark unless --to says otherwise; failed rows go to stderr "
    "unless --errors names a file).",
)
@click.option(
    "--to",
    "stdout_format",
    type=click.Choice(["csv", "jsonl", "json"]),
    default="csv",
    show_default=True,
    help="-o - 时的输出格式 / The format written to stdout with -o -.",
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
    default=None,
    help="Evaluation path (default: columnar for CSV, XLSX or Parquet results, which grades "
    "each chunk of rows as one table; compiled for JSON results, which hold whole "
    "assessments). Every engine gives the same results, but for counts beyond 2^53, which "
    "the columnar engine compares as 64-bit floats.",
)
@click.option(
    "--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes."
)
@click.option(
    "--mapping",
    type=_FILE,
    default=None,
    help="表头与取值映射 / YAML/JSON file: local header -> fact name, and an optional "
    "'values:' section: fact -> {local spelling -> value}.",
)
@encoding_option
@click.option(
    "--no-bom",
    "no_bom",
    is_flag=True,
    help="CSV 结果不加 BOM / Leave the UTF-8 byte-order mark off CSV results (it is there by "
    "default so that Excel on Chinese Windows reads them as UTF-8).",
)
@click.option(
    "--block-mb",
    "block_mb",
    type=click.IntRange(1, 1024),
    default=None,
    help="每块兆字节 / Megabytes of a CSV ledger graded as one table on the columnar engine "
    "(default 24; read in parts of a quarter of it, at most 8): smaller blocks take less memory "
    "and more time (1M rows: 16 took a fifth less memory and a sixth more time than 24).",
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
    engine: str | None,
    workers: int,
    mapping: Path | None,
    sheet: str | None,
    hazards: Path | None,
    buildings: Path | None,
    elevators: Path | None,
    resume: bool,
    strict_columns: bool,
    lang: str | None,
    stdout_format: str,
    encoding: str | None,
    no_bom: bool,
    block_mb: int | None,
) -> None:
    """Grade every enterprise in INPUT (.csv, .xlsx, .json, .jsonl, .parquet) into OUTPUT;
    rows that fail go to the errors file with their row number and every field at fault.

    Exit status: 0 every row graded; 1 some rows failed (see the errors file); 2 bad usage,
    policy, input or output (an output that is an input is refused); 3 the run stopped
    partway (interrupted, disk full, a worker died): rerun with --resume."""
    lang = resolve_lang(lang)
    policy = open_policy(policy_path, lang)
    if str(output) == "-":
        if resume:
            raise click.BadParameter("cannot resume a run written to stdout", param_hint="--resume")
        with tempfile.TemporaryDirectory(prefix="riskgrade-") as folder:
            target = Path(folder) / f"results.{stdout_format}"
            failed_rows = errors or Path(folder) / "failed.csv"
            # a pipe gets no byte-order mark: it would glue itself to the first header
            mode = {"output": target, "errors": failed_rows, "no_bom": True}
            summary = _run(locals() | mode)
            _to_stdout(target, None if errors else failed_rows, summary)
    else:
        summary = _run(locals())
    click.echo(
        t("rows_summary", lang, rows=summary.rows, graded=summary.graded, failed=summary.failed),
        err=str(output) == "-",
    )
    _show_gaps(summary, lang, err=str(output) == "-")
    sys.exit(1 if summary.failed else 0)


def _show_gaps(summary: BatchSummary, lang: str, *, err: bool) -> None:
    """The facts missing from a tenth of the graded rows or more (at most ten), so that a
    clerk sees which unknowns the grades rest on."""
    common = common_gaps(summary.gaps, summary.graded)
    if not common:
        return
    click.echo(t("gap_summary", lang), err=err)
    for name, count in common[:10]:
        label = fact_label(name, lang)
        label = label if label == name else f"{label} ({name})"
        percent = round(100 * count / summary.graded)
        click.echo(t("gap_line", lang, label=label, percent=percent), err=err)


def _to_stdout(results: Path, errors: Path | None, summary: BatchSummary) -> None:
    """Copy the results to stdout and the failed rows to stderr; a reader that stops early
    (``| head``) ends the copy quietly."""
    try:
        with results.open("rb") as handle:
            shutil.copyfileobj(handle, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        _quiet_stdout()
    if errors is not None and summary.failed:
        with errors.open("rb") as handle:
            stream: IO[bytes] = sys.stderr.buffer
            shutil.copyfileobj(handle, stream)


def _engine(
    given: BatchEngine | None, output: Path, resume: bool, policy: Policy
) -> tuple[BatchEngine, str | None]:
    """The engine asked for; else, resuming, the one the interrupted run graded on; else
    :func:`default_engine`, unless that is columnar and no table can grade ``policy``: then
    compiled, and why (asked for, columnar refuses such a policy)."""
    if given is not None:
        return given, None
    if resume:
        recorded = recorded_engine(checkpoint_path(output))
        if recorded in get_args(BatchEngine):
            return recorded, None  # type: ignore[return-value]
    engine = default_engine(output)
    if engine == "columnar" and (reason := unfit(policy.program, policy.validate)):
        return "compiled", reason
    return engine, None


def default_engine(output: Path) -> BatchEngine:
    """The engine ``riskgrade grade`` grades on unless told: columnar, but for JSON results
    (whole assessments, which the per-unit engines give) and outputs of no known format
    (refused later, with their own message)."""
    try:
        fmt = detect_format(output)
    except InputError:
        return "compiled"
    return "compiled" if fmt in ("json", "jsonl") else "columnar"


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so that closing it at exit raises nothing more."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _run(options: dict[str, object]) -> BatchSummary:
    """Run :func:`riskgrade.batch.run.grade_file` with a progress bar on stderr; an input that
    cannot be read exits 2."""
    o: dict[str, Any] = dict(options)
    lang, input_path, mapping = o["lang"], o["input_path"], o["mapping"]
    chosen, fallback = _engine(o["engine"], o["output"], o["resume"], o["policy"])
    sides = ("hazards", "buildings", "elevators")
    linked = {k: o[k] for k in sides if o[k]}
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        outputs = [o["output"], errors_path(o["output"], o["errors"])]
        refuse_overwrite([mapping, *policy_files(o["policy_path"])], outputs)
        header_map = read_mapping(mapping, policy=o["policy"], strict=o["strict_columns"])
        with Progress(*columns, transient=True, console=Console(stderr=True)) as progress:
            task = progress.add_task(str(input_path.name), total=None)
            summary = grade_file(
                o["policy"],
                o["policy"].source,
                input_path,
                o["output"],
                errors=o["errors"],
                as_of=resolve_as_of(o["as_of"]),
                engine=chosen,
                workers=o["workers"],
                mapping=header_map,
                sheet=o["sheet"],
                linked=linked,
                on_progress=lambda n: progress.update(task, completed=n),
                resume=o["resume"],
                encoding=o["encoding"],
                values=load_value_mapping(mapping),
                bom=not o["no_bom"],
                block_size=o["block_mb"] << 20 if o["block_mb"] else None,
                lang=lang,
            )
        if fallback:  # said once the run went through (not before a refusal)
            click.echo(t("engine_fallback", lang, reason=fallback), err=True)
        if header_map.unknown:
            names = ", ".join(header_map.unknown)
            count = len(header_map.unknown)
            click.echo(t("ignored_columns", lang, count=count, names=names), err=True)
        return summary
    except InputError as exc:
        click.echo(input_problem(exc, lang), err=True)
        sys.exit(2)
    except OutputError as exc:
        click.echo(t("cannot_write", lang, error=exc), err=True)
        sys.exit(2)
    except RunAborted as exc:
        click.echo(t("run_stopped", lang, error=exc), err=True)
        sys.exit(3)
    except KeyboardInterrupt:
        click.echo(t("interrupted", lang), err=True)
        sys.exit(3)
