"""A policy's own facts read the spellings the built-in facts read: 是/否, 有/无, √/×, Y/N for
yes/no facts, 2026/6/1, 2026年6月1日 and Excel day numbers for dates, and an enum's values in
any case or width; a bad enum value fails its row with a did-you-mean. All four engines agree,
from the API and from a clerk's XLSX ledger graded on the compiled and the columnar paths."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

import riskgrade
from riskgrade.batch.read import load_mapping
from riskgrade.batch.run import grade_file
from riskgrade.policy import load_policy_source
from tests.conftest import AS_OF, MINI

OWN = MINI.replace(
    "derived:\n",
    "facts:\n"
    "  has_canteen: {type: bool}\n"
    "  licence_expiry: {type: date}\n"
    "  licence_class: {type: enum, values: [A, B, food_service]}\n"
    "derived:\n",
    1,
).replace(
    "rules:\n",
    "rules:\n"
    "  - id: canteen_class_b\n"
    "    duty: staffing\n"
    "    when: 'has_canteen and licence_class == \"B\" and days_since(licence_expiry) > 0'\n"
    "    severity: minor\n"
    "    deduction: 5\n"
    "    basis: [law_24]\n"
    "    message: {zh: 食堂许可过期, en: Canteen licence expired}\n"
    "    recommend: [designate_officer]\n",
    1,
)
POLICY = load_policy_source({"own.yaml": OWN})
BASE = {"id": "K1", "industry": "catering", "employees": 12, "ppe_provided": True}
ENGINES = ("durable", "compiled", "python", "columnar")

SPELLINGS: list[tuple[Any, Any, Any]] = [
    ("是", "2026/6/1", "B"),
    ("有", "2026年6月1日", "b"),
    ("√", 46174, "Ｂ"),  # an Excel day number; a full-width letter
    ("Y", "2026.6.1", " b "),
    ("yes", "2026-06-01", "B"),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("canteen", "expiry", "klass"), SPELLINGS)
def test_the_api_reads_own_facts_as_people_write_them(
    engine: str, canteen: Any, expiry: Any, klass: Any
) -> None:
    facts = BASE | {"has_canteen": canteen, "licence_expiry": expiry, "licence_class": klass}
    assessment = POLICY.grade(facts, as_of=AS_OF, engine=engine)  # type: ignore[arg-type]
    assert "canteen_class_b" in {f.rule for f in assessment.violations}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("no", ["否", "无", "×", "N", "no"])
def test_no_words_are_false(engine: str, no: str) -> None:
    facts = BASE | {"has_canteen": no, "licence_expiry": "2026/6/1", "licence_class": "B"}
    assessment = POLICY.grade(facts, as_of=AS_OF, engine=engine)  # type: ignore[arg-type]
    assert "canteen_class_b" not in {f.rule for f in assessment.violations}


def test_enum_labels_match_in_any_case_and_spacing() -> None:
    facts = BASE | {"licence_class": "Food Service"}
    assert POLICY.grade_with_facts(facts, as_of=AS_OF).facts["licence_class"] == "food_service"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_bad_enum_value_fails_with_a_did_you_mean(engine: str) -> None:
    with pytest.raises(riskgrade.FactError) as caught:
        POLICY.grade(BASE | {"licence_class": "food servise"}, as_of=AS_OF, engine=engine)  # type: ignore[arg-type]
    ((field, message),) = caught.value.errors
    assert field == "licence_class" and "did you mean 'food_service'" in message


def _ledger(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["序号", "统一社会信用代码", "行业", "从业人员数", "has_canteen", "licence_expiry",
                  "licence_class", "联系电话"])  # fmt: skip
    sheet.append([1, "K1", "餐饮", 12, "是", "2026/6/1", "b", "139"])
    sheet.append([2, "K2", "饭店", 8, "√", 46174, "Ｂ", "138"])
    sheet.append([3, "K3", "餐饮", 5, "有", "2026年6月1日", "B", "137"])
    sheet.append([4, "K4", "餐饮", 5, "Y", dt.datetime(2026, 6, 1), "B", "136"])
    sheet.append([5, "K5", "餐饮", 5, "否", "2026/6/1", "C", "135"])
    book.save(path)


@pytest.mark.parametrize("engine", ["compiled", "columnar"])
def test_a_clerks_ledger_grades_on_both_batch_paths(tmp_path: Path, engine: str) -> None:
    source, out = tmp_path / "台账.xlsx", tmp_path / "out.csv"
    _ledger(source)
    summary = grade_file(
        POLICY, POLICY.source, source, out, as_of=AS_OF, engine=engine,  # type: ignore[arg-type]
        mapping=load_mapping(None, policy=POLICY),
    )  # fmt: skip
    assert (summary.graded, summary.failed) == (4, 1)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert all("canteen_class_b" in row["violations"].split() for row in rows)
    errors = out.with_name("out.errors.csv").read_text(encoding="utf-8-sig")
    assert "licence_class" in errors and "'C' is not an allowed value" in errors


SEATS = MINI.replace(
    "derived:\n",
    "facts:\n  canteen_seats: {type: int}\n  kitchen_area: {type: number}\nderived:\n",
    1,
).replace(
    "rules:\n",
    "rules:\n"
    "  - id: cramped_kitchen\n"
    "    duty: staffing\n"
    "    when: 'canteen_seats > 50 and kitchen_area < 20.5'\n"
    "    severity: minor\n"
    "    deduction: 5\n"
    "    basis: [law_24]\n"
    "    message: {zh: 厨房过小, en: Kitchen too small}\n"
    "    recommend: [designate_officer]\n",
    1,
)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("seats", "area"), [("60", "20"), (" 60 ", "19.5"), ("60.0", " 7 ")])
def test_numbers_written_as_text_are_read_as_the_schemas_counts_are(
    engine: str, seats: str, area: str
) -> None:
    policy = load_policy_source({"seats.yaml": SEATS})
    facts = BASE | {"canteen_seats": seats, "kitchen_area": area}
    assessment = policy.grade(facts, as_of=AS_OF, engine=engine)
    assert "cramped_kitchen" in {f.rule for f in assessment.violations}
    _, extras = policy.validate(BASE | {"canteen_seats": " ", "kitchen_area": area})
    assert extras["canteen_seats"] is None  # a blank is unknown


@pytest.mark.parametrize(
    ("seats", "message"), [("4.5", "whole number, got .4.5."), ("abc", "whole number, got .abc.")]
)
def test_text_that_is_no_number_fails_naming_the_fact(seats: str, message: str) -> None:
    policy = load_policy_source({"seats.yaml": SEATS})
    with pytest.raises(riskgrade.FactError, match=message) as caught:
        policy.grade(BASE | {"canteen_seats": seats}, as_of=AS_OF, engine="compiled")
    assert [field for field, _ in caught.value.errors] == ["canteen_seats"]
