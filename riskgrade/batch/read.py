"""Reading enterprise ledgers: CSV, JSON, JSON Lines, XLSX and Parquet (results are written by
:mod:`riskgrade.batch.write`).

Rows stream (CSV, JSON Lines, XLSX read row by row), keep their 1-based row number for error
reports, and map local column headers onto the fact schema: the schema's own Chinese aliases
(企业名称, 从业人员数 ...), plus a user mapping file for a ledger's local headers. Text cells
are turned into typed values (是/否 and true/false into booleans, numbers into numbers, JSON
text into lists); nested lists (hazards, buildings, elevators) come from a JSON column or from
linked sheets (XLSX) or files keyed by the unit's id. A row that cannot be read as a unit (a
broken JSON line, a value that is not an object) still comes through, carrying its
:class:`RowProblem`, so that it is reported rather than lost.
"""

from __future__ import annotations

import csv
import json
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from riskgrade.errors import InputError
from riskgrade.facts import ITEM_LABELS, Enterprise

NESTED = ("hazards", "buildings", "elevators")
_NESTED_ALIASES = {"隐患": "hazards", "建筑": "buildings", "电梯": "elevators"}
_TRUE = {"true", "yes", "y", "1", "是", "有", "已", "√", "t"}
_FALSE = {"false", "no", "n", "0", "否", "无", "未", "×", "f"}
FORMATS = ("csv", "json", "jsonl", "xlsx", "parquet")
_ITEM_HEADERS = {label: name for labels in ITEM_LABELS.values() for name, label in labels.items()}


@dataclass(frozen=True)
class RowProblem:
    """Why a row fails before it is graded: the field at fault (``"(row)"`` for the whole row)
    and the message for the errors file."""

    field: str
    message: str


@dataclass(frozen=True)
class Row:
    """One input row: its 1-based number in the file (header = row 1), its facts, and the
    problem that already fails it, if any (a row with a problem is never graded)."""

    number: int
    facts: dict[str, Any]
    problem: RowProblem | None = None


def header_aliases() -> dict[str, str]:
    """Every accepted column header -> fact name (the schema's names and Chinese aliases)."""
    out: dict[str, str] = {}
    for name, info in Enterprise.model_fields.items():
        out[name] = name
        alias = info.validation_alias
        for choice in getattr(alias, "choices", []) or []:
            if isinstance(choice, str):
                out[choice] = name
    out.update(_NESTED_ALIASES)
    return out


def load_mapping(path: Path | None) -> dict[str, str]:
    """A user's header mapping (YAML or JSON: ``{"本地表头": "fact_name"}``) over the aliases
    (its optional ``values`` section is :func:`load_value_mapping`'s)."""
    mapping = header_aliases()
    if path is not None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get(VALUES), dict):
            data = {k: v for k, v in data.items() if k != VALUES}
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise InputError(f"{path}: a mapping file holds 'local header: fact name' pairs")
        mapping.update({str(k).strip(): v for k, v in data.items()})
    return mapping


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


def coerce(value: Any) -> Any:
    """A spreadsheet cell as a fact value: blanks are unknown, yes/no words are booleans,
    numbers are numbers, JSON lists are lists; anything else stays text."""
    if value is None:
        return None
    if isinstance(value, bool | int | float):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    text = str(value).strip()
    if not text:
        return None
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    if text[0] in "[{":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text else number


_TEXT_FACTS = {"id", "name", "street", "community", "ownership", "industry", "size"}


def _map(
    record: Mapping[str, Any], mapping: Mapping[str, str], cells: bool = True
) -> dict[str, Any]:
    """Rename headers to fact names; ``cells`` (CSV, XLSX) also types text cells, keeping text
    facts (ids, names, categories) as text."""
    facts: dict[str, Any] = {}
    for header, value in record.items():
        if header is None:
            continue
        key = mapping.get(str(header).strip(), str(header).strip())
        if not cells:
            facts[key] = value
        elif key in _TEXT_FACTS:
            text = None if value is None else str(value).strip()
            facts[key] = text or None
        else:
            facts[key] = coerce(value)
    return facts


def _csv_rows(path: Path, mapping: Mapping[str, str], encoding: str | None) -> Iterator[Row]:
    """Rows of a CSV file (UTF-8 or GB18030 unless ``encoding`` is given), blank lines skipped."""
    for codec in [encoding] if encoding else ["utf-8-sig", "gb18030"]:
        try:
            with path.open(encoding=codec, newline="") as handle:
                handle.read(65536)
        except UnicodeDecodeError:
            continue
        break
    else:
        raise InputError(f"{path}: not UTF-8 or GB18030 text; pass --encoding")
    with path.open(encoding=codec, newline="") as handle:
        reader = csv.DictReader(handle)
        for record in reader:
            if not any((v or "").strip() for v in record.values() if isinstance(v, str)):
                continue  # a blank line in the ledger
            yield Row(reader.line_num, _map(record, mapping))


def _json_rows(path: Path, mapping: Mapping[str, str], fmt: str) -> Iterator[Row]:
    """Rows of a JSON file (an object or a list of them) or of a JSON Lines file."""
    if fmt == "jsonl":
        with path.open(encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield _unreadable_row(number, f"line {number}: invalid JSON: {exc.msg}")
                    continue
                yield _record_row(number, record, mapping)
        return
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
    records = data if isinstance(data, list) else [data]
    for number, record in enumerate(records, start=1):
        yield _record_row(number, record, mapping)


def _unreadable_row(number: int, message: str) -> Row:
    """A row that could not be read as a unit: no facts, failed as a whole."""
    return Row(number, {}, RowProblem("(row)", message))


def _record_row(number: int, record: Any, mapping: Mapping[str, str]) -> Row:
    """A parsed JSON value as a row; anything but an object fails."""
    if not isinstance(record, dict):
        return _unreadable_row(number, "not an object")
    return Row(number, _map(record, mapping, cells=False))


def _xlsx_rows(path: Path, mapping: Mapping[str, str], sheet: str | None) -> Iterator[Row]:
    """Rows of a workbook's main sheet, nested lists filled from its linked sheets."""
    try:
        from openpyxl import load_workbook
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise InputError("reading .xlsx needs openpyxl: pip install riskgrade[excel]") from exc
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        main = workbook[sheet] if sheet else workbook.worksheets[0]
        linked = {
            mapping.get(ws.title, ws.title): _sheet_records(ws, mapping)
            for ws in workbook.worksheets
            if ws is not main and mapping.get(ws.title, ws.title) in NESTED
        }
        nested = {name: _group(records, mapping) for name, records in linked.items()}
        rows = main.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return
        names: list[Any] = [str(h).strip() if h is not None else None for h in header]
        merged = _Merged(_merged_ranges(main))
        for number, values in enumerate(rows, start=2):
            values = merged.fill(number, values)
            if all(v is None or str(v).strip() == "" for v in values):
                continue
            facts = _map(dict(zip(names, values, strict=False)), mapping)
            for name, by_unit in nested.items():
                if facts.get(name) is None and facts.get("id") is not None:
                    facts[name] = by_unit.get(str(facts["id"]), [])
            yield Row(number, facts)
    finally:
        workbook.close()


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


def _merged_ranges(ws: Any) -> list[tuple[int, int, int, int]]:
    """The sheet's merged ranges as (min_col, min_row, max_col, max_row), read by streaming the
    sheet's XML (read-only worksheets do not expose them; memory stays flat)."""
    from xml.etree.ElementTree import iterparse

    from openpyxl.utils.cell import range_boundaries

    path = getattr(ws, "_worksheet_path", None)
    if path is None:
        return []
    ranges: list[tuple[int, int, int, int]] = []
    sheet_data = None
    with ws.parent._archive.open(path) as handle:
        for event, element in iterparse(handle, events=("start", "end")):
            tag = element.tag.rsplit("}", 1)[-1]
            if event == "start":
                if tag == "sheetData":
                    sheet_data = element
                continue
            if tag == "row" and sheet_data is not None:
                sheet_data.clear()  # drop parsed rows as we go
            elif tag == "mergeCell" and element.get("ref"):
                try:
                    bounds = range_boundaries(element.get("ref"))
                except (TypeError, ValueError):
                    continue
                if None not in bounds:
                    ranges.append(bounds)  # type: ignore[arg-type]
    return ranges


class _Merged:
    """Fills merged cells down: a value typed once in a cell merged over several rows (a
    community, a street) belongs to every row the merge covers. Only the merge's first column
    is filled; other columns under a merge stay empty, as in the sheet."""

    def __init__(self, ranges: list[tuple[int, int, int, int]]) -> None:
        self._ranges = sorted((r for r in ranges if r[3] > r[1] and r[1] >= 2), key=lambda r: r[1])
        self._next = 0
        self._active: list[tuple[int, int, Any]] = []  # (column, last row, value)

    def fill(self, number: int, values: tuple[Any, ...]) -> tuple[Any, ...]:
        """Row ``number``'s values with the merges covering it filled in."""
        if not self._ranges:
            return values
        self._active = [a for a in self._active if a[1] >= number]
        out = list(values)
        for column, _, value in self._active:
            if column - 1 < len(out):
                out[column - 1] = value
            else:
                out += [None] * (column - 1 - len(out)) + [value]
        while self._next < len(self._ranges) and self._ranges[self._next][1] == number:
            min_col, _, _, max_row = self._ranges[self._next]
            value = out[min_col - 1] if min_col - 1 < len(out) else None
            self._active.append((min_col, max_row, value))
            self._next += 1
        while self._next < len(self._ranges) and self._ranges[self._next][1] < number:
            self._next += 1  # a merge starting on a row that was never read
        return tuple(out)


def _parquet_rows(path: Path, mapping: Mapping[str, str]) -> Iterator[Row]:
    """Rows of a Parquet file, one record batch at a time (nested lists as list columns or JSON
    text)."""
    parquet = require_pyarrow()
    number = 0
    for batch in parquet.ParquetFile(path).iter_batches(batch_size=10_000):
        for record in batch.to_pylist():
            number += 1
            facts = _map(record, mapping, cells=False)
            for name in NESTED:
                if isinstance(facts.get(name), str):
                    facts[name] = coerce(facts[name])
            yield Row(number, facts)


def require_pyarrow() -> Any:
    """``pyarrow.parquet``, or an :class:`InputError` saying how to install it."""
    try:
        import pyarrow.parquet as parquet
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise InputError("Parquet needs pyarrow: pip install riskgrade[parquet]") from exc
    return parquet


def _sheet_records(ws: Any, mapping: Mapping[str, str]) -> list[dict[str, Any]]:
    """A linked sheet's non-empty rows as records keyed by its header."""
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None) or ()
    names: list[Any] = [str(h).strip() if h is not None else None for h in header]
    return [
        dict(zip(names, values, strict=False))
        for values in rows
        if any(v is not None for v in values)
    ]


def _group(
    records: Iterable[Mapping[str, Any]], mapping: Mapping[str, str]
) -> dict[str, list[dict[str, Any]]]:
    """Linked rows by unit: the column naming the unit is ``unit``/``unit_id``/the id alias."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    unit_keys = {
        "unit",
        "unit_id",
        "企业编号",
        "单位编号",
        *[k for k, v in mapping.items() if v == "id"],
    }
    for record in records:
        unit = next((record[k] for k in record if k in unit_keys and k not in ("id", "编号")), None)
        if unit is None:
            continue
        item = {
            str(k): coerce(v)
            for k, v in record.items()
            if k not in unit_keys or k in ("id", "编号")
        }
        item = {("id" if k == "编号" else _ITEM_HEADERS.get(k, k)): v for k, v in item.items()}
        grouped[str(unit)].append(item)
    return grouped


def linked_file(path: Path, mapping: Mapping[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Nested items (hazards, buildings or elevators) from a side CSV/JSON file, by unit id."""
    fmt = detect_format(path)
    if fmt == "csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return _group(list(csv.DictReader(handle)), mapping)
    rows = [row.facts for row in _json_rows(path, {}, fmt)]
    return _group(rows, mapping)


def read_rows(
    path: Path,
    *,
    mapping: Mapping[str, str] | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    linked: Mapping[str, Path] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
) -> Iterator[Row]:
    """Stream the rows of a ledger file (format from the suffix); ``values`` respells each
    fact's local values (:func:`load_value_mapping`)."""
    mapping = mapping or header_aliases()
    fmt = detect_format(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if fmt == "csv":
        rows = _csv_rows(path, mapping, encoding)
    elif fmt == "xlsx":
        rows = _xlsx_rows(path, mapping, sheet)
    elif fmt == "parquet":
        rows = _parquet_rows(path, mapping)
    else:
        rows = _json_rows(path, mapping, fmt)
    side = {name: linked_file(file, mapping) for name, file in (linked or {}).items()}
    for row in _guarded(rows, path, fmt):
        for name, by_unit in side.items():
            if row.facts.get(name) is None and row.facts.get("id") is not None:
                row.facts[name] = by_unit.get(str(row.facts["id"]), [])
        for name, spellings in (values or {}).items():
            cell = row.facts.get(name)
            if isinstance(cell, str | int | float) and str(cell).strip() in spellings:
                row.facts[name] = spellings[str(cell).strip()]
        yield row
