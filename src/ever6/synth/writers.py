"""Rendering views to the real file formats: CIN census XML, SSDA903 CSVs, truth CSVs.

The XML is built as text (every value escaped) because it is several times faster than
building an lxml tree for the ``la`` scale; element names and order follow the
liia-tools-pipeline XSD of each year, which the tests validate against.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from ever6.synth.census_view import (
    SEX_CODES_FROM_YEAR,
    CareChildView,
    ChildView,
    EpisodeView,
    reference_date,
)
from ever6.synth.scales import LA_CODE

_GENDER = {"M": "1", "F": "2", "U": "0"}  # GenderCurrent until 2024 (0 = not known)
HEADER_903 = ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
EPISODES_903 = (
    "CHILD",
    "DECOM",
    "RNE",
    "LS",
    "CIN",
    "PLACE",
    "PLACE_PROVIDER",
    "DEC",
    "REC",
    "REASON_PLACE_CHANGE",
    "HOME_POST",
    "PL_POST",
    "URN",
)


def _el(out: list[str], indent: str, name: str, value: str | date | None) -> None:
    if value is None:
        return
    text = value.isoformat() if isinstance(value, date) else escape(value)
    out.append(f"{indent}<{name}>{text}</{name}>\n")


def _episode(out: list[str], ep: EpisodeView) -> None:
    i3, i4, i5, i6 = " " * 6, " " * 8, " " * 10, " " * 12
    out.append(f"{i3}<CINdetails>\n")
    _el(out, i4, "CINreferralDate", ep.referral)
    _el(out, i4, "ReferralSource", ep.source)
    _el(out, i4, "PrimaryNeedCode", ep.need)
    _el(out, i4, "CINclosureDate", ep.closure)
    _el(out, i4, "ReasonForClosure", ep.reason)
    _el(out, i4, "DateOfInitialCPC", ep.initial_cpc)
    for a in ep.assessments:
        out.append(f"{i4}<Assessments>\n")
        _el(out, i5, "AssessmentActualStartDate", a.start)
        _el(out, i5, "AssessmentInternalReviewDate", a.review)
        _el(out, i5, "AssessmentAuthorisationDate", a.auth)
        if a.auth is not None and a.factors:  # factors are recorded when the assessment is authorised
            out.append(f"{i5}<FactorsIdentifiedAtAssessment>\n")
            for f in a.factors:
                _el(out, i6, "AssessmentFactors", f)
            out.append(f"{i5}</FactorsIdentifiedAtAssessment>\n")
        out.append(f"{i4}</Assessments>\n")
    for p in ep.cin_plans:
        out.append(f"{i4}<CINPlanDates>\n")
        _el(out, i5, "CINPlanStartDate", p.start)
        _el(out, i5, "CINPlanEndDate", p.end)
        out.append(f"{i4}</CINPlanDates>\n")
    for s in ep.s47s:
        out.append(f"{i4}<Section47>\n")
        _el(out, i5, "S47ActualStartDate", s.start)
        _el(out, i5, "InitialCPCtarget", s.target)
        _el(out, i5, "DateOfInitialCPC", s.icpc)
        _el(out, i5, "ICPCnotRequired", "1" if s.not_required else "0")
        out.append(f"{i4}</Section47>\n")
    _el(out, i4, "ReferralNFA", "1" if ep.nfa else "0")
    for c in ep.cp_plans:
        out.append(f"{i4}<ChildProtectionPlans>\n")
        _el(out, i5, "CPPstartDate", c.start)
        _el(out, i5, "CPPendDate", c.end)
        _el(out, i5, "InitialCategoryOfAbuse", c.initial_category)
        _el(out, i5, "LatestCategoryOfAbuse", c.latest_category)
        _el(out, i5, "NumberOfPreviousCPP", str(c.previous))
        if c.reviews:
            out.append(f"{i5}<Reviews>\n")
            for r in c.reviews:
                _el(out, i6, "CPPreviewDate", r)
            out.append(f"{i5}</Reviews>\n")
        out.append(f"{i4}</ChildProtectionPlans>\n")
    out.append(f"{i3}</CINdetails>\n")


def write_cin_census(path: Path, year: int, children: list[ChildView]) -> int:
    ref = reference_date(year)
    out: list[str] = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        "<Message>\n",
        "  <Header>\n",
        "    <CollectionDetails>\n",
        "      <Collection>CIN</Collection>\n",
        f"      <Year>{year}</Year>\n",
        f"      <ReferenceDate>{ref.isoformat()}</ReferenceDate>\n",
        "    </CollectionDetails>\n",
        "    <Source>\n",
        "      <SourceLevel>L</SourceLevel>\n",
        f"      <LEA>{LA_CODE}</LEA>\n",
        "      <SoftwareCode>Local Authority</SoftwareCode>\n",
        "      <Release>ever6-synth 1</Release>\n",
        "      <SerialNo>001</SerialNo>\n",
        # A fixed submission time keeps files byte-identical for a seed.
        f"      <DateTime>{year}-05-20T09:30:00</DateTime>\n",
        "    </Source>\n",
        "  </Header>\n",
        "  <Children>\n",
    ]
    i2, i3, i4 = " " * 4, " " * 6, " " * 8
    sex_element = "Sex" if year >= SEX_CODES_FROM_YEAR else "GenderCurrent"
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for child in children:
            out.append(f"{i2}<Child>\n{i3}<ChildIdentifiers>\n")
            _el(out, i4, "LAchildID", child.la_child_id)
            _el(out, i4, "UPN", child.upn)
            _el(out, i4, "FormerUPN", child.former_upn)
            _el(out, i4, "UPNunknown", child.upn_unknown)
            _el(out, i4, "PersonBirthDate", child.birth)
            _el(out, i4, "ExpectedPersonBirthDate", child.expected_birth)
            _el(out, i4, sex_element, child.sex if year >= SEX_CODES_FROM_YEAR else _GENDER[child.sex])
            _el(out, i4, "PersonDeathDate", child.death)
            out.append(f"{i3}</ChildIdentifiers>\n{i3}<ChildCharacteristics>\n")
            _el(out, i4, "Ethnicity", child.ethnicity)
            disabilities = child.disabilities
            if not disabilities and child.birth is not None and int(child.la_child_id[-1]) < 6:
                disabilities = ("NONE",)  # most systems record "no disability" explicitly
            if disabilities:
                out.append(f"{i4}<Disabilities>\n")
                for dis in disabilities:
                    _el(out, i4 + "  ", "Disability", dis)
                out.append(f"{i4}</Disabilities>\n")
            out.append(f"{i3}</ChildCharacteristics>\n")
            for ep in child.episodes:
                _episode(out, ep)
            out.append(f"{i2}</Child>\n")
            if len(out) > 20_000:
                fh.write("".join(out))
                out.clear()
        out.append("  </Children>\n</Message>\n")
        fh.write("".join(out))
    return len(children)


def _dmy(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d is not None else ""


def write_ssda903(out_dir: Path, year: int, children: list[CareChildView]) -> tuple[int, int]:
    rows = 0
    with (out_dir / f"ssda903_{year}_header.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(HEADER_903)
        for c in children:
            sex = ("M" if c.male else "F") if year >= SEX_CODES_FROM_YEAR else ("1" if c.male else "2")
            mother = "" if c.male else "0"  # completed for every girl (DfE 393, 607); 0 = not a mother
            w.writerow([c.la_child_id, sex, _dmy(c.birth), c.ethnicity, c.upn, mother, ""])
    with (out_dir / f"ssda903_{year}_episodes.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(EPISODES_903)
        for c in children:
            for r in c.rows:
                w.writerow(
                    [
                        c.la_child_id,
                        _dmy(r.decom),
                        r.rne,
                        r.ls,
                        r.cin,
                        r.place,
                        r.provider,
                        _dmy(r.dec),
                        r.rec or "",
                        r.reason_place_change or "",
                        r.home_post,
                        r.pl_post,
                        r.urn,
                    ]
                )
                rows += 1
    return len(children), rows


def write_csv(path: Path, header: Iterable[str], rows: Iterable[Iterable[object]]) -> int:
    n = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(list(header))
        for row in rows:
            w.writerow(list(row))
            n += 1
    return n
