"""The schools page: each school's Ever6 CWSW count, share and gaps, and its suggested tier."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ever6.web.dashboard.figures import NOT_PUBLISHED, gap, note
from ever6.web.dashboard.tiers import TIER_LABELS, Thresholds, suggest_tier
from ever6.web.tables import Figure, Table

MEASURES = ("pupils", "overall_absence_rate", "suspension_rate")
GROUPS = ("cwsw", "not_cwsw", "all_pupils")

COLUMNS = (
    ("name", "School"),
    ("urn", "URN"),
    ("phase", "Phase"),
    ("in_la", "In or out of the authority"),
    ("count", "Ever6 CWSW pupils"),
    ("all_pupils", "All pupils"),
    ("share", "Share Ever6 CWSW (%)"),
    ("absence_cwsw", "Overall absence, Ever6 CWSW (%)"),
    ("absence_not_cwsw", "Overall absence, never CWSW (%)"),
    ("absence_gap", "Absence gap (points)"),
    ("suspension_cwsw", "Suspension rate, Ever6 CWSW (%)"),
    ("suspension_not_cwsw", "Suspension rate, never CWSW (%)"),
    ("suspension_gap", "Suspension gap (points)"),
    ("tier", "Suggested tier"),
)
NUMERIC = frozenset(
    {
        "count",
        "all_pupils",
        "share",
        "absence_cwsw",
        "absence_not_cwsw",
        "absence_gap",
        "suspension_cwsw",
        "suspension_not_cwsw",
        "suspension_gap",
    }
)
UNDETERMINED = "Not shown: figures suppressed"

# The columns a page shows at once (the whole table has fourteen); downloads have every column.
SHOWN = {
    "summary": ("name", "phase", "in_la", "count", "share", "absence_gap", "suspension_gap", "tier"),
    "absence": ("name", "urn", "count", "absence_cwsw", "absence_not_cwsw", "absence_gap", "tier"),
    "suspensions": ("name", "urn", "count", "suspension_cwsw", "suspension_not_cwsw", "suspension_gap", "tier"),
    "all": tuple(k for k, _ in COLUMNS),
}
TIER_FILTERS = {**{label: label for label in TIER_LABELS.values()}, UNDETERMINED: UNDETERMINED}
IN_LA_FILTERS = {"In": "In the authority", "Out": "Out of the authority"}


def filtered(rows: list[dict[str, Any]], *, phase: str = "", tier: str = "", in_la: str = "") -> list[dict[str, Any]]:
    """The rows that match every filter given (an empty filter matches everything)."""
    return [
        r
        for r in rows
        if (not phase or r["phase"] == phase) and (not tier or r["tier"] == tier) and (not in_la or r["in_la"] == in_la)
    ]


SHOWN_LABELS = {
    "summary": "Summary: count, share, gaps and tier",
    "absence": "Absence",
    "suspensions": "Suspensions",
    "all": "Every column (scrolls sideways)",
}


def share(count: Figure, total: Figure) -> Figure:
    """Ever6 CWSW pupils as a percentage of the school's pupils; a symbol when either is one."""
    c, t = count.number, total.number
    if c is not None and t:
        percent = c / t * 100
        return Figure(f"{percent:.1f}", round(percent, 1))
    if t == 0:
        return Figure("z")
    return gap(count, total)  # the symbol of whichever is not a number


def school_rows(
    rows: Sequence[Mapping[str, Any]],
    *,
    schools: Mapping[str, Mapping[str, Any]],
    la_code: str,
    thresholds: Thresholds,
) -> list[dict[str, Any]]:
    """One row per school with figures in the period."""
    cells: dict[str, dict[tuple[str, str], Figure]] = {}
    for r in rows:
        cells.setdefault(r["breakdown_value"], {})[(r["measure"], r["group"])] = Figure.of(
            r, count=r["measure"] == "pupils"
        )
    out = []
    for urn, c in cells.items():
        school = schools.get(urn) or {}

        def v(measure: str, group: str, c: Mapping[tuple[str, str], Figure] = c) -> Figure:
            return c.get((measure, group), NOT_PUBLISHED)

        cwsw, total = v("pupils", "cwsw"), v("pupils", "all_pupils")
        pct = share(cwsw, total)
        tier = suggest_tier(cwsw.number, pct.number, thresholds)
        out.append(
            {
                "urn": urn,
                "name": school.get("name") or "Not in the school register",
                "phase": school.get("phase") or "",
                "in_la": "" if not school or not la_code else ("In" if school.get("la_code") == la_code else "Out"),
                "count": cwsw,
                "all_pupils": total,
                "share": pct,
                "absence_cwsw": v("overall_absence_rate", "cwsw"),
                "absence_not_cwsw": v("overall_absence_rate", "not_cwsw"),
                "absence_gap": gap(v("overall_absence_rate", "cwsw"), v("overall_absence_rate", "not_cwsw")),
                "suspension_cwsw": v("suspension_rate", "cwsw"),
                "suspension_not_cwsw": v("suspension_rate", "not_cwsw"),
                "suspension_gap": gap(v("suspension_rate", "cwsw"), v("suspension_rate", "not_cwsw")),
                "tier": TIER_LABELS[tier] if tier else UNDETERMINED,
            }
        )
    return out


def sort_rows(rows: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    """By name (A to Z, then URN) for ``name``; otherwise highest first by the chosen figure,
    schools whose figure is suppressed or not applicable after those with one, then by name."""
    if sort == "name":
        return sorted(rows, key=lambda r: (str(r["name"]).casefold(), str(r["urn"])))

    def key(row: Mapping[str, Any]) -> tuple[int, float, str, str]:
        figure = row[sort]
        value = figure.number if isinstance(figure, Figure) else None
        return (0 if value is not None else 1, -(value or 0.0), str(row["name"]).lower(), str(row["urn"]))

    return sorted(rows, key=key)


def table(rows: list[dict[str, Any]], *, caption: str, suppressed: bool, rule: Sequence[str]) -> Table:
    """Every column; a row's ``href``, when it has one, links the school's name to its page."""
    return Table(
        caption,
        COLUMNS,
        rows,
        numeric=NUMERIC,
        note=note(suppressed) + " Suggested tier: " + " ".join(rule),
        link=("name", "href"),
    )
