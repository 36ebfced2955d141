"""The district page: its numbers against the graded data, self-containment, reproducibility,
and a real render in headless Chromium (screenshot kept in the test artefacts)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

import riskgrade
from riskgrade.supervision.plan import make_plan
from riskgrade.supervision.settings import Unit, load_settings
from tests.conftest import AS_OF

pytest.importorskip("matplotlib")
pytest.importorskip("jinja2")

from riskgrade.supervision.page import render_html
from riskgrade.supervision.summary import summarize

SETTINGS = load_settings()
START = dt.date(2026, 11, 30)
ARTEFACTS = Path(os.environ.get("RISKGRADE_ARTEFACTS", "test-artefacts"))


class Tables(HTMLParser):
    """Every table of the page: id -> rows of (row attributes, cells with their attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[tuple[dict[str, str], list[tuple[dict[str, str], str]]]]] = {}
        self.scripts: dict[str, str] = {}
        self._table: str | None = None
        self._cell: dict[str, str] | None = None
        self._text: list[str] = []
        self._script: str | None = None
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for key in ("src", "href"):
            if key in a:
                self.external.append(a[key])
        if tag == "table":
            self._table = a.get("id", "")
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append((a, []))
        elif tag in ("td", "th") and self._table is not None:
            self._cell, self._text = a, []
        elif tag == "script":
            self._script, self._text = a.get("id", ""), []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1][1].append((self._cell, "".join(self._text).strip()))
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag == "script" and self._script is not None:
            self.scripts[self._script] = "".join(self._text)
            self._script = None

    def handle_data(self, data: str) -> None:
        self._text.append(data)


def parse(html: str) -> Tables:
    tables = Tables()
    tables.feed(html)
    return tables


def cell(row: list[tuple[dict[str, str], str]], **attr: str) -> str:
    return next(text for a, text in row if all(a.get(k) == v for k, v in attr.items()))


@pytest.fixture(scope="module")
def page(district: list[Unit], default_policy: riskgrade.Policy) -> tuple[str, Tables]:
    summary = summarize(district, [], default_policy, SETTINGS, AS_OF)
    plan = make_plan(district, inspectors=3, days=20, start=START, settings=SETTINGS)
    html = render_html(summary, lang="zh", plan=plan)
    return html, parse(html)


def test_overall_counts_match_the_graded_units(
    page: tuple[str, Tables], district: list[Unit]
) -> None:
    _, tables = page
    levels = Counter(u.assessment.risk_level.name.lower() for u in district)
    grades = Counter(str(u.assessment.duty_grade) for u in district)
    for _, row in tables.tables["levels"][1:]:
        level = next(a["data-level"] for a, _ in row if "data-level" in a)
        assert int(cell(row, **{"data-level": level})) == levels[level]
    for _, row in tables.tables["grades"][1:]:
        grade = next(a["data-grade"] for a, _ in row if "data-grade" in a)
        assert int(cell(row, **{"data-grade": grade})) == grades[grade]
    assert sum(levels.values()) == len(district) == 400


def test_breakdowns_by_community_and_tier_match(
    page: tuple[str, Tables], district: list[Unit]
) -> None:
    _, tables = page
    by_place: Counter[tuple[str, str]] = Counter()
    by_tier: Counter[tuple[str, str]] = Counter()
    for u in district:
        by_place[f"{u.street} / {u.community}", u.level.name.lower()] += 1
        by_tier[u.assessment.score.tier or "unknown", u.level.name.lower()] += 1
    rows = {a["data-group"]: r for a, r in tables.tables["by-community"][1:]}
    assert len(rows) == len({p for p, _ in by_place})
    places = Counter(f"{u.street} / {u.community}" for u in district)
    for (place, level), n in by_place.items():
        count, share = cell(rows[place], **{"data-level": level}).split()
        assert int(count) == n and share == f"{100 * n / places[place]:.0f}%"
    tier_rows = {a["data-group"]: r for a, r in tables.tables["by-tier"][1:]}
    for (tier, level), n in by_tier.items():
        assert int(cell(tier_rows[tier], **{"data-level": level}).split()[0]) == n


def test_gaps_countermeasures_and_key_areas_match(
    page: tuple[str, Tables], district: list[Unit]
) -> None:
    _, tables = page
    gaps = Counter(rule for u in district for rule in {f.rule for f in u.assessment.violations})
    shown = {a["data-id"]: int(r[1][1]) for a, r in tables.tables["duty-gaps"][1:]}
    assert shown == dict(gaps.most_common(len(shown)))  # the top ones, with their counts
    assert min(shown.values()) >= max((n for r, n in gaps.items() if r not in shown), default=0)
    measures = Counter(r.id for u in district for r in u.assessment.recommendations)
    assert {a["data-id"]: int(r[1][1]) for a, r in tables.tables["countermeasures"][1:]} == measures
    parties = Counter(r.responsible for u in district for r in u.assessment.recommendations)
    assert {a["data-id"]: int(r[1][1]) for a, r in tables.tables["responsible"][1:]} == parties
    areas = {a["data-id"]: int(r[1][1]) for a, r in tables.tables["key-areas"][1:]}
    for area, spec in SETTINGS.key_areas.items():
        hit = {u.id for u in district for f in u.assessment.violations if f.duty in spec.duties}
        assert areas[area] == len(hit)
    assert areas["highrise_fire"] > 0 and areas["elevators"] > 0 and areas["gas"] > 0


def test_red_and_orange_units_are_listed_worst_first(
    page: tuple[str, Tables], district: list[Unit]
) -> None:
    _, tables = page
    rows = tables.tables["hot-units"][1:]
    listed = [a["data-id"] for a, _ in rows]
    expected = {u.id for u in district if u.level.name in ("RED", "ORANGE")}
    assert set(listed) == expected and len(listed) == len(expected)
    order = [a["data-level"] for a, _ in rows]
    assert order == sorted(order, key=["red", "orange"].index)
    by_id = {u.id: u for u in district}
    for attrs, row in rows[:20]:
        top = by_id[attrs["data-id"]].assessment.recommendations[:3]
        assert row[-1][1] == "；".join(r.titles["zh"] for r in top)


def test_plan_section_and_embedded_numbers(page: tuple[str, Tables]) -> None:
    html, tables = page
    assert len(tables.tables["plan-visits"]) == 1 + 240  # 3 inspectors x 20 days x 4 units
    data = json.loads(tables.scripts["riskgrade-summary"])
    assert data["overall"]["units"] == 400 and data["rows"] == 400 and data["failed"] == 0
    assert "<svg" in html and html.count("<svg") >= 5  # four summary charts and the weekly one


def test_page_is_self_contained_and_reproducible(
    page: tuple[str, Tables], district: list[Unit], default_policy: riskgrade.Policy
) -> None:
    html, tables = page
    assert tables.external == []  # no src= or href= at all: nothing to fetch at view time
    assert "@import" not in html and not re.search(r"url\((?!#)", html)  # only url(#local-id)
    summary = summarize(district, [], default_policy, SETTINGS, AS_OF)
    plan = make_plan(district, inspectors=3, days=20, start=START, settings=SETTINGS)
    assert render_html(summary, lang="zh", plan=plan) == html  # byte for byte


def test_english_page_and_failed_rows(
    default_policy: riskgrade.Policy, district: list[Unit]
) -> None:
    bad = riskgrade.GradeError(7, "X", [("employees", "must be >= 0")])
    summary = summarize(district[:30], [bad], default_policy, SETTINGS, AS_OF)
    tables = parse(render_html(summary, lang="en"))
    assert summary.rows == 31 and summary.failed == 1
    assert "plan-visits" not in tables.tables
    assert tables.tables["levels"][0][1][0][1] == "Risk level"


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed (.ci/run installs it)")
def test_page_renders_in_headless_chromium(page: tuple[str, Tables], tmp_path: Path) -> None:
    from matplotlib.image import imread

    html, _ = page
    source = tmp_path / "report.html"
    source.write_text(html, encoding="utf-8")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTEFACTS / "report.png"
    shot.unlink(missing_ok=True)
    command = [
        str(_chromium()), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1100,2400",
        f"--screenshot={shot.resolve()}", source.as_uri(),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    pixels = imread(shot)
    assert pixels.shape[0] == 2400 and pixels.shape[1] == 1100
    red = (abs(pixels[..., 0] - 0xD6 / 255) < 0.02) & (abs(pixels[..., 1] - 0x27 / 255) < 0.02)
    blue = (abs(pixels[..., 0] - 0x1F / 255) < 0.02) & (abs(pixels[..., 2] - 0xB4 / 255) < 0.02)
    assert red.sum() > 2000 and blue.sum() > 2000  # the SVG charts were drawn
    dom = subprocess.run(
        [*command[:-2], "--dump-dom", source.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
        text=True,
    ).stdout
    assert "辖区安全生产主体责任与风险分级报告" in dom and dom.count("<svg") >= 5


def test_district_report_grades_and_builds_in_one_call(default_policy: riskgrade.Policy) -> None:
    from riskgrade.supervision.page import district_report

    rows = [
        {"id": "D1", "industry": "retail", "employees": 3, "community": "东风社区"},
        {"id": "D2", "industry": "retail", "employees": -3},
        {"id": "D1", "industry": "catering", "employees": 5},
    ]
    html, summary, plan = district_report(
        default_policy,
        rows,
        as_of=AS_OF,
        settings=SETTINGS,
        plan_options={"inspectors": 1, "days": 2, "start": START},
    )
    assert (summary.rows, summary.failed, summary.overall.units) == (3, 2, 1)
    assert plan is not None and [v.unit.id for v in plan.visits] == ["D1"]
    assert json.loads(parse(html).scripts["riskgrade-summary"])["failed"] == 2
