"""Inspection plan under scarce staff: who to visit on which day, and how many people are missing.

Each risk colour has a target interval between inspections and each unit a yearly cap (both
YAML data, :mod:`riskgrade.supervision.settings`). Working day by working day, the units that
are due (their last inspection plus their interval has passed, or they were never inspected)
and whose cap allows another visit are served worst colour first, then longest overdue first,
until the day's capacity (inspectors × units per inspector-day) is used; each inspector gets a
group of neighbouring units (sorted by street and community). The same walk with unlimited capacity
gives the visits the targets call for, hence the **capacity gap**: inspector-days needed versus
available, and how many more inspectors would close it.
"""

from __future__ import annotations

import csv
import datetime as dt
import heapq
import math
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from riskgrade.assessment import RiskLevel
from riskgrade.batch.write import csv_row, open_output, refuse_overwrite, xlsx_row
from riskgrade.i18n import PLAN_COLUMNS, PLAN_SUMMARY, REPORT_LABELS, t
from riskgrade.supervision.settings import SupervisionSettings, Unit

LEVELS = RiskLevel.names(worst_first=True)

YEAR = dt.timedelta(days=365)


def working_days(
    start: dt.date,
    count: int,
    holidays: Iterable[dt.date] = (),
    workdays: Iterable[dt.date] = (),
) -> list[dt.date]:
    """The first ``count`` working days from ``start``: Monday to Friday, not ``holidays``,
    plus the weekend days listed in ``workdays`` (make-up working days, 调休)."""
    off, on = set(holidays), set(workdays)
    days: list[dt.date] = []
    day = start
    while len(days) < count:
        if day in on or (day.weekday() < 5 and day not in off):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


@dataclass(frozen=True)
class Visit:
    """One inspection in the plan. ``due`` is None for a unit never inspected."""

    day: dt.date
    inspector: int
    unit: Unit
    due: dt.date | None

    @property
    def overdue_days(self) -> int | None:
        """Days from the unit's due date to this visit (None for a unit never inspected)."""
        return None if self.due is None else (self.day - self.due).days


@dataclass
class _Track:
    """One unit's state during the walk: when it is next due, and its recent inspections."""

    unit: Unit
    interval: dt.timedelta
    cap: int
    due: dt.date | None
    recent: deque[dt.date] = field(default_factory=deque)

    def ready_on(self) -> dt.date | None:
        """The first day the unit is both due and under its cap (None: its cap is 0)."""
        if self.cap <= 0:
            return None
        day = self.due or dt.date.min
        while len(self.recent) >= self.cap:  # wait until the oldest leaves the 365-day window
            day = max(day, self.recent[0] + YEAR)
            self.recent.popleft()
        return day

    def key(self) -> tuple[int, int, str]:
        """Serve worst colour first, then the longest overdue (never inspected first)."""
        due = self.due.toordinal() if self.due is not None else 0
        return (-int(self.unit.level), due, self.unit.id)


@dataclass(frozen=True)
class LevelCounts:
    """For one risk colour: how many units there are, the visits the targets call for in the
    horizon, and the visits the plan could schedule."""

    units: int
    demanded: int
    scheduled: int


@dataclass(frozen=True)
class Plan:
    """An inspection plan and the capacity gap behind it."""

    days: list[dt.date]
    inspectors: int
    per_day: int
    visits: list[Visit]
    demanded: int
    """Visits the targets call for in the horizon (caps respected, capacity unlimited)."""
    by_level: dict[str, LevelCounts]
    unmet: list[Unit]
    """Units due at the end of the horizon that the plan could not reach."""

    @property
    def available_inspector_days(self) -> int:
        """Inspectors times working days in the horizon."""
        return self.inspectors * len(self.days)

    @property
    def needed_inspector_days(self) -> int:
        """Inspector-days the demanded visits take at ``per_day`` units each (rounded up)."""
        return math.ceil(self.demanded / self.per_day)

    @property
    def gap_inspector_days(self) -> int:
        """Inspector-days missing to make every demanded visit (0 when staff suffice)."""
        return max(0, self.needed_inspector_days - self.available_inspector_days)

    @property
    def extra_inspectors(self) -> int:
        """More inspectors (for the same days) that would close the gap."""
        return math.ceil(self.gap_inspector_days / len(self.days)) if self.days else 0

    def weekly(self) -> list[tuple[dt.date, dict[str, int]]]:
        """Visits per week (by the week's Monday) and colour, for the report's chart."""
        weeks: dict[dt.date, dict[str, int]] = {}
        for day in self.days:
            weeks.setdefault(day - dt.timedelta(days=day.weekday()), dict.fromkeys(LEVELS, 0))
        for visit in self.visits:
            monday = visit.day - dt.timedelta(days=visit.day.weekday())
            weeks[monday][visit.unit.level.name.lower()] += 1
        return sorted(weeks.items())


def _walk(
    units: Sequence[Unit],
    days: Sequence[dt.date],
    capacity: int | None,
    settings: SupervisionSettings,
) -> tuple[list[tuple[dt.date, _Track, dt.date | None]], list[_Track]]:
    """Serve ready units day by day, best key first (``capacity`` None: unlimited). Returns
    the visits made and the units still ready on the last day."""
    pending: list[tuple[dt.date, int, _Track]] = []  # (ready on, tie-break, track)
    for n, unit in enumerate(units):
        interval = dt.timedelta(days=settings.inspection.every_days.of(unit.level))
        last = unit.last_inspection
        track = _Track(
            unit,
            interval,
            settings.cap(unit),
            None if last is None else settings.inspection.due(last, interval),
        )
        if last is not None:
            track.recent.append(last)
        ready_on = track.ready_on()
        if ready_on is not None:
            pending.append((ready_on, n, track))
    heapq.heapify(pending)
    ready: list[tuple[tuple[int, int, str], int, _Track]] = []
    served: list[tuple[dt.date, _Track, dt.date | None]] = []
    for day in days:
        while pending and pending[0][0] <= day:
            _, n, track = heapq.heappop(pending)
            heapq.heappush(ready, (track.key(), n, track))
        taken = 0
        while ready and (capacity is None or taken < capacity):
            _, n, track = heapq.heappop(ready)
            served.append((day, track, track.due))
            taken += 1
            track.recent.append(day)
            track.due = settings.inspection.due(day, track.interval)
            ready_on = track.ready_on()
            if ready_on is not None:
                heapq.heappush(pending, (ready_on, n, track))
    return served, [track for _, _, track in sorted(ready)]


def make_plan(
    units: Sequence[Unit],
    *,
    inspectors: int,
    days: int,
    start: dt.date,
    settings: SupervisionSettings,
    per_day: int | None = None,
) -> Plan:
    """Schedule ``inspectors`` for ``days`` working days from ``start`` (see the module)."""
    if inspectors < 0 or days < 1:
        raise ValueError("inspectors must be >= 0 and days >= 1")
    per = per_day or settings.inspection.per_day
    if per < 1:
        raise ValueError("per_day must be >= 1")
    calendar = working_days(start, days, settings.inspection.holidays, settings.inspection.workdays)
    wanted, _ = _walk(units, calendar, None, settings)
    served, waiting = _walk(units, calendar, inspectors * per, settings)
    visits: list[Visit] = []
    by_day: dict[dt.date, list[tuple[_Track, dt.date | None]]] = {}
    for day, track, due in served:
        by_day.setdefault(day, []).append((track, due))
    for day in calendar:
        todays = sorted(
            by_day.get(day, []),
            key=lambda item: (
                item[0].unit.street or "",
                item[0].unit.community or "",
                item[0].unit.id,
            ),
        )
        for i, (track, due) in enumerate(todays):
            visits.append(Visit(day, i // per + 1, track.unit, due))
    colour = lambda unit: unit.level.name.lower()  # noqa: E731 - a tiny local helper
    counted = Counter(colour(u) for u in units)
    demanded = Counter(colour(t.unit) for _, t, _ in wanted)
    scheduled = Counter(colour(v.unit) for v in visits)
    by_level = {
        level: LevelCounts(counted[level], demanded[level], scheduled[level]) for level in LEVELS
    }
    return Plan(calendar, inspectors, per, visits, len(wanted), by_level, [t.unit for t in waiting])


def plan_rows(plan: Plan, lang: str = "zh") -> list[list[Any]]:
    """The plan as a table: a header row, then one row per visit."""
    never = t("plan_never", lang)
    rows: list[list[Any]] = [list(PLAN_COLUMNS[lang])]
    for visit in plan.visits:
        a = visit.unit.assessment
        top = a.recommendations[0].titles[lang] if a.recommendations else ""
        rows.append(
            [
                visit.day.isoformat(),
                visit.inspector,
                visit.unit.id,
                a.name or "",
                visit.unit.street or "",
                visit.unit.community or "",
                a.risk_level.label(lang),
                visit.due.isoformat() if visit.due else never,
                visit.overdue_days if visit.overdue_days is not None else "",
                top,
            ]
        )
    return rows


def summary_rows(plan: Plan, lang: str = "zh") -> list[list[Any]]:
    """The capacity figures as label/value rows."""
    zh = lang == "zh"
    figures = (
        len(plan.days),
        plan.inspectors,
        plan.per_day,
        plan.demanded,
        len(plan.visits),
        plan.needed_inspector_days,
        plan.available_inspector_days,
        plan.gap_inspector_days,
        plan.extra_inspectors,
        len(plan.unmet),
    )
    rows: list[list[Any]] = [
        [zh_label if zh else en_label, value]
        for (zh_label, en_label), value in zip(PLAN_SUMMARY, figures, strict=True)
    ]
    for level, counts in plan.by_level.items():
        label = REPORT_LABELS["zh"][level] if zh else level
        rows.append(
            [
                t("plan_level_counts", lang, label=label),
                f"{counts.units}/{counts.demanded}/{counts.scheduled}",
            ]
        )
    return rows


def plan_files(path: Path) -> list[Path]:
    """The files :func:`write_plan` writes for ``path``: a CSV plan has its summary beside it."""
    if path.suffix.lower() == ".csv":
        return [path, path.with_suffix(".summary.csv")]
    return [path]


def write_plan(plan: Plan, path: Path, lang: str = "zh", *, inputs: Iterable[Path] = ()) -> None:
    """Write the plan as ``.csv`` (visits; the summary beside it as ``*.summary.csv``) or
    ``.xlsx`` (sheets "plan" and "summary"; needs the ``excel`` extra).

    No cell is a live formula (names come from ledgers: see ``riskgrade.batch.write``). Raises
    :class:`~riskgrade.errors.OutputError`, before writing anything, if a file it would write is
    one of ``inputs`` (or its folder is missing or read-only)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ValueError(f"{path}: the plan is written as .csv or .xlsx")
    refuse_overwrite(inputs, plan_files(path))
    if suffix == ".csv":
        for target, rows in zip(
            plan_files(path), (plan_rows(plan, lang), summary_rows(plan, lang)), strict=True
        ):
            with open_output(target, "w", encoding="utf-8-sig", newline="") as handle:
                csv.writer(handle).writerows(csv_row(row) for row in rows)
        return
    try:
        from openpyxl import Workbook
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ValueError("writing .xlsx needs openpyxl: pip install 'riskgrade[excel]'") from exc
    book = Workbook(write_only=True)
    for title, rows in (("plan", plan_rows(plan, lang)), ("summary", summary_rows(plan, lang))):
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(xlsx_row(sheet, row))
    with open_output(path, "wb") as handle:
        book.save(handle)


__all__ = [
    "Plan",
    "Visit",
    "make_plan",
    "plan_files",
    "plan_rows",
    "summary_rows",
    "working_days",
    "write_plan",
]
