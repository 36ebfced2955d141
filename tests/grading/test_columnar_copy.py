"""The frozen copies ``grade_many`` makes of its rows: the same row when thawed, untouched by
later changes to the row, skipped by the garbage collector, and the same table."""

from __future__ import annotations

import datetime as dt
import gc
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskgrade.grading import columnar_copy, columnar_rows
from riskgrade.grading.columnar_copy import Shapes, copied, is_frozen, thawed
from riskgrade.grading.columnar_rows import rows_frame
from riskgrade.testing import enterprises
from tests.conftest import AS_OF, examples
from tests.grading.test_columnar_validate import _DEFAULT

_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]  # rows of nested shapes, shared CPUs
_ATOMS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=4),
    st.dates(),
)
_ITEM = st.dictionaries(
    st.sampled_from(["id", "level", "found_on", "deadline", "floors", "zzz"]), _ATOMS, max_size=4
)
_ITEMS = st.one_of(
    st.none(),
    st.lists(_ITEM, max_size=3),
    st.lists(st.just({"level": "major", "found_on": "2026-01-01"}), max_size=3),  # one order
    st.lists(_ITEM, max_size=2).map(tuple),  # a tuple of items: copied as given
    st.lists(st.one_of(_ITEM, _ATOMS), min_size=1, max_size=2),  # an item that is no dict
)
_ROWS = st.dictionaries(
    st.sampled_from(["id", "name", "industry", "employees", "编号", "zzz", "last_drill"]),
    _ATOMS,
    max_size=5,
).flatmap(
    lambda flat: st.dictionaries(
        st.sampled_from(["hazards", "buildings", "elevators", "隐患"]), _ITEMS, max_size=3
    ).flatmap(lambda nested: st.permutations([*flat.items(), *nested.items()]).map(dict))
)


def _shape(value: Any) -> Any:
    """``value`` with the order of every dict's keys and the kind of every sequence."""
    if isinstance(value, dict):
        return [type(value), [(k, _shape(v)) for k, v in value.items()]]
    if isinstance(value, list | tuple):
        return [type(value), [_shape(v) for v in value]]
    return [type(value), value]


@settings(max_examples=examples(200), deadline=None, suppress_health_check=_SLOW)
@given(st.lists(_ROWS, min_size=1, max_size=6))
def test_a_copy_thaws_to_the_row_as_it_was(rows: list[dict[str, Any]]) -> None:
    shapes = Shapes()
    before = [_shape(row) for row in rows]
    copies = [copied(row, shapes) for row in rows]
    for row in rows:  # a source that reuses its dicts, lists and items
        for value in list(row.values()):
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, dict):
                        item["level"] = "changed"
                value.append({"level": "added"})
        row["id"] = "changed"
    assert [_shape(thawed(copy)) for copy in copies] == before
    if not is_frozen(copies[0]):
        return
    again = thawed(copies[0])  # each thaw of a frozen copy is new: changing one changes none
    for value in again.values():
        if isinstance(value, list):
            value.clear()
    assert _shape(thawed(copies[0])) == before[0]


def test_rows_of_another_shape_are_copied_as_given() -> None:
    tuple_of_items = {"id": "u1", "hazards": ({"level": "major"},)}
    odd_item = {"id": "u1", "hazards": [{"level": "major"}, None]}
    for row in (tuple_of_items, odd_item):
        copy = copied(row)
        assert not is_frozen(copy) and copy == row and copy is not row
    enterprise = _DEFAULT.validate({"id": "u1", "industry": "retail", "employees": 3})[0]
    assert copied(enterprise) is enterprise and copied(42) == 42


def test_more_key_orders_than_are_shared_still_copy_each_row() -> None:
    shapes = Shapes()
    rows = [{f"k{i}": i, "id": "u", "hazards": [{"level": "major"}]} for i in range(100)]
    assert [thawed(copied(row, shapes)) for row in rows] == rows
    assert len(shapes.seen) == columnar_copy.SHARED


def test_frozen_copies_are_left_alone_by_the_garbage_collector() -> None:
    rows = [
        {
            "id": f"u{i}",
            "last_drill": dt.date(2026, 1, 1),
            "hazards": [{"level": "major", "found_on": "2026-01-01"}, {"level": "general"}],
            "buildings": [],
            "elevators": None,
        }
        for i in range(50)
    ]
    shapes = Shapes()
    copies = [copied(row, shapes) for row in rows]
    gc.collect()
    gc.collect()  # (a tuple is untracked when what it holds is: one pass a level)
    assert all(is_frozen(copy) and not gc.is_tracked(copy) for copy in copies)
    # the copy the frozen one replaced: a dict of lists, tracked for as long as it lives
    assert all(gc.is_tracked(columnar_copy._copied(row)) for row in rows)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=_SLOW)
@given(
    st.lists(
        st.one_of(enterprises(as_of=AS_OF, unknown=0.3), _ROWS, st.just(42)),
        min_size=1,
        max_size=8,
    ),
    st.booleans(),
)
def test_copies_make_the_table_the_rows_make(rows: list[Any], same_order: bool) -> None:
    if same_order:  # the rows of one key order: the copies are read at once
        rows = [row for row in rows if isinstance(row, dict)]
        rows = [{key: row.get(key) for key in rows[0]} for row in rows]
    shapes = Shapes()
    given_rows = rows_frame(rows, _DEFAULT.checked)
    frozen_rows = rows_frame([copied(row, shapes) for row in rows], _DEFAULT.checked)
    assert (frozen_rows.kept, frozen_rows.odd) == (given_rows.kept, given_rows.odd)
    assert frozen_rows.frame.schema == given_rows.frame.schema
    assert frozen_rows.frame.to_dicts() == given_rows.frame.to_dicts()


@settings(max_examples=examples(20), deadline=None, suppress_health_check=_SLOW)
@given(st.lists(enterprises(as_of=AS_OF, unknown=0.3), min_size=2, max_size=6))
def test_copies_of_one_key_order_are_read_at_once(rows: list[dict[str, Any]]) -> None:
    rows = [{key: row.get(key) for key in rows[0]} for row in rows]
    expected = rows_frame(rows, _DEFAULT.checked)
    shapes = Shapes()
    copies = [copied(row, shapes) for row in rows]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(columnar_rows, "_read", _row_by_row)
        framed = rows_frame(copies, _DEFAULT.checked)
    assert framed.kept == expected.kept and framed.frame.to_dicts() == expected.frame.to_dicts()


def _row_by_row(*args: Any) -> None:
    raise AssertionError("read row by row")
