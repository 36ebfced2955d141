"""Grade whole files: streaming, in order, nothing lost, optionally across processes.

Rows in = rows graded + rows failed, always: a row that cannot be graded goes to the errors
file with its row number and every field error. With ``workers > 1`` chunks of rows go to
worker processes, each of which rebuilds the policy from its YAML text (a loaded policy holds
an engine that cannot be pickled); at most two chunks per worker are in flight, so memory stays
flat however long the file is.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any, Literal

from riskgrade.assessment import Assessment
from riskgrade.batch.read import InputError, Row, RowProblem, detect_format, read_rows
from riskgrade.batch.write import RESULT_COLUMNS, ErrorWriter, ResultWriter, result_record
from riskgrade.errors import FactError, GradeError
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

    @property
    def consistent(self) -> bool:
        """Whether every row read was either graded or failed (nothing lost)."""
        return self.rows == self.graded + self.failed


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
    from riskgrade.grading.columnar import grade_records

    clean = [row for row in rows if row.problem is None]
    results = iter(
        grade_records(
            policy.program, policy.validate, (r.facts for r in clean), as_of, RESULT_COLUMNS
        )
    )
    out: list[Graded | Failed] = []
    for row in rows:
        marked = row_problem(row)
        if marked is not None:
            out.append(Failed(row.number, *marked))
            continue
        result = next(results)
        if isinstance(result, FactError):
            unit = row.facts.get("id")
            fallback = unit if isinstance(unit, str) else None
            out.append(Failed(row.number, result.entity_id or fallback, result.errors))
        else:
            out.append(Graded(row.number, result, ""))
    return out


_WORKER_POLICY: Policy | None = None


def _init_worker(source: Mapping[str, str]) -> None:
    """Load the policy once per worker process, from its YAML text."""
    global _WORKER_POLICY
    _WORKER_POLICY = load_policy_source(source)


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
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(dict(source),)) as pool:
        pending: deque[Future[list[Graded | Failed]]] = deque()
        for part in _chunks(rows, chunk):
            pending.append(pool.submit(_grade_in_worker, part, as_of, engine))
            if len(pending) >= 2 * workers:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


def mark_duplicates(rows: Iterable[Row]) -> Iterator[Row]:
    """Pass rows on; a row whose unit id was already seen fails on ``id``, naming the first row
    (rows that already failed are passed on as they are). Ids are compared normalised: NFKC
    (full-width letters and digits as ASCII), invisible characters (zero-width spaces, BOMs,
    soft hyphens) removed, spaces trimmed and case folded, since credit codes are one code
    whatever their case; the ids written out stay as given."""
    import unicodedata

    first: dict[str, int] = {}
    for row in rows:
        unit = row.facts.get("id")
        if isinstance(unit, str | int) and row.problem is None:
            text = unicodedata.normalize("NFKC", str(unit))
            key = "".join(c for c in text if unicodedata.category(c) != "Cf").strip().casefold()
            if key in first:
                message = f"duplicate id {str(unit).strip()!r}: first in row {first[key]}"
                row = replace(row, problem=RowProblem("id", message))
            else:
                first[key] = row.number
        yield row


def checkpoint_path(output: Path) -> Path:
    """Where the checkpoint of a run writing ``output`` is kept."""
    return output.with_name(output.name + ".checkpoint.json")


def _run_key(policy: Policy, input_path: Path, as_of: dt.date, engine: str) -> dict[str, Any]:
    """What a checkpoint must match to be resumed: the input file, policy, date and engine."""
    stat = input_path.stat()
    return {
        "input": str(input_path.resolve()),
        "input_bytes": stat.st_size,
        "input_mtime_ns": stat.st_mtime_ns,
        "policy_hash": policy.content_hash,
        "as_of": as_of.isoformat(),
        "engine": engine,
    }


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
) -> BatchSummary:
    """Grade every row of ``input_path`` into ``output``; bad rows go to ``errors``
    (default: ``<output>.errors.csv``).

    For CSV and JSON Lines outputs a checkpoint (``<output>.checkpoint.json``) is written after
    every chunk; ``resume=True`` continues an interrupted run of the same input, policy, date and
    engine from it, cutting both files back to the checkpoint so that no row is written twice
    or skipped. The checkpoint is removed when the run completes."""
    started = time.perf_counter()
    if engine == "columnar" and detect_format(output) in ("json", "jsonl"):
        raise InputError(
            f"{output}: the columnar engine writes CSV, XLSX or Parquet results "
            "(JSON results hold full assessments: use --engine compiled)"
        )
    errors = errors or output.with_name(output.stem + ".errors.csv")
    key = _run_key(policy, input_path, as_of, engine)
    marker = checkpoint_path(output)
    if resume and detect_format(output) not in ("csv", "jsonl"):
        raise InputError(f"{output}: only CSV and JSON Lines results can be resumed")
    state = _load_checkpoint(marker, key) if resume else None
    if resume and state is None and marker.exists():
        raise InputError(
            f"{marker}: written for another input, policy, date or engine; not resuming"
        )
    writer = ResultWriter(output, state["output_bytes"] if state else None)
    error_writer = ErrorWriter(errors, state["errors_bytes"] if state else None)
    rows, graded, failed = (state["rows"], state["graded"], state["failed"]) if state else (0, 0, 0)
    done_before = rows
    unreadable = False
    try:
        stream = mark_duplicates(read_rows(input_path, mapping=mapping, sheet=sheet, linked=linked))
        pending = islice(stream, done_before, None)
        size = COLUMNAR_CHUNK if engine == "columnar" else CHUNK
        for item in grade_stream(
            policy, source, pending, as_of=as_of, engine=engine, workers=workers, chunk=size
        ):
            rows += 1
            if isinstance(item, Graded):
                writer.write_prepared(item.record, item.json)
                graded += 1
            else:
                error_writer.write(item.number, item.as_error(rows - 1))
                failed += 1
            if rows % CHUNK == 0 and writer.resumable:
                _save_checkpoint(marker, key, rows, graded, failed, writer, error_writer)
            if on_progress is not None and rows % 100 == 0:
                on_progress(rows)
    except InputError:
        unreadable = rows == 0 and state is None
        raise
    finally:
        writer.close()
        error_writer.close()
        if unreadable:  # the input could not be read at all: leave no empty result files
            output.unlink(missing_ok=True)
            errors.unlink(missing_ok=True)
    marker.unlink(missing_ok=True)
    if on_progress is not None:
        on_progress(rows)
    return BatchSummary(rows, graded, failed, time.perf_counter() - started)


def _save_checkpoint(
    marker: Path,
    key: dict[str, Any],
    rows: int,
    graded: int,
    failed: int,
    writer: ResultWriter,
    error_writer: ErrorWriter,
) -> None:
    """Flush both files and record how far the run got."""
    state = {
        **key,
        "rows": rows,
        "graded": graded,
        "failed": failed,
        "output_bytes": writer.checkpoint(),
        "errors_bytes": error_writer.checkpoint(),
    }
    temporary = marker.with_suffix(".tmp")
    temporary.write_text(json.dumps(state), encoding="utf-8")
    os.replace(temporary, marker)  # atomic: a crash leaves the old or the new checkpoint


def _load_checkpoint(marker: Path, key: dict[str, Any]) -> dict[str, Any] | None:
    """The saved state, if there is one and it was written for this run."""
    if not marker.exists():
        return None
    state: dict[str, Any] = json.loads(marker.read_text(encoding="utf-8"))
    return state if all(state.get(k) == v for k, v in key.items()) else None
