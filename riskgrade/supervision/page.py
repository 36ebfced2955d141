"""The district page: a summary (and optionally an inspection plan) as one self-contained HTML
page in Chinese or English, with inline SVG charts drawn by matplotlib: no network at view
time, printable. The numbers are also embedded as JSON
(``<script type="application/json" id="riskgrade-summary">``) for machines.

Needs the ``report`` extra (matplotlib, Jinja2).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from riskgrade.batch.read import Row
from riskgrade.batch.write import open_output, refuse_overwrite
from riskgrade.bundled import template_path
from riskgrade.errors import MissingExtra
from riskgrade.i18n import REPORT_LABELS, REPORT_TEXT, t
from riskgrade.policy import Policy
from riskgrade.supervision.plan import Plan, plan_rows, summary_rows
from riskgrade.supervision.settings import SupervisionSettings
from riskgrade.supervision.summary import GRADES, LEVELS, Breakdown, Summary, summarize

COLOURS = {"red": "#d62728", "orange": "#ff7f0e", "yellow": "#e6c700", "blue": "#1f77b4"}


# -- charts ------------------------------------------------------------------------------------

_FONTS = ["Noto Sans CJK SC", "WenQuanYi Zen Hei", "Microsoft YaHei", "PingFang SC", "DejaVu Sans"]


def _svg(draw: Any, width: float = 6.4, height: float = 3.2) -> str:
    """Run ``draw(axes)`` on a new figure and return it as inline SVG (text kept as text, so
    the browser renders Chinese with its own fonts; ids salted so output is reproducible).
    Text is drawn as written: matplotlib's TeX-like maths is off, so a ``$`` in a name or a
    title neither breaks the page nor turns into formulae."""
    import matplotlib
    from matplotlib.figure import Figure

    style: dict[Any, Any] = {
        "svg.fonttype": "none",
        "svg.hashsalt": "riskgrade",
        "font.family": "sans-serif",
        "font.sans-serif": _FONTS,
        "font.size": 9,
        "text.parse_math": False,  # "$" in a community name is a dollar sign, not TeX
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


def _bars(items: list[tuple[str, int, int]], labels: tuple[str, str]) -> str:
    """Horizontal bars of (name, confirmed, assumed): confirmed dark, assumed light after."""

    def draw(ax: Any) -> None:
        names, confirmed = [k for k, _, _ in items], [c for _, c, _ in items]
        ax.barh(names, confirmed, color="#4c72b0", label=labels[0])
        ax.barh(names, [a for _, _, a in items], left=confirmed, color="#aec7e8", label=labels[1])
        ax.figure.legend(loc="outside upper center", ncols=2, frameon=False)
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
            [
                (c.title[lang][: 28 if lang == "zh" else 48], c.confirmed, c.assumed)
                for c in summary.duty_gaps
            ],
            (REPORT_TEXT[lang]["confirmed"], REPORT_TEXT[lang]["assumed"]),
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


def write_report(path: str | Path, html: str, *, inputs: Iterable[Path] = ()) -> None:
    """Write the page (UTF-8); :class:`~riskgrade.errors.OutputError`, before writing, if
    ``path`` is one of ``inputs`` (or its folder is missing or read-only)."""
    refuse_overwrite(inputs, [Path(path)])
    with open_output(Path(path), "w", encoding="utf-8") as handle:
        handle.write(html)


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


__all__ = ["MissingExtra", "district_report", "render_html", "require", "write_report"]
