"""The truth agrees with the files: parse what was written back and recompute the cohort.

The generator computes the truth from in-memory views of each file; this test reads the XML
and CSV files themselves, so a writer that dropped or mangled an element would show here.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree

from ever6.synth import generate
from ever6.synth.census_view import (
    AssessmentView,
    CareChildView,
    CareRowView,
    ChildView,
    CpPlanView,
    EpisodeView,
    PlanView,
    Section47View,
)
from ever6.synth.truth import cohort, latest_views


def _d(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _req(text: str | None) -> date:
    assert text
    return date.fromisoformat(text)


def _dmy(text: str) -> date | None:
    return datetime.strptime(text, "%d/%m/%Y").date() if text else None


def parse_cin(path: Path) -> list[ChildView]:
    children: list[ChildView] = []
    for c in etree.parse(str(path)).iterfind("Children/Child"):
        ident = c.find("ChildIdentifiers")
        chars = c.find("ChildCharacteristics")
        assert ident is not None
        assert chars is not None
        sex = ident.findtext("Sex") or {"1": "M", "2": "F"}.get(ident.findtext("GenderCurrent") or "", "U")
        episodes = []
        for ep in c.iterfind("CINdetails"):
            episodes.append(
                EpisodeView(
                    referral=_req(ep.findtext("CINreferralDate")),
                    source=ep.findtext("ReferralSource") or "",
                    need=ep.findtext("PrimaryNeedCode"),
                    closure=_d(ep.findtext("CINclosureDate")),
                    reason=ep.findtext("ReasonForClosure"),
                    initial_cpc=_d(ep.findtext("DateOfInitialCPC")),
                    nfa=ep.findtext("ReferralNFA") == "1",
                    assessments=tuple(
                        AssessmentView(
                            _req(a.findtext("AssessmentActualStartDate")),
                            _d(a.findtext("AssessmentInternalReviewDate")),
                            _d(a.findtext("AssessmentAuthorisationDate")),
                            tuple(f.text or "" for f in a.iter("AssessmentFactors")),
                        )
                        for a in ep.iterfind("Assessments")
                    ),
                    cin_plans=tuple(
                        PlanView(_req(p.findtext("CINPlanStartDate")), _d(p.findtext("CINPlanEndDate")))
                        for p in ep.iterfind("CINPlanDates")
                    ),
                    s47s=tuple(
                        Section47View(
                            _req(s.findtext("S47ActualStartDate")),
                            _req(s.findtext("InitialCPCtarget")),
                            _d(s.findtext("DateOfInitialCPC")),
                            s.findtext("ICPCnotRequired") == "1",
                        )
                        for s in ep.iterfind("Section47")
                    ),
                    cp_plans=tuple(
                        CpPlanView(
                            _req(p.findtext("CPPstartDate")),
                            _d(p.findtext("CPPendDate")),
                            p.findtext("InitialCategoryOfAbuse") or "",
                            p.findtext("LatestCategoryOfAbuse") or "",
                            int(p.findtext("NumberOfPreviousCPP") or 0),
                            tuple(_req(r.text) for r in p.iter("CPPreviewDate")),
                        )
                        for p in ep.iterfind("ChildProtectionPlans")
                    ),
                )
            )
        children.append(
            ChildView(
                la_child_id=ident.findtext("LAchildID") or "",
                upn=ident.findtext("UPN"),
                former_upn=ident.findtext("FormerUPN"),
                upn_unknown=ident.findtext("UPNunknown"),
                birth=_d(ident.findtext("PersonBirthDate")),
                expected_birth=_d(ident.findtext("ExpectedPersonBirthDate")),
                sex=sex,
                death=_d(ident.findtext("PersonDeathDate")),
                ethnicity=chars.findtext("Ethnicity") or "",
                disabilities=tuple(d.text or "" for d in chars.iter("Disability") if d.text != "NONE"),
                episodes=tuple(episodes),
            )
        )
    return children


def parse_903(out: Path, year: int) -> list[CareChildView]:
    with (out / "ssda903" / f"ssda903_{year}_episodes.csv").open(newline="") as fh:
        rows: dict[str, list[CareRowView]] = {}
        for r in csv.DictReader(fh):
            decom = _dmy(r["DECOM"])
            assert decom is not None
            rows.setdefault(r["CHILD"], []).append(
                CareRowView(
                    decom, r["RNE"], r["LS"], r["CIN"], r["PLACE"], r["PLACE_PROVIDER"], _dmy(r["DEC"]),
                    r["REC"] or None, r["REASON_PLACE_CHANGE"] or None, r["HOME_POST"], r["PL_POST"], r["URN"],
                )
            )  # fmt: skip
    with (out / "ssda903" / f"ssda903_{year}_header.csv").open(newline="") as fh:
        children = []
        for h in csv.DictReader(fh):
            birth = _dmy(h["DOB"])
            assert birth is not None
            children.append(
                CareChildView(h["CHILD"], h["SEX"] in ("1", "M"), birth, h["ETHNIC"], h["UPN"], tuple(rows[h["CHILD"]]))
            )
    return children


@pytest.mark.parametrize("seed", [7, 21])
def test_truth_recomputed_from_the_files_matches(tmp_path: Path, seed: int) -> None:
    generate("tiny", seed, tmp_path)
    cin = [(y, parse_cin(tmp_path / "cin_census" / f"cin_census_{y}.xml")) for y in range(2020, 2027)]
    care = [(y, parse_903(tmp_path, y)) for y in range(2021, 2027)]
    latest = latest_views(cin, care)
    for r in (date(2026, 3, 31), date(2025, 3, 31)):
        for strict in (False, True):
            name = f"cohort_{r.isoformat()}_{'strict' if strict else 'default'}.csv"
            with (tmp_path / "truth" / name).open(newline="") as fh:
                written = [tuple(row.values()) for row in csv.DictReader(fh)]
            recomputed = [
                (
                    c.la_child_id,
                    c.upn,
                    c.status,
                    c.last_qualifying_date.isoformat() if c.last_qualifying_date else "",
                    str(c.cwsw).lower(),
                    str(c.looked_after).lower(),
                )
                for c in sorted(cohort(latest, r, strict=strict), key=lambda c: c.la_child_id)
            ]
            assert recomputed == written, name
