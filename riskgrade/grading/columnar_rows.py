"""Rows of facts (the dicts ``grade_many`` takes) as one table, every value as it was given.

Polars' own constructors pick one type per column and convert the values that do not have it
(``7`` in a column of text becomes ``"7"``), which pydantic would have rejected. Here a column
is typed only where every value already has the type (``int``, ``float``, ``bool``, ``str``,
``datetime.date``; whole numbers beside fractional ones as numbers); any other column keeps its
Python objects, which the columnar validation hands to pydantic value by value. Hazards,
buildings and lifts are flattened in Python to one column per item field: Polars' conversion
of the lists of dicts took 1.67 s for 20,000 units' buildings, flattened 40 ms.

A row the table cannot hold as pydantic reads it is left out, for the per-row path: one that
is not a mapping, has no key, has a key that names no fact (pydantic rejects it even when its
value is None; a table reads a missing cell), names a fact twice (by name and alias), or has
an item that is not a dict or has a key no item field has.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import polars as pl

from riskgrade.check.checked import CheckedPolicy
from riskgrade.facts import Enterprise
from riskgrade.grading.columnar_copy import Block, blocks, dicts, is_frozen, parts
from riskgrade.grading.columnar_validate import _ENTERPRISE, _ITEMS
from riskgrade.grading.evaluate import facts_of

_TYPES: dict[type, pl.DataType] = {
    int: pl.Int64(),
    float: pl.Float64(),
    bool: pl.Boolean(),
    str: pl.String(),
    dt.date: pl.Date(),
}
_EXACT = 2**53  # whole numbers a float holds exactly
_FACT = {alias: spec.name for spec in _ENTERPRISE for alias in spec.aliases}
ITEM_KEYS = {  # hazards, buildings, lifts (by any of their names): their items' keys
    alias: {key for field in _ITEMS[spec.model] for key in field.aliases}
    for spec in _ENTERPRISE
    if spec.kind == "items"
    for alias in spec.aliases
}
_NONE = type(None)


@dataclass(frozen=True)
class Framed:
    """Rows as one table: ``frame`` holds the rows at ``kept`` (their positions in the input,
    in order); the rest, ``odd``, are the per-row path's."""

    frame: pl.DataFrame
    kept: list[int]
    odd: list[int]


def rows_frame(rows: Sequence[Any], policy: CheckedPolicy) -> Framed:
    """``rows`` (mappings of facts, their frozen copies (see
    :mod:`~riskgrade.grading.columnar_copy`) or :class:`Enterprise` objects) as one table."""
    names = {**_FACT, **{name: name for name in policy.extra_facts}}
    plain = {spec.name for spec in _ENTERPRISE} | set(policy.extra_facts)
    read = _alike(rows, plain, names) or _read(rows, plain, names)
    kept, odd, header, cells, frozen = read
    if not kept:
        return Framed(pl.DataFrame(), [], sorted(odd))
    if not header:  # rows of no facts: a table of no columns holds no rows
        return Framed(pl.DataFrame(), [], sorted(odd + kept))
    bad: set[int] = set()
    columns = [
        _column(n, values, bad) if n not in frozen else frozen[n].column(n, values, bad)
        for n, values in zip(header, cells, strict=True)
    ]
    if bad:  # rows a column cannot hold (odd items, text not UTF-8): the table without them
        moved = {kept[i] for i in bad}
        again = rows_frame([rows[i] for i in kept if i not in moved], policy)
        kept_now = [i for i in kept if i not in moved]
        odd_now = odd + list(moved) + [kept_now[i] for i in again.odd]
        return Framed(again.frame, [kept_now[i] for i in again.kept], sorted(odd_now))
    return Framed(pl.DataFrame(columns, height=len(kept)), kept, odd)


_Read = tuple[list[int], list[int], list[str], list[list[Any]], dict[str, "_Flat"]]
"""Rows read: the table's (their positions) and the others', the header, its columns'
values, and the frozen rows' items (:class:`_Flat`) by key."""


def _read(rows: Sequence[Any], plain: set[str], names: dict[str, str]) -> _Read:
    """``rows`` read row by row."""
    kept: list[int] = []
    odd: list[int] = []
    keys_of: list[tuple[Any, ...]] = []
    values_of: list[tuple[Any, ...]] = []
    frozen: dict[str, _Flat] = {}  # frozen rows' items, by key: no list per row is made
    fits: dict[tuple[Any, ...], bool] = {}  # whether a row of these keys is the table's
    for position, row in enumerate(rows):
        if is_frozen(row):
            keys, values, found = parts(row)
        elif isinstance(row, Enterprise | Mapping):
            row = facts_of(row) if isinstance(row, Enterprise) else row
            keys, values, found = tuple(row), tuple(row.values()), []
        else:
            odd.append(position)
            continue
        fit = fits.get(keys)
        if fit is None:
            fit = fits[keys] = _fits(keys, plain, names)
        if not fit:
            odd.append(position)
            continue
        for block in found:
            flat = frozen.get(block[0]) or frozen.setdefault(block[0], _Flat())
            flat.add(len(kept), block)
        kept.append(position)
        keys_of.append(keys)
        values_of.append(values)
    if not kept:
        return kept, odd, [], [], frozen
    header, cells = _table(keys_of, values_of)
    return kept, odd, header, cells, frozen


def _alike(rows: Sequence[Any], plain: set[str], names: dict[str, str]) -> _Read | None:
    """``rows`` read at once if they are all frozen copies of the table's with the same keys
    (as rows from one source are): their keys and values transposed by ``zip``, no tuple
    made per row. None for any other rows."""
    if not rows or not all(map(is_frozen, rows)):
        return None
    header = rows[0][1]
    columns = zip(*rows, strict=False)  # every row is longer than its keys and values
    next(columns)  # the marker
    if next(columns).count(header) != len(rows) or not _fits(header, plain, names):
        return None
    cells = [list(next(columns)) for _ in header]
    frozen: dict[str, _Flat] = {}
    end = 2 + len(header)
    for at, row in enumerate(rows):
        if len(row) > end:
            for block in blocks(row):
                flat = frozen.get(block[0]) or frozen.setdefault(block[0], _Flat())
                flat.add(at, block)
    return list(range(len(rows))), [], list(header), cells, frozen


class _Flat:
    """Frozen rows' lists of items of one key, flattened: the size of each row's list (by
    the row's place in the table), and every item in order: while every item has one key
    order, as that order (``fields``) and their values in turn (``cells``, read a field at a
    time by stepping through it); once they differ, as dicts."""

    def __init__(self) -> None:
        self.sizes: dict[int, int] = {}
        self.fields: tuple[Any, ...] | None = None
        self.cells: list[Any] = []
        self.items: list[dict[str, Any]] | None = None

    def add(self, row: int, block: Block) -> None:
        """Row ``row``'s list of items (a :data:`Block` of its frozen copy)."""
        _, count, fields, payload = block
        self.sizes[row] = count
        if not count:
            return
        if self.items is None and fields and self.fields in (None, fields):
            self.fields = fields
            self.cells += payload
            return
        if self.items is None:
            self.items = self.dicts()
        self.items += payload if fields is None else dicts(fields, payload)

    def dicts(self) -> list[dict[str, Any]]:
        """Every item, as dicts."""
        if self.items is not None:
            return self.items
        return [] if self.fields is None else dicts(self.fields, self.cells)

    def column(self, name: str, values: list[Any], bad: set[int]) -> pl.Series:
        """The column ``name`` of these items; ``values``: the column's values, None for the
        frozen rows (their lists' places), anything else from rows given as mappings."""
        if all(value is None for value in values):
            lengths = [self.sizes.get(row) for row in range(len(values))]
            try:
                if self.items is None and self.fields is not None:
                    column = _stepped(name, lengths, self.fields, self.cells, bad)
                else:
                    column = _flat_items(name, lengths, self.dicts(), bad)
            except UnicodeEncodeError:  # its rows are named as for lists (below)
                column = None
            if column is not None:
                return column
        at, items = 0, self.dicts()  # each frozen row's list made after all, as given
        for row, size in sorted(self.sizes.items()):
            values[row], at = items[at : at + size], at + size
        return _column(name, values, bad)


def _fits(keys: tuple[Any, ...], plain: set[str], names: dict[str, str]) -> bool:
    """Whether a row of ``keys`` is the table's: each names a fact, no fact twice."""
    if set(keys) <= plain:
        return True
    known = [names.get(key) for key in keys if isinstance(key, str)]
    return len(known) == len(keys) and None not in known and len(set(known)) == len(known)


def _table(
    keys_of: list[tuple[Any, ...]], values_of: list[tuple[Any, ...]]
) -> tuple[list[str], list[list[Any]]]:
    """The header (the first row's keys, then the others' in order) and each of its columns'
    values, None where a row lacks the key: rows of one key order transposed at once."""
    first = keys_of[0]
    if all(keys == first for keys in keys_of):
        return list(first), [list(column) for column in zip(*values_of, strict=True)]
    facts = [dict(zip(k, v, strict=True)) for k, v in zip(keys_of, values_of, strict=True)]
    header = list(first)
    header += sorted(set().union(*facts).difference(header))
    return header, _cells(facts, header)


def _cells(rows: Sequence[Mapping[str, Any]], header: list[str]) -> list[list[Any]]:
    """The values of each of ``header``'s keys over ``rows``, None where a row lacks one
    (a list per key: measured as fast as one ``itemgetter`` per row, and no transposing)."""
    return [[row.get(name) for row in rows] for name in header]


def _column(name: str, values: list[Any], bad: set[int]) -> pl.Series:
    """One column of values; rows it cannot hold (items it cannot, text that is not UTF-8)
    are added to ``bad``."""
    kinds = set(map(type, values)) - {_NONE}
    if not kinds:
        return pl.Series(name, values, dtype=pl.Null)
    try:
        if kinds == {list} and name in ITEM_KEYS:
            items = _items(name, values, bad)
            if items is not None:
                return items
        elif dtype := _dtype(kinds, values):
            return _strict(name, values, dtype)
    except UnicodeEncodeError:
        pass
    else:  # Python objects, judged by pydantic: a text that is not UTF-8 comes back as text
        if not bad and not any(map(unencodable, values)):
            return pl.Series(name, values, dtype=pl.Object)
    bad.update(row for row, value in enumerate(values) if unencodable(value))
    return pl.Series(name, [], dtype=pl.Null)  # thrown away: the rows are taken out


def _strict(name: str, values: list[Any], dtype: pl.DataType) -> pl.Series:
    """``values`` (of the one type ``dtype`` holds) as a column, or as Python objects where one
    does not fit (an int beyond 64 bits: strict construction refuses it); raises
    :class:`UnicodeEncodeError` for a text that is not UTF-8 (a lone surrogate)."""
    try:
        return pl.Series(name, values, dtype=dtype, strict=True)
    except (TypeError, OverflowError):
        return pl.Series(name, values, dtype=pl.Object)


def unencodable(value: Any) -> bool:
    """Whether ``value`` (a fact, a list of items, an item) holds a text that is not UTF-8 (a
    lone surrogate, as ``errors="surrogateescape"`` reads bytes that are not): Arrow has no
    column for it."""
    if isinstance(value, str):
        if value.isascii():
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, Mapping):
        return any(map(unencodable, value.values()))
    if isinstance(value, list | tuple):
        return any(map(unencodable, value))
    return False


def _dtype(kinds: set[type], values: list[Any]) -> pl.DataType | None:
    """The type of a column whose values have ``kinds``, if one holds every value unchanged."""
    if len(kinds) == 1:  # (an int beyond 64 bits fails the strict Int64 column: see _column)
        return _TYPES.get(next(iter(kinds)))
    if kinds == {int, float} and all(-_EXACT <= v <= _EXACT for v in values if type(v) is int):
        return pl.Float64()
    return None


def _items(name: str, values: list[Any], bad: set[int]) -> pl.Series | None:
    """A column of lists of item dicts as a list of records, flattened in Python; None when
    an item field's values have no one type (the column is then pydantic's, list by list)."""
    lengths = [None if items is None else len(items) for items in values]
    flat: list[Any] = list(chain.from_iterable(items for items in values if items is not None))
    return _flat_items(name, lengths, flat, bad)


def _flat_items(
    name: str, lengths: list[int | None], flat: list[Any], bad: set[int]
) -> pl.Series | None:
    """:func:`_items` of lists flattened: each row's list's length (None for no list), and
    every list's items, in order."""
    if not set(map(type, flat)) <= {dict} or not set().union(*flat) <= ITEM_KEYS[name]:
        allowed = ITEM_KEYS[name]  # some item is not a dict, or has an unknown key: whose?
        at = 0
        for row, size in enumerate(lengths):
            items, at = flat[at : at + (size or 0)], at + (size or 0)
            if items and not all(type(i) is dict and i.keys() <= allowed for i in items):
                bad.add(row)
        return pl.Series(name, [], dtype=pl.Null)  # thrown away: the rows are taken out
    keys = sorted(set().union(*flat))
    return _records(name, lengths, len(flat), keys, _cells(flat, keys))


def _stepped(
    name: str, lengths: list[int | None], fields: tuple[Any, ...], cells: list[Any], bad: set[int]
) -> pl.Series | None:
    """:func:`_flat_items` of items of the one key order ``fields`` (``cells``: their
    values in turn)."""
    if not set(fields) <= ITEM_KEYS[name]:  # every item has the unknown key
        bad.update(row for row, size in enumerate(lengths) if size)
        return pl.Series(name, [], dtype=pl.Null)  # thrown away: the rows are taken out
    width = len(fields)
    order = sorted(range(width), key=fields.__getitem__)
    columns = [cells[at::width] for at in order]
    return _records(name, lengths, len(cells) // width, [fields[at] for at in order], columns)


def _records(
    name: str, lengths: list[int | None], count: int, keys: list[Any], columns: list[list[Any]]
) -> pl.Series | None:
    """The column ``name`` of lists of items: each row's list's length, the number of items,
    and the values of each of their keys (``columns``, None where an item lacks the key)."""
    if not keys:  # no item has a field
        if count:
            return None
        return pl.Series(name, [None if n is None else [] for n in lengths], pl.List(pl.Null))
    fields: list[pl.Series] = []
    for key, cells in zip(keys, columns, strict=True):
        kinds = set(map(type, cells)) - {_NONE}
        dtype = _dtype(kinds, cells) if kinds else pl.Null()
        field = None if dtype is None else _strict(key, cells, dtype)
        if field is None or field.dtype == pl.Object:
            return None
        fields.append(field)
    records = pl.DataFrame(fields, height=count).to_struct("item")
    sizes = pl.Series("size", lengths, dtype=pl.Int64)
    owner = pl.int_range(0, len(lengths), eager=True).repeat_by(sizes.fill_null(0)).explode()
    grouped = (
        pl.DataFrame({"row": owner.drop_nulls(), "item": records})
        .group_by("row", maintain_order=True)
        .agg("item")
    )
    every = pl.DataFrame({"row": pl.int_range(0, len(lengths), eager=True), "size": sizes})
    joined = every.join(grouped, on="row", how="left", maintain_order="left")
    dtype = pl.List(records.dtype)
    empty = pl.col("item").fill_null(pl.lit([], dtype=dtype))
    return joined.select(
        pl.when(pl.col("size").is_not_null()).then(empty).cast(dtype).alias(name)
    ).to_series()
