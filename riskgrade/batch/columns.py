"""Columns of a ledger and the values in its cells: which header is which fact, and how a cell
becomes a fact value (by the fact's declared type, never by what the text looks like).

A :class:`Columns` is the header mapping :mod:`riskgrade.batch.read` uses: every accepted
header (fact names, the schema's Chinese aliases, a user's mapping file) -> fact name, the
policy's own declared facts and their types, whether unknown columns are refused, and the
unknown columns met so far (so a caller can name them once). :func:`plan_header` resolves a
table's header once; :func:`cell_value` and :func:`checked` turn each value into a safe one or
into the problem that fails its row.
"""

from __future__ import annotations

import json
import re
import types
import typing
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from riskgrade.errors import InputError
from riskgrade.facts import ITEM_LABELS, Building, Elevator, Enterprise, Hazard

NESTED = ("hazards", "buildings", "elevators")
_NESTED_ALIASES = {"隐患": "hazards", "建筑": "buildings", "电梯": "elevators"}
_TRUE = {"true", "yes", "y", "1", "是", "有", "已", "√", "t"}
_FALSE = {"false", "no", "n", "0", "否", "无", "未", "×", "f"}
DROP = ("-", "")
"""Mapping a header to one of these drops the column (e.g. ``序号: "-"``)."""

MAX_NAMED = 100
"""Most unknown columns remembered to name in the warning."""
MAX_CELL = 131_072
"""Longest cell, in characters (csv's own field limit): a longer one fails its row."""
MAX_DEPTH = 64
"""Deepest nesting of lists and objects in one value: a deeper one fails its row."""
MAX_DIGITS = 4_300
"""Most digits in one number (Python's own limit for turning text into an int)."""

_POLICY_FACT = re.compile(r"^[a-z][a-z0-9_]{0,63}$")  # how a policy may name its own facts
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what XML (and so XLSX) cannot hold
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_INTEGER = re.compile(r"[+-]?\d+")
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


class BadValue(ValueError):
    """A value that cannot be a fact: it fails its row with this message."""


class TooManyDigits:
    """A JSON number too long to read (see :data:`MAX_DIGITS`); fails its row when met."""

    def __init__(self, digits: int) -> None:
        self.digits = digits


def json_int(text: str) -> int | TooManyDigits:
    """``json.loads``'s ``parse_int``: an int, or a marker for a number too long to read."""
    if len(text.lstrip("-")) > MAX_DIGITS:
        return TooManyDigits(len(text.lstrip("-")))
    return int(text)


def _kind(annotation: Any) -> str:
    """The coercion kind of a schema field's annotation: bool, int, number, date, list, str."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType) and args:
        return _kind(args[0])
    if origin is typing.Annotated:
        return _kind(args[0])
    if origin is tuple:
        return "list"
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "int"
    if annotation is float:
        return "number"
    if getattr(annotation, "__name__", "") == "date":
        return "date"
    return "str"


SCHEMA: dict[str, str] = {name: _kind(f.annotation) for name, f in Enterprise.model_fields.items()}
"""Every fact of the schema -> its coercion kind."""


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


class Columns(dict[str, str]):
    """Header -> fact name, plus what the reader needs to know about the facts.

    ``declared`` holds the policy's own facts and their types (None when no policy is known:
    then a column named like a policy fact, ``has_canteen``, is passed on for the policy to
    judge); ``strict`` refuses unknown columns instead of ignoring them; ``unknown`` collects
    the unknown columns met while reading, in order, each once (the first
    :data:`MAX_NAMED` of them: JSON objects may each bring keys of their own); ``headers`` the
    header that gave each fact, so that errors name a field as the ledger does."""

    def __init__(
        self,
        mapping: Mapping[str, str] | None = None,
        *,
        declared: Mapping[str, str] | None = None,
        strict: bool = False,
    ) -> None:
        super().__init__(header_aliases() if mapping is None else mapping)
        self.declared = None if declared is None else dict(declared)
        self.strict = strict
        self.unknown: list[str] = []
        self._unknown: set[str] = set()
        self.headers: dict[str, str] = {}
        """Fact -> the header that first gave it while reading (how errors name the field)."""

    def kind(self, fact: str) -> str | None:
        """How cells of ``fact`` are read (None: not a fact; ``"?"``: maybe a policy's fact)."""
        if fact in SCHEMA:
            return SCHEMA[fact]
        if self.declared is not None:
            return self.declared.get(fact)
        return "?" if _POLICY_FACT.match(fact) else None

    def resolve(self, header: str) -> tuple[str | None, str | None]:
        """A header's fact and kind; (None, None) for a dropped or unknown column (an unknown
        one is remembered in :attr:`unknown`)."""
        fact = self.get(header, header)
        if fact in DROP:
            return None, None
        kind = self.kind(fact)
        if kind is None:
            if header not in self._unknown and len(self.unknown) < MAX_NAMED:
                self._unknown.add(header)
                self.unknown.append(header)
            return None, None
        self.headers.setdefault(fact, header)
        return fact, kind


@dataclass(frozen=True)
class Column:
    """One column of a table: its position, the user's header, its fact and coercion kind."""

    index: int
    header: str
    fact: str
    kind: str


def plan_header(header: Iterable[Any], columns: Columns, source: str) -> list[Column]:
    """A table's header resolved once: the columns to read; a fact given by two columns is an
    :class:`InputError` naming both, and so are unknown columns when ``columns.strict``."""
    plan: list[Column] = []
    seen: dict[str, str] = {}
    unknown: list[str] = []
    for index, raw in enumerate(header):
        if raw is None or not str(raw).strip():
            continue
        name = str(raw).strip()
        fact, kind = columns.resolve(name)
        if fact is None or kind is None:
            if columns.get(name, name) not in DROP:
                unknown.append(name)
            continue
        if fact in seen:
            raise InputError(
                f"{source}: columns {seen[fact]!r} and {name!r} both give {fact!r}; "
                "keep one (or map the other to '-' with --mapping)"
            )
        seen[fact] = name
        plan.append(Column(index, name, fact, kind))
    if unknown and columns.strict:
        raise InputError(f"{source}: unknown columns {', '.join(map(repr, unknown))}")
    return plan


def _number(text: str, kind: str) -> Any:
    """Number text as an int or float; other text as it is."""
    if len(text) > MAX_DIGITS and (digits := sum(c.isdigit() for c in text)) > MAX_DIGITS:
        raise BadValue(f"a number of {digits:,} digits (at most {MAX_DIGITS:,})")
    plain = text.replace(",", "")
    try:
        if kind == "int" and _INTEGER.fullmatch(plain):
            return int(plain)
        number = float(plain)
    except ValueError:
        return text
    whole = number.is_integer() and not any(c in plain for c in ".eE")
    return int(number) if whole else number


def cell_value(value: Any, kind: str) -> Any:
    """A spreadsheet or CSV cell as a value of a fact of ``kind``: blanks are unknown; yes/no
    words are booleans only for bool facts, numbers only for int/number facts, JSON lists only
    for nested ones; text facts stay text ("001" stays "001"). Raises :class:`BadValue`."""
    if value is None or value == "":
        return None
    if isinstance(value, bool | int | float):
        return str(value) if kind == "str" and not isinstance(value, bool) else value
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    text = str(value)
    if len(text) > MAX_CELL:
        raise BadValue(f"a cell of {len(text):,} characters (at most {MAX_CELL:,})")
    text = text.strip()
    if not text:
        return None
    if kind == "str" or kind == "date":
        return text
    if kind == "bool":
        lowered = text.lower()
        return True if lowered in _TRUE else False if lowered in _FALSE else text
    if kind in ("int", "number"):
        return _number(text, kind)
    if kind == "list" and text[0] in "[{":
        return _json(text)
    if kind == "?":  # a column that may be a policy's fact, no policy known: by its content
        return guess(text)
    return text


def _json(text: str) -> Any:
    """JSON text parsed; text that is not JSON stays text."""
    try:
        return json.loads(text, parse_int=json_int)
    except json.JSONDecodeError:
        return text
    except RecursionError:
        raise BadValue(f"nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # a float too long
        raise BadValue(str(exc)) from None


def guess(value: Any) -> Any:
    """A cell typed by its content (for columns of no known type): yes/no words, numbers, JSON
    lists, else text."""
    if not isinstance(value, str):
        return cell_value(value, "number")
    text = value.strip()
    if not text:
        return None
    lowered = text.lower()
    if lowered in _TRUE or lowered in _FALSE:
        return lowered in _TRUE
    if text[0] in "[{":
        return _json(text)
    return _number(text, "number")


def checked(value: Any, depth: int = 0) -> Any:
    """``value`` (a parsed JSON value or a cell) if it is safe to grade and to write; raises
    :class:`BadValue` for nesting past :data:`MAX_DEPTH`, a number too long, a lone surrogate
    or a control character (XML, so XLSX, cannot hold them)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if depth > MAX_DEPTH:
        raise BadValue(f"nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, str):
        if (bad := _UNSAFE.search(value)) is None:
            return value
        if _SURROGATE.match(bad.group()):
            raise BadValue(f"a lone surrogate (\\u{ord(bad.group()):04x}) is not Unicode text")
        raise BadValue(f"a control character (U+{ord(bad.group()):04X}) in the text")
    if isinstance(value, TooManyDigits):
        raise BadValue(f"a number of {value.digits:,} digits (at most {MAX_DIGITS:,})")
    if isinstance(value, list):
        return [checked(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {checked(str(k), depth): checked(v, depth + 1) for k, v in value.items()}
    return value


def id_key(unit: str | int) -> str:
    """A unit id as duplicates are compared: NFKC (full-width letters and digits as ASCII),
    invisible characters (zero-width spaces, BOMs, soft hyphens) removed, spaces trimmed and
    case folded (credit codes are one code whatever their case)."""
    text = unicodedata.normalize("NFKC", str(unit))
    return "".join(c for c in text if unicodedata.category(c) != "Cf").strip().casefold()


def safe_text(value: Any) -> Any:
    """Text made safe to write anywhere (lone surrogates and control characters as U+FFFD);
    other values as they are, nested values made safe all through."""
    if isinstance(value, str):
        return _CONTROL.sub("\ufffd", _SURROGATE.sub("\ufffd", value))
    if isinstance(value, TooManyDigits):
        return None
    if isinstance(value, list):
        return [safe_text(v) for v in value]
    if isinstance(value, dict):
        return {safe_text(str(k)): safe_text(v) for k, v in value.items()}
    return value


_ITEM_KINDS = {
    name: _kind(info.annotation)
    for model in (Hazard, Building, Elevator)
    for name, info in model.model_fields.items()
}
"""Every field of a nested item (hazard, building, elevator) -> its coercion kind."""


@dataclass(frozen=True)
class RowProblem:
    """Why a row fails before it is graded: the field at fault, by the user's own header
    (``"(row)"`` for the whole row), and the message for the errors file."""

    field: str
    message: str


@dataclass(frozen=True)
class Row:
    """One input row: its number in the file (see the module docstring), its facts, and the
    problem that already fails it, if any (a row with a problem is never graded)."""

    number: int
    facts: dict[str, Any]
    problem: RowProblem | None = None


def table_row(number: int, values: Sequence[Any], plan: list[Column], typed: bool = False) -> Row:
    """One record of a table as a row: CSV and XLSX cells typed by their fact, Parquet values
    (``typed``) as they are (nested lists given as JSON text parsed). A bad cell fails the
    row, named by its header (a bad id is carried as safe text, for the errors file)."""
    facts: dict[str, Any] = {}
    problem = None
    for column in plan:
        raw = values[column.index] if column.index < len(values) else None
        try:
            value = raw
            if not typed or (isinstance(raw, str) and column.kind == "list"):
                value = cell_value(raw, column.kind)
            facts[column.fact] = checked(value)
        except BadValue as exc:
            problem = problem or RowProblem(column.header, str(exc))
            if column.fact == "id" and isinstance(raw, str):
                facts["id"] = safe_text(raw.strip()[:200])
    return Row(number, facts, problem)


_ITEM_HEADERS = {label: name for labels in ITEM_LABELS.values() for name, label in labels.items()}
"""The Chinese header of an item's field (the ledger template's) -> the field's name."""


def group_items(
    records: Iterable[Mapping[str, Any]], mapping: Mapping[str, str]
) -> dict[str, list[dict[str, Any]]]:
    """Linked rows by unit: the column naming the unit is ``unit``/``unit_id``/the id alias;
    each cell is typed by the item's schema (a hazard's id "001" stays text)."""
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
        item: dict[str, Any] = {}
        for key, value in record.items():
            if key in unit_keys and key not in ("id", "编号"):
                continue
            name = "id" if key == "编号" else _ITEM_HEADERS.get(str(key), str(key))
            try:
                item[name] = cell_value(value, _ITEM_KINDS.get(name, "?"))
            except BadValue:
                item[name] = value[:200] if isinstance(value, str) else None
        grouped[str(unit)].append(item)
    return grouped
