"""Load a generated synthetic authority into a warehouse, and score links against its truth."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ever6.formats.case_management import load_mapping, read_case_management
from ever6.formats.cin_census import read_cin_census
from ever6.formats.gias import read_gias
from ever6.formats.problems import ReadResult
from ever6.formats.pupils import read_pupils
from ever6.formats.ssda903 import read_ssda903
from ever6.warehouse import Warehouse

REFERENCE_DATE = date(2026, 3, 31)
TODAY = date(2026, 3, 31)


def load_authority(data: Path, warehouse: Path) -> Warehouse:
    """Import a generated authority's files (as a data manager would) into a new warehouse."""
    results: list[ReadResult] = [
        read_cin_census(path) for path in sorted((data / "cin_census").glob("cin_census_*.xml"))
    ]
    years: dict[int, list[Path]] = {}
    for path in sorted((data / "ssda903").glob("ssda903_*_*.csv")):
        m = re.match(r"ssda903_(\d{4})_", path.name)
        assert m
        years.setdefault(int(m.group(1)), []).append(path)
    results += [read_ssda903(paths, year=year) for year, paths in sorted(years.items())]
    mapping = load_mapping(data / "case_management_mapping.toml")
    results.append(read_case_management(data / "case_management.csv", mapping=mapping, today=TODAY))
    results.append(read_pupils(data / "pupils.csv", today=TODAY))
    results.append(read_gias(data / "schools.csv"))
    wh = Warehouse(warehouse)
    wh.import_results(results, who="test")
    return wh


@dataclass(frozen=True)
class Score:
    children: int  # cohort children with a school record (the recall denominator)
    links: int  # (child, UPN) pairs proposed for cohort children
    correct: int
    found: int  # cohort children with a school record whose true UPN is linked

    @property
    def precision(self) -> float:
        return self.correct / self.links if self.links else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.children if self.children else 1.0


def truth(data: Path) -> tuple[dict[str, str], set[str]]:
    """True UPN of every social-care child who is a pupil, and the cohort at the reference date."""
    with (data / "truth" / "children.csv").open(encoding="utf-8") as fh:
        true_upn = {r["la_child_id"]: r["true_upn"] for r in csv.DictReader(fh) if r["is_pupil"] == "true"}
    with (data / "truth" / f"cohort_{REFERENCE_DATE.isoformat()}_default.csv").open(encoding="utf-8") as fh:
        cohort = {r["la_child_id"] for r in csv.DictReader(fh)}
    return true_upn, cohort


def score(pairs: set[tuple[str, str]], true_upn: dict[str, str], cohort: set[str]) -> Score:
    """Precision and recall of (child, UPN) pairs over the cohort children."""
    ours = {(c, u) for c, u in pairs if c in cohort}
    correct = {(c, u) for c, u in ours if true_upn.get(c) == u}
    denominator = {c for c in cohort if c in true_upn}
    found = {c for c, _ in correct}
    return Score(len(denominator), len(ours), len(correct), len(found & denominator))
