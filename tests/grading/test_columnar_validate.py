"""The whole-table validation judges every row as the per-row pydantic validation does.

The reference is what ``Policy.grade_frame`` did before it validated at once: each row of the
frame, its null cells dropped, through ``Policy.validate``. Generated tables mix good rows with
rows corrupted in one to three ways (wrong types, negative counts, unknown enum values, bad
dates, totals exceeded, required facts missing, unknown columns, Chinese headers, bad nested
items, odd but valid spellings) and are built twice: typed (each column from its Python
values) and all text (as a CSV reader gives). The same rows must fail, each naming the same
fields in the same order with the same ``id``; the other rows must come out as the facts
pydantic gives.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import riskgrade
from riskgrade.batch.read import read_rows
from riskgrade.bundled import sample_district_path
from riskgrade.facts import Enterprise
from riskgrade.grading import columnar_cast, columnar_validate
from riskgrade.grading.columnar import FAILED_SCHEMA
from riskgrade.grading.columnar_validate import validate_frame
from riskgrade.grading.evaluate import facts_of
from riskgrade.policy import load_policy_source
from riskgrade.testing import enterprises
from tests.conftest import AS_OF, MINI, examples

_DEFAULT = riskgrade.load_policy()
_EXTRAS = load_policy_source(
    {
        "mini.yaml": MINI.replace(
            "derived:\n",
            "facts:\n"
            "  has_canteen: {type: bool}\n"
            "  canteen_seats: {type: int}\n"
            "  floor_area: {type: number}\n"
            "  licence_no: {type: str}\n"
            "  licence_expiry: {type: date}\n"
            "  licence_class: {type: enum, values: [A, B]}\n"
            "derived:\n",
            1,
        )
    }
)
_EXTRA_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "has_canteen": st.sampled_from([True, False, "yes", 1, "是", "×", " ", "maybe"]),
    "canteen_seats": st.sampled_from([0, 40, 12.0, 2.5, "40", True, math.nan]),
    "floor_area": st.sampled_from([0, 120.5, math.inf, math.nan, -math.inf, "120", False]),
    "licence_no": st.sampled_from(["L-1", "", 7]),
    "licence_expiry": st.sampled_from(
        ["2027-01-31", "2027-02-30", "2027-W05-1", 20270131, "2027/1/31", "2027年1月31日", 46418]
    ),
    "licence_class": st.sampled_from(["A", "B", "C", 1, "b", "Ａ", " a ", ""]),
}

_FIELDS = Enterprise.model_fields
_NESTED = ("hazards", "buildings", "elevators")
_SCALARS = [n for n in _FIELDS if n not in _NESTED]
_COUNTS = [n for n in _SCALARS if _FIELDS[n].annotation in (int, int | None)]
_DATES = [n for n in _SCALARS if "date" in str(_FIELDS[n].annotation)]
_TOTALS = columnar_validate._TOTALS
_ALIASED = {
    n: [a for a in info.validation_alias.choices if a != n]  # type: ignore[union-attr]
    for n, info in _FIELDS.items()
    if info.validation_alias is not None
}
_ODD = [
    "abc", "", "  ", " 12 ", "+3", "1_000", "5.0", "5.5", "-3", "12", "1e3", ".5", "0x10",
    5, 5.5, -1, 0, 1, 2, 3.0, True, False, math.nan, math.inf, 1e20,
    "true", "Yes", "OFF", "t", "1.0", "2026-02-30", "2026-11-28", "20261128", "2026-W48-6",
    "2026-11-28T10:00", "0000-01-01", "2026-1-5", dt.date(2026, 1, 1), "retail", "noodles",
    # as people write them in a ledger
    "是", "否", "有", "无", "√", "×", "Y", "n", " 是 ", "对", "好的", "2026/6/1", "2026.6.1",
    "2026年6月1日", "2026年13月1日", 46174, 46174.5, 0, 3000000, "餐饮", "饭店", "危化", "物业",
    "民营", "小型", "中餐馆", 91330100123, 91330100123.0,
]  # fmt: skip
_BAD_DATES = [
    "2026-02-30", "2026/01/01", "yesterday", 20260101, " ", "2026-1-5", "2026.6.1",
    "2026年6月1日", "2026 年 6 月 1 日", 46174, 46174.25, -3, True, "2026年2月30日",
]  # fmt: skip
_BAD_ITEMS: dict[str, list[dict[str, Any] | None]] = {
    "hazards": [
        {"found_on": "2026-05-02", "deadline": "2026-05-01"},
        {"found_on": "2026-05-02", "rectified_on": "2026-04-01"},
        {"found_on": "2026-05-02", "deadline": "2026-04-01", "level": "urgent"},
        {"level": "urgent", "found_on": "2026-13-01"},
        {"level": "重大", "found_on": "2026/5/2", "deadline": 46174, "id": 101},
        {"level": "严重", "found_on": "2026年5月2日"},
        {"id": 7, "deadline": "soon"},
        {"colour": "red"},
        None,
    ],
    "buildings": [
        {"height_m": -1, "floors": 0},
        {"height_m": 1001.0, "floors": 301},
        {"floors": 2.5, "residential": "maybe"},
        {"height_m": math.nan, "last_fire_test": "2026/01/01"},
        {"height_m": "54", "residential": "yes", "floors": "18"},
        None,
    ],
    "elevators": [
        {"commissioned_year": 1800},
        {"commissioned_year": 2101, "registered": 2},
        {"commissioned_year": "2001", "last_inspection": " 2026-01-05 "},
        {"in_use": "no", "last_self_test": 20260101},
        {"in_use": "否", "registered": "√", "last_inspection": "2026.1.5", "id": 3.0},
        {"maker": "ACME"},
    ],
}  # fmt: skip


def _corrupt(row: dict[str, Any], draw: st.DrawFn) -> None:
    """One corruption of ``row``, named as a hypothesis event."""
    kind = draw(
        st.sampled_from(
            ["odd", "negative", "enum", "date", "total", "missing", "unknown", "alias", "item"]
        )
    )
    event(f"corruption: {kind}")
    if kind == "odd":
        row[draw(st.sampled_from(_SCALARS))] = draw(st.sampled_from(_ODD))
    elif kind == "negative":
        row[draw(st.sampled_from(_COUNTS))] = -draw(st.integers(1, 5))
    elif kind == "enum":
        name = draw(st.sampled_from(["industry", "ownership", "size"]))
        row[name] = draw(
            st.sampled_from(
                ["noodles", "RETAIL", "", " retail", 3, "餐馆", "危险化学品", "建筑施工", "国企",
                 "个体户", "微型", "大 型", "饭庄", "物业公司", "KTV"]
            )
        )  # fmt: skip
    elif kind == "date":
        row[draw(st.sampled_from(_DATES))] = draw(st.sampled_from(_BAD_DATES))
    elif kind == "total":
        name, total = draw(st.sampled_from(_TOTALS))
        row[total] = draw(st.integers(0, 5)) if not isinstance(row.get(total), int) else row[total]
        row[name] = row[total] + draw(st.integers(1, 3))
    elif kind == "missing":
        name = draw(st.sampled_from(["id", "industry", "employees"]))
        if draw(st.booleans()):
            row.pop(name, None)
        else:
            row[name] = None
    elif kind == "unknown":
        name = draw(st.sampled_from(["zzz", "employee_count", "备注"]))
        row[name] = draw(st.sampled_from([1, "x", None, True]))
    elif kind == "alias":
        name = draw(st.sampled_from(sorted(_ALIASED)))
        alias = draw(st.sampled_from(_ALIASED[name]))
        row[alias] = row.get(name) if draw(st.booleans()) else row.pop(name, None)
    else:
        name = draw(st.sampled_from(_NESTED))
        items = list(row[name]) if isinstance(row.get(name), list) else []
        items.insert(draw(st.integers(0, len(items))), draw(st.sampled_from(_BAD_ITEMS[name])))
        row[name] = draw(st.sampled_from([items, items, items, "none", 5]))


@st.composite
def _rows(draw: st.DrawFn, policy: riskgrade.Policy) -> dict[str, Any]:
    """A good row (with ``policy``'s extra facts), or one corrupted in one to three ways."""
    row = draw(enterprises(as_of=AS_OF, unknown=0.3))
    for name, values in _EXTRA_VALUES.items() if policy is _EXTRAS else ():
        if draw(st.booleans()):
            row[name] = draw(values)
    if draw(st.integers(0, 2)):
        for _ in range(draw(st.integers(1, 3))):
            _corrupt(row, draw)
    return row


def _typed(rows: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """Each column built from its Python values (Polars picks one type for the column)."""
    columns = list(dict.fromkeys(k for row in rows for k in row))
    return pl.DataFrame([pl.Series(c, [row.get(c) for row in rows], strict=False) for c in columns])


def _text(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [{k: _text(v) for k, v in i.items()} if isinstance(i, dict) else i for i in value]
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _strings(rows: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """Every scalar cell as text, as a CSV reader gives it (nested items' fields too)."""
    return _typed([{k: _text(v) for k, v in row.items()} for row in rows])


def _differences(
    policy: riskgrade.Policy, frame: pl.DataFrame, note: Callable[[str], object] = lambda _: None
) -> list[str]:
    """Where the whole-table validation and the per-row validation of ``frame`` disagree
    (``note`` hears whether each row failed)."""
    valid, failed = validate_frame(frame, policy.checked)
    assert valid.columns == ["index", *_FIELDS, *policy.checked.extra_facts]
    found: list[str] = []
    got_valid = {row["index"]: row for row in valid.iter_rows(named=True)}
    got_failed = {row["index"]: row for row in failed.iter_rows(named=True)}
    for index, row in enumerate(frame.iter_rows(named=True)):
        facts = {k: v for k, v in row.items() if v is not None}
        try:
            unit, extras = policy.validate(facts)
        except riskgrade.FactError as exc:
            note("row: failed")
            got = got_failed.get(index)
            if got is None:
                found.append(f"row {index} passed, but pydantic says {exc.errors}")
                continue
            errors = [(e["field"], e["message"]) for e in got["errors"]]
            if errors != exc.errors:
                found.append(f"row {index}: {errors} vs pydantic {exc.errors}")
            unit_id = row.get("id")
            want_id = exc.entity_id or (None if unit_id is None else str(unit_id))
            if got["id"] != want_id:
                found.append(f"row {index}: id {got['id']!r} vs {want_id!r}")
            continue
        note("row: valid")
        got = got_valid.get(index)
        if got is None:
            found.append(f"row {index} failed with {got_failed[index]['errors']}")
            continue
        want = {**facts_of(unit), **{n: extras.get(n) for n in policy.checked.extra_facts}}
        got = {k: v for k, v in got.items() if k != "index"}
        if got != want:
            diff = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
            found.append(f"row {index}: {diff}")
    if set(got_valid) & set(got_failed):
        found.append(f"rows both valid and failed: {set(got_valid) & set(got_failed)}")
    return found


_SETTINGS = settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.slow
@_SETTINGS
@given(st.lists(_rows(_DEFAULT), min_size=1, max_size=12))
def test_typed_tables_fail_the_same_rows_on_the_same_fields(rows: list[dict[str, Any]]) -> None:
    assert _differences(_DEFAULT, _typed(rows), event) == []


@pytest.mark.slow
@_SETTINGS
@given(st.lists(_rows(_DEFAULT), min_size=1, max_size=12))
def test_text_tables_fail_the_same_rows_on_the_same_fields(rows: list[dict[str, Any]]) -> None:
    assert _differences(_DEFAULT, _strings(rows), event) == []


@pytest.mark.slow
@settings(_SETTINGS, max_examples=examples(100))
@given(st.lists(_rows(_EXTRAS), min_size=1, max_size=12), st.booleans())
def test_a_policys_extra_facts_are_judged_the_same(
    rows: list[dict[str, Any]], as_text: bool
) -> None:
    assert _differences(_EXTRAS, _strings(rows) if as_text else _typed(rows), event) == []


@pytest.mark.slow
@settings(_SETTINGS, max_examples=examples(60))
@given(st.lists(enterprises(as_of=AS_OF, unknown=0.3), min_size=1, max_size=25))
def test_good_rows_come_out_as_the_facts_pydantic_gives(rows: list[dict[str, Any]]) -> None:
    frame = _typed(rows)
    valid, failed = validate_frame(frame, _DEFAULT.checked)
    assert failed.height == 0 and valid["index"].to_list() == list(range(len(rows)))
    assert _differences(_DEFAULT, frame, event) == []


def test_the_sample_district_comes_out_as_pydantic_gives_it() -> None:
    rows = [row.facts for row in read_rows(sample_district_path())]
    frame = pl.DataFrame(rows, infer_schema_length=None)
    assert validate_frame(frame, _DEFAULT.checked)[1].height == 0
    assert _differences(_DEFAULT, frame) == []


_BASE = {"id": "u1", "industry": "retail", "employees": 8}


@pytest.mark.parametrize(
    "columns",
    [
        {"id": ["u1", "u2"], "统一社会信用代码": ["x", None], "行业": ["retail", "mining"]},
        {"id": [None, "u2"], "编号": ["a", ""], "industry": ["retail"] * 2, "从业人员数": [1, -1]},
        {"id": [7, None], "industry": ["retail"] * 2, "employees": [1, 2]},
        {"id": [7.5, 1.0], "industry": [1, 2], "employees": [1, 2]},
        {"hazards": [[{"found_on": "2026-01-02", "deadline": "2026-01-01", "x": None}], []]},
        {"hazards": [[], None], "buildings": [[None], []], "elevators": ["lift", None]},
        {"employees": pl.Series([Decimal("3"), Decimal("2.5")]), "name": [b"shop", None]},
        {"last_drill": [dt.datetime(2026, 1, 1, 23, 0), None], "size": ["micro", "huge"]},
        {"industry": pl.Series(["retail", "noodles"], dtype=pl.Categorical)},
        {"employees": pl.Series([2**70, 3], dtype=pl.Int128), "migrant_workers": [4, 4]},
        {"elevators": pl.Series([[[1, 2]], None]), "buildings": [[{"floors": [3]}], None]},
    ],
)
def test_corners_are_judged_as_pydantic_judges_them(columns: dict[str, Any]) -> None:
    """Headers shadowing each other, ids that are not text, unknown item fields given as null,
    lists of nothing, Decimals, bytes, timestamps, categoricals, 128-bit integers."""
    series = [pl.Series(k, v, strict=False) for k, v in columns.items()]
    frame = pl.DataFrame(series)
    for name, value in _BASE.items():
        aliases = {name, *_ALIASED.get(name, [])}
        if not aliases & set(frame.columns):
            frame = frame.with_columns(pl.lit(value).alias(name))
    differences = _differences(_DEFAULT, frame)
    if "employees" in columns and frame["employees"].dtype == pl.Int128:
        # Not mirrored: a count beyond 64 bits is valid to pydantic but cannot be held in an
        # Int64 column; the whole-table path fails the row on that count instead.
        assert differences == [
            "row 0 failed with [{'field': 'employees', 'message': "
            "'Input should be an integer within 64 bits (pydantic takes it)'}]"
        ]
        return
    assert differences == []


def test_an_empty_frame_has_no_rows_and_an_empty_id_fails_every_row() -> None:
    valid, failed = validate_frame(pl.DataFrame(), _DEFAULT.checked)
    assert valid.height == 0 and failed.height == 0
    assert failed.schema == pl.Schema(FAILED_SCHEMA)
    frame = pl.DataFrame({"name": ["a", "b"]})
    valid, failed = validate_frame(frame, _DEFAULT.checked)
    assert valid.height == 0
    assert [[e["field"] for e in r] for r in failed["errors"]] == [
        ["id", "industry", "employees"]
    ] * 2


def test_the_model_checks_it_repeats_are_the_models() -> None:
    """The whole-table path repeats two model validators, Hazard's date order and
    Enterprise's totals, and no other: a validator added to the fact models must be mirrored
    there, and its totals are exactly the pairs pydantic checks."""
    from riskgrade.facts import Building, Elevator, Hazard

    decorators = {
        m.__name__: m.__pydantic_decorators__ for m in (Enterprise, Hazard, Building, Elevator)
    }
    validators = {
        n: sorted([*d.model_validators, *d.field_validators]) for n, d in decorators.items()
    }
    assert validators == {
        "Enterprise": ["_cross_field"],
        "Hazard": ["_dates_ordered"],
        "Building": [],
        "Elevator": [],
    }
    checked = set()
    for name in _COUNTS:
        for total in _COUNTS:
            facts = {"id": "x", "industry": "retail", "employees": 1000, name: 5, total: 1}
            try:
                Enterprise.model_validate(facts)
            except ValidationError as exc:
                if f"{name} (5) exceeds {total} (1)" in str(exc):
                    checked.add((name, total))
    assert checked == set(_TOTALS)


@pytest.mark.parametrize(
    "break_it",
    [
        lambda m: m.setattr(columnar_validate, "_TOTALS", columnar_validate._TOTALS[:-1]),
        lambda m: m.setattr(columnar_cast, "_TRUE", columnar_cast._FALSE),
        lambda m: m.setattr(columnar_cast, "_ISO", r"^.*$"),
    ],
)
def test_a_wrong_validation_is_caught(
    monkeypatch: pytest.MonkeyPatch, break_it: Callable[[pytest.MonkeyPatch], None]
) -> None:
    """The comparison can fail: a dropped total, words for false read as true, or a looser
    date pattern each make the two paths disagree on some row."""
    rows = [
        {**_BASE, "penalties_12m": 0, "penalties_180d": 2},
        {**_BASE, "ppe_provided": "no"},
        {**_BASE, "last_drill": "26-11-28"},
    ]
    assert _differences(_DEFAULT, _typed(rows)) == []
    break_it(monkeypatch)
    assert _differences(_DEFAULT, _typed(rows))


def test_grade_frame_grades_the_valid_rows_and_names_the_failed_ones() -> None:
    """A mixed frame: results equal the per-unit pipeline row for row, failures equal the
    per-row validation's, both by input position."""
    from riskgrade.batch.write import result_record

    rows = [row.facts for row in read_rows(sample_district_path())][:30]
    rows[3] = {**rows[3], "employees": -1}
    rows[7] = {**rows[7], "migrant_workers": 10**6}
    rows[11] = {**rows[11], "hazards": [{"found_on": "2026-05-02", "deadline": "2026-05-01"}]}
    graded = _DEFAULT.grade_frame(_typed(rows), as_of=AS_OF)
    assert graded.failed["index"].to_list() == [3, 7, 11]
    assert [[e["field"] for e in r] for r in graded.failed["errors"]] == [
        ["employees"],
        ["migrant_workers"],
        ["hazards.0"],
    ]
    assert graded.results["index"].to_list() == [i for i in range(30) if i not in (3, 7, 11)]
    for got in graded.results.iter_rows(named=True):
        want = result_record(_DEFAULT.grade(rows[got["index"]], as_of=AS_OF, engine="compiled"))
        assert {k: got[k] for k in want} == want


@pytest.mark.parametrize(
    "frame",
    [
        pl.DataFrame({"id": ["u1", "u2"], "industry": ["retail"] * 2, "从业人员数": [3, None]}),
        pl.DataFrame(
            {"统一社会信用代码": ["u1", None], "industry": ["retail"] * 2, "employees": [3, 4]}
        ),
        pl.DataFrame({"id": ["u1", "u2"], "行业": [None, None], "employees": [3, 4]}),
    ],
)
def test_a_missing_required_fact_is_named_by_the_fact_not_its_header(frame: pl.DataFrame) -> None:
    """A required fact given by a Chinese header but empty in a row: pydantic says the fact
    (``employees: Field required``), and so must the whole-table validation."""
    assert _differences(_DEFAULT, frame) == []
