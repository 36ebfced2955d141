"""The copies ``grade_many`` makes of its rows as it reads them, frozen into flat tuples.

A source may reuse a dict, a list of items or an item, so ``grade_many`` copies each row as
it is read, and an assessment not yet built keeps its row's copy. Python's garbage collector
walks every live copy on each of its full collections: a copy as a dict with lists of dicts
was four objects to walk per row, and 20,000 of them (a table's rows) brought on a full
collection per table. The collector stops tracking a tuple of text, numbers, dates and None
the first time it looks at it (never a dict or a list, nor a tuple holding one), so a copy
frozen into one such tuple costs it nothing after that.

A frozen copy is ``(marker, keys, *values, *blocks)``: the row's keys (a tuple, shared by the
copies of one batch) and its values in order (None in the place of a list of items), then a
block per list of items. A block is ``(key, count, width, *fields, *cells)`` when every item
has the same ``width`` keys in the same order (``cells``: each item's values in turn; an empty
list is ``(key, 0, 0)``), or ``(key, -count, *items)`` with each item as ``(width, *fields,
*values)``. Rows of another shape (items in a tuple, an item that is not a dict) are copied
as they are, as dicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from riskgrade.grading.columnar_validate import _ENTERPRISE

NESTED = frozenset(alias for spec in _ENTERPRISE if spec.kind == "items" for alias in spec.aliases)
"""The keys of lists of items: hazards, buildings, lifts, by any of their names."""
SHARED = 64
"""The most key orders :class:`Shapes` keeps."""
_DICT = {dict}
_FROZEN = object()  # marks a frozen copy: no row a caller gives holds it

Block = tuple[str, int, tuple[Any, ...] | None, Any]
"""A list of items of a frozen copy: its key, its length, and either the one key order of
its items (``fields``) and their values in turn (a tuple), or None and the items as dicts."""


class Shapes:
    """The key orders of one batch's rows, each with the places of its lists of items: the
    copies of rows of one key order share one tuple of keys (rows from one source have one
    or a few orders; at most :data:`SHARED` are kept). Not for two threads at once."""

    def __init__(self) -> None:
        self.last: tuple[tuple[Any, ...], list[tuple[Any, int]]] = ((), [])
        self.seen: dict[tuple[Any, ...], tuple[tuple[Any, ...], list[tuple[Any, int]]]] = {}

    def of(self, keys: tuple[Any, ...]) -> tuple[tuple[Any, ...], list[tuple[Any, int]]]:
        """The shared tuple equal to ``keys``, and the places of its lists of items. Only
        text keys are shared: ``1``, ``1.0`` and ``True`` are equal keys, named apart."""
        if keys == self.last[0]:
            return self.last
        shape = self.seen.get(keys)
        if shape is None:
            shape = keys, _places(keys)
            if not all(type(key) is str for key in keys):
                return shape
            if len(self.seen) < SHARED:
                self.seen[keys] = shape
        self.last = shape
        return shape


def copied(row: Any, shapes: Shapes | None = None) -> Any:
    """``row`` as it is now: a mapping copied with its lists of items and their dicts, frozen
    where it can be (see the module); :func:`thawed` gives it back as a mapping. Any other
    row is returned as it is (an :class:`~riskgrade.Enterprise` is immutable). ``shapes``:
    the batch's (:class:`Shapes`), if it is one."""
    if not isinstance(row, Mapping):
        return row
    if type(row) is not dict:  # its pairs as the per-unit engines read them (a key once)
        row = dict(row.items())
    keys = tuple(row)
    keys, places = (keys, _places(keys)) if shapes is None else shapes.of(keys)
    values = list(row.values())
    frozen: list[Any] = []
    for key, at in places:
        value = values[at]
        if value is None:
            continue
        if type(value) is not list:
            return _copied(row)  # items in a tuple, or odd items: kept as given, shape and all
        values[at] = None  # the list's place
        if not value:
            frozen += (key, 0, 0)
        elif set(map(type, value)) <= _DICT:
            frozen += _block(key, value)
        else:
            return _copied(row)
    return (_FROZEN, keys, *values, *frozen)


def _places(keys: tuple[Any, ...]) -> list[tuple[Any, int]]:
    """The keys of lists of items among ``keys``, each with its place."""
    return [(key, at) for at, key in enumerate(keys) if key in NESTED]


def _block(key: str, items: list[dict[str, Any]]) -> list[Any]:
    """The block of the list ``items`` (of dicts) of the key ``key``."""
    fields = tuple(items[0])
    if fields and (
        len(items) == 1
        or (
            all(type(field) is str for field in fields)  # (keys ``1`` and ``1.0`` named apart)
            and all(tuple(item) == fields for item in items)
        )
    ):
        block = [key, len(items), len(fields), *fields]
        for item in items:
            block += item.values()
        return block
    block = [key, -len(items)]
    for item in items:
        block.append(len(item))
        block += item
        block += item.values()
    return block


def is_frozen(row: Any) -> bool:
    """Whether ``row`` is a frozen copy."""
    return type(row) is tuple and bool(row) and row[0] is _FROZEN


def thawed(row: Any) -> Any:
    """A frozen copy as a mapping again (a new dict, its items in new lists of new dicts);
    any other row as it is."""
    if not is_frozen(row):
        return row
    keys, values, blocks = parts(row)
    facts = dict(zip(keys, values, strict=True))
    for key, _, fields, items in blocks:
        facts[key] = items if fields is None else dicts(fields, items)
    return facts


def parts(row: tuple[Any, ...]) -> tuple[tuple[Any, ...], tuple[Any, ...], list[Block]]:
    """A frozen copy's keys, values (None in the place of a list of items) and blocks."""
    keys = row[1]
    return keys, row[2 : 2 + len(keys)], blocks(row)


def blocks(row: tuple[Any, ...]) -> list[Block]:
    """A frozen copy's lists of items, as :data:`Block` values."""
    at, end = 2 + len(row[1]), len(row)
    found: list[Block] = []
    while at < end:
        key, count = row[at], row[at + 1]
        if count >= 0:  # one key order
            width = row[at + 2]
            start = at + 3 + width
            fields, at = row[at + 3 : start], start + count * width
            found.append((key, count, fields, row[start:at]))
            continue
        at += 2
        items = []
        for _ in range(-count):
            width = row[at]
            middle = at + 1 + width
            items.append(dict(zip(row[at + 1 : middle], row[middle : middle + width], strict=True)))
            at = middle + width
        found.append((key, -count, None, items))
    return found


def dicts(fields: tuple[Any, ...], cells: tuple[Any, ...] | list[Any]) -> list[dict[str, Any]]:
    """Items of the one key order ``fields`` as dicts (``cells``: their values in turn)."""
    width = len(fields)
    if not cells:
        return []
    return [
        dict(zip(fields, cells[at : at + width], strict=True)) for at in range(0, len(cells), width)
    ]


def _copied(row: Mapping[str, Any]) -> dict[str, Any]:
    copy = dict(row)
    for key in NESTED.intersection(copy):
        items = copy[key]
        if isinstance(items, list | tuple):
            fresh = [dict(item) if isinstance(item, dict) else item for item in items]
            copy[key] = fresh if isinstance(items, list) else tuple(fresh)
    return copy
