"""The dashboard's first screen: the gap between Ever6 CWSW pupils and their peers.

For the latest complete academic year, the headline measures (absence, persistent absence,
suspensions, attainment) for Ever6 CWSW pupils beside pupils never CWSW and the national figure for
all pupils, as a chart and its table; the three-year trend; and plain-English statements. Every
statement is computed from the figures as the page shows them (the published, rounded figures,
suppressed when the suppressed version is shown), and none is made where either figure is a
symbol: a suppressed figure is never the basis of a sentence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ever6.web.charts import Point, bar_chart, line_chart
from ever6.web.dashboard.figures import Cell, latest_national, note, year_for
from ever6.web.dashboard.labels import GROUP_LABELS, measure_label
from ever6.web.tables import Figure, Table

# The headline measures, in the order the page shows them.
GAP_MEASURES = (
    "overall_absence_rate",
    "persistent_absence_rate",
    "one_plus_suspension_rate",
    "ks2_rwm_expected_rate",
    "em_grade4_rate",
)
NATIONAL = "National, all pupils"
SERIES = (GROUP_LABELS["cwsw"], GROUP_LABELS["not_cwsw"], NATIONAL)
TREND_YEARS = 3


@dataclass(frozen=True)
class _Wording:
    """How a measure's comparison reads: ``likely`` for "N times as likely to ...", else a share."""

    likely: str = ""  # "be persistently absent"
    share: str = ""  # "reached the expected standard ..."
    missed: bool = False  # a share of sessions: "missed N% of sessions"


WORDING = {
    "overall_absence_rate": _Wording(missed=True),
    "persistent_absence_rate": _Wording(likely="be persistently absent (missing 10% or more of sessions)"),
    "one_plus_suspension_rate": _Wording(likely="be suspended at least once"),
    "ks2_rwm_expected_rate": _Wording(
        share="reached the expected standard in reading, writing and maths at key stage 2"
    ),
    "em_grade4_rate": _Wording(share="achieved grade 4 or above in English and maths at key stage 4"),
}


def complete_year(years: Sequence[str], as_at: date) -> str:
    """The latest published academic year that had ended (31 August) by the snapshot date; the
    earliest published year when none had (a first import part-way through a year)."""
    ended = [y for y in years if date(int(y[:4]) + 1, 8, 31) <= as_at]
    return max(ended) if ended else min(years)


def _value(cells: Mapping[Cell, Mapping[str, Any]], year: str | None, measure: str, group: str) -> Figure:
    return Figure.of(cells.get((year or "", "year", measure, group, "all")))


def _pct(figure: Figure) -> str:
    return f"{figure.text}%"


def statement(measure: str, cwsw: Figure, never: Figure) -> str | None:
    """One sentence comparing the two published figures; ``None`` when either is a symbol."""
    a, b = cwsw.number, never.number
    wording = WORDING.get(measure)
    if a is None or b is None or wording is None:
        return None
    both = f"({_pct(cwsw)} against {_pct(never)})"
    if wording.missed:
        times = f": {a / b:.1f} times as many" if b > 0 and a / b >= 1.05 else ""
        return (
            f"Children with a social worker missed {_pct(cwsw)} of their sessions, against {_pct(never)} "
            f"for pupils never CWSW{times}."
        )
    if wording.likely:
        if b > 0 and a / b >= 1.05:
            how = f"{a / b:.1f} times as likely"
        elif b > 0 and a / b <= 0.95:
            how = "less likely"
        elif a == b or (b > 0 and 0.95 < a / b < 1.05):
            how = "about as likely"
        else:  # never-CWSW figure of 0 and a CWSW figure above it
            how = "more likely"
        return f"Children with a social worker were {how} to {wording.likely} as pupils never CWSW {both}."
    points = a - b
    if abs(points) < 0.05:
        return f"{_pct(cwsw)} of children with a social worker {wording.share}, the same as pupils never CWSW."
    side = "fewer" if points < 0 else "more"
    return (
        f"{_pct(cwsw)} of children with a social worker {wording.share}, against {_pct(never)} of pupils "
        f"never CWSW: {abs(points):.1f} percentage points {side}."
    )


@dataclass
class Gap:
    year: str
    table: Table
    spec: dict[str, Any] | None
    statements: list[str]
    not_charted: list[str]  # figures shown as a symbol, so not drawn
    sources: list[tuple[str, str]]  # (measure label, source of its national figure)


def gap(cells: Mapping[Cell, Mapping[str, Any]], year: str, years: Sequence[str], *, suppressed: bool) -> Gap:
    rows: list[dict[str, Any]] = []
    points: list[Point] = []
    statements: list[str] = []
    not_charted: list[str] = []
    sources: list[tuple[str, str]] = []
    for measure in GAP_MEASURES:
        shown_year = year_for(cells, measure, year, years)
        if shown_year is None:
            continue
        label = measure_label(measure)
        cwsw, never = _value(cells, shown_year, measure, "cwsw"), _value(cells, shown_year, measure, "not_cwsw")
        nat = latest_national(measure, all_pupils=True)
        national = Figure(f"{nat.value:g}", nat.value) if nat else Figure("x")
        if nat:
            sources.append((label, f"{nat.source} ({nat.academic_year})"))
        rows.append(
            {
                "measure": label,
                "year": shown_year,
                "cwsw": cwsw,
                "not_cwsw": never,
                "national": national,
                "national_year": nat.academic_year if nat else "",
            }
        )
        for series, figure in zip(SERIES, (cwsw, never, national), strict=True):
            if figure.number is None:
                not_charted.append(f"{label}, {series}: {figure.text}")
            else:
                points.append(Point(shown_year, series, figure.number, label))
        if sentence := statement(measure, cwsw, never):
            statements.append(sentence)
    table = Table(
        f"The gap, {year}: Ever6 CWSW pupils, pupils never CWSW and all pupils nationally",
        [
            ("measure", "Measure"),
            ("year", "Academic year"),
            ("cwsw", GROUP_LABELS["cwsw"]),
            ("not_cwsw", GROUP_LABELS["not_cwsw"]),
            ("national", NATIONAL),
            ("national_year", "National year"),
        ],
        rows,
        numeric=frozenset({"cwsw", "not_cwsw", "national"}),
        note=note(suppressed),
    )
    spec = bar_chart(
        points,
        title=table.caption,
        category_title="Academic year",
        value_title="Per cent",
        categories=list(dict.fromkeys(r["year"] for r in rows)),
        series=list(SERIES),
    )
    return Gap(year, table, spec, statements, not_charted, sources)


def trend(
    cells: Mapping[Cell, Mapping[str, Any]], years: Sequence[str], *, complete: str, suppressed: bool
) -> tuple[Table, dict[str, Any] | None]:
    """The headline measures over the last three published years (the latest may be a year in
    progress, named so): a row per measure and group; a chart only when there are two years or more."""
    shown = sorted(years)[-TREND_YEARS:]
    rows: list[dict[str, Any]] = []
    points: list[Point] = []
    for measure in GAP_MEASURES:
        for group in ("cwsw", "not_cwsw"):
            row: dict[str, Any] = {"measure": measure_label(measure), "group": GROUP_LABELS[group]}
            for y in shown:
                figure = _value(cells, y, measure, group)
                row[y] = figure
                if figure.number is not None:
                    points.append(Point(y, GROUP_LABELS[group], figure.number, measure_label(measure)))
            rows.append(row)
    table = Table(
        f"The headline measures over time, {shown[0]} to {shown[-1]}",
        [("measure", "Measure"), ("group", "Group"), *((y, _year_heading(y, complete)) for y in shown)],
        rows,
        numeric=frozenset(shown),
        note=note(suppressed) + " x = not published for that year (attainment is published a year later).",
    )
    if len(shown) < 2:
        return table, None
    spec = line_chart(
        points,
        title=table.caption,
        category_title="Academic year",
        value_title="Per cent",
        categories=shown,
        series=[GROUP_LABELS["cwsw"], GROUP_LABELS["not_cwsw"]],
    )
    return table, spec


def _year_heading(year: str, complete: str) -> str:
    return f"{year} (so far)" if year > complete else year
