"""The match report: how well the cohort is linked, as counts (never names).

For the Ever6 CWSW cohort at a reference date (the cohort engine's output): the match rate
overall, by method, by cohort status and by age band; linked children by school and by in-LA /
out-of-LA school (a child linked to schools on both sides counts on both); and the unmatched
children of school age, by reason.

Age is taken on 31 August before the academic year that contains the reference date (the DfE
convention); school age is Reception to Year 11 (4-15) by default (``LinkageSettings.school_age``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

import pyarrow as pa

from ever6.cohort import cohort
from ever6.config import CohortSettings
from ever6.dates import academic_year_start
from ever6.linkage.core import METHODS
from ever6.linkage.deterministic import current
from ever6.linkage.settings import LinkageSettings
from ever6.warehouse import Warehouse
from ever6.warehouse.linkage_store import LinkageStore

AGE_BANDS: tuple[tuple[str, int, int], ...] = (("0-3", 0, 3), ("4-10", 4, 10), ("11-15", 11, 15), ("16-17", 16, 17))
UNMATCHED_REASONS = (
    "no_upn",
    "invalid_upn",
    "no_candidate",
    "below_threshold",
    "awaiting_review",
    "rejected",
    "upn_of_another_child",
)


def age_on_31_august(birth: date, as_at: date) -> int:
    """Age on 31 August before the academic year (1 September - 31 August) containing ``as_at``."""
    ref = date(academic_year_start(as_at), 8, 31)
    return ref.year - birth.year - ((ref.month, ref.day) < (birth.month, birth.day))


def _band(age: int | None) -> str:
    if age is None:
        return "unknown"
    for name, low, high in AGE_BANDS:
        if low <= age <= high:
            return name
    return "unknown"


@dataclass(frozen=True)
class Rate:
    children: int
    linked: int

    @property
    def rate(self) -> float | None:
        return round(self.linked / self.children, 4) if self.children else None

    def to_dict(self) -> dict[str, Any]:
        return {"children": self.children, "linked": self.linked, "rate": self.rate}


@dataclass(frozen=True)
class SchoolLine:
    urn: str
    name: str | None
    in_la: bool | None
    linked_children: int
    by_method: dict[str, int]


@dataclass(frozen=True)
class MatchReport:
    as_at: date
    overall: Rate
    by_method: dict[str, int]
    by_status: dict[str, Rate]
    by_age_band: dict[str, Rate]
    by_location: dict[str, int]  # in_la / out_of_la / unknown: linked children
    by_school: list[SchoolLine]
    school_age: Rate
    unmatched_school_age: dict[str, int]
    notes: list[str] = field(default_factory=list)
    # Why the last run linked without the probabilistic pass (None: the pass ran).
    probabilistic_skipped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["as_at"] = self.as_at.isoformat()
        d["overall"] = self.overall.to_dict()
        d["school_age"] = self.school_age.to_dict()
        d["by_status"] = {k: v.to_dict() for k, v in self.by_status.items()}
        d["by_age_band"] = {k: v.to_dict() for k, v in self.by_age_band.items()}
        return d


def build_report(
    as_at: date,
    members: pa.Table,
    links: pa.Table,
    status: pa.Table,
    establishments: pa.Table,
    settings: LinkageSettings,
) -> MatchReport:
    """The report from plain tables (cohort members ``la_child_id, birth_date, status``)."""
    notes: list[str] = []
    la_code = settings.la_code
    estab = {r["urn"]: r for r in establishments.to_pylist()}
    if la_code is None and estab:
        la_code = Counter(r["la_code"] for r in estab.values() if r["la_code"]).most_common(1)[0][0]
        notes.append(f"in-LA means LA code {la_code} (the most common in GIAS; set linkage.la_code)")
    reason_of = {r["la_child_id"]: r["reason"] for r in status.to_pylist()}
    child_links: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in links.to_pylist():
        child_links[r["la_child_id"]].append(r)

    def first_method(rows: list[dict[str, Any]]) -> str:
        return min((str(r["method"]) for r in rows), key=METHODS.index)

    overall = [0, 0]
    by_method: Counter[str] = Counter()
    by_status: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_band: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_location: Counter[str] = Counter()
    schools: dict[str, Counter[str]] = defaultdict(Counter)
    school_age = [0, 0]
    unmatched: Counter[str] = Counter({reason: 0 for reason in UNMATCHED_REASONS})
    low, high = settings.school_age
    for m in members.to_pylist():
        child = m["la_child_id"]
        rows = child_links.get(child, [])
        linked = bool(rows)
        age = age_on_31_august(m["birth_date"], as_at) if m["birth_date"] else None
        for bucket in (overall, by_status[m["status"]], by_band[_band(age)]):
            bucket[0] += 1
            bucket[1] += linked
        if age is not None and low <= age <= high:
            school_age[0] += 1
            school_age[1] += linked
            if not linked:
                unmatched[reason_of.get(child) or "no_candidate"] += 1
        if not linked:
            continue
        by_method[first_method(rows)] += 1
        locations = set()
        for urn in {r["urn"] for r in rows}:
            e = estab.get(urn)
            loc = "unknown" if e is None or la_code is None else ("in_la" if e["la_code"] == la_code else "out_of_la")
            locations.add(loc)
            schools[urn][first_method([r for r in rows if r["urn"] == urn])] += 1
        for loc in locations:
            by_location[loc] += 1
    by_school = [
        SchoolLine(
            urn,
            estab[urn]["name"] if urn in estab else None,
            None if urn not in estab or la_code is None else estab[urn]["la_code"] == la_code,
            sum(methods.values()),
            {m: methods[m] for m in METHODS if methods[m]},
        )
        for urn, methods in sorted(schools.items())
    ]
    return MatchReport(
        as_at=as_at,
        overall=Rate(*overall),
        by_method={m: by_method[m] for m in METHODS},
        by_status={k: Rate(*v) for k, v in sorted(by_status.items())},
        by_age_band={name: Rate(*by_band[name]) for name in [b[0] for b in AGE_BANDS] + ["unknown"] if name in by_band},
        by_location={k: by_location[k] for k in ("in_la", "out_of_la", "unknown")},
        by_school=by_school,
        school_age=Rate(*school_age),
        unmatched_school_age=dict(unmatched),
        notes=notes,
    )


def match_report(
    warehouse: Warehouse,
    as_at: date,
    settings: LinkageSettings | None = None,
    cohort_settings: CohortSettings | None = None,
) -> MatchReport:
    """The match report for the cohort at ``as_at``, from the last linkage run's stored tables."""
    settings = settings or LinkageSettings()
    store = LinkageStore(warehouse)
    raw = warehouse.raw_tables()
    members = cohort(raw, as_at, cohort_settings).select("la_child_id", "birth_date", "status").to_pyarrow()
    establishments = current(raw, "establishment").select("urn", "la_code", "name").to_pyarrow()
    report = build_report(as_at, members, store.table("link"), store.table("link_status"), establishments, settings)
    if not store.has_run():
        report.notes.append("linkage has not been run: run `ever6 link` first")
    skipped = store.probabilistic_skipped()
    if skipped is not None:
        report = replace(report, probabilistic_skipped=skipped)
        report.notes.append(f"the probabilistic pass was skipped: {skipped}; only the deterministic passes linked")
    return report
