"""Gaps: the cohort against pupils never CWSW, and against the national figures.

National figures are data (``data/national_figures.csv``, each with its source), so a new DfE
release is a new row, not a code change. A gap is computed from published figures only: where
either side is suppressed, so is the gap.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa

GAP_COLUMNS = (
    "measure",
    "group",
    "breakdown",
    "breakdown_value",
    "value",
    "not_cwsw_value",
    "gap_vs_not_cwsw",
    "national_comparison",
    "national_year",
    "national_value",
    "gap_vs_national",
    "national_source",
)
# Every published group but the comparison itself (kinship care and early help when switched on).
_COMPARED_GROUPS = (
    "cwsw",
    "cpp",
    "cin",
    "cinp",
    "cin_other",
    "ever6_previous",
    "cla",
    "all_pupils",
    "kinship",
    "early_help",
)


@dataclass(frozen=True)
class NationalFigure:
    measure: str
    group: str
    comparison: str
    academic_year: str
    value: float
    source: str


@cache
def national_figures(path: Path | None = None) -> tuple[NationalFigure, ...]:
    path = path or Path(str(resources.files("ever6") / "data" / "national_figures.csv"))
    with path.open(newline="", encoding="utf-8") as fh:
        return tuple(
            NationalFigure(
                r["measure"], r["group"], r["comparison"], r["academic_year"], float(r["value"]), r["source"]
            )
            for r in csv.DictReader(fh)
        )


def latest_national(measure: str, groups: Callable[[str], bool]) -> NationalFigure | None:
    """The latest national figure for ``measure`` among the groups ``groups`` accepts (the DfE
    publishes each comparison group for its own run of years)."""
    matches = [f for f in national_figures() if f.measure == measure and groups(f.group)]
    return max(matches, key=lambda f: f.academic_year) if matches else None


def _number(value: Any) -> float | None:
    """A published figure as a number; None for a symbol (suppressed, not applicable ...)."""
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _gap(a: float | None, b: float | None, symbol: str) -> str:
    return symbol if a is None or b is None else f"{a - b:.1f}"


def gaps(table: pa.Table, *, suppressed_symbol: str = "c") -> list[dict[str, Any]]:
    """One row per (measure, group, breakdown value): the figure, its gap against ``not_cwsw``
    in the same cell, and, for the LA-wide figure, its gap against the latest national figure."""
    rows = table.to_pylist()
    by_cell = {(r["measure"], r["group"], r["breakdown"], r["breakdown_value"]): r for r in rows}
    out: list[dict[str, Any]] = []
    for r in rows:
        if r["group"] not in _COMPARED_GROUPS or r["measure"] == "pupils":
            continue
        value = _number(r["value"])
        peer = by_cell.get((r["measure"], "not_cwsw", r["breakdown"], r["breakdown_value"]))
        peer_value = _number(peer["value"]) if peer else None
        same_group = {r["group"]}.__contains__
        national = latest_national(r["measure"], same_group) if r["breakdown"] == "all" else None
        out.append(
            {
                "measure": r["measure"],
                "group": r["group"],
                "breakdown": r["breakdown"],
                "breakdown_value": r["breakdown_value"],
                "value": r["value"],
                "not_cwsw_value": peer["value"] if peer else None,
                "gap_vs_not_cwsw": _gap(value, peer_value, suppressed_symbol) if peer else None,
                "national_comparison": national.comparison if national else None,
                "national_year": national.academic_year if national else None,
                "national_value": national.value if national else None,
                "gap_vs_national": _gap(value, national.value, suppressed_symbol) if national else None,
                "national_source": national.source if national else None,
            }
        )
    return out
