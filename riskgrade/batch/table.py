"""CSV ledgers read as tables, for the columnar engine: Polars reads, nothing per cell in Python.

The row reader (:mod:`riskgrade.batch.read`) turns every cell into a Python value with
:func:`~riskgrade.batch.read.coerce` and validates unit by unit. Here a CSV file is read by Polars
in chunks of text columns with an explicit schema (every column text: no inference), and each
column is typed once per *distinct* value, by the very same ``coerce``: a cell whose coerced
value fits its fact's column type (a count that is an integer, a flag that is a yes/no word, a
list of hazards that is a JSON list of objects with the item's fields) goes into a typed table
that :func:`~riskgrade.grading.columnar_validate.validate_frame` checks whole. A row with any
other cell (``"1"`` in a count column reads as a yes, a cell that is not JSON in a list column)
takes the row reader's path, so both paths give the same facts, errors and results, which a
differential test holds.

Only plain blocks take this path (:func:`parsed_block`): UTF-8 (a BOM is fine), one record per
line (no line breaks inside cells), so that a row's number is its line. Each block is checked as
it is read; from the first that is not plain on, the row reader reads the rest of the file, as
``--resume`` would continue it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from riskgrade.batch.cells import EDGE, items_column, typed_columns
from riskgrade.batch.columns import (
    Column,
    Columns,
    Row,
    id_key,
    plan_header,
    table_row,
)
from riskgrade.batch.plain import LINE, blocks, lines_in, parsed_block, plain_line
from riskgrade.batch.stages import ahead
from riskgrade.batch.write import RESULT_COLUMNS
from riskgrade.check.checked import CheckedPolicy
from riskgrade.errors import FactError
from riskgrade.grading.columnar import grade_records, grade_valid_frame
from riskgrade.grading.columnar_validate import _ENTERPRISE, _ITEMS, validate_frame
from riskgrade.policy import Policy

TABLE_CHUNK = 24 << 20
"""Bytes of a CSV file graded as one table on the columnar engine (whole lines). Measured on
1M rows (595 MB, 2026-11-30, alternating runs): 24 MiB peaked at 447-458 MB in 13.4-14.8 s,
32 MiB at 536-550 MB in 12.4-13.7 s, 16 MiB at 371-373 MB in 16.0-16.9 s."""
PARSE_CHUNK = 8 << 20
"""Most bytes of a CSV file read and typed at once: grading tables are gathered from parts of
a quarter of their size, up to this (measured on 1M rows: the reader's cost per part is about
the same from 8 to 32 MiB, the grader's fixed cost per table is not; the peak memory follows
the parts' size more than the tables')."""


def part_size(size: int) -> int:
    """Bytes of the parts a table of ``size`` bytes is gathered from: a quarter of it, at least
    1 MiB (no more than the table), at most :data:`PARSE_CHUNK`."""
    return min(PARSE_CHUNK, max(size // 4, min(size, 1 << 20)))


_LINE = LINE
_REQUIRED = {spec.name for spec in _ENTERPRISE if spec.required}
_KINDS = {"enum": "str", "date": "str", "number": "float"}  # the column each kind is read into
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"  # what the row reader refuses in text


@dataclass(frozen=True)
class Chunk:
    """One chunk of a CSV file: the rows typed for the columnar engine, and the others."""

    typed: pl.DataFrame
    """Facts by name, typed as the validation expects them; ``__line``: the row's number."""
    rows: list[Row]
    """Rows with a cell the typed table cannot hold, read as the row reader reads them."""
    size: int
    """Bytes of the file the chunk was read from."""
    new_from: int = 0
    """In a resumed run, the line from which rows are new: the rows before it were graded by
    the run before, and only their ids count (to find a repeated id)."""


@dataclass(frozen=True)
class Handover:
    """The end of the rows :func:`read_chunks` takes: from ``line`` on, the file is not plain
    (:func:`parsed_block`), and the row reader must read the rest (the rows before ``line``
    were all given as chunks, one record per line, so the row reader skips as many)."""

    line: int
    skip: int = 0
    """Of the rows from ``line`` on, how many the caller has already graded (a resumed run)."""


def read_chunks(
    path: Path,
    policy: CheckedPolicy,
    mapping: Mapping[str, str] | None,
    *,
    skip: int = 0,
    size: int = TABLE_CHUNK,
) -> Generator[Chunk | Handover, None, None]:
    """The non-blank rows of a CSV file after the first ``skip``, in chunks, as long as its
    blocks are plain (:func:`parsed_block`); a :class:`Handover` at the first that is not (its
    first line included), and nothing after it. The header is resolved as the row reader
    resolves it (:func:`~riskgrade.batch.columns.plan_header`: unknown columns ignored and
    remembered in ``mapping`` when it is a :class:`~riskgrade.batch.columns.Columns`, a fact
    given twice refused)."""
    columns = mapping if isinstance(mapping, Columns) else Columns(mapping or None)
    kinds = {name: _KINDS.get(kind, kind) for name, kind in field_kinds().items()}
    kinds.update({name: _KINDS.get(d.type, d.type) for name, d in policy.extra_facts.items()})
    # the next part is parsed in a thread of its own while this one is typed: a stage each
    for part in ahead(_parts(path, columns, skip, size)):
        if isinstance(part, Handover):
            yield part
            return
        yield _typed(part, kinds)


@dataclass(frozen=True)
class _Part:
    """A plain block of a CSV file parsed as text columns, blank rows left out."""

    batch: pl.DataFrame
    names: list[str]
    """The columns of ``batch`` as Polars named them, in the header's order."""
    plan: list[Column]
    size: int
    new_from: int
    """:attr:`Chunk.new_from`."""


def _parts(path: Path, columns: Columns, skip: int, size: int) -> Iterator[_Part | Handover]:
    """:func:`read_chunks`'s parts, not yet typed."""
    with path.open("rb") as handle:
        head = handle.readline()
        if not plain_line(head.removeprefix(codecs.BOM_UTF8)):
            yield Handover(1, skip)
            return
        header = next(csv.reader([head.decode("utf-8-sig")]), [])
        plan = plan_header(header, columns, str(path))
        line = 2
        for block in blocks(handle, size):  # a block of whole lines: memory stays bounded
            batch = parsed_block(head, block, line)  # checked as read: reading starts at once
            if batch is None:
                yield Handover(line, skip)
                return
            line += lines_in(block)
            names = [n for n in batch.columns if n != _LINE]  # by position: Polars renames
            batch = _without_blank_rows(batch, names)
            done = min(skip, batch.height)  # rows a resumed run graded before: ids only
            skip -= done
            new_from = (batch[_LINE][done] if done < batch.height else line) if done else 0
            part = _Part(batch, names, plan, len(block), new_from)
            del batch, block  # not held while the part is typed
            yield part


def _without_blank_rows(batch: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """``batch`` without its blank rows (every cell empty or space, as Python's ``str.strip``
    sees space). The first column is read first: only where some cell of it is blank are the
    other columns read."""
    blank = [pl.col(n).fill_null("").str.contains(r"^[\s\x1c-\x1f]*$") for n in names]
    if not names or not batch.select(blank[0].any()).item():  # most parts: no blank row
        return batch
    return batch.filter(~pl.all_horizontal(blank))


def field_kinds(items: str | None = None) -> dict[str, str]:
    """Each fact (or each field of list fact ``items``) -> the kind the validation takes it as
    (its specs are the columnar validation's own, so the two cannot disagree)."""
    model = next((spec.model for spec in _ENTERPRISE if spec.name == items), None)
    return {spec.name: spec.kind for spec in (_ITEMS[model] if model else _ENTERPRISE)}


def _typed(part: _Part, kinds: Mapping[str, str]) -> Chunk:
    """One part's text cells typed column by column; rows with an odd cell set apart."""
    batch, names, plan = part.batch, part.names, part.plan
    odd: list[pl.Expr] = []
    out: list[pl.Expr] = [pl.col(_LINE)]  # every typed column: one query
    scalars: list[tuple[str, str, str]] = []
    facts: list[str] = []
    for column in plan:
        name, target = names[column.index], kinds.get(column.fact)
        raw = pl.col(name)
        if target is None:  # a fact the validation does not know: pydantic names it per row
            odd.append(pl.lit(True))
            continue
        if column.fact in _REQUIRED:  # an empty required fact: the row reader's to name
            odd.append(raw.str.strip_chars().fill_null("").eq(""))
        if column.kind in ("str", "date"):
            text = raw.str.strip_chars()
            out.append(pl.when(text != "").then(text).alias(column.fact))
            odd.append(raw.str.contains(EDGE + "|" + _CONTROL).fill_null(False))
        elif target == "items":
            fields = {f: _KINDS.get(kind, kind) for f, kind in field_kinds(column.fact).items()}
            values, fits = items_column(batch[name], fields)
            out.append(pl.lit(values).alias(column.fact))
            odd.append(~pl.lit(fits))
        else:
            scalars.append((name, column.kind, target))
            facts.append(column.fact)
    for fact, (value, fit) in zip(facts, typed_columns(batch, scalars), strict=True):
        out.append(value.alias(fact))
        odd.append(~fit)
    flagged = batch.select(*out, pl.any_horizontal(pl.lit(False), *odd).alias(_ODD))
    typed = flagged.filter(~pl.col(_ODD))
    typed = typed.select(_LINE, *(c.fact for c in plan if c.fact in typed.columns))
    others = batch.filter(flagged[_ODD]).select(_LINE, *names).iter_rows()
    rows = [table_row(values[0], values[1:], plan) for values in others]
    return Chunk(typed, rows, part.size, part.new_from)


_ODD = "__odd"


Failure = tuple[int, str | None, list[tuple[str, str]]]
"""A row that could not be graded: its number, its unit's id if known, its field errors."""


@dataclass(frozen=True)
class GradedChunk:
    """One chunk graded: the results of its graded rows and the failures of the others, each in
    row order."""

    results: pl.DataFrame
    """The columns of :data:`~riskgrade.batch.write.RESULT_COLUMNS`, one row per graded row."""
    failed: list[Failure]


def grade_chunks(
    policy: Policy,
    path: Path,
    mapping: Mapping[str, str] | None,
    *,
    as_of: dt.date,
    skip: int = 0,
    size: int | None = None,
) -> Iterator[GradedChunk | Handover]:
    """Grade a CSV file from its non-blank row ``skip`` on, a chunk at a time, on the columnar
    engine: what the row reader, duplicate check and columnar engine give row by row (the same
    results and failures), without a Python object per graded row. Where the file stops being
    plain, the last item is :func:`read_chunks`'s :class:`Handover`: the caller reads the rest
    row by row. ``size``: bytes of the file graded as one table (:data:`TABLE_CHUNK`)."""
    seen = pl.DataFrame(schema={"key": pl.String, "first": pl.Int64})
    size = size or TABLE_CHUNK
    parts = read_chunks(path, policy.program.policy, mapping or {}, skip=skip, size=part_size(size))
    typed = ahead(gathered(parts, size))
    checked = (  # validated in a thread of its own while the next parts are typed
        chunk if isinstance(chunk, Handover) else _checked(policy, chunk) for chunk in typed
    )
    graded_ahead = ahead(checked)  # read, typed and validated while the one before is graded
    try:
        for chunk in graded_ahead:
            if isinstance(chunk, Handover):
                yield chunk
                return
            graded, seen = _grade_chunk(policy, chunk, as_of, seen)
            yield graded
    finally:  # the threads end here, also when validation failed (its traceback holds them)
        graded_ahead.close()  # waits for its thread: then nothing else moves ``typed``
        typed.close()
        parts.close()


@dataclass(frozen=True)
class _Checked:
    """A chunk with what needs nothing from the chunks before it: its rows validated, the
    key of each unit's id."""

    lines: pl.Series
    """The line of each typed row (the typed table itself is not kept: ``valid`` holds it)."""
    units: pl.Series
    """The id of each typed row."""
    rows: list[Row]
    """:attr:`Chunk.rows`."""
    keys: pl.DataFrame
    """``line``, ``unit`` (the id as given) and ``key`` (:func:`id_key`) of every row with an
    id, typed or not."""
    valid: pl.DataFrame
    bad: pl.DataFrame
    """:func:`validate_frame` of the typed rows, duplicates included."""
    new_from: int
    """:attr:`Chunk.new_from`: ``keys`` also holds the ids of the rows graded before it."""


def _checked(policy: Policy, chunk: Chunk) -> _Checked:
    """:class:`_Checked` of a chunk."""
    ids = [
        (row.number, str(row.facts["id"]), id_key(row.facts["id"]))
        for row in chunk.rows
        if row.problem is None and isinstance(row.facts.get("id"), str | int)
    ]
    # a ledger with no id column: each row fails on its id, as the row reader's rows do
    unit = pl.col("id") if "id" in chunk.typed.columns else pl.lit(None, pl.String)
    units = chunk.typed.select(pl.col(_LINE).alias("line"), unit.alias("unit"))
    units = units.drop_nulls("unit")
    keys = pl.concat([
        units.with_columns(_keys(units["unit"]).alias("key")),
        pl.DataFrame(ids, schema={"line": pl.Int64, "unit": pl.String, "key": pl.String},
                     orient="row"),
    ])  # fmt: skip
    typed, rows = chunk.typed, chunk.rows
    if chunk.new_from:
        typed = typed.filter(pl.col(_LINE) >= chunk.new_from)
        rows = [row for row in rows if row.number >= chunk.new_from]
    valid, bad = validate_frame(typed.drop(_LINE), policy.program.policy)
    given = typed.select(pl.col(_LINE), unit.alias("id"))["id"]  # (the line spreads a null)
    return _Checked(typed[_LINE], given, rows, keys, valid, bad, chunk.new_from)


def gathered(
    chunks: Iterator[Chunk | Handover], size: int
) -> Generator[Chunk | Handover, None, None]:
    """Consecutive chunks joined into chunks of about ``size`` bytes, in order (a chunk whose
    typed table has other column types than the one before it starts a new one: nothing is
    converted to join them); a :class:`Handover` passed on after the chunk before it."""
    pending: list[Chunk] = []

    def joined() -> Chunk:
        typed = pl.concat([c.typed for c in pending], how="vertical", rechunk=True)
        rows = [row for c in pending for row in c.rows]
        new_from = max(c.new_from for c in pending)  # the rows graded before: a prefix
        chunk = Chunk(typed, rows, sum(c.size for c in pending), new_from)
        pending.clear()
        return chunk

    for chunk in chunks:
        if isinstance(chunk, Handover):
            if pending:
                yield joined()
            yield chunk
            return
        if pending and chunk.typed.schema != pending[0].typed.schema:
            yield joined()
        pending.append(chunk)
        if 2 * sum(c.size for c in pending) + chunk.size >= 2 * size:  # nearer than one more
            yield joined()
    if pending:
        yield joined()


def _grade_chunk(
    policy: Policy, checked: _Checked, as_of: dt.date, seen: pl.DataFrame
) -> tuple[GradedChunk, pl.DataFrame]:
    """One chunk of :func:`grade_chunks`, and the ids seen so far with the row each was first
    seen in (a repeated id fails as :func:`riskgrade.batch.run.mark_duplicates` fails it, and
    only so: its other problems are not named)."""
    failed: dict[int, Failure] = {}
    keys = checked.keys
    if checked.new_from:  # a resumed run: the ids of the rows graded before, only seen
        seen = _with_firsts(seen, keys.filter(pl.col("line") < checked.new_from))[0]
        keys = keys.filter(pl.col("line") >= checked.new_from)
    known, firsts = _with_firsts(seen, keys)
    repeated = keys.join(firsts, on="key").filter(pl.col("line") != pl.col("first"))
    for line, unit, _, first in repeated.select("line", "unit", "key", "first").iter_rows():
        message = f"duplicate id {unit.strip()!r}: first in row {first}"
        failed[line] = (line, unit, [("id", message)])
    lines, units = checked.lines, checked.units
    for index, unit, errors in checked.bad.iter_rows():
        if lines[index] not in failed:
            problems = [(e["field"], e["message"]) for e in errors]
            failed[lines[index]] = (lines[index], unit or units[index], problems)
    valid = checked.valid
    if failed:
        valid = valid.filter(~lines.gather(valid["index"]).is_in(list(failed)))
    parts = []
    if valid.height:
        graded = grade_valid_frame(policy.program, valid, as_of).select(RESULT_COLUMNS)
        parts.append(graded.insert_column(0, lines.gather(valid["index"])))
    odd = [r for r in checked.rows if r.number not in failed]
    if odd or not parts:  # rows read by the row reader: graded apart, put back in their place
        parts.append(_rows(policy, odd, as_of, failed))
    results = pl.concat(parts, how="vertical_relaxed").sort(_LINE) if len(parts) > 1 else parts[0]
    results = results.drop(_LINE)
    return GradedChunk(results, [failed[line] for line in sorted(failed)]), known


def _with_firsts(seen: pl.DataFrame, keys: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``seen`` (``key``, ``first``) with the keys it lacks, each at its first line in ``keys``;
    and the first line of each of ``keys``. The keys of ``seen`` are only looked up in a set of
    ``keys``' (a chunk's): no table of all the ids seen so far is built or copied."""
    firsts = keys.group_by("key").agg(pl.col("line").min().alias("first"))
    earlier = seen.filter(pl.col("key").is_in(firsts["key"].implode()))
    new = firsts.join(earlier, on="key", how="anti")
    return pl.concat([seen, new], rechunk=False), pl.concat([earlier, new])


def _keys(units: pl.Series) -> pl.Series:
    """:func:`~riskgrade.batch.columns.id_key` of each id: by Polars for printable ASCII (where
    it is trimming and lower case), by the function itself for the others, once each."""
    plain = units.str.contains(r"^[\x20-\x7e]*$")
    keys = units.str.strip_chars().str.to_lowercase()
    others = units.filter(~plain).unique()
    if others.len():
        table = pl.DataFrame({"unit": others, "key": [id_key(u) for u in others.to_list()]})
        looked = pl.DataFrame({"unit": units}).join(
            table, on="unit", how="left", maintain_order="left"
        )
        keys = pl.select(pl.when(plain).then(keys).otherwise(looked["key"])).to_series()
    return keys


def grade_rows_as_table(
    policy: Policy, rows: list[Row], as_of: dt.date
) -> tuple[list[tuple[int, dict[str, Any]]], list[Failure]]:
    """Rows read by the row reader graded as one table on the columnar engine: the flat result
    record of each row graded and the failure of each other row (a row the reader already
    failed, or one whose facts do not validate), both with the row's number, in row order."""
    graded: list[tuple[int, dict[str, Any]]] = []
    failed: list[Failure] = []
    clean = [row for row in rows if row.problem is None]
    outcomes = iter(
        grade_records(
            policy.program, policy.validate, (r.facts for r in clean), as_of, RESULT_COLUMNS
        )
    )
    for row in rows:
        unit = row.facts.get("id")
        if row.problem is not None:
            problems = [(row.problem.field, row.problem.message)]
            failed.append((row.number, None if unit is None else str(unit), problems))
            continue
        outcome = next(outcomes)
        if isinstance(outcome, FactError):
            fallback = unit if isinstance(unit, str) else None
            failed.append((row.number, outcome.entity_id or fallback, outcome.errors))
        else:
            graded.append((row.number, outcome))
    return graded, failed


def _rows(
    policy: Policy, rows: list[Row], as_of: dt.date, failed: dict[int, Failure]
) -> pl.DataFrame:
    """The rows set apart by :func:`read_chunks`, graded as :func:`grade_rows_as_table` grades
    them: their results (``__line`` first); their failures go into ``failed``."""
    graded, failures = grade_rows_as_table(policy, rows, as_of)
    failed.update((failure[0], failure) for failure in failures)
    schema = {_LINE: pl.Int64, **dict.fromkeys(RESULT_COLUMNS, pl.String)}
    schema |= {"duty_score": pl.Float64, "risk_score": pl.Float64}
    return pl.DataFrame([{_LINE: n, **record} for n, record in graded], schema=schema)
