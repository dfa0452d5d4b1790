"""What the CLI and the demo do, as plain functions: read sources, import them, build outputs.

The CLI is a thin layer over this module, so every command can be tested and reused (the demo
runs the same steps a data manager would).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ever6.cohort import COHORT_COLUMNS, cohort
from ever6.config import CohortSettings, Settings
from ever6.exports import write_csv
from ever6.formats.case_management import load_mapping, read_case_management
from ever6.formats.cin_census import read_cin_census
from ever6.formats.problems import ReadResult
from ever6.formats.ssda903 import read_ssda903
from ever6.warehouse import ImportOutcome, Warehouse

Progress = Callable[[str, float], None]

FORMATS = ("cin-census", "ssda903", "case-management")


def read_sources(
    settings: Settings,
    fmt: str,
    paths: Sequence[Path],
    *,
    mapping: Path | None = None,
    year: int | None = None,
    progress: Progress | None = None,
) -> list[ReadResult]:
    """Read files of one format; CIN census files are one batch each, SSDA903 tables one batch."""
    if fmt == "cin-census":
        results = []
        for i, path in enumerate(paths):
            if progress:
                progress(f"reading {path.name}", i / len(paths))
            results.append(read_cin_census(path, xsd_dirs=settings.cin_census.xsd_dirs))
        return results
    if fmt == "ssda903":
        return [read_ssda903(paths, year=year)]
    if fmt == "case-management":
        column_mapping = load_mapping(mapping) if mapping else None
        return [read_case_management(path, mapping=column_mapping) for path in paths]
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def import_sources(
    warehouse: Warehouse,
    settings: Settings,
    fmt: str,
    paths: Sequence[Path],
    *,
    mapping: Path | None = None,
    year: int | None = None,
    who: str | None = None,
    progress: Progress | None = None,
) -> list[ImportOutcome]:
    """Read and import, all or nothing: any refused file means nothing is imported."""
    results = read_sources(settings, fmt, paths, mapping=mapping, year=year, progress=progress)
    return warehouse.import_results(results, who=who)


@dataclass(frozen=True)
class CohortSummary:
    as_at: date
    strict: bool
    rows: int
    by_status: dict[str, int]
    cwsw: int


def build_cohort(warehouse: Warehouse, as_at: date, cohort_settings: CohortSettings) -> list[dict[str, object]]:
    table = cohort(warehouse.raw_tables(), as_at, cohort_settings).to_pyarrow()
    return table.to_pylist()  # type: ignore[no-any-return]


def summarise(rows: Sequence[dict[str, object]], as_at: date, strict: bool) -> CohortSummary:
    by_status = Counter(str(r["status"]) for r in rows)
    return CohortSummary(
        as_at=as_at,
        strict=strict,
        rows=len(rows),
        by_status=dict(sorted(by_status.items())),
        cwsw=sum(1 for r in rows if r["cwsw"]),
    )


def export_cohort(warehouse: Warehouse, as_at: date, cohort_settings: CohortSettings, out: Path) -> CohortSummary:
    rows = build_cohort(warehouse, as_at, cohort_settings)
    write_csv(out, COHORT_COLUMNS, rows)
    return summarise(rows, as_at, cohort_settings.strict)
