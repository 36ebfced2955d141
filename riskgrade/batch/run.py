"""Grade whole files: streaming, in order, nothing lost, optionally across processes.

Rows in = rows graded + rows failed, always: a row that cannot be graded goes to the errors
file with its row number and every field error. With ``workers > 1`` chunks of rows go to
worker processes, each of which rebuilds the policy from its YAML text (a loaded policy holds
an engine that cannot be pickled); at most two chunks per worker are in flight, so memory stays
flat however long the file is.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import Any, Literal

from riskgrade.assessment import Assessment
from riskgrade.batch.checkpoint import (
    Prefix,
    checkpoint_path,
    load_checkpoint,
    run_key,
    save_checkpoint,
    verified_prefix,
)
from riskgrade.batch.columns import Columns, id_key
from riskgrade.batch.names import FieldNames
from riskgrade.batch.plain import tabular_encoding
from riskgrade.batch.read import InputError, Row, RowProblem, detect_format, read_rows
from riskgrade.batch.table import Handover, grade_chunks, grade_rows_as_table
from riskgrade.batch.write import (
    ErrorWriter,
    ResultWriter,
    refuse_overwrite,
    result_record,
)
from riskgrade.errors import GradeError, OutputError, RunAborted
from riskgrade.grading.columnar import unfit
from riskgrade.policy import Policy, load_policy_source

CHUNK = 500
COLUMNAR_CHUNK = 5_000
"""Rows per chunk on the columnar engine, which grades a chunk as one table."""

BatchEngine = Literal["durable", "compiled", "python", "columnar"]
"""The engines batch grading runs on: the per-unit engines, or the columnar one (flat CSV, XLSX
and Parquet results only: JSON results hold full assessments, which it does not build)."""


@dataclass(frozen=True)
class Graded:
    """One graded row, ready to write (computed where the grading happened)."""

    number: int
    record: dict[str, Any]
    json: str


@dataclass(frozen=True)
class Failed:
    """One row that could not be graded: its number, its unit id if known, its field errors."""

    number: int
    entity_id: str | None
    errors: list[tuple[str, str]]

    def as_error(self, index: int) -> GradeError:
        """The failure as a :class:`GradeError` at position ``index`` of the run."""
        return GradeError(index, self.entity_id, self.errors)


@dataclass(frozen=True)
class BatchSummary:
    """What a run of :func:`grade_file` did: rows read, graded and failed, and how long it took."""

    rows: int
    graded: int
    failed: int
    seconds: float
    gaps: Mapping[str, int] = field(default_factory=dict)
    """Each fact missing behind a data gap -> how many of the rows graded in this run miss it
    (the unknowns a clerk should fill in first; most missed first)."""

    @property
    def consistent(self) -> bool:
        """Whether every row read was either graded or failed (nothing lost)."""
        return self.rows == self.graded + self.failed


COMMON_GAP_SHARE = 0.1
"""A fact missing from at least this share of the graded rows is named to the user (the run
summary of ``riskgrade grade`` and the district report)."""


def rank_gaps(gaps: Mapping[str, int]) -> dict[str, int]:
    """Missing fact -> rows missing it, most missed first (then by name)."""
    return dict(sorted(gaps.items(), key=lambda item: (-item[1], item[0])))


def common_gaps(
    gaps: Mapping[str, int], graded: int, share: float = COMMON_GAP_SHARE, top: int = 10
) -> list[tuple[str, int]]:
    """The ``top`` facts of ranked ``gaps`` missing from at least ``share`` of ``graded`` rows,
    with their counts: the unknowns most grades rest on, to fill in first."""
    common = [(n, c) for n, c in gaps.items() if graded and c / graded >= share]
    return common[:top]


def row_problem(row: Row) -> tuple[str | None, list[tuple[str, str]]] | None:
    """A row the reader or :func:`mark_duplicates` already failed: its unit id (its ``id`` fact
    as text, if any) and its one field error; None for a row still to be graded."""
    if row.problem is None:
        return None
    unit = row.facts.get("id")
    return (None if unit is None else str(unit)), [(row.problem.field, row.problem.message)]


def grade_rows(
    policy: Policy, rows: list[Row], as_of: dt.date, engine: BatchEngine
) -> list[Graded | Failed]:
    """Grade one chunk in this process, results in input order; a row that already has a
    problem is not graded, it fails in its place."""
    if engine == "columnar":
        return _grade_columnar(policy, rows, as_of)
    clean = [row for row in rows if row.problem is None]
    results = policy.grade_many((r.facts for r in clean), as_of=as_of, engine=engine)
    out: list[Graded | Failed] = []
    for row in rows:
        marked = row_problem(row)
        if marked is not None:
            out.append(Failed(row.number, *marked))
            continue
        result = next(results)
        if isinstance(result, Assessment):
            out.append(Graded(row.number, result_record(result), result.model_dump_json()))
        else:
            out.append(Failed(row.number, result.entity_id, result.errors))
    return out


def _grade_columnar(policy: Policy, rows: list[Row], as_of: dt.date) -> list[Graded | Failed]:
    """Grade one chunk as one table on the columnar engine (flat records only)."""
    graded, failures = grade_rows_as_table(policy, rows, as_of)
    items: dict[int, Graded | Failed] = {n: Graded(n, record, "") for n, record in graded}
    items.update((n, Failed(n, unit, errors)) for n, unit, errors in failures)
    return [items[row.number] for row in rows]


_WORKER_POLICY: Policy | None = None


def _init_worker(source: Mapping[str, str]) -> None:
    """Load the policy once per worker process, from its YAML text; leave Ctrl-C to the parent
    (which stops the pool) and exit as soon as the parent is gone."""
    global _WORKER_POLICY
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent()
    _WORKER_POLICY = load_policy_source(source)


def _exit_with_parent() -> None:
    """Watch the parent process from a daemon thread and end this worker when it dies (killed
    with SIGKILL, say): a worker must not live on, orphaned, waiting for work."""
    parent = multiprocessing.parent_process()
    if parent is None:  # pragma: no cover - always set in a pool worker
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="riskgrade-parent-watch", daemon=True).start()


def _grade_in_worker(rows: list[Row], as_of: dt.date, engine: BatchEngine) -> list[Graded | Failed]:
    """Grade one chunk in a worker process."""
    assert _WORKER_POLICY is not None
    return grade_rows(_WORKER_POLICY, rows, as_of, engine)


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    """``rows`` as lists of at most ``size``."""
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def grade_stream(
    policy: Policy,
    source: Mapping[str, str],
    rows: Iterable[Row],
    *,
    as_of: dt.date,
    engine: BatchEngine = "compiled",
    workers: int = 1,
    chunk: int = CHUNK,
) -> Iterator[Graded | Failed]:
    """Grade rows in input order, in this process or across ``workers`` processes."""
    if workers <= 1:
        for part in _chunks(rows, chunk):
            yield from grade_rows(policy, part, as_of, engine)
        return
    try:
        # spawned, not forked: a fork of a process running threads (Polars' pool, an embedding
        # program's own) can inherit a held lock and hang the worker for ever
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_init_worker, initargs=(dict(source),)
        ) as pool:
            pending: deque[Future[list[Graded | Failed]]] = deque()
            for part in _chunks(rows, chunk):
                pending.append(pool.submit(_grade_in_worker, part, as_of, engine))
                if len(pending) >= 2 * workers:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
    except BrokenProcessPool as exc:
        raise RunAborted(
            "a worker process died (killed, or out of memory); no row after it was graded"
        ) from exc


def mark_duplicates(rows: Iterable[Row]) -> Iterator[Row]:
    """Pass rows on; a row whose unit id was already seen fails on ``id``, naming the first row
    (rows that already failed are passed on as they are). Ids are compared normalised: NFKC
    (full-width letters and digits as ASCII), invisible characters (zero-width spaces, BOMs,
    soft hyphens) removed, spaces trimmed and case folded, since credit codes are one code
    whatever their case; the ids written out stay as given."""
    first: dict[str, int] = {}
    for row in rows:
        unit = row.facts.get("id")
        if isinstance(unit, str | int) and row.problem is None:
            key = id_key(unit)
            if key in first:
                message = f"duplicate id {str(unit).strip()!r}: first in row {first[key]}"
                row = replace(row, problem=RowProblem("id", message))
            else:
                first[key] = row.number
        yield row


def errors_path(output: Path, errors: Path | None = None) -> Path:
    """The errors file of a run writing ``output``: ``errors`` if given, else
    ``<output stem>.errors.csv`` beside it."""
    return errors or output.with_name(output.stem + ".errors.csv")


def grade_file(
    policy: Policy,
    source: Mapping[str, str],
    input_path: Path,
    output: Path,
    *,
    errors: Path | None = None,
    as_of: dt.date,
    engine: BatchEngine = "compiled",
    workers: int = 1,
    mapping: Mapping[str, str] | None = None,
    sheet: str | None = None,
    linked: Mapping[str, Path] | None = None,
    on_progress: Callable[[int], None] | None = None,
    resume: bool = False,
    encoding: str | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
    bom: bool = True,
    block_size: int | None = None,
    lang: str | None = None,
) -> BatchSummary:
    """Grade every row of ``input_path`` into ``output``; bad rows go to ``errors``
    (default: ``<output>.errors.csv``).

    For CSV and JSON Lines outputs a checkpoint (``<output>.checkpoint.json``) is written after
    every chunk, with the length and SHA-256 of both files so far; ``resume=True`` continues an
    interrupted run of the same input, policy, date and engine from it, cutting both files back
    to the checkpoint so that no row is written twice or skipped (files shorter than the
    checkpoint, or changed since, are refused). A run without ``resume`` starts over and removes
    any old checkpoint; the checkpoint is removed when the run completes.

    Raises :class:`OutputError` before writing anything if an output is an input (or two
    outputs are one file, or the folder is missing or read-only), :class:`InputError` for an
    unreadable input or checkpoint, :class:`RunAborted` if the run stops partway (disk full,
    a worker died): the files then hold the rows up to the last checkpoint.

    ``encoding`` names a CSV input's text encoding, ``values`` maps a ledger's own spellings of
    values (see :func:`riskgrade.batch.read.load_value_mapping`), ``bom=False`` leaves the UTF-8
    mark off CSV results. The errors file names each field by the ledger's own header (and,
    with ``lang``, a field no header gave in that language: see
    :class:`~riskgrade.batch.names.FieldNames`). ``block_size``: bytes of a CSV ledger graded as
    one table on the columnar engine (default 24 MiB; smaller uses less memory, takes longer)."""
    started = time.perf_counter()
    columns = mapping if isinstance(mapping, Columns) else Columns(mapping or None)
    if engine == "columnar" and detect_format(output) in ("json", "jsonl"):
        raise InputError(
            f"{output}: the columnar engine writes CSV, XLSX or Parquet results "
            "(JSON results hold full assessments: use --engine compiled)"
        )
    if engine == "columnar" and (reason := unfit(policy.program, policy.validate)):
        raise InputError(f"policy {policy.name!r}: {reason} (--engine compiled grades it)")
    errors = errors_path(output, errors)
    marker = checkpoint_path(output)
    refuse_overwrite([input_path, *(linked or {}).values()], [output, errors, marker])
    key = run_key(policy, input_path, as_of, engine)
    if resume and detect_format(output) not in ("csv", "jsonl"):
        raise InputError(f"{output}: only CSV and JSON Lines results can be resumed")
    state = load_checkpoint(marker, key) if resume else None
    if state is None:
        _remove(marker)  # a fresh run: an old checkpoint must not outlive the files it describes
    prefixes = (
        (verified_prefix(output, state, "output"), verified_prefix(errors, state, "errors"))
        if state
        else (Prefix(output), Prefix(errors))
    )
    writer = ResultWriter(output, state["output_bytes"] if state else None, bom=bom)
    try:
        at = state["errors_bytes"] if state else None
        names = FieldNames(columns.headers, lang)
        error_writer = ErrorWriter(errors, at, bom=bom, names=names)
    except OutputError:
        writer.close()
        if state is None:
            output.unlink(missing_ok=True)
        raise
    rows, graded, failed = (state["rows"], state["graded"], state["failed"]) if state else (0, 0, 0)
    done_before = saved = rows
    gaps: Counter[str] = Counter()
    try:
        try:
            tables = engine == "columnar" and not values and _tabular(input_path, linked, encoding)
            handover: Handover | None = None
            if tables:
                for chunk in grade_chunks(
                    policy, input_path, columns, as_of=as_of, skip=rows, size=block_size
                ):
                    if isinstance(chunk, Handover):  # the rest is not plain: row by row
                        handover = chunk
                        break
                    # a chunk at a time: written at once, one checkpoint
                    writer.write_frame(chunk.results)
                    missing = chunk.results["data_gaps"].str.split(" ").explode()
                    gaps.update(dict(missing.filter(missing != "").value_counts().iter_rows()))
                    for number, unit, problems in chunk.failed:
                        error_writer.write(number, GradeError(rows, unit, problems))
                    rows += chunk.results.height + len(chunk.failed)
                    graded += chunk.results.height
                    failed += len(chunk.failed)
                    if writer.resumable:
                        counts = (rows, graded, failed)
                        save_checkpoint(marker, key, counts, writer, error_writer, prefixes)
                        saved = rows
                    if on_progress is not None:
                        on_progress(rows)
            if not tables or handover:
                rows_in = read_rows(
                    input_path,
                    mapping=columns,
                    sheet=sheet,
                    linked=linked,
                    encoding=encoding,
                    values=values,
                )
                stream = mark_duplicates(rows_in)
                if handover is None:
                    pending = islice(stream, done_before, None)
                else:  # the lines before it went the table way
                    later = (row for row in stream if row.number >= handover.line)
                    pending = islice(later, handover.skip, None)
                size = COLUMNAR_CHUNK if engine == "columnar" else CHUNK
                for item in grade_stream(
                    policy, source, pending, as_of=as_of, engine=engine, workers=workers, chunk=size
                ):
                    rows += 1
                    if isinstance(item, Graded):
                        writer.write_prepared(item.record, item.json)
                        graded += 1
                        gaps.update((item.record.get("data_gaps") or "").split())
                    else:
                        error_writer.write(item.number, item.as_error(rows - 1))
                        failed += 1
                    if rows % CHUNK == 0 and writer.resumable:
                        counts = (rows, graded, failed)
                        save_checkpoint(marker, key, counts, writer, error_writer, prefixes)
                        saved = rows
                    if on_progress is not None and rows % 100 == 0:
                        on_progress(rows)
        finally:
            _close(writer, error_writer)
    except InputError:
        if rows == 0 and state is None:  # the input could not be read at all: no empty files
            output.unlink(missing_ok=True)
            errors.unlink(missing_ok=True)
        raise
    except (OSError, RunAborted) as exc:
        kept = writer.resumable and marker.exists()
        after = f"; rerun with --resume to continue from row {saved + 1}" if kept else ""
        raise RunAborted(f"stopped after {rows} rows: {exc}{after}") from exc
    _remove(marker)
    if on_progress is not None:
        on_progress(rows)
    return BatchSummary(rows, graded, failed, time.perf_counter() - started, rank_gaps(gaps))


def _tabular(input_path: Path, linked: Mapping[str, Path] | None, encoding: str | None) -> bool:
    """Whether the columnar engine reads ``input_path`` as tables (a plain CSV file with no
    linked files) rather than row by row."""
    if linked or detect_format(input_path) != "csv" or not input_path.is_file():
        return False
    return tabular_encoding(encoding)


def _close(writer: ResultWriter, error_writer: ErrorWriter) -> None:
    """Close both files, even if the first fails (a full disk fails on the last flush)."""
    try:
        writer.close()
    finally:
        error_writer.close()


def _remove(marker: Path) -> None:
    """Delete a checkpoint if there is one; one that cannot be deleted is an OutputError."""
    try:
        marker.unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(f"{marker}: cannot remove the old checkpoint: {exc}") from exc
