"""The Virtual School's record of events: counts per school and for the authority, per term, never
a child. Are schools and social care telling each other, and how quickly?

Per (academic year, term, school or authority): events by kind; the share told to the social worker
within one school day of the event (the email accepted by the mail server by the end of the next
weekday); the share acknowledged; the median days from the event to the email; part-time
timetables started in the term and still open today, and those past their proposed end date.
Shared outside the Virtual School, the figures pass through the project's disclosure control
(:func:`ever6.disclosure.suppress`, ``docs/disclosure.md``) like every other published figure.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pyarrow as pa
from django.utils import timezone

from ever6.dates import TERMS, academic_year_label, academic_year_start, term_bounds
from ever6.disclosure import MeasureSpec, suppress
from ever6.web.events.models import Event, Kind
from ever6.web.outbox.models import Message, State

AUTHORITY = "all"
GROUP = "cwsw"  # events are raised only for children with an open plan: the current CWSW cohort

KIND_MEASURES = tuple(f"events_{k}" for k in Kind.values)
MEASURES = (
    "events",
    *KIND_MEASURES,
    "notified_within_one_school_day",
    "acknowledged",
    "median_days_to_notification",
    "part_time_open",
    "part_time_past_end",
)
LABELS = {
    "events": "Events",
    **{f"events_{k}": f"{label}" for k, label in Kind.choices},
    "notified_within_one_school_day": "Told to the social worker within one school day (%)",
    "acknowledged": "Acknowledged by the social worker (%)",
    "median_days_to_notification": "Median days from the event to the email",
    "part_time_open": "Part-time timetables open",
    "part_time_past_end": "Part-time timetables past their proposed end",
}
# Every count here counts children's events, so each is suppressed at 1 to 5 like a count of
# people; the rates and the median follow the count of events they are made of.
SPECS: dict[str, MeasureSpec] = {
    "events": MeasureSpec("events", "count", True, False, follows=()),
    **{m: MeasureSpec(m, "count", True, False, follows=("events",)) for m in KIND_MEASURES},
    "notified_within_one_school_day": MeasureSpec(
        "notified_within_one_school_day", "rate", True, True, denominator_quantity="events", follows=("events",)
    ),
    "acknowledged": MeasureSpec("acknowledged", "rate", True, True, denominator_quantity="events", follows=("events",)),
    "median_days_to_notification": MeasureSpec(
        "median_days_to_notification", "average", False, False, follows=("events",)
    ),
    "part_time_open": MeasureSpec("part_time_open", "count", True, False, follows=("events",)),
    "part_time_past_end": MeasureSpec("part_time_past_end", "count", True, False, follows=("events",)),
}


def term_of(day: date) -> tuple[str, str]:
    """The academic year (``2025/26``) and term of a day."""
    start = academic_year_start(day)
    for term, (first, last) in term_bounds(start).items():
        if first <= day <= last:
            return academic_year_label(start), term
    raise AssertionError(day)  # the terms cover the year


def within_one_school_day(event_date: date, told_on: date) -> bool:
    """Told on the day, or by the end of the next weekday (school holidays are not known here)."""
    if told_on <= event_date:
        return True
    day, weekdays = event_date, 0
    while day < told_on:
        day += timedelta(days=1)
        if day.weekday() < 5:
            weekdays += 1
    return weekdays <= 1


@dataclass
class _Cell:
    events: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    told_in_time: int = 0
    acknowledged: int = 0
    days_to_tell: list[int] = field(default_factory=list)
    part_time_open: int = 0
    part_time_past_end: int = 0


def _sent_at() -> dict[str, datetime]:
    """When the first email about each event was accepted by the mail server."""
    first: dict[str, datetime] = {}
    for reference, sent in Message.objects.filter(kind="event", state=State.SENT).values_list("reference", "sent_at"):
        if sent is not None and (reference not in first or sent < first[reference]):
            first[reference] = sent
    return first


def record_rows(events: Iterable[Event] | None = None, *, today: date | None = None) -> list[dict[str, Any]]:
    """The record as the measures' long table: one row per measure, term and school or authority,
    with ``numerator``, ``denominator`` and ``value`` (unsuppressed)."""
    today = today or timezone.localdate()
    events = list(Event.objects.all() if events is None else events)
    sent = _sent_at()
    cells: dict[tuple[str, str, str, str], _Cell] = defaultdict(_Cell)
    for e in events:
        year, term = term_of(e.event_date)
        told = sent.get(e.reference)
        for breakdown, value in (("all", AUTHORITY), ("school", e.urn)):
            c = cells[(year, term, breakdown, value)]
            c.events += 1
            c.by_kind[e.kind] = c.by_kind.get(e.kind, 0) + 1
            if told is not None:
                told_on = timezone.localtime(told).date()
                c.told_in_time += within_one_school_day(e.event_date, told_on)
                c.days_to_tell.append(max((told_on - e.event_date).days, 0))
            c.acknowledged += e.acknowledged_at is not None
            if e.kind == Kind.PART_TIME_TIMETABLE and e.event_date <= today:
                if e.proposed_end_date is not None and e.proposed_end_date < today:
                    c.part_time_past_end += 1
                else:
                    c.part_time_open += 1
    rows: list[dict[str, Any]] = []
    for (year, term, breakdown, value), c in sorted(cells.items()):
        key = {"academic_year": year, "period": term, "group": GROUP, "breakdown": breakdown, "breakdown_value": value}
        median = float(statistics.median(c.days_to_tell)) if c.days_to_tell else None
        figures: list[tuple[str, float | None, float | None, float | None]] = [
            ("events", c.events, None, c.events),
            *((f"events_{k}", c.by_kind.get(k, 0), None, c.by_kind.get(k, 0)) for k in Kind.values),
            ("notified_within_one_school_day", c.told_in_time, c.events, 100 * c.told_in_time / c.events),
            ("acknowledged", c.acknowledged, c.events, 100 * c.acknowledged / c.events),
            ("median_days_to_notification", median, None if median is None else 1.0, median),
            ("part_time_open", c.part_time_open, None, c.part_time_open),
            ("part_time_past_end", c.part_time_past_end, None, c.part_time_past_end),
        ]
        rows.extend(
            {**key, "measure": m, "numerator": num, "denominator": den, "value": v} for m, num, den, v in figures
        )
    return rows


_SCHEMA = pa.schema(
    [
        pa.field("academic_year", pa.string()),
        pa.field("period", pa.string()),
        pa.field("measure", pa.string()),
        pa.field("group", pa.string()),
        pa.field("breakdown", pa.string()),
        pa.field("breakdown_value", pa.string()),
        pa.field("numerator", pa.float64()),
        pa.field("denominator", pa.float64()),
        pa.field("value", pa.float64()),
    ]
)


def shared(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The record as shared outside the Virtual School: disclosure control applied (figures become
    the published text, ``c`` where withheld)."""
    if not rows:
        return []
    table = pa.Table.from_pylist(rows, schema=_SCHEMA)
    out: list[dict[str, Any]] = suppress(table, SPECS, missing_is_zero=True).to_pylist()
    return out


def terms_present(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The (year, term) pairs with events, newest first."""
    found = {(r["academic_year"], r["period"]) for r in rows}
    return sorted(found, key=lambda yt: (yt[0], TERMS.index(yt[1])), reverse=True)


def school_summary(urn: str) -> dict[str, Any] | None:
    """One school's record for the newest term with events, exact (for the Virtual School's own
    school page): ``{"term": "2025/26 autumn", "figures": [(label, text), ...]}``, or ``None``."""
    rows = [r for r in record_rows(Event.objects.filter(urn=urn)) if r["breakdown"] == "school"]
    terms = terms_present(rows)
    if not terms:
        return None
    year, term = terms[0]
    figures = []
    for r in rows:
        if (r["academic_year"], r["period"]) == (year, term) and r["value"] is not None:
            value = float(r["value"])
            figures.append((LABELS[r["measure"]], f"{value:.0f}" if value.is_integer() else f"{value:.1f}"))
    return {"term": f"{year}, {term} term", "figures": figures}
