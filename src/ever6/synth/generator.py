"""``generate``: build the synthetic authority and write every file, plus the manifest.

Each stage draws from its own child of one ``SeedSequence``, so a change in one stage's number
of draws does not reshuffle the others, and the same seed always gives byte-identical files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from faker import Faker

from ever6.dates import latest_birth_date_reaching
from ever6.synth import census_view as cv
from ever6.synth.edge_cases import add_revisions, build_edge_children, edge_cases
from ever6.synth.family_support import write_family_support
from ever6.synth.names import make_name_pools
from ever6.synth.noise import assign_upn_recording, make_case_management, noise_rates, write_case_management
from ever6.synth.population import append_persons, assign_upns, make_population
from ever6.synth.pupils import make_pupils, write_pupils
from ever6.synth.rand import Draws
from ever6.synth.scales import (
    ACADEMIC_YEAR_START,
    CIN_YEARS,
    LA_CODE,
    LA_NAME,
    PREVIOUS_REFERENCE_DATE,
    REFERENCE_DATE,
    SCALES,
    SSDA903_YEARS,
    TRUTH_REFERENCE_DATES,
)
from ever6.synth.school_data import make_school_data
from ever6.synth.schools import make_schools, write_schools
from ever6.synth.social_care import ScChild, simulate, truncate
from ever6.synth.truth import ChildFacts, Coverage, cohort, from_simulation, write_cohort
from ever6.synth.writers import write_cin_census, write_csv, write_ssda903

GENERATOR = "ever6.synth/1"
TRUTH_CHILDREN_COLUMNS = (
    "la_child_id",
    "person_id",
    "true_upn",
    "true_former_upn",
    "upn_recording",
    "recorded_upn",
    "urns",
    "forename",
    "surname",
    "dob",
    "expected_dob",
    "sex",
    "death_date",
    "in_cin_census",
    "in_ssda903",
    "is_pupil",
    "cm_noise",
    "edge_case",
)
Progress = Callable[[str, float], None]


@dataclass
class FileEntry:
    path: str
    rows: int
    bytes: int
    sha256: str


@dataclass
class Manifest:
    scale: str
    seed: int
    la_code: str
    la_name: str
    reference_date: str
    previous_reference_date: str
    academic_year: str
    cin_census_years: list[int]
    ssda903_years: list[int]
    # The dates the truth files are computed for (ISO, newest first).
    reference_dates: list[str] = field(default_factory=list)
    files: list[FileEntry] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    calibration: dict[str, float] = field(default_factory=dict)
    noise_counts: dict[str, int] = field(default_factory=dict)
    noise_rates: dict[str, float] = field(default_factory=dict)
    revisions: dict[str, int] = field(default_factory=dict)
    edge_cases: list[str] = field(default_factory=list)
    generator: str = GENERATOR

    def summary(self) -> str:
        """One line for people: sizes and the headline cohort."""
        c = self.counts
        cohort = c.get(f"cohort_{self.reference_date}_default", 0)
        return (
            f"{c.get('pupils', 0):,} pupils at {c.get('schools', 0):,} schools, "
            f"{c.get('social_care_children', 0):,} children known to social care, "
            f"{cohort:,} in the Ever6 CWSW output at {self.reference_date} "
            f"({self.calibration.get('pupils_cwsw_share', 0.0):.1%} of pupils Ever6 CWSW)"
        )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        data["files"] = [FileEntry(**f) for f in data["files"]]
        return cls(**data)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _truth_children(
    children: list[ScChild],
    pop: Any,
    urns_by_person: dict[int, list[str]],
    cm_noise: dict[str, tuple[str, ...]],
    in_cin: set[str],
    in_903: set[str],
) -> list[list[str]]:
    rows: list[list[str]] = []
    for c in sorted(children, key=lambda c: c.la_child_id):
        p = c.person
        urns = urns_by_person.get(p, [])
        rows.append(
            [
                c.la_child_id,
                str(p),
                str(pop.upn[p]),
                str(pop.former_upn[p]),
                c.upn_recording,
                c.recorded_upn,
                ";".join(urns),
                str(pop.forename[p]),
                str(pop.surname[p]),
                date.fromordinal(c.dob).isoformat(),
                date.fromordinal(c.expected_dob).isoformat() if c.expected_dob else "",
                "M" if c.male else "F",
                date.fromordinal(c.death).isoformat() if c.death else "",
                str(c.la_child_id in in_cin).lower(),
                str(c.la_child_id in in_903).lower(),
                str(bool(urns)).lower(),
                ";".join(cm_noise.get(c.la_child_id, ())),
                c.edge_case,
            ]
        )
    return rows


def _at_r_rates(facts: list[ChildFacts], pop: Any) -> dict[str, float]:
    """Children in need / on a CP plan / looked after at R per child aged 0-17 (as published)."""
    r = REFERENCE_DATE
    cutoff = latest_birth_date_reaching(18, r)
    n = int(((pop.dob > cutoff.toordinal()) & (pop.dob <= r.toordinal())).sum())
    cin = cpp = cla = 0
    for child in facts:
        if child.birth is None or child.birth <= cutoff or (child.death is not None and child.death <= r):
            continue
        open_eps = [ep for ep in child.episodes if ep.closure is None and not ep.nfa]
        cin += bool(open_eps)
        cpp += any(end is None or end >= r for ep in open_eps for _, end in ep.cp_plans)
        cla += any(end is None for _, end in child.care)
    return {
        "children_0_17": n,
        "cin_rate_at_r": round(cin / n, 5),
        "cpp_rate_at_r": round(cpp / n, 5),
        "cla_rate_at_r": round(cla / n, 5),
    }


def generate(scale: str, seed: int, out: Path, *, progress: Progress | None = None) -> Manifest:
    """Generate the synthetic authority ``scale`` for ``seed`` into ``out``; returns the manifest."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose from {', '.join(SCALES)}")
    sc = SCALES[scale]

    def step(stage: str, fraction: float) -> None:
        if progress is not None:
            progress(stage, fraction)

    streams = np.random.SeedSequence(seed).spawn(12)
    rng = [np.random.default_rng(s) for s in streams]
    out = Path(out)
    for sub in ("", "cin_census", "ssda903", "truth"):
        (out / sub).mkdir(parents=True, exist_ok=True)

    step("population", 0.0)
    faker = Faker("en_GB")
    faker.seed_instance(seed)
    pools = make_name_pools(faker)
    pop = make_population(rng[0], sc, pools)
    schools = make_schools(rng[1], sc)
    cases = edge_cases()
    edge_persons = append_persons(pop, rng[2], [date.fromisoformat(c.dob).toordinal() for c in cases], pools)
    assign_upns(pop, rng[3], [s.estab for s in schools if s.in_la and s.kind == "primary"])

    step("social care", 0.15)
    ids = [str(i) for i in 1_000_000 + rng[4].choice(9_000_000, pop.n + len(cases), replace=False)]
    # The edge cases' persons are hand-made: not simulated as well (one child, one record).
    edge_set = set(edge_persons)
    children = [c for c in simulate(pop, rng[5], ids[len(cases) :]) if c.person not in edge_set]
    edge_children = build_edge_children(cases, edge_persons, ids[: len(cases)])
    for child in edge_children:
        truncate(child)
    revisions = add_revisions(Draws(rng[6]), children, per_kind=max(3, len(children) // 3000))
    children = sorted(children + edge_children, key=lambda c: c.la_child_id)
    assign_upn_recording(rng[7], pop, children)

    step("files: CIN census", 0.35)
    files: list[FileEntry] = []
    counts: dict[str, int] = {}
    in_cin: set[str] = set()
    for year in CIN_YEARS:
        views = [v for v in (cv.child_view(c, pop, year) for c in children) if v is not None]
        in_cin.update(v.la_child_id for v in views)
        write_cin_census(out / "cin_census" / f"cin_census_{year}.xml", year, views)
        counts[f"cin_census_{year}_children"] = len(views)
        counts[f"cin_census_{year}_episodes"] = sum(len(v.episodes) for v in views)
    step("files: SSDA903", 0.55)
    in_903: set[str] = set()
    for year in SSDA903_YEARS:
        care_views = [v for v in (cv.care_child_view(c, pop, year) for c in children) if v is not None]
        in_903.update(v.la_child_id for v in care_views)
        n_children, n_rows = write_ssda903(out / "ssda903", year, care_views)
        counts[f"ssda903_{year}_children"] = n_children
        counts[f"ssda903_{year}_episodes"] = n_rows

    step("truth", 0.65)
    # From the simulation, not from the views just written (tests/synth compares the two).
    facts = from_simulation(children, pop, Coverage(CIN_YEARS, SSDA903_YEARS, cv.CIN_PLANS_FROM_YEAR))
    cohorts: dict[tuple[date, bool], list[Any]] = {}
    for r in TRUTH_REFERENCE_DATES:
        for strict in (False, True):
            rows = cohort(facts, r, strict=strict)
            cohorts[(r, strict)] = rows
            name = f"cohort_{r.isoformat()}_{'strict' if strict else 'default'}.csv"
            counts[name.removesuffix(".csv")] = write_cohort(out / "truth" / name, rows)

    step("pupils", 0.75)
    year_start = ACADEMIC_YEAR_START.toordinal()
    window = date(2019, 9, 1).toordinal()
    cwsw_persons = {
        c.person
        for c in children
        if any(
            not ep.nfa and (ep.assessments or ep.cp_plans) and (ep.closure is None or ep.closure >= window)
            for ep in c.episodes
        )
    }
    cla_persons = {c.person for c in children if any(r.dec is None or r.dec >= year_start for r in c.care)}
    dead = {c.person for c in children if c.death is not None and c.death < year_start}
    attrs, enrolments = make_pupils(rng[8], pop, schools, cwsw_persons, cla_persons, dead)
    urns_by_person: dict[int, list[str]] = {}
    for e in enrolments:
        urns_by_person.setdefault(int(attrs.person[e.pupil]), []).append(e.urn)

    step("case management", 0.85)
    records = make_case_management(rng[9], pop, pools, children)
    noise_counts, rates = noise_rates(records)

    step("writing", 0.9)
    counts["schools"] = write_schools(out / "schools.csv", schools)
    counts["schools_in_la"] = sum(s.in_la for s in schools)
    counts["pupils"] = len(attrs.person)
    counts["pupil_enrolments"] = write_pupils(out / "pupils.csv", pop, attrs, enrolments)
    counts["case_management"] = write_case_management(out, records)
    # Its own stream (not one of the twelve above), so the rest of the authority is unchanged.
    counts.update(write_family_support(out, np.random.default_rng((seed, 0x6B696E)), pop, children))
    counts["persons"] = pop.n
    counts["social_care_children"] = len(children)
    cm_noise = {r.la_child_id: r.noise for r in records}
    counts["truth_children"] = write_csv(
        out / "truth" / "children.csv",
        TRUTH_CHILDREN_COLUMNS,
        _truth_children(children, pop, urns_by_person, cm_noise, in_cin, in_903),
    )

    # Calibration: what share of pupils are Ever6 CWSW at R, and rates at a time.
    person_of = {c.la_child_id: c.person for c in children}
    pupils = set(attrs.person.tolist())
    default_now = cohorts[(REFERENCE_DATE, False)]
    cwsw_pupils = {person_of[r.la_child_id] for r in default_now if r.cwsw} & pupils
    calibration: dict[str, float] = {
        "pupils_cwsw_share": round(len(cwsw_pupils) / max(1, len(pupils)), 5),
        **_at_r_rates(facts, pop),
    }
    for status in ("CLA", "CPP", "CINP", "CIN_OTHER", "EVER6_PREVIOUS"):
        counts[f"cohort_{REFERENCE_DATE.isoformat()}_default_{status}"] = sum(
            1 for r in default_now if r.status == status
        )

    # School data: attendance, exclusions, attainment and the generator's own figures for them.
    status_of = {person_of[r.la_child_id]: r.status for r in default_now}
    dead_before_2024 = {c.person for c in children if c.death is not None and c.death < date(2024, 9, 1).toordinal()}
    school = make_school_data(
        seed, out, pop, attrs, enrolments, schools, status_of, cwsw_persons, dead_before_2024, step=step
    )
    counts.update(school.counts)
    calibration.update(school.calibration)

    rel_paths = sorted(
        p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != "manifest.json"
    )
    row_counts = {
        "schools.csv": counts["schools"],
        "pupils.csv": counts["pupil_enrolments"],
        "case_management.csv": counts["case_management"],
        "truth/children.csv": counts["truth_children"],
        **school.rows,
    }
    for rel in rel_paths:
        path = out / rel
        n_rows = row_counts.get(rel, -1)
        if n_rows < 0:
            if rel.endswith(".xml"):
                n_rows = counts.get(f"cin_census_{rel[-8:-4]}_children", 0)
            elif rel.endswith(".csv"):
                with path.open("rb") as fh:
                    n_rows = sum(1 for _ in fh) - 1
            else:
                n_rows = 0
        files.append(FileEntry(rel, n_rows, path.stat().st_size, _sha256(path)))

    manifest = Manifest(
        scale=scale,
        seed=seed,
        la_code=LA_CODE,
        la_name=LA_NAME,
        reference_date=REFERENCE_DATE.isoformat(),
        previous_reference_date=PREVIOUS_REFERENCE_DATE.isoformat(),
        academic_year=f"{ACADEMIC_YEAR_START.year}/{(ACADEMIC_YEAR_START.year + 1) % 100:02d}",
        cin_census_years=list(CIN_YEARS),
        ssda903_years=list(SSDA903_YEARS),
        reference_dates=[d.isoformat() for d in TRUTH_REFERENCE_DATES],
        files=files,
        counts=counts,
        calibration=calibration,
        noise_counts=noise_counts,
        noise_rates=rates,
        revisions=revisions,
        edge_cases=[c.tag for c in cases],
    )
    (out / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    step("done", 1.0)
    return manifest
