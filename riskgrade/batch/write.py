"""Writing results: graded units to CSV, JSON, JSON Lines, XLSX or Parquet, bad rows to an
errors file.

CSV, XLSX and Parquet get one flat record per unit (:data:`RESULT_COLUMNS`); JSON and JSON Lines
get the full assessment. CSV and JSON Lines files can be flushed to a byte offset
(:meth:`ResultWriter.checkpoint`) and reopened there, so an interrupted run resumes without
writing a row twice.

Spreadsheet cells never carry live formulas (names come from untrusted ledgers): a CSV text
cell starting with ``= + - @``, a tab or a carriage return gets a leading ``'``
(:func:`csv_cell`); XLSX cells are stored as plain strings and numbers, never formulas
(:func:`xlsx_row`). :func:`refuse_overwrite` is the guard every writer calls before opening
anything: no output may be an input, and no two outputs one file.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from riskgrade.assessment import Assessment
from riskgrade.batch.names import FieldNames
from riskgrade.batch.read import detect_format, require_pyarrow
from riskgrade.errors import GradeError, OutputError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a text cell as a formula (OWASP's list)."""


_FORMULA_START = "^[" + "".join(FORMULA_STARTS).replace("-", "\\-") + "]"
"""A regular expression for text starting as :data:`FORMULA_STARTS` (for whole columns)."""


def csv_cell(value: Any) -> Any:
    """A value safe to write into a CSV cell: text that a spreadsheet would read as a formula
    gets a leading ``'``; numbers (negative ones too) and everything else stay as they are.

    >>> csv_cell("=1+1"), csv_cell(-2), csv_cell("-2+3"), csv_cell("Acme")
    ("'=1+1", -2, "'-2+3", 'Acme')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    """A row of :func:`csv_cell` values."""
    return [csv_cell(v) for v in values]


def xlsx_row(sheet: Any, values: Sequence[Any]) -> list[Any]:
    """A row for an openpyxl write-only ``sheet`` in which every text is a string cell, never a
    formula (openpyxl would store a text starting with ``=`` as one, and ``#N/A`` as an error);
    characters XLSX cannot hold (control characters) become U+FFFD."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    row: list[Any] = []
    for value in values:
        if isinstance(value, str):
            cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
            cell.data_type = "s"  # not "f" (a leading "=") nor "e" (a text like "#N/A")
            row.append(cell)
        else:
            row.append(value)
    return row


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: by device and inode when both exist (hard links,
    symlinks), else by their fully resolved spelling."""
    try:
        if os.path.samefile(a, b):
            return True
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def refuse_overwrite(inputs: Iterable[Path | None], outputs: Iterable[Path | None]) -> None:
    """Raise :class:`OutputError` if an output is one of the inputs (by any spelling, symlink or
    hard link) or two outputs are one file; call it before opening anything for writing."""
    sources = [Path(p) for p in inputs if p is not None]
    targets = [Path(p) for p in outputs if p is not None]
    for n, target in enumerate(targets):
        for source in sources:
            if _same_file(target, source):
                raise OutputError(
                    f"{target}: this is the input {source}; refusing to overwrite an input "
                    "(name another output file)"
                )
        for other in targets[:n]:
            if _same_file(target, other):
                raise OutputError(
                    f"{other} and {target} are the same file: name a different file for each"
                )


def open_output(path: Path, mode: str, **options: Any) -> Any:
    """Open an output file; a missing or read-only folder is an :class:`OutputError`."""
    try:
        return path.open(mode, **options)
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise OutputError(f"{path}: cannot write: folder {path.parent} does not exist") from exc
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from exc


RESULT_COLUMNS = (
    "id",
    "name",
    "risk_level",
    "risk_label_zh",
    "duty_grade",
    "duty_score",
    "risk_score",
    "tier",
    "violations",
    "data_gaps",
    "recommendations",
    "top_countermeasures_zh",
    "assumed_violations",
)
"""The columns of a flat result record (CSV, XLSX and Parquet results), in order."""


def _result_schema(pa: Any) -> Any:
    """The Parquet schema of a result record: scores as floats, everything else as text."""
    floats = {"duty_score", "risk_score"}
    return pa.schema([(c, pa.float64() if c in floats else pa.string()) for c in RESULT_COLUMNS])


def missing_facts(a: Assessment) -> list[str]:
    """The facts missing behind ``a``'s data gaps, sorted (the ``data_gaps`` column)."""
    return sorted({m for f in a.data_gaps for m in f.missing})


def assumed_violations(a: Assessment) -> list[str]:
    """The rules ``a`` breaches only by assumption, because facts were missing, not confirmed:
    verify them before enforcing (the ``assumed_violations`` column)."""
    return [f.rule for f in a.violations if f.assumed]


def result_record(a: Assessment) -> dict[str, Any]:
    """One assessment as a flat record (:data:`RESULT_COLUMNS`) for CSV, XLSX or Parquet."""
    return {
        "id": a.entity_id,
        "name": a.name,
        "risk_level": a.risk_level.name.lower(),
        "risk_label_zh": a.risk_level.label_zh,
        "duty_grade": a.duty_grade.value,
        "duty_score": a.score.duty_score,
        "risk_score": a.score.risk_score,
        "tier": a.score.tier,
        "violations": " ".join(f.rule for f in a.violations),
        "data_gaps": " ".join(missing_facts(a)),
        "recommendations": " ".join(r.id for r in a.recommendations),
        "top_countermeasures_zh": "；".join(r.title for r in a.recommendations[:3]),
        "assumed_violations": " ".join(assumed_violations(a)),
    }


def _probe(path: Path) -> None:
    """Fail now, not after the whole run, if ``path`` cannot be written (XLSX and Parquet
    files are written at the end or in large groups)."""
    open_output(path, "ab").close()


def _reopen(path: Path, append_at: int | None) -> Any:
    """A new file, or an existing one cut back to ``append_at`` bytes and opened to append."""
    if append_at is None:
        return open_output(path, "w", encoding="utf-8", newline="")
    with open_output(path, "r+b") as raw:
        raw.truncate(append_at)
    return open_output(path, "a", encoding="utf-8", newline="")


def _sync(handle: Any) -> int:
    """Flush ``handle`` to disk and return its byte offset."""
    handle.flush()
    os.fsync(handle.fileno())
    return int(handle.tell())


_SLICE = 8_192
"""Rows of a results table turned into CSV text at once (a 57,000-row table at once held
30 MB of text beside the table; measured)."""


class ResultWriter:
    """Writes assessments as they come: CSV/XLSX get flat records, JSON/JSON Lines full ones."""

    def __init__(self, path: Path, append_at: int | None = None, bom: bool = True) -> None:
        """``append_at``: resume an interrupted CSV/JSON Lines file, cut back to that byte;
        ``bom``: start a new CSV file with a UTF-8 byte-order mark (Excel then reads it as
        UTF-8, not as the system's code page)."""
        self.path = path
        self.format = detect_format(path)
        self.count = 0
        self._handle: Any = None
        self._writer: Any = None
        self._workbook: Any = None
        if self.format == "xlsx":
            from openpyxl import Workbook

            self._workbook = Workbook(write_only=True)
            self._writer = self._workbook.create_sheet("results")
            self._writer.append(list(RESULT_COLUMNS))
            _probe(path)
        elif self.format == "parquet":
            self._batch: list[dict[str, Any]] = []
            self._parquet: Any = None
            _probe(path)
        else:
            self._handle = _reopen(path, append_at)
            if self.format == "csv":
                self._writer = csv.DictWriter(self._handle, fieldnames=RESULT_COLUMNS)
                if append_at is None:
                    self._handle.write("\ufeff" if bom else "")
                    self._writer.writeheader()
            elif self.format == "json":
                self._handle.write("[\n")

    def write(self, a: Assessment) -> None:
        """Write one assessment."""
        self.write_prepared(result_record(a), a.model_dump_json())

    @property
    def resumable(self) -> bool:
        """Whether this format can be checkpointed and resumed (CSV and JSON Lines)."""
        return self.format in ("csv", "jsonl")

    def checkpoint(self) -> int:
        """Flush to disk and return the byte offset reached (CSV and JSON Lines only)."""
        return _sync(self._handle)

    def write_prepared(self, record: Mapping[str, Any], text: str) -> None:
        """Write one result given its flat record and its full JSON."""
        if self.format == "csv":
            self._writer.writerow({c: csv_cell(v) for c, v in record.items()})
        elif self.format == "xlsx":
            self._writer.append(xlsx_row(self._writer, [record[c] for c in RESULT_COLUMNS]))
        elif self.format == "parquet":
            self._batch.append(dict(record))
            if len(self._batch) >= 10_000:
                self._flush_parquet()
        else:
            if self.format == "json":
                self._handle.write((",\n" if self.count else "") + text)
            else:
                self._handle.write(text + "\n")
        self.count += 1

    def write_frame(self, frame: Any) -> None:
        """Write a Polars table of flat records (:data:`RESULT_COLUMNS`) at once: the bytes
        :meth:`write_prepared` would write record by record (CSV through Polars' writer)."""
        if self.format != "csv":
            for record in frame.iter_rows(named=True):
                self.write_prepared(record, "")
            return
        for part in frame.iter_slices(_SLICE):  # a slice's text at a time, not the table's
            self._write_csv_rows(part)
        self.count += frame.height

    def _write_csv_rows(self, frame: Any) -> None:
        """:meth:`write_frame` of one slice of a table to a CSV file."""
        import polars as pl

        texts = []
        for name in RESULT_COLUMNS:
            column = frame[name]
            if column.dtype.is_float():  # Python's repr of each distinct value, as csv writes it
                distinct = column.unique().drop_nulls()
                shown = pl.Series([str(v) for v in distinct.to_list()], dtype=pl.String)
                text = pl.lit(column.replace_strict(distinct, shown, return_dtype=pl.String)).cast(
                    pl.String
                )  # an all-null column keeps its type through replace_strict
            else:  # text a spreadsheet would read as a formula: csv_cell's leading quote
                raw = pl.lit(column.cast(pl.String))
                text = pl.when(raw.str.contains(_FORMULA_START)).then("'" + raw).otherwise(raw)
            texts.append(pl.when(text != "").then(text).alias(name))  # "" as csv writes it
        self._handle.flush()
        pl.select(texts).write_csv(
            self._handle.buffer if hasattr(self._handle, "buffer") else self._handle,
            include_header=False,
            line_terminator="\r\n",
            quote_style="necessary",
        )

    def _flush_parquet(self) -> None:
        """Write the buffered records as one Parquet row group."""
        import pyarrow as pa

        parquet = require_pyarrow()
        table = pa.Table.from_pylist(self._batch, schema=_result_schema(pa))
        if self._parquet is None:
            self._parquet = parquet.ParquetWriter(self.path, table.schema)
        self._parquet.write_table(table)
        self._batch = []

    def close(self) -> None:
        """Finish the file (close the JSON list, save the workbook, write the Parquet footer)."""
        if self._workbook is not None:
            self._workbook.save(self.path)
            return
        if self.format == "parquet":
            if self._batch or self._parquet is None:
                self._flush_parquet()
            self._parquet.close()
            return
        if self.format == "json":
            self._handle.write("\n]\n")
        self._handle.close()


class ErrorWriter:
    """Bad rows, one line per field error: row number, unit id, field, message."""

    def __init__(
        self,
        path: Path,
        append_at: int | None = None,
        bom: bool = True,
        names: FieldNames | None = None,
    ) -> None:
        """CSV, or JSON Lines for a ``.jsonl``/``.json`` path; ``append_at`` and ``bom`` as
        for :class:`ResultWriter`; ``names`` names each field by the ledger's own header (in
        one place for every engine, so their errors files stay byte for byte equal)."""
        self.path = path
        self.names = names or FieldNames()
        self.count = 0
        self._handle = _reopen(path, append_at)
        self._jsonl = path.suffix.lower() in (".jsonl", ".json")
        self._writer = None if self._jsonl else csv.writer(self._handle)
        if self._writer is not None and append_at is None:
            self._handle.write("\ufeff" if bom else "")
            self._writer.writerow(["row", "id", "field", "message"])

    def checkpoint(self) -> int:
        """Flush to disk and return the byte offset reached."""
        return _sync(self._handle)

    def write(self, row_number: int, error: GradeError) -> None:
        """Write one failed row: a line per field error (CSV) or one object (JSON Lines)."""
        self.count += 1
        named = self.names.errors(error.errors)
        if self._jsonl:
            payload = {
                "row": row_number,
                "id": error.entity_id,
                "errors": [{"field": f, "message": m} for f, m in named],
            }
            self._handle.write(json.dumps(payload, ensure_ascii=False) + "\n")
            return
        assert self._writer is not None
        for field, message in named or [("(row)", str(error))]:
            self._writer.writerow(csv_row([row_number, error.entity_id or "", field, message]))

    def close(self) -> None:
        """Close the file."""
        self._handle.close()
