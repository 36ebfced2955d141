"""District summary: the picture at a glance, as one self-contained HTML page.

:func:`summarize` counts what the graded units say (risk colours and duty grades overall, by
community and by tier; the most common duty gaps; countermeasures by kind and by responsible
party; key areas; red and orange units with their top countermeasures). :func:`render_html`
turns a summary (and optionally an inspection plan) into a page in Chinese or English with
inline SVG charts drawn by matplotlib: no network at view time, printable. The numbers are also
embedded as JSON (``<script type="application/json" id="riskgrade-summary">``) for machines.

Needs the ``report`` extra (matplotlib, Jinja2).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from riskgrade.assessment import DutyGrade, RiskLevel
from riskgrade.batch.read import Row
from riskgrade.bundled import template_path
from riskgrade.errors import GradeError, MissingExtra
from riskgrade.i18n import REPORT_LABELS, REPORT_TEXT, t
from riskgrade.policy import Policy
from riskgrade.supervision.plan import Plan, plan_rows, summary_rows
from riskgrade.supervision.settings import SupervisionSettings, Unit

LEVELS = RiskLevel.names(worst_first=True)
GRADES = DutyGrade.names()
COLOURS = {"red": "#d62728", "orange": "#ff7f0e", "yellow": "#e6c700", "blue": "#1f77b4"}
TIERS = ("state", "above_scale_private", "small_micro", "other", "unknown")


@dataclass
class Breakdown:
    """Units by risk colour and duty grade within one group."""

    units: int = 0
    levels: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    grades: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GRADES, 0))

    def add(self, unit: Unit) -> None:
        """Count ``unit`` in the group: one more unit, under its colour and its grade."""
        self.units += 1
        self.levels[unit.level.name.lower()] += 1
        self.grades[str(unit.assessment.duty_grade)] += 1


@dataclass(frozen=True)
class Count:
    """How many units share something (a duty gap, a countermeasure), with its title."""

    id: str
    units: int
    title: dict[str, str]


@dataclass(frozen=True)
class KeyArea:
    """A key area on the district page: how many units breach its duties, and which rules."""

    id: str
    title: dict[str, str]
    units: int
    """Units with at least one violation of the area's duties."""
    rules: list[Count]


@dataclass(frozen=True)
class HotUnit:
    """A red or orange unit listed on the district page, with its first three countermeasures'
    titles (``{"zh": ..., "en": ...}`` each)."""

    id: str
    name: str
    street: str
    community: str
    level: str
    duty_grade: str
    duty_score: float
    risk_score: float
    countermeasures: list[dict[str, str]]


@dataclass
class Summary:
    """Everything the district page shows, counted from graded units."""

    as_of: dt.date
    policy: str
    rows: int
    failed: int
    overall: Breakdown
    by_community: dict[str, Breakdown]
    by_tier: dict[str, Breakdown]
    duty_gaps: list[Count]
    countermeasures: list[Count]
    by_responsible: dict[str, int]
    key_areas: list[KeyArea]
    hot_units: list[HotUnit]
    data_gap_units: int

    def to_json(self) -> dict[str, Any]:
        """The summary as JSON-ready data (the date as ISO text), as embedded in the page."""
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        return data


def summarize(
    units: Sequence[Unit],
    failures: Sequence[GradeError],
    policy: Policy,
    settings: SupervisionSettings,
    as_of: dt.date,
    top: int = 10,
) -> Summary:
    """Count what the graded ``units`` say (``failures``: rows that could not be graded)."""
    overall = Breakdown()
    by_community: dict[str, Breakdown] = {}
    by_tier = {tier: Breakdown() for tier in TIERS}
    gaps: Counter[str] = Counter()
    gap_titles: dict[str, dict[str, str]] = {}
    measures: Counter[str] = Counter()
    responsible: Counter[str] = Counter()
    area_units: dict[str, set[str]] = {area: set() for area in settings.key_areas}
    area_rules: dict[str, Counter[str]] = {area: Counter() for area in settings.key_areas}
    data_gap_units = 0
    for unit in units:
        a = unit.assessment
        overall.add(unit)
        place = " / ".join(p for p in (unit.street, unit.community) if p) or "—"
        by_community.setdefault(place, Breakdown()).add(unit)
        by_tier[a.score.tier if a.score.tier in by_tier else "unknown"].add(unit)
        violated = {f.rule: f for f in a.violations}
        for rule, finding in violated.items():
            gaps[rule] += 1
            gap_titles.setdefault(rule, dict(finding.messages))
            for area, spec in settings.key_areas.items():
                if finding.duty in spec.duties:
                    area_units[area].add(unit.id)
                    area_rules[area][rule] += 1
        data_gap_units += bool(a.data_gaps)
        for rec in a.recommendations:
            measures[rec.id] += 1
            responsible[rec.responsible] += 1
    catalogue = policy.checked.catalogue
    hot = sorted(
        (u for u in units if u.level >= RiskLevel.ORANGE),
        key=lambda u: (-int(u.level), -u.assessment.score.risk_score, u.id),
    )

    def counted(counter: Counter[str], titles: dict[str, dict[str, str]]) -> list[Count]:
        ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
        return [Count(key, n, titles[key]) for key, n in ranked]

    rec_titles = {k: {"zh": v.title.zh, "en": v.title.en} for k, v in catalogue.items()}
    return Summary(
        as_of=as_of,
        policy=f"{policy.name} {policy.version}",
        rows=len(units) + len(failures),
        failed=len(failures),
        overall=overall,
        by_community=dict(sorted(by_community.items())),
        by_tier={tier: b for tier, b in by_tier.items() if b.units},
        duty_gaps=counted(gaps, gap_titles)[:top],
        countermeasures=counted(measures, rec_titles),
        by_responsible=dict(sorted(responsible.items(), key=lambda item: (-item[1], item[0]))),
        key_areas=[
            KeyArea(
                area,
                {"zh": spec.title.zh, "en": spec.title.en},
                len(area_units[area]),
                counted(area_rules[area], gap_titles),
            )
            for area, spec in settings.key_areas.items()
        ],
        hot_units=[
            HotUnit(
                u.id,
                u.assessment.name or "",
                u.street or "",
                u.community or "",
                u.level.name.lower(),
                str(u.assessment.duty_grade),
                u.assessment.score.duty_score,
                u.assessment.score.risk_score,
                [dict(r.titles) for r in u.assessment.recommendations[:3]],
            )
            for u in hot
        ],
        data_gap_units=data_gap_units,
    )


# -- charts ------------------------------------------------------------------------------------

_FONTS = ["Noto Sans CJK SC", "WenQuanYi Zen Hei", "Microsoft YaHei", "PingFang SC", "DejaVu Sans"]


def _svg(draw: Any, width: float = 6.4, height: float = 3.2) -> str:
    """Run ``draw(axes)`` on a new figure and return it as inline SVG (text kept as text, so
    the browser renders Chinese with its own fonts; ids salted so output is reproducible)."""
    import matplotlib
    from matplotlib.figure import Figure

    style: dict[Any, Any] = {
        "svg.fonttype": "none",
        "svg.hashsalt": "riskgrade",
        "font.family": "sans-serif",
        "font.sans-serif": _FONTS,
        "font.size": 9,
    }
    with matplotlib.rc_context(style), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # glyphs measured with a fallback font
        logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
        figure = Figure(figsize=(width, height), layout="constrained")
        draw(figure.subplots())
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _stacked(groups: dict[str, Breakdown], labels: dict[str, str], horizontal: bool) -> str:
    names = list(groups)

    def draw(ax: Any) -> None:
        base = [0] * len(names)
        for level in LEVELS:
            values = [groups[n].levels[level] for n in names]
            if horizontal:
                ax.barh(names, values, left=base, color=COLOURS[level], label=labels[level])
            else:
                ax.bar(names, values, bottom=base, color=COLOURS[level], label=labels[level])
            base = [b + v for b, v in zip(base, values, strict=True)]
        if horizontal:
            ax.invert_yaxis()
        ax.figure.legend(loc="outside upper center", ncols=4, frameon=False)
        ax.spines[["top", "right"]].set_visible(False)

    return _svg(draw, height=max(1.6, 0.32 * len(names) + 1.0) if horizontal else 3.0)


def _bars(items: list[tuple[str, int]], colour: str = "#4c72b0") -> str:
    def draw(ax: Any) -> None:
        ax.barh([k for k, _ in items], [v for _, v in items], color=colour)
        ax.invert_yaxis()
        ax.spines[["top", "right"]].set_visible(False)

    return _svg(draw, height=max(2.0, 0.3 * len(items) + 0.8))


def _weekly(plan: Plan, labels: dict[str, str], lang: str) -> str:
    weeks = plan.weekly()

    def draw(ax: Any) -> None:
        names = [monday.strftime("%m-%d") for monday, _ in weeks]
        base = [0] * len(weeks)
        for level in LEVELS:
            values = [counts[level] for _, counts in weeks]
            ax.bar(names, values, bottom=base, color=COLOURS[level], label=labels[level])
            base = [b + v for b, v in zip(base, values, strict=True)]
        per_week = Counter(d - dt.timedelta(days=d.weekday()) for d in plan.days)
        capacity = [plan.inspectors * plan.per_day * per_week[monday] for monday, _ in weeks]
        label = t("report_capacity", lang)
        ax.plot(names, capacity, color="black", linestyle="--", label=label)
        ax.figure.legend(loc="outside upper center", ncols=5, frameon=False)
        ax.spines[["top", "right"]].set_visible(False)

    return _svg(draw)


# -- page --------------------------------------------------------------------------------------


def require() -> None:
    """Raise :class:`MissingExtra` naming the install command when the extra is missing."""
    try:
        import jinja2  # noqa: F401
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise MissingExtra(
            f"the district report needs {exc.name}: pip install 'riskgrade[report]'"
        ) from exc


def render_html(summary: Summary, *, lang: str = "zh", plan: Plan | None = None) -> str:
    """The district page (see the module docstring)."""
    require()
    import jinja2
    from markupsafe import Markup

    labels = REPORT_LABELS[lang]
    template_text = template_path("report.html.j2").read_text("utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    charts = {
        "levels": _stacked({"": summary.overall}, labels, horizontal=True),
        "community": _stacked(summary.by_community, labels, horizontal=True),
        "tier": _stacked({labels[k]: b for k, b in summary.by_tier.items()}, labels, True),
        "gaps": _bars(
            [(c.title[lang][: 28 if lang == "zh" else 48], c.units) for c in summary.duty_gaps]
        ),
    }
    if plan is not None:
        charts["weekly"] = _weekly(plan, labels, lang)
    total = max(summary.overall.units, 1)
    return env.from_string(template_text).render(
        s=summary,
        lang=lang,
        L=labels,
        t=REPORT_TEXT[lang],
        levels=LEVELS,
        grades=GRADES,
        colours=COLOURS,
        share=lambda n: f"{100 * n / total:.1f}%",
        part=lambda n, of: f"{100 * n / max(of, 1):.0f}%",
        charts={k: Markup(v) for k, v in charts.items()},
        same=lambda name: name,
        tier_label=lambda tier: labels.get(tier, tier),
        plan=plan,
        plan_summary=summary_rows(plan, lang) if plan is not None else [],
        plan_rows=plan_rows(plan, lang) if plan is not None else [],
        summary_json=Markup(
            json.dumps(summary.to_json(), ensure_ascii=False, sort_keys=True).replace("</", "<\\/")
        ),
    )


def write_report(path: str | Path, html: str) -> None:
    """Write the page (UTF-8)."""
    Path(path).write_text(html, encoding="utf-8")


def district_report(
    policy: Policy,
    rows: Iterable[Mapping[str, Any] | Row],
    *,
    as_of: dt.date,
    settings: SupervisionSettings,
    lang: str = "zh",
    plan_options: dict[str, Any] | None = None,
) -> tuple[str, Summary, Plan | None]:
    """Grade ``rows`` and build the page; ``plan_options`` (``inspectors``, ``days``,
    ``start``, ``per_day``) adds an inspection plan."""
    from riskgrade.supervision.plan import make_plan
    from riskgrade.supervision.settings import grade_units

    units, failures = grade_units(policy, rows, as_of)
    summary = summarize(units, failures, policy, settings, as_of)
    plan = make_plan(units, settings=settings, **plan_options) if plan_options else None
    return render_html(summary, lang=lang, plan=plan), summary, plan


__all__ = [
    "MissingExtra",
    "Summary",
    "district_report",
    "render_html",
    "require",
    "summarize",
    "write_report",
]
