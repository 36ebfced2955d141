"""``riskgrade report`` tells assumed violations from confirmed ones and names the facts most
units lack, with the very numbers ``riskgrade grade`` gives for the same ledger (its results'
``assumed_violations`` column and its run summary), on the page in Chinese and English and in
the JSON embedded in it."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from riskgrade.cli import main
from tests.supervision.test_report import parse

pytest.importorskip("jinja2")
pytest.importorskip("matplotlib")

HEADER = ["序号", "统一社会信用代码", "企业名称", "行业", "从业人员数", "联系电话",
          "社区", "已培训人数", "安全生产管理机构", "应急预案"]  # fmt: skip
ROWS = [
    [1, "91A1", "面馆", "餐饮", 12, "139", "东社区", None, "否", "有"],
    [2, "91A2", "小店", "零售", 8, "138", "东社区", 8, "是", None],
    [3, "91A3", "超市", "超市", 60, "137", "西社区", None, None, "√"],
    [4, "91A4", "工地", "建筑施工", 240, "136", "西社区", 100, "×", "×"],
    [5, "91A5", "酒楼", "饭店", 30, "135", "西社区", None, None, None],
    [6, "91A6", "报亭", "零售", 2, "134", "东社区", None, None, None],
]


def _ledger(tmp_path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [HEADER, *ROWS]:
        sheet.append(row)
    path = tmp_path / "台账.xlsx"
    book.save(path)
    return path


def _invoke(args: list[str]) -> str:
    result = CliRunner().invoke(main, [*args, "--as-of", "2026-11-28"])
    assert result.exit_code == 0, result.output
    return result.output


def _report(ledger: Path, tmp_path: Path, lang: str) -> str:
    """``riskgrade report`` of ``ledger`` in ``lang``: the page's HTML."""
    page = tmp_path / "汇总.html"
    _invoke(["report", str(ledger), "-o", str(page), "--lang", lang])
    return page.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, str]], str]:
    """The ledger, ``grade``'s results for it and ``grade``'s run summary (Chinese)."""
    tmp_path = tmp_path_factory.mktemp("ledger")
    ledger, out = _ledger(tmp_path), tmp_path / "结果.csv"
    log = _invoke(["grade", str(ledger), "-o", str(out), "--lang", "zh"])
    with out.open(encoding="utf-8-sig", newline="") as handle:
        return ledger, list(csv.DictReader(handle)), log


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_report_splits_each_gap_into_confirmed_and_assumed(
    graded: tuple[Path, list[dict[str, str]], str], tmp_path: Path, lang: str
) -> None:
    ledger, results, _ = graded
    html = _report(ledger, tmp_path, lang)
    tables = parse(html)
    assumed = Counter(r for row in results for r in set(row["assumed_violations"].split()))
    violated = Counter(r for row in results for r in set(row["violations"].split()))
    assert sum(assumed.values()) > 0  # the sparse ledger does rest on assumptions
    header = [text for _, text in tables.tables["duty-gaps"][0][1]]
    assert header[-2:] == (
        ["确认违规", "数据缺失推定"] if lang == "zh" else ["Confirmed", "Assumed from missing data"]
    )
    for attrs, cells in tables.tables["duty-gaps"][1:]:
        by_kind = {a.get("data-kind"): int(text) for a, text in cells if a.get("data-kind")}
        rule = attrs["data-id"]
        assert by_kind["assumed"] == assumed[rule]
        assert by_kind["confirmed"] == violated[rule] - assumed[rule]
    total = sum(violated.values())
    assert f'<span id="assumed-violations">{sum(assumed.values())}</span>' in html
    assert f'<span id="violations">{total}</span>' in html
    units = sum(bool(row["assumed_violations"]) for row in results)
    assert f'<span id="assumed-units">{units}</span>' in html
    data = json.loads(tables.scripts["riskgrade-summary"])
    assert data["assumed_violations"] == sum(assumed.values())
    assert {g["id"]: g["assumed"] for g in data["duty_gaps"]} == {
        g["id"]: assumed[g["id"]] for g in data["duty_gaps"]
    }


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_report_lists_the_facts_the_run_summary_lists(
    graded: tuple[Path, list[dict[str, str]], str], tmp_path: Path, lang: str
) -> None:
    ledger, results, log = graded
    tables = parse(_report(ledger, tmp_path, lang))
    shown = tables.tables["missing-facts"]
    assert shown[0][1][0][1] == ("事实" if lang == "zh" else "Fact")
    listed = {attrs["data-id"]: cells for attrs, cells in shown[1:]}
    # grade's summary: "  营业收入 (annual_revenue)：83% 的行缺失", one line per fact
    expected = dict(re.findall(r"\((\w+)\)：(\d+)% 的行缺失", log))
    expected |= dict(re.findall(r"^  (\w+)：(\d+)% 的行缺失", log, flags=re.MULTILINE))
    assert expected and {name: cells[2][1] for name, cells in listed.items()} == {
        name: f"{percent}%" for name, percent in expected.items()
    }
    missing = Counter(f for row in results for f in row["data_gaps"].split())
    for name, cells in listed.items():
        assert int(cells[1][1]) == missing[name]
    if lang == "zh":
        assert listed["buildings"][0][1] == "建筑 buildings"  # Chinese header, then the name
    data = json.loads(tables.scripts["riskgrade-summary"])
    assert [m["name"] for m in data["missing_facts"]] == list(listed)
