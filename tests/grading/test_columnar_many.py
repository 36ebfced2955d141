"""``grade_many`` on the columnar engine (its default): chunks graded as tables, assessments
whose findings are built when first read, and the same results as grading row by row.

The reference is ``grade_many(engine="compiled")``, one row at a time through pydantic: the
same rows fail with the same errors (word for word), and every other row's assessment dumps
the same (the engine's name aside). Rows are the validation tests' generated rows (good ones,
and ones corrupted in one to three ways) mixed with rows a table cannot hold as given.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import pickle
import threading
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

import riskgrade
from riskgrade.assessment import DEFERRED, Assessment
from riskgrade.grading import columnar_many
from riskgrade.grading.columnar_rows import unencodable
from riskgrade.testing import enterprises
from tests.conftest import AS_OF, examples
from tests.grading.test_columnar_validate import _DEFAULT, _EXTRAS, _rows

_BASE = {"id": "u1", "industry": "retail", "employees": 8}


class _SortedKeys(dict[str, Any]):
    """A dict that names its keys sorted, not in the order it holds them."""

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(dict.keys(self)))

    def keys(self) -> list[str]:  # type: ignore[override]
        return sorted(dict.keys(self))


class _Twice(Mapping[str, Any]):
    """A mapping that names one key twice (a dict cannot)."""

    def __init__(self, facts: dict[str, Any]) -> None:
        self.facts = facts

    def __getitem__(self, key: str) -> Any:
        return self.facts[key]

    def __len__(self) -> int:
        return len(self.facts) + 1

    def __iter__(self) -> Iterator[str]:
        yield from self.facts
        yield "employees"


_SWAPPED = {"emergency_plan": True, "employees": 8, "id": "s1", "industry": "retail",
            "safety_rules": True, "ppe_provided": False}  # fmt: skip
_AWKWARD: list[Any] = [
    42,  # not a mapping
    None,
    {},
    {**_BASE, "zzz": None},  # a key that names no fact, with no value
    {**_BASE, "编号": "u2"},  # the id twice: by name and by a Chinese header
    {"编号": "u3", "行业": "retail", "从业人员数": 4},  # only Chinese headers
    {**_BASE, "hazards": [{"level": "major", "colour": None}]},  # an unknown item key
    {**_BASE, "hazards": [None]},  # an item that is not a record
    {**_BASE, "hazards": ({"level": "major"},)},  # a tuple of items
    {**_BASE, "hazards": [{"level": "major", "found_on": dt.datetime(2026, 1, 1, 10)}]},
    {**_BASE, "buildings": [{"floors": 30, "height_m": 99.5}, {"floors": 3.0}]},
    {**_BASE, "buildings": [{"floors": "30"}, {"floors": 30}]},  # an item field of two types
    {**_BASE, "buildings": [{}]},
    {**_BASE, "employees": True},
    {**_BASE, "employees": 5.0},
    {**_BASE, "employees": 2**70},  # beyond 64 bits: pydantic takes it
    {**_BASE, "employees": Decimal("3")},
    {**_BASE, "last_drill": dt.datetime(2026, 1, 1, 0, 0)},
    {**_BASE, "last_drill": dt.date(2026, 1, 1)},
    {**_BASE, "id": None},
    {**_BASE, "name": 7},
    {**_BASE, "annual_revenue": 120},
    {**_BASE, "annual_revenue": float("nan")},
    {**_BASE, 3: "x"},  # a key that is not text
    {**_BASE, 1: "x"},  # keys equal to one another, named apart
    {**_BASE, True: "x"},
    {**_BASE, 1.0: "x"},
    {**_BASE, "hazards": [{1: "x"}, {1.0: "y"}]},
    _SortedKeys(_SWAPPED),  # its values held in another order than it names its keys
    _Twice(_BASE),
]


def _same(policy: riskgrade.Policy, rows: list[Any]) -> None:
    got = list(policy.grade_many(rows, as_of=AS_OF))
    want = list(policy.grade_many(rows, as_of=AS_OF, engine="compiled"))
    assert len(got) == len(want) == len(rows)
    for row, a, b in zip(rows, got, want, strict=True):
        assert type(a) is type(b), (row, a, b)
        if isinstance(a, riskgrade.GradeError):
            assert isinstance(b, riskgrade.GradeError)
            assert (a.index, a.entity_id, a.errors) == (b.index, b.entity_id, b.errors), row
        else:
            assert a.engine == ("compiled" if unencodable(row) else "columnar")
            assert a.model_dump(exclude={"engine"}) == b.model_dump(exclude={"engine"}), row


_SETTINGS = settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 1, then 3 rows: every batch crosses chunks."""
    monkeypatch.setattr(columnar_many, "FIRST", 1)
    monkeypatch.setattr(columnar_many, "CHUNK", 3)


@pytest.mark.slow
@_SETTINGS
@given(
    st.lists(
        st.one_of(_rows(_DEFAULT), _rows(_DEFAULT), st.sampled_from(_AWKWARD)),
        min_size=1,
        max_size=10,
    )
)
def test_rows_grade_as_row_by_row(rows: list[Any]) -> None:
    _same(_DEFAULT, rows)


@pytest.mark.slow
@settings(_SETTINGS, max_examples=examples(30))
@given(st.lists(_rows(_EXTRAS), min_size=1, max_size=8))
def test_a_policys_extra_facts_grade_as_row_by_row(rows: list[Any]) -> None:
    _same(_EXTRAS, rows)


def test_awkward_rows_across_chunks_grade_as_row_by_row(small_chunks: None) -> None:
    _same(_DEFAULT, [*_AWKWARD, _BASE, *reversed(_AWKWARD)])


def test_rows_a_table_holds_apart_for_two_reasons_each_get_a_result() -> None:
    """A row left out of the table (an empty row) beside one a column cannot hold (an item that
    is no record): the table made again without the second still leaves the first out."""
    _same(_DEFAULT, [_BASE, {}, {**_BASE, "id": "u2", "hazards": [None]}])
    tuple_items = {**_BASE, "buildings": [None], "elevators": ()}
    _same(_DEFAULT, [_BASE, tuple_items, {**_BASE, "elevators": [None]}])


def test_keys_named_in_another_order_than_held_grade_as_row_by_row() -> None:
    _same(_DEFAULT, [_SortedKeys(_SWAPPED), _SortedKeys({**_SWAPPED, "id": "s2"})])
    _same(_DEFAULT, [_BASE, _Twice(_BASE), _Twice({**_BASE, "id": "u3"})])


def test_enterprise_objects_grade_as_row_by_row() -> None:
    units = [riskgrade.Enterprise.model_validate({**_BASE, "id": f"e{i}"}) for i in range(3)]
    _same(_DEFAULT, [units[0], {**_BASE, "employees": -1}, *units[1:]])


@settings(_SETTINGS, max_examples=examples(10))
@given(st.lists(enterprises(as_of=AS_OF, unknown=0.3), min_size=1, max_size=12))
def test_the_deferred_parts_are_the_whole_assessment(rows: list[dict[str, Any]]) -> None:
    """Each deferred assessment equals the one ``grade`` gives on the columnar engine, read
    in any way: fields, equality, dumps, copies, pickles, a list of them dumped."""
    for row, item in zip(rows, _DEFAULT.grade_many(rows, as_of=AS_OF), strict=True):
        assert isinstance(item, Assessment)
        want = _DEFAULT.grade(row, as_of=AS_OF, engine="columnar")
        adapter = TypeAdapter(list[Assessment])
        assert adapter.dump_json([item]) == adapter.dump_json([want])
        again = next(_DEFAULT.grade_many([row], as_of=AS_OF))
        assert again == want and want == item
        assert item.model_dump_json() == want.model_dump_json()
        assert pickle.loads(pickle.dumps(next(_DEFAULT.grade_many([row], as_of=AS_OF)))) == want
        assert copy.deepcopy(next(_DEFAULT.grade_many([row], as_of=AS_OF))) == want
        assert repr(next(_DEFAULT.grade_many([row], as_of=AS_OF))) == repr(want)


def test_reading_levels_builds_nothing(
    monkeypatch: pytest.MonkeyPatch, compliant: dict[str, Any]
) -> None:
    built: list[str] = []
    original = columnar_many.grade_unit

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(args[1].id)
        return original(*args, **kwargs)

    monkeypatch.setattr(columnar_many, "grade_unit", counting)
    rows = [{**compliant, "id": f"u{i}", "ppe_provided": i % 2 == 0} for i in range(6)]
    results = list(_DEFAULT.grade_many(rows, as_of=AS_OF))
    levels = [(a.entity_id, a.risk_level, a.duty_grade, a.as_of) for a in results]  # type: ignore[union-attr]
    assert built == ["u0"] and len(levels) == 6  # the first row alone is graded whole
    first = results[1]
    assert isinstance(first, Assessment)
    assert "no_ppe" in [f.rule for f in first.violations]
    assert built == ["u0", "u1"]
    first.model_dump(), first.recommendations, first.trace, first.score
    assert built == ["u0", "u1"]  # built once
    findings = json.loads(results[2].model_dump_json())["findings"]  # type: ignore[union-attr]
    assert "no_ppe" not in [f["rule"] for f in findings]
    assert built == ["u0", "u1", "u2"]


def test_threads_reading_one_assessment_see_the_same_values() -> None:
    rows = [{**_BASE, "id": f"t{i}", "ppe_provided": False} for i in range(4)]
    want = [_DEFAULT.grade(row, as_of=AS_OF, engine="columnar") for row in rows]
    for _ in range(5):
        results = list(_DEFAULT.grade_many(rows, as_of=AS_OF))
        seen: list[Any] = []
        barrier = threading.Barrier(4)

        def read(results: list[Any], seen: list[Any], barrier: threading.Barrier) -> None:
            barrier.wait()
            seen.append([a.model_dump() for a in results])

        threads = [threading.Thread(target=read, args=(results, seen, barrier)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert seen == [[a.model_dump() for a in want]] * 4


def test_the_first_result_needs_only_the_first_row() -> None:
    taken: list[int] = []

    def rows() -> Any:
        for i in range(7):
            taken.append(i)
            yield {**_BASE, "id": f"r{i}"}

    results = _DEFAULT.grade_many(rows(), as_of=AS_OF)
    assert taken == []
    assert next(results).entity_id == "r0"  # type: ignore[union-attr]
    assert taken == [0]
    assert [a.entity_id for a in results] == [f"r{i}" for i in range(1, 7)]  # type: ignore[union-attr]


def test_an_engine_error_fails_each_row_of_its_table(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> Any:
        raise riskgrade.errors.EngineError("the table could not be graded")

    monkeypatch.setattr(columnar_many, "grade_with_outcomes", broken)
    monkeypatch.setattr(columnar_many, "unit_outcomes", broken)
    rows = [_BASE, {**_BASE, "employees": -1}, {**_BASE, "zzz": 1}, 42]
    results = list(_DEFAULT.grade_many(rows, as_of=AS_OF))
    assert [type(r).__name__ for r in results] == ["GradeError"] * 4
    assert results[0].errors == [("(engine)", "the table could not be graded")]  # type: ignore[union-attr]
    assert results[1].errors[0][0] == "employees"  # type: ignore[union-attr]
    assert [r.index for r in results] == [0, 1, 2, 3]  # type: ignore[union-attr]


def test_deferred_fields_are_named_once() -> None:
    assert set(DEFERRED) < set(Assessment.model_fields)


def test_rows_are_read_as_they_were_when_given() -> None:
    """A source that reuses one dict, and rows changed after their results came back."""
    data = [{**_BASE, "id": f"u{i}", "employees": 8 + i} for i in range(5)]

    def reused() -> Any:
        row: dict[str, Any] = {}
        for facts in data:
            row.clear()
            row.update(facts)
            yield row

    assert [a.entity_id for a in _DEFAULT.grade_many(reused(), as_of=AS_OF)] == [  # type: ignore[union-attr]
        f"u{i}" for i in range(5)
    ]
    rows = [{**row, "hazards": [{"level": "general", "found_on": "2026-11-01"}]} for row in data]
    results = list(_DEFAULT.grade_many(rows, as_of=AS_OF))
    want = list(_DEFAULT.grade_many(rows, as_of=AS_OF, engine="compiled"))
    rows[3]["employees"] = -5
    rows[4]["hazards"].append({"level": "major", "found_on": "2026-11-01"})
    for got, expected in zip(results, want, strict=True):
        assert got.model_dump(exclude={"engine"}) == expected.model_dump(exclude={"engine"})  # type: ignore[union-attr]


def test_a_failing_source_still_gives_the_rows_it_gave(small_chunks: None) -> None:
    def source() -> Any:
        for i in range(6):
            yield {**_BASE, "id": f"u{i}"}
        raise OSError("the ledger could not be read further")

    seen: list[str] = []
    with pytest.raises(OSError, match="further"):
        for item in _DEFAULT.grade_many(source(), as_of=AS_OF):
            seen.append(item.entity_id)  # type: ignore[union-attr]
    assert seen == [f"u{i}" for i in range(6)]


@pytest.mark.parametrize(
    "change",
    [
        ("deduction: 10\n", "deduction: 10.1234567\n"),  # more decimals than a table holds
        ("derived:\n", "derived:\n  duty_score: {type: int, expr: 'employees + 1'}\n"),
    ],
)
def test_what_a_table_cannot_grade_is_graded_row_by_row(change: tuple[str, str]) -> None:
    from riskgrade.policy import load_policy_source
    from tests.conftest import MINI

    assert change[0] in MINI
    policy = load_policy_source({"mini.yaml": MINI.replace(*change, 1)})
    rows = [{**_BASE, "id": f"u{i}", "employees": i} for i in range(4)]
    _same(policy, rows)


def test_an_unbuilt_assessment_keeps_its_own_row_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc
    import weakref

    class Row(dict[str, Any]):
        pass

    copies: list[weakref.ref[Row]] = []

    def tracked(row: Any, shapes: Any = None) -> Row:  # (a dict, which a weak reference can name)
        copy = Row(row)
        copies.append(weakref.ref(copy))
        return copy

    monkeypatch.setattr(columnar_many, "copied", tracked)
    results = list(_DEFAULT.grade_many([{**_BASE, "id": f"u{i}"} for i in range(6)], as_of=AS_OF))
    kept = results[4]
    del results
    gc.collect()
    assert [ref() is not None for ref in copies] == [False] * 4 + [True, False]
    assert kept.findings  # still built from its row
    del kept
    gc.collect()
    assert all(ref() is None for ref in copies)


def test_fields_set_is_each_assessments_own() -> None:
    a, b = list(_DEFAULT.grade_many([_BASE, _BASE, _BASE], as_of=AS_OF))[1:]
    a.model_fields_set.discard("name")  # type: ignore[union-attr]
    assert "name" in b.model_fields_set and "name" not in a.model_fields_set  # type: ignore[union-attr]
    assert a.model_fields_set == set(Assessment.model_fields) - {"name"}  # type: ignore[union-attr]


def test_an_unknown_engine_fails_each_row() -> None:
    results = list(_DEFAULT.grade_many([_BASE, _BASE], as_of=AS_OF, engine="fast"))  # type: ignore[arg-type]
    assert [r.errors[0][0] for r in results] == ["(engine)", "(engine)"]  # type: ignore[union-attr]


def test_item_dicts_a_source_reuses_or_a_caller_changes_are_read_as_given() -> None:
    hazard = {"level": "general", "found_on": "2026-11-01"}

    def source() -> Any:
        for i, level in enumerate(["general", "major", "general", "general"]):
            hazard["level"] = level
            yield {**_BASE, "id": f"h{i}", "hazards": [hazard]}

    got = [(a.entity_id, a.risk_level) for a in _DEFAULT.grade_many(source(), as_of=AS_OF)]  # type: ignore[union-attr]
    want = [
        (a.entity_id, a.risk_level)
        for a in _DEFAULT.grade_many(source(), as_of=AS_OF, engine="compiled")
    ]  # type: ignore[union-attr]
    assert got == want
    rows = [{**_BASE, "id": f"u{i}", "hazards": [dict(hazard, level="general")]} for i in range(3)]
    results = list(_DEFAULT.grade_many(rows, as_of=AS_OF))
    before = list(_DEFAULT.grade_many(rows, as_of=AS_OF, engine="compiled"))
    rows[1]["hazards"][0]["level"] = "major"
    assert results[1].model_dump(exclude={"engine"}) == before[1].model_dump(exclude={"engine"})  # type: ignore[union-attr]


def test_text_that_is_not_utf8_is_graded_on_the_compiled_engine() -> None:
    rows = [
        _BASE,
        {**_BASE, "id": "u2"},
        {**_BASE, "id": "u3", "name": "x\ud800"},
        {**_BASE, "id": "u4", "hazards": [{"level": "major", "id": "h\udc80"}]},
        {**_BASE, "id": "u5", "employees": -1},
        {**_BASE, "id": "u6"},
    ]
    got = list(_DEFAULT.grade_many(rows, as_of=AS_OF))
    assert [getattr(a, "engine", "error") for a in got] == [
        "columnar", "columnar", "compiled", "compiled", "error", "columnar"
    ]  # fmt: skip
    _same(_DEFAULT, rows)


def test_equal_values_of_different_meaning_are_judged_apart() -> None:
    """Two equal datetimes of different zones: the same instant, different dates."""
    late = dt.datetime.combine(AS_OF, dt.time(23), tzinfo=dt.UTC)
    east = late.astimezone(dt.timezone(dt.timedelta(hours=8)))  # 2026-11-29: after as_of
    rows = [{**_BASE, "id": f"r{i}", "last_drill": day} for i, day in enumerate([late, east])]
    _same(_DEFAULT, [{**_BASE, "last_drill": dt.date(2025, 1, 1)}, *rows])


def test_a_policys_own_number_that_is_not_finite_fails_its_row() -> None:
    """NaN compares as the greatest number in a table and as nothing in Python: the engines
    graded a NaN of a policy's own fact apart. It is refused, as the schema's numbers are."""
    given = [120.5, math.nan, math.inf, 99.0]  # the first row alone, the others as a table
    rows = [{**_BASE, "id": f"n{i}", "floor_area": v} for i, v in enumerate(given)]
    _same(_EXTRAS, rows)
    results = list(_EXTRAS.grade_many(rows, as_of=AS_OF))
    assert [r.errors for r in results[1:3]] == [  # type: ignore[union-attr]
        [("floor_area", "expected a finite number, got nan")],
        [("floor_area", "expected a finite number, got inf")],
    ]
    assert isinstance(results[0], Assessment) and isinstance(results[3], Assessment)
