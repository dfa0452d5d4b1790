"""The files hold what the truth says: parse what was written back, put the returns together
as ``docs/domain.md`` section 2 says (an episode's own fields from the newest file that holds it; its
assessments and plans the union over every file, each by its start date, the newest version
winning; the child from the newest file), and recompute the cohort.

The generator computes the truth from the simulation; this test reads the XML and CSV files
themselves, so a return that dropped, repeated or mangled a record would show here.
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
from ever6.synth.truth import ChildFacts, EpisodeFacts, Period, cohort


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


def facts_from_files(
    cin: list[tuple[int, list[ChildView]]], care: list[tuple[int, list[CareChildView]]]
) -> list[ChildFacts]:
    children: dict[str, ChildView] = {}
    episodes: dict[tuple[str, date], EpisodeView] = {}
    authorised: dict[tuple[str, date], dict[date, date | None]] = {}
    cin_plans: dict[tuple[str, date], dict[date, date | None]] = {}
    cp_plans: dict[tuple[str, date], dict[date, date | None]] = {}
    for _, views in sorted(cin, key=lambda item: item[0]):
        for child in views:
            children[child.la_child_id] = child
            for ep in child.episodes:
                key = (child.la_child_id, ep.referral)
                episodes[key] = ep
                authorised.setdefault(key, {}).update((a.start, a.auth) for a in ep.assessments)
                cin_plans.setdefault(key, {}).update((p.start, p.end) for p in ep.cin_plans)
                cp_plans.setdefault(key, {}).update((p.start, p.end) for p in ep.cp_plans)
    care_children: dict[str, CareChildView] = {}
    rows: dict[str, dict[date, date | None]] = {}
    for _, care_views in sorted(care, key=lambda item: item[0]):
        for cc in care_views:
            care_children[cc.la_child_id] = cc
            rows.setdefault(cc.la_child_id, {}).update((r.decom, r.dec) for r in cc.rows)
    facts = []
    for child_id in set(children) | set(care_children):
        c, cc = children.get(child_id), care_children.get(child_id)
        keys = sorted(k for k in episodes if k[0] == child_id)

        def periods(found: dict[date, date | None]) -> tuple[Period, ...]:
            return tuple(sorted(found.items()))

        upn = (c.upn or "") if c is not None else ""
        if not upn and cc is not None and not cc.upn.startswith("UN"):
            upn = cc.upn
        facts.append(
            ChildFacts(
                la_child_id=child_id,
                in_cin=c is not None,
                in_care=cc is not None,
                birth=c.birth if c is not None else cc.birth if cc is not None else None,
                death=c.death if c is not None else None,
                upn=upn,
                episodes=tuple(
                    EpisodeFacts(
                        referral=k[1],
                        closure=episodes[k].closure,
                        reason=episodes[k].reason,
                        nfa=episodes[k].nfa,
                        authorised=tuple(sorted(a for a in authorised[k].values() if a is not None)),
                        cin_plans=periods(cin_plans[k]),
                        cp_plans=periods(cp_plans[k]),
                    )
                    for k in keys
                ),
                care=periods(rows.get(child_id, {})),
            )
        )
    return facts


@pytest.mark.parametrize("seed", [7, 21])
def test_truth_recomputed_from_the_files_matches(tmp_path: Path, seed: int) -> None:
    generate("tiny", seed, tmp_path)
    cin = [(y, parse_cin(tmp_path / "cin_census" / f"cin_census_{y}.xml")) for y in range(2020, 2027)]
    care = [(y, parse_903(tmp_path, y)) for y in range(2021, 2027)]
    facts = facts_from_files(cin, care)
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
                for c in cohort(facts, r, strict=strict)
            ]
            assert recomputed == written, name


def test_no_file_repeats_an_earlier_years_activity(tiny_returns: Path) -> None:
    """A real return holds its own year's activity only: no assessment authorised, plan ended or
    conference held before the year (DfE rules 8696, 4013, 8930, 8715): ``tiny`` at seed 7."""
    held_over = after_closure = 0
    for year in range(2020, 2027):
        first = date(year - 1, 4, 1)
        for child in parse_cin(tiny_returns / "cin_census" / f"cin_census_{year}.xml"):
            for ep in child.episodes:
                dates = [a.auth for a in ep.assessments] + [p.end for p in ep.cin_plans + ep.cp_plans]
                dates += [s.icpc for s in ep.s47s]
                held_over += sum(1 for d in dates if d is not None and d < first)
                if ep.closure is not None:  # nothing after the episode closed (DfE 8565)
                    dates += [a.start for a in ep.assessments] + [p.start for p in ep.cin_plans + ep.cp_plans]
                    dates += [s.start for s in ep.s47s] + [r for p in ep.cp_plans for r in p.reviews]
                    after_closure += sum(1 for d in dates if d is not None and d > ep.closure)
    assert held_over == 0
    assert after_closure == 0
