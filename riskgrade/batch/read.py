"""Reading enterprise ledgers and writing results: CSV, JSON, JSON Lines and XLSX.

Rows stream (CSV, JSON Lines, XLSX read row by row), keep their 1-based row number for error
reports, and map local column headers onto the fact schema: the schema's own Chinese aliases
(企业名称, 从业人员数 ...), plus a user mapping file for a ledger's local headers. Text cells
are turned into typed values (是/否 and true/false into booleans, numbers into numbers, JSON
text into lists); nested lists (hazards, buildings, elevators) come from a JSON column or from
linked sheets (XLSX) or files keyed by the unit's id.
"""

from __future__ import annotations

import csv
import json
import os
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from riskgrade.assessment import Assessment
from riskgrade.errors import GradeError, RiskgradeError
from riskgrade.facts import Enterprise

NESTED = ("hazards", "buildings", "elevators")
_NESTED_ALIASES = {"隐患": "hazards", "建筑": "buildings", "电梯": "elevators"}
_TRUE = {"true", "yes", "y", "1", "是", "有", "已", "√", "t"}
_FALSE = {"false", "no", "n", "0", "否", "无", "未", "×", "f"}
FORMATS = ("csv", "json", "jsonl", "xlsx", "parquet")


class InputError(RiskgradeError):
    """An input file cannot be read at all (not a row problem)."""


@dataclass(frozen=True)
class Row:
    """One input row: its 1-based number in the file (header = row 1) and its facts."""

    number: int
    facts: dict[str, Any]


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
    """A user's header mapping (YAML or JSON: ``{"本地表头": "fact_name"}``) over the aliases."""
    mapping = header_aliases()
    if path is not None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise InputError(f"{path}: a mapping file holds 'local header: fact name' pairs")
        mapping.update({str(k).strip(): v for k, v in data.items()})
    return mapping


def detect_format(path: Path) -> str:
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
    if fmt == "jsonl":
        with path.open(encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield Row(number, {"__error__": f"line {number}: invalid JSON: {exc.msg}"})
                    continue
                yield Row(
                    number,
                    _map(record, mapping, cells=False)
                    if isinstance(record, dict)
                    else {"__error__": "not an object"},
                )
        return
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
    records = data if isinstance(data, list) else [data]
    for number, record in enumerate(records, start=1):
        yield Row(
            number,
            _map(record, mapping, cells=False)
            if isinstance(record, dict)
            else {"__error__": "not an object"},
        )


def _xlsx_rows(path: Path, mapping: Mapping[str, str], sheet: str | None) -> Iterator[Row]:
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
    parquet = _pyarrow()
    number = 0
    for batch in parquet.ParquetFile(path).iter_batches(batch_size=10_000):
        for record in batch.to_pylist():
            number += 1
            facts = _map(record, mapping, cells=False)
            for name in NESTED:
                if isinstance(facts.get(name), str):
                    facts[name] = coerce(facts[name])
            yield Row(number, facts)


def _pyarrow() -> Any:
    try:
        import pyarrow.parquet as parquet
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise InputError("Parquet needs pyarrow: pip install riskgrade[parquet]") from exc
    return parquet


def _sheet_records(ws: Any, mapping: Mapping[str, str]) -> list[dict[str, Any]]:
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
        item = {("id" if k == "编号" else k): v for k, v in item.items()}
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
) -> Iterator[Row]:
    """Stream the rows of a ledger file (format from the suffix)."""
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
        yield row


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
)


def _result_schema(pa: Any) -> Any:
    floats = {"duty_score", "risk_score"}
    return pa.schema([(c, pa.float64() if c in floats else pa.string()) for c in RESULT_COLUMNS])


def result_record(a: Assessment) -> dict[str, Any]:
    """One assessment as a flat record for CSV/XLSX."""
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
        "data_gaps": " ".join(sorted({m for f in a.data_gaps for m in f.missing})),
        "recommendations": " ".join(r.id for r in a.recommendations),
        "top_countermeasures_zh": "；".join(r.title for r in a.recommendations[:3]),
    }


def _reopen(path: Path, append_at: int | None) -> Any:
    """A new file, or an existing one cut back to ``append_at`` bytes and opened to append."""
    if append_at is None:
        return path.open("w", encoding="utf-8", newline="")
    with path.open("r+b") as raw:
        raw.truncate(append_at)
    return path.open("a", encoding="utf-8", newline="")


def _sync(handle: Any) -> int:
    handle.flush()
    os.fsync(handle.fileno())
    return int(handle.tell())


class ResultWriter:
    """Writes assessments as they come: CSV/XLSX get flat records, JSON/JSON Lines full ones."""

    def __init__(self, path: Path, append_at: int | None = None) -> None:
        """``append_at``: resume an interrupted CSV/JSON Lines file, cut back to that byte."""
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
        elif self.format == "parquet":
            self._batch: list[dict[str, Any]] = []
            self._parquet: Any = None
        else:
            self._handle = _reopen(path, append_at)
            if self.format == "csv":
                self._writer = csv.DictWriter(self._handle, fieldnames=RESULT_COLUMNS)
                if append_at is None:
                    self._writer.writeheader()
            elif self.format == "json":
                self._handle.write("[\n")

    def write(self, a: Assessment) -> None:
        self.write_prepared(result_record(a), a.model_dump_json())

    @property
    def resumable(self) -> bool:
        return self.format in ("csv", "jsonl")

    def checkpoint(self) -> int:
        """Flush to disk and return the byte offset reached (CSV and JSON Lines only)."""
        return _sync(self._handle)

    def write_prepared(self, record: Mapping[str, Any], text: str) -> None:
        """Write one result given its flat record and its full JSON."""
        if self.format == "csv":
            self._writer.writerow(record)
        elif self.format == "xlsx":
            self._writer.append([record[c] for c in RESULT_COLUMNS])
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

    def _flush_parquet(self) -> None:
        import pyarrow as pa

        parquet = _pyarrow()
        table = pa.Table.from_pylist(self._batch, schema=_result_schema(pa))
        if self._parquet is None:
            self._parquet = parquet.ParquetWriter(self.path, table.schema)
        self._parquet.write_table(table)
        self._batch = []

    def close(self) -> None:
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

    def __init__(self, path: Path, append_at: int | None = None) -> None:
        self.path = path
        self.count = 0
        self._handle = _reopen(path, append_at)
        self._jsonl = path.suffix.lower() in (".jsonl", ".json")
        self._writer = None if self._jsonl else csv.writer(self._handle)
        if self._writer is not None and append_at is None:
            self._writer.writerow(["row", "id", "field", "message"])

    def checkpoint(self) -> int:
        """Flush to disk and return the byte offset reached."""
        return _sync(self._handle)

    def write(self, row_number: int, error: GradeError) -> None:
        self.count += 1
        if self._jsonl:
            payload = {
                "row": row_number,
                "id": error.entity_id,
                "errors": error.to_dict()["errors"],
            }
            self._handle.write(json.dumps(payload, ensure_ascii=False) + "\n")
            return
        assert self._writer is not None
        for field, message in error.errors or [("(row)", str(error))]:
            self._writer.writerow([row_number, error.entity_id or "", field, message])

    def close(self) -> None:
        self._handle.close()
