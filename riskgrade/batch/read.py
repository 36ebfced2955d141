"""Reading enterprise ledgers: CSV, JSON, JSON Lines, XLSX and Parquet (results are written by
:mod:`riskgrade.batch.write`).

Rows stream (CSV, JSON Lines, XLSX read row by row) and map local column headers onto the fact
schema through a :class:`~riskgrade.batch.columns.Columns` (the schema's Chinese aliases, a
user's mapping file, the policy's own facts). A cell becomes a value by the declared type of its
fact (:func:`~riskgrade.batch.columns.cell_value`); nested lists (hazards, buildings, elevators)
come from a JSON column or from linked sheets (XLSX) or files keyed by the unit's id.

One bad row never sinks a run: a row that cannot be read as a unit (a broken or too deeply
nested JSON line, a cell over 128 KiB, a number of more than 4,300 digits, a line in neither
UTF-8 nor GB18030, a lone surrogate or a control character) still comes through, carrying its
:class:`RowProblem` naming the column, so that it is reported rather than lost. Whole-file
problems (two columns for one fact, a workbook that would inflate past its limits) are an
:class:`InputError` before any row.

Row numbers are what a person finds in the file: the spreadsheet row for tables (CSV, XLSX and
Parquet: the header is row 1, the first record row 2), the line for JSON Lines, the position in
the list (from 1) for JSON.
"""

from __future__ import annotations

import csv
import json
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import yaml

from riskgrade.batch.columns import (
    DROP,
    MAX_CELL,
    BadValue,
    Columns,
    Row,
    RowProblem,
    checked,
    group_items,
    guess,
    json_int,
    plan_header,
    safe_text,
    table_row,
)
from riskgrade.batch.workbook import xlsx_rows
from riskgrade.errors import EncodingError, InputError

FORMATS = ("csv", "json", "jsonl", "xlsx", "parquet")
coerce = guess
"""A cell typed by its content (columns of no declared type; see ``cell_value`` for the rest)."""

MAX_LINE = 8 * 1024 * 1024
"""Longest line of a CSV or JSON Lines file, in bytes: a longer one fails its row."""


def load_mapping(path: Path | None, *, policy: Any = None, strict: bool = False) -> Columns:
    """The header mapping: the schema's names and aliases, then a user's mapping file (YAML or
    JSON: ``{"本地表头": "fact_name"}``; ``"-"``, ``""`` or ``null`` drops a column; its optional
    ``values`` section is :func:`load_value_mapping`'s); ``policy`` adds its own declared facts;
    ``strict`` refuses unknown columns instead of ignoring them."""
    declared = None
    if policy is not None:
        declared = {name: d.type for name, d in policy.checked.extra_facts.items()}
    columns = Columns(declared=declared, strict=strict)
    if path is not None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get(VALUES), dict):
            data = {k: v for k, v in data.items() if k != VALUES}
        if not isinstance(data, dict) or not all(
            v is None or isinstance(v, str) for v in data.values()
        ):
            raise InputError(f"{path}: a mapping file holds 'local header: fact name' pairs")
        columns.update({str(k).strip(): (v or "-").strip() or "-" for k, v in data.items()})
    return columns


VALUES = "values"
"""The mapping file's section of value spellings: ``values: {industry: {小吃: catering}}``."""


def load_value_mapping(path: Path | None) -> dict[str, dict[str, str]]:
    """The ``values`` section of a user's mapping file: fact name -> {local spelling -> value}
    (a value the fact does not allow fails when the row is validated, naming the fact)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path is not None else None
    section = data.get(VALUES) if isinstance(data, dict) else None
    if section is None or not isinstance(section, dict):
        return {}
    out: dict[str, dict[str, str]] = {}
    for fact, spellings in section.items():
        if not isinstance(spellings, dict):
            raise InputError(f"{path}: values.{fact} holds 'local spelling: value' pairs")
        out[str(fact)] = {str(k).strip(): v for k, v in spellings.items()}
    return out


def detect_format(path: Path) -> str:
    """The file format named by the suffix of ``path`` (one of :data:`FORMATS`)."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("ndjson", "jsonl"):
        return "jsonl"
    if suffix in FORMATS:
        return suffix
    if suffix == "xls":
        raise InputError(f"{path}: old .xls workbooks are not supported; save as .xlsx")
    raise InputError(f"{path}: unknown format {suffix!r} (use {', '.join(FORMATS)})")


class _Lines:
    """The lines of a text file, each decoded on its own (UTF-8 first, then GB18030, unless an
    encoding is given), so that a few lines in another encoding fail alone. Lines that could
    not be decoded or were too long are noted in :attr:`problems` until :meth:`start`."""

    def __init__(self, raw: IO[bytes], encoding: str | None) -> None:
        self._raw = raw
        self.codecs = [encoding] if encoding else ["utf-8", "gb18030"]
        self.number = 0
        self.problems: list[str] = []
        self.taken: list[str] = []

    def start(self) -> None:
        """A new record begins: forget the lines and problems of the last one."""
        self.problems, self.taken = [], []

    def __iter__(self) -> _Lines:
        """The lines, as an iterator."""
        return self

    def __next__(self) -> str:
        """The next line, decoded (undecodable bytes as U+FFFD, the line noted)."""
        data = self._raw.readline(MAX_LINE)
        if not data:
            raise StopIteration
        self.number += 1
        if self.number == 1:
            data = data.removeprefix(b"\xef\xbb\xbf")
        if len(data) >= MAX_LINE and not data.endswith(b"\n"):
            while (more := self._raw.readline(MAX_LINE)) and not more.endswith(b"\n"):
                pass  # the rest of the line is skipped
            self.problems.append(f"line {self.number} is over {MAX_LINE:,} bytes")
            data = b"\n"
        for codec in self.codecs:
            try:
                text = data.decode(codec)
                break
            except (UnicodeDecodeError, LookupError):
                continue
        else:
            text = data.decode("utf-8", errors="replace")
            names = " or ".join(c.upper() for c in self.codecs)
            self.problems.append(f"line {self.number} is not {names} text")
        self.taken.append(text)
        return text

    def close_quote(self) -> None:
        """After a record cut short inside a quoted cell, skip lines until the quote closes."""
        quotes = sum(line.count('"') for line in self.taken)
        while quotes % 2:
            try:
                quotes += next(self).count('"')
            except StopIteration:
                return


def _long_column(text: str) -> int | None:
    """Which column of a CSV record's text holds a cell over :data:`MAX_CELL` characters."""
    column, size, quoted = 0, 0, False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            column, size = column + 1, 0
        else:
            size += 1
            if size > MAX_CELL:
                return column
    return None


def _csv_rows(path: Path, columns: Columns, encoding: str | None) -> Iterator[Row]:
    """Rows of a CSV file; blank lines are no rows but keep their number."""
    with path.open("rb") as raw:
        lines = _Lines(raw, encoding)
        reader = csv.reader(lines)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise InputError(f"{path}: unreadable header: {exc}") from exc
        if lines.problems:
            names = " or ".join(c.upper() for c in lines.codecs)
            raise EncodingError(f"{path}: the header is not {names} text")
        if header is None:
            return
        plan = plan_header(header, columns, str(path))
        number = 1
        while True:
            lines.start()
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                number += 1
                at = _long_column("".join(lines.taken))
                lines.close_quote()
                field = header[at].strip() if at is not None and at < len(header) else ""
                message = f"line {lines.number}: {exc}"
                if at is not None:
                    message = f"a cell over {MAX_CELL:,} characters (at most {MAX_CELL:,})"
                yield Row(number, {}, RowProblem(field or "(row)", message))
                continue
            number += 1
            if lines.problems:
                yield _unreadable_row(number, lines.problems[0])
            elif any(cell.strip() for cell in record):
                yield table_row(number, record, plan)


class _DuplicateKey(ValueError):
    """A JSON object names one key twice."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads``'s ``object_pairs_hook``: an object, refusing a repeated key."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(f"key {safe_text(key)!r} given twice")
        out[key] = value
    return out


def _loads(text: str) -> Any:
    """JSON text as a value: long numbers marked, repeated keys refused."""
    return json.loads(text, parse_int=json_int, object_pairs_hook=_pairs)


def _json_values(path: Path, fmt: str) -> Iterator[tuple[int, Any]]:
    """(number, parsed value) of a JSON file's records (an object or a list of them) or of a
    JSON Lines file's lines; a line that cannot be read gives its :class:`RowProblem`."""
    if fmt == "jsonl":
        with path.open("rb") as raw:
            lines = _Lines(raw, None)
            for line in lines:
                number, problems = lines.number, lines.problems
                lines.start()
                if problems:
                    yield number, RowProblem("(row)", problems[0])
                elif line.strip():
                    yield number, _line_value(number, line)
        return
    try:
        data = _loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
    except RecursionError as exc:
        raise InputError(f"{path}: JSON nested too deeply") from exc
    yield from enumerate(data if isinstance(data, list) else [data], start=1)


def _line_value(number: int, line: str) -> Any:
    """One line of a JSON Lines file parsed, or the problem that fails it."""
    try:
        return _loads(line)
    except json.JSONDecodeError as exc:
        return RowProblem("(row)", f"line {number}: invalid JSON: {exc.msg}")
    except RecursionError:
        return RowProblem("(row)", f"line {number}: nested too deeply")
    except ValueError as exc:  # a repeated key, a number too long
        return RowProblem("(row)", f"line {number}: {exc}")


def _json_rows(path: Path, columns: Columns, fmt: str) -> Iterator[Row]:
    """Rows of a JSON or JSON Lines file."""
    for number, value in _json_values(path, fmt):
        if isinstance(value, RowProblem):
            yield Row(number, {}, value)
        else:
            yield _record_row(number, value, columns)


def _unreadable_row(number: int, message: str) -> Row:
    """A row that could not be read as a unit: no facts, failed as a whole."""
    return Row(number, {}, RowProblem("(row)", message))


def _record_row(number: int, record: Any, columns: Columns) -> Row:
    """A parsed JSON object as a row (values as they are typed); anything but an object fails,
    and so does an object giving one fact under two keys (``employees`` and ``从业人员数``)."""
    if not isinstance(record, dict):
        return _unreadable_row(number, "not an object")
    facts: dict[str, Any] = {}
    given: dict[str, str] = {}
    problem = None
    for key, value in record.items():
        header = safe_text(str(key)).strip()
        fact, _ = columns.resolve(header)
        if fact is None:
            if columns.strict and columns.get(header, header) not in DROP:
                problem = problem or RowProblem(header, "unknown column")
            continue
        if fact in given:
            message = f"{given[fact]!r} and {header!r} both give {fact!r}"
            problem = problem or RowProblem(header, message)
            continue
        given[fact] = header
        try:
            facts[fact] = checked(value)
        except BadValue as exc:
            problem = problem or RowProblem(header, str(exc))
            if fact == "id" and isinstance(value, str):
                facts["id"] = safe_text(value.strip()[:200])
    return Row(number, facts, problem)


def _unreadable() -> tuple[type[BaseException], ...]:
    """What the format libraries raise for a damaged file (truncated zip, bad footer ...)."""
    kinds: list[type[BaseException]] = [OSError, ValueError, KeyError, EOFError]
    kinds.append(zipfile.BadZipFile)
    try:
        from openpyxl.utils.exceptions import InvalidFileException

        kinds.append(InvalidFileException)
    except ImportError:  # pragma: no cover - depends on the installed extras
        pass
    return tuple(kinds)


def _guarded(rows: Iterator[Row], path: Path, fmt: str) -> Iterator[Row]:
    """``rows`` with a damaged file reported as an :class:`InputError` naming it (and the last
    row read), instead of the format library's own exception."""
    last = 0
    try:
        for row in rows:
            last = row.number
            yield row
    except InputError:
        raise
    except _unreadable() as exc:
        where = f" after row {last}" if last else ""
        raise InputError(f"{path}: damaged {fmt} file{where}: {exc}") from exc


def _parquet_rows(path: Path, columns: Columns) -> Iterator[Row]:
    """Rows of a Parquet file, one record batch at a time (nested lists as list columns or JSON
    text); record ``i`` (from 1) is row ``i + 1``, as in a spreadsheet with its header."""
    parquet = require_pyarrow()
    source = parquet.ParquetFile(path)
    names = source.schema_arrow.names
    plan = plan_header(names, columns, str(path))
    number = 1
    for batch in source.iter_batches(batch_size=10_000):
        cells = {c.index: batch.column(c.index).to_pylist() for c in plan}
        for position in range(batch.num_rows):
            number += 1
            values = [cells[i][position] if i in cells else None for i in range(len(names))]
            yield table_row(number, values, plan, typed=True)


def require_pyarrow() -> Any:
    """``pyarrow.parquet``, or an :class:`InputError` saying how to install it."""
    try:
        import pyarrow.parquet as parquet
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise InputError("Parquet needs pyarrow: pip install riskgrade[parquet]") from exc
    return parquet


def linked_file(
    path: Path, mapping: Mapping[str, str], encoding: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Nested items (hazards, buildings or elevators) from a side CSV/JSON file, by unit id
    (a CSV file in ``encoding``, UTF-8 by default)."""
    fmt = detect_format(path)
    if fmt == "csv":
        with path.open(encoding=encoding or "utf-8-sig", newline="") as handle:
            return group_items(list(csv.DictReader(handle)), mapping)
    records = [value for _, value in _json_values(path, fmt) if isinstance(value, dict)]
    return group_items(records, mapping)


def read_rows(
    path: Path,
    *,
    mapping: Mapping[str, str] | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    linked: Mapping[str, Path] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
) -> Iterator[Row]:
    """Stream the rows of a ledger file (format from the suffix). ``mapping`` is best a
    :class:`Columns` from :func:`load_mapping` (it knows the policy's own facts and collects
    the unknown columns, which are ignored); a plain mapping of headers is taken too.
    ``values`` respells each fact's local values (:func:`load_value_mapping`)."""
    columns = mapping if isinstance(mapping, Columns) else Columns(mapping or None)
    fmt = detect_format(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if fmt == "csv":
        rows = _csv_rows(path, columns, encoding)
    elif fmt == "xlsx":
        rows = xlsx_rows(path, columns, sheet)
    elif fmt == "parquet":
        rows = _parquet_rows(path, columns)
    else:
        rows = _json_rows(path, columns, fmt)
    side = {name: linked_file(file, columns, encoding) for name, file in (linked or {}).items()}
    for row in _guarded(rows, path, fmt):
        for name, by_unit in side.items():
            if row.facts.get(name) is None and row.facts.get("id") is not None:
                row.facts[name] = by_unit.get(str(row.facts["id"]), [])
        for name, spellings in (values or {}).items():
            cell = row.facts.get(name)
            if isinstance(cell, str | int | float) and str(cell).strip() in spellings:
                row.facts[name] = spellings[str(cell).strip()]
        yield row
