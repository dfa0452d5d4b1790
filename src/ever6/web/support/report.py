"""The advice line's report: enquiries by category, school, month and enquirer, and how quickly
they were answered (working days, Monday to Friday), for a chosen period.

Periods are the last 12 months, each academic year (1 September to 31 August) with enquiries, or
all time. Figures are counts of enquiries, not of children: the advice line is anonymised.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ever6.dates import academic_year_start
from ever6.web.support.models import Category, EnquirerType, Enquiry
from ever6.web.tables import Table

PROMPT_DAYS = 5  # "answered within a working week"


@dataclass(frozen=True)
class Period:
    key: str
    label: str
    start: date | None
    end: date | None

    def contains(self, day: date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


def academic_year(day: date) -> int:
    """The calendar year in which ``day``'s academic year starts (1 September)."""
    return academic_year_start(day)


def months_back(day: date, months: int) -> date:
    """The first day of the month ``months`` before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def periods(today: date, received: Iterable[date]) -> list[Period]:
    last_12 = Period("12m", "Last 12 months", months_back(today, 11), today)
    years = sorted({academic_year(d) for d in received} | {academic_year(today)}, reverse=True)
    by_year = [
        Period(f"{y}-{(y + 1) % 100:02d}", f"Academic year {y}/{(y + 1) % 100:02d}", date(y, 9, 1), date(y + 1, 8, 31))
        for y in years
    ]
    return [last_12, *by_year, Period("all", "All time", None, None)]


def choose_period(options: Sequence[Period], key: str | None) -> Period:
    return next((p for p in options if p.key == key), options[0])


def median_days(enquiries: Iterable[Enquiry]) -> float | None:
    days = [d for e in enquiries if (d := e.days_to_respond) is not None]
    return float(statistics.median(days)) if days else None


def _fmt_median(value: float | None) -> str | float:
    return "" if value is None else value


def _month_label(month: date) -> str:
    return f"{month:%b %Y}"


def _months(first: date, last: date) -> list[date]:
    out, month = [], date(first.year, first.month, 1)
    while month <= last:
        out.append(month)
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return out


@dataclass
class Report:
    period: Period
    enquiries: list[Enquiry]
    cohort: dict[str, int] | None  # Ever6 CWSW pupils per school, when published

    @property
    def answered(self) -> list[Enquiry]:
        return [e for e in self.enquiries if e.responded_on is not None]

    def headline(self) -> dict[str, Any]:
        answered = self.answered
        prompt = sum(1 for e in answered if (e.days_to_respond or 0) <= PROMPT_DAYS)
        return {
            "received": len(self.enquiries),
            "answered": len(answered),
            "open": sum(1 for e in self.enquiries if e.status == "open"),
            "median": median_days(self.enquiries),
            "prompt_share": round(100 * prompt / len(answered), 1) if answered else None,
        }

    def summary_table(self) -> Table:
        h = self.headline()
        rows = [
            {"measure": "Enquiries received", "value": h["received"]},
            {"measure": "Answered", "value": h["answered"]},
            {"measure": "Open (not yet answered)", "value": h["open"]},
            {"measure": "Median working days to respond", "value": _fmt_median(h["median"])},
            {
                "measure": f"Answered within {PROMPT_DAYS} working days (% of answered)",
                "value": "" if h["prompt_share"] is None else h["prompt_share"],
            },
        ]
        return Table(
            f"Advice line summary: {self.period.label.lower()}",
            (("measure", "Measure"), ("value", "Value")),
            rows,
            frozenset({"value"}),
            "Time to respond counts working days (Monday to Friday) from the day the enquiry was received.",
        )

    def _grouped(self, key: Any) -> dict[Any, list[Enquiry]]:
        groups: dict[Any, list[Enquiry]] = defaultdict(list)
        for e in self.enquiries:
            groups[key(e)].append(e)
        return groups

    def by_category(self) -> Table:
        groups = self._grouped(lambda e: e.category)
        rows = [
            {
                "category": label,
                "enquiries": len(groups.get(value, [])),
                "answered": sum(1 for e in groups.get(value, []) if e.responded_on),
                "median": _fmt_median(median_days(groups.get(value, []))),
            }
            for value, label in Category.choices
        ]
        return Table(
            "Enquiries by category",
            (
                ("category", "Category"),
                ("enquiries", "Enquiries"),
                ("answered", "Answered"),
                ("median", "Median working days to respond"),
            ),
            rows,
            frozenset({"enquiries", "answered", "median"}),
        )

    def by_enquirer(self) -> Table:
        counts = Counter(e.enquirer_type for e in self.enquiries)
        return Table(
            "Enquiries by who asked",
            (("enquirer", "Enquirer"), ("enquiries", "Enquiries")),
            [{"enquirer": label, "enquiries": counts.get(value, 0)} for value, label in EnquirerType.choices],
            frozenset({"enquiries"}),
        )

    def by_month(self) -> Table:
        groups = self._grouped(lambda e: date(e.received_on.year, e.received_on.month, 1))
        if self.period.start is not None and self.period.end is not None:
            months = _months(self.period.start, self.period.end)
        elif groups:
            months = _months(min(groups), max(groups))
        else:
            months = []
        rows = [
            {
                "month": _month_label(m),
                "enquiries": len(groups.get(m, [])),
                "answered": sum(1 for e in groups.get(m, []) if e.responded_on),
                "median": _fmt_median(median_days(groups.get(m, []))),
            }
            for m in months
        ]
        return Table(
            "Enquiries by month received",
            (
                ("month", "Month"),
                ("enquiries", "Enquiries"),
                ("answered", "Answered"),
                ("median", "Median working days to respond"),
            ),
            rows,
            frozenset({"enquiries", "answered", "median"}),
        )

    def by_school(self) -> Table:
        groups = self._grouped(lambda e: e.school)
        rows = []
        for school, items in groups.items():
            categories = Counter(e.get_category_display() for e in items)
            rows.append(
                {
                    "school": school.name if school else "No school recorded",
                    "urn": school.urn if school else "",
                    "pupils": (self.cohort or {}).get(school.urn, 0) if school and self.cohort is not None else "",
                    "enquiries": len(items),
                    "top": ", ".join(f"{c} ({n})" for c, n in categories.most_common(3)),
                }
            )
        rows.sort(key=lambda r: (-int(r["enquiries"]), r["urn"] == "", str(r["school"])))
        note = "" if self.cohort is not None else "Ever6 CWSW pupils are shown once a refresh has been published."
        return Table(
            "Enquiries by school",
            (
                ("school", "School"),
                ("urn", "URN"),
                ("pupils", "Ever6 CWSW pupils"),
                ("enquiries", "Enquiries"),
                ("top", "Most common categories"),
            ),
            rows,
            frozenset({"pupils", "enquiries"}),
            note,
        )
