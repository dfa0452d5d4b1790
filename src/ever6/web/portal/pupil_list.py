"""The pupil list a school's DSL works from: search by name or UPN, filter by year group, status
band and persistent absence, sort (by name, year group, status or attendance), and page through,
all from a GET form that works without JavaScript.

The rows are the school's own list as the access layer returned it (checked and audited there);
this only chooses which of them a page shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import QueryDict

PAGE_SIZE = 25
SORTS = {
    "name": "Surname, then forename",
    "year_group": "Year group, then surname",
    "band": "Status, then surname",
    "attendance": "Attendance this year, lowest first",
}
# The attendance filter: pupils persistently absent this year, by the measures' one rule (missing
# 10% or more of their possible sessions, so attendance of 90% or less; ever6.metrics.rules).
LOW_ATTENDANCE = "low"


def _year_key(value: Any) -> tuple[int, str]:
    """Year groups in school order: R before 1 ... 13, anything else after."""
    text = str(value or "")
    if text.upper() in ("R", "0"):
        return (0, text)
    return (int(text), text) if text.isdigit() else (99, text)


FILTERS = ("q", "ncyear", "band", "attendance")


@dataclass(frozen=True)
class Choice:
    q: str = ""
    ncyear: str = ""
    band: str = ""
    attendance: str = ""  # LOW_ATTENDANCE: only pupils persistently absent this year
    sort: str = "name"

    @classmethod
    def of(cls, data: QueryDict, rows: Sequence[Mapping[str, Any]]) -> Choice:
        """What was asked for; a value the list does not have is ignored (a stale link)."""
        years = {str(r.get("ncyear") or "") for r in rows}
        bands = {str(r.get("band") or "") for r in rows}
        ncyear = data.get("ncyear", "")
        band = data.get("band", "")
        sort = data.get("sort", "name")
        return cls(
            q=" ".join(data.get("q", "").split())[:100],
            ncyear=ncyear if ncyear in years else "",
            band=band if band in bands else "",
            attendance=LOW_ATTENDANCE if data.get("attendance") == LOW_ATTENDANCE else "",
            sort=sort if sort in SORTS else "name",
        )

    @property
    def used(self) -> list[str]:
        """Which filters are in use (not their values: a search may be a pupil's name)."""
        return [name for name in FILTERS if getattr(self, name)]


def _matches(row: Mapping[str, Any], choice: Choice) -> bool:
    if choice.ncyear and str(row.get("ncyear") or "") != choice.ncyear:
        return False
    if choice.band and str(row.get("band") or "") != choice.band:
        return False
    if choice.attendance == LOW_ATTENDANCE and not row.get("persistent"):
        return False
    if choice.q:
        words = choice.q.lower().replace(",", " ").split()  # "Surname, Forename" as the list shows it
        haystack = " ".join(str(row.get(k) or "") for k in ("forename", "surname", "upn")).lower()
        return all(w in haystack for w in words)
    return True


def chosen_rows(rows: Sequence[Mapping[str, Any]], choice: Choice) -> list[Mapping[str, Any]]:
    def name(r: Mapping[str, Any]) -> tuple[str, str, str]:
        return (str(r.get("surname") or "").lower(), str(r.get("forename") or "").lower(), str(r.get("upn") or ""))

    kept = [r for r in rows if _matches(r, choice)]
    if choice.sort == "year_group":
        return sorted(kept, key=lambda r: (_year_key(r.get("ncyear")), name(r)))
    if choice.sort == "band":
        return sorted(kept, key=lambda r: (str(r.get("band") or ""), name(r)))
    if choice.sort == "attendance":
        # Lowest first; a pupil with no possible session this year has no figure, and comes last.
        return sorted(kept, key=lambda r: (r.get("attendance") is None, r.get("attendance") or 0.0, name(r)))
    return sorted(kept, key=name)


def page_of(rows: list[Mapping[str, Any]], number: str | None) -> Page:
    return Paginator(rows, PAGE_SIZE).get_page(number)


def options(rows: Sequence[Mapping[str, Any]], key: str) -> list[str]:
    values = {str(r.get(key) or "") for r in rows} - {""}
    return sorted(values, key=_year_key) if key == "ncyear" else sorted(values)
