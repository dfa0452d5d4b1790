"""The synthetic authority: layout, determinism, formats, truth and calibration."""

from __future__ import annotations

import ast
import csv
import hashlib
import tomllib
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree
from stdnum.gb import upn as upn_mod

from ever6.synth import SCALES, Manifest, generate
from ever6.synth.edge_cases import edge_cases
from ever6.synth.names import NICKNAMES
from ever6.synth.noise import CM_COLUMNS, NOISE_TAGS
from ever6.synth.pupils import PUPIL_COLUMNS
from ever6.synth.schools import SCHOOL_COLUMNS
from ever6.synth.truth import COHORT_HEADER
from tests.synth.conftest import TINY_SEED

SEED = TINY_SEED
R = date(2026, 3, 31)
RP = date(2025, 3, 31)
COHORT_FILES = [f"cohort_{r.isoformat()}_{m}.csv" for r in (R, RP) for m in ("default", "strict")]


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh))


@pytest.fixture(scope="module")
def tiny(tiny_returns: Path) -> Path:
    """``tiny`` at seed 7, generated once a run (tests/synth/conftest.py)."""
    return tiny_returns


@pytest.fixture(scope="module")
def manifest(tiny: Path) -> Manifest:
    return Manifest.from_json((tiny / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def truth_children(tiny: Path) -> dict[str, dict[str, str]]:
    return {r["la_child_id"]: r for r in rows(tiny / "truth" / "children.csv")}


# --- layout and determinism -------------------------------------------------------------------


def test_layout(tiny: Path, manifest: Manifest) -> None:
    expected = {
        "schools.csv",
        "pupils.csv",
        "pupils_2024-25.csv",
        "case_management.csv",
        "case_management_mapping.toml",
        "truth/children.csv",
        *(f"cin_census/cin_census_{y}.xml" for y in range(2020, 2027)),
        *(f"ssda903/ssda903_{y}_{t}.csv" for y in range(2021, 2027) for t in ("header", "episodes")),
        *(f"truth/{name}" for name in COHORT_FILES),
        "attendance/attendance_2025-26.csv",
        "attendance/attendance_termly_2024-25.csv",
        "exclusions.csv",
        "attainment.csv",
        "truth/measures_2025-26.csv",
        "kinship_register.csv",
        "kinship_register_mapping.toml",
        "early_help.csv",
        "early_help_mapping.toml",
        "truth/optional_groups.csv",
    }
    on_disk = {p.relative_to(tiny).as_posix() for p in tiny.rglob("*") if p.is_file()}
    assert on_disk == expected | {"manifest.json"}
    assert {f.path for f in manifest.files} == expected
    for f in manifest.files:
        data = (tiny / f.path).read_bytes()
        assert len(data) == f.bytes
        assert hashlib.sha256(data).hexdigest() == f.sha256
    assert manifest.scale == "tiny"
    assert manifest.seed == SEED
    assert manifest.la_code == "886"
    assert manifest.reference_date == "2026-03-31"
    assert manifest.previous_reference_date == "2025-03-31"
    assert manifest.reference_dates == ["2026-03-31", "2025-03-31"]
    assert "pupils" in manifest.summary()


def test_same_seed_same_bytes_and_different_seed_differs(tiny: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    other = tmp_path / "other"
    generate("tiny", SEED, again)
    generate("tiny", SEED + 1, other)
    for p in tiny.rglob("*"):
        if p.is_file():
            rel = p.relative_to(tiny)
            assert (again / rel).read_bytes() == p.read_bytes(), rel
    assert (other / "pupils.csv").read_bytes() != (tiny / "pupils.csv").read_bytes()
    assert (other / "cin_census" / "cin_census_2026.xml").read_bytes() != (
        tiny / "cin_census" / "cin_census_2026.xml"
    ).read_bytes()


def test_progress_is_reported(tmp_path: Path) -> None:
    seen: list[tuple[str, float]] = []
    generate("tiny", 3, tmp_path, progress=lambda stage, fraction: seen.append((stage, fraction)))
    assert seen[0][1] == 0.0
    assert seen[-1] == ("done", 1.0)
    assert [f for _, f in seen] == sorted(f for _, f in seen)


def test_unknown_scale(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown scale"):
        generate("huge", 1, tmp_path)


def test_scales() -> None:
    assert set(SCALES) >= {"tiny", "small", "la"}
    assert SCALES["la"].pupils == 250_000
    assert SCALES["la"].in_la_schools == 600


# --- schools and pupils -----------------------------------------------------------------------


def test_schools(tiny: Path, reference_dir: Path) -> None:
    assert header(tiny / "schools.csv") == list(SCHOOL_COLUMNS)
    schools = rows(tiny / "schools.csv")
    gias_types = {
        (r["type-of-establishment-code"], r["type-of-establishment-name"], r["establishment-type-group-name"])
        for r in rows(reference_dir / "gias" / "witan.gias_edubasealldata20250422-establishment-types.csv")
    }
    for s in schools:
        assert len(s["URN"]) == 6
        assert s["URN"].isdigit()
        assert (
            str(int(s["TypeOfEstablishment (code)"])),
            s["TypeOfEstablishment (name)"],
            s["EstablishmentTypeGroup (name)"],
        ) in gias_types
        assert len(s["EstablishmentNumber"]) == 4
    in_la = [s for s in schools if s["LA (code)"] == "886"]
    assert 8 <= len(in_la) <= 14
    assert len(schools) > len(in_la)  # some schools in neighbouring LAs
    primary = sum(s["PhaseOfEducation (name)"] == "Primary" for s in in_la)
    assert primary / len(in_la) >= 0.6
    assert any(s["TypeOfEstablishment (code)"] in ("14", "38", "42", "43") for s in in_la)


def test_pupils(tiny: Path) -> None:
    assert header(tiny / "pupils.csv") == list(PUPIL_COLUMNS)
    pupils = rows(tiny / "pupils.csv")
    urns = {s["URN"] for s in rows(tiny / "schools.csv")}
    by_upn: dict[str, list[dict[str, str]]] = {}
    for p in pupils:
        assert upn_mod.is_valid(p["upn"]), p["upn"]
        assert p["former_upn"] == "" or upn_mod.is_valid(p["former_upn"])
        assert p["urn"] in urns
        assert p["sex"] in ("M", "F")
        assert p["sen"] in ("N", "K", "E")
        assert p["fsm_ever6"] in ("0", "1")
        assert p["ncyear"] in {"R", *map(str, range(1, 14))}
        entry = date.fromisoformat(p["entry_date"])
        if p["leaving_date"]:
            assert date.fromisoformat(p["leaving_date"]) >= entry
        date.fromisoformat(p["dob"])
        by_upn.setdefault(p["upn"], []).append(p)
    assert 1_500 <= len(by_upn) <= 2_500
    assert any(p["former_upn"] for p in pupils)
    # One pupil, one identity: every enrolment of a UPN has the same name and date of birth.
    for enrolments in by_upn.values():
        assert len({(e["forename"], e["surname"], e["dob"]) for e in enrolments}) == 1
    movers = [e for e in by_upn.values() if len(e) > 1]
    assert movers, "some pupils change school mid-year or are dual registered"


# --- CIN census -------------------------------------------------------------------------------


@pytest.mark.parametrize("year", range(2020, 2027))
def test_cin_census_validates_against_pipeline_xsd(tiny: Path, reference_dir: Path, year: int) -> None:
    xsd = reference_dir / "cin_census" / "xsd" / "liia-tools-pipeline" / f"CIN_schema_{year}.xsd"
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    doc = etree.parse(str(tiny / "cin_census" / f"cin_census_{year}.xml"))
    assert schema.validate(doc), schema.error_log
    assert doc.findtext("Header/CollectionDetails/ReferenceDate") == f"{year}-03-31"
    sex = "Sex" if year >= 2025 else "GenderCurrent"
    assert doc.find(f"Children/Child/ChildIdentifiers/{sex}") is not None


def _episodes(path: Path) -> dict[tuple[str, str], etree._Element]:
    doc = etree.parse(str(path))
    found: dict[tuple[str, str], etree._Element] = {}
    for child in doc.iterfind("Children/Child"):
        cid = child.findtext("ChildIdentifiers/LAchildID") or ""
        for ep in child.iterfind("CINdetails"):
            found[(cid, ep.findtext("CINreferralDate") or "")] = ep
    return found


def test_cin_files_overlap_like_the_real_census(tiny: Path) -> None:
    y25 = _episodes(tiny / "cin_census" / "cin_census_2025.xml")
    y26 = _episodes(tiny / "cin_census" / "cin_census_2026.xml")
    open_then_closed = [
        k
        for k, ep in y25.items()
        if ep.find("CINclosureDate") is None and k in y26 and y26[k].find("CINclosureDate") is not None
    ]
    assert open_then_closed
    for year, eps in ((2025, y25), (2026, y26)):
        first, ref = date(year - 1, 4, 1), date(year, 3, 31)
        for ep in eps.values():
            assert date.fromisoformat(ep.findtext("CINreferralDate") or "") <= ref
            closure = ep.findtext("CINclosureDate")
            if closure:
                assert first <= date.fromisoformat(closure) <= ref


def test_cin_content_is_rich(tiny: Path) -> None:
    doc = etree.parse(str(tiny / "cin_census" / "cin_census_2026.xml"))
    for tag in (
        "Assessments",
        "CINPlanDates",
        "Section47",
        "ChildProtectionPlans",
        "Disability",
        "AssessmentFactors",
        "UPNunknown",
        "PersonDeathDate",
        "ExpectedPersonBirthDate",
        "CPPreviewDate",
    ):
        assert doc.find(f".//{tag}") is not None, tag
    assert {e.text for e in doc.iter("ReferralNFA")} == {"0", "1"}


def test_unborn_child_in_census_but_not_in_cohort(tiny: Path, truth_children: dict[str, dict[str, str]]) -> None:
    unborn = next(k for k, r in truth_children.items() if r["edge_case"] == "unborn_with_cp_plan")
    doc = etree.parse(str(tiny / "cin_census" / "cin_census_2026.xml"))
    child = next(c for c in doc.iterfind("Children/Child") if c.findtext("ChildIdentifiers/LAchildID") == unborn)
    assert child.find("ChildIdentifiers/PersonBirthDate") is None
    assert child.findtext("ChildIdentifiers/ExpectedPersonBirthDate") == "2026-05-20"
    assert child.findtext("ChildIdentifiers/Sex") == "U"
    for name in COHORT_FILES:
        assert unborn not in {r["la_child_id"] for r in rows(tiny / "truth" / name)}


def test_revisions_change_between_files(
    tiny: Path, manifest: Manifest, truth_children: dict[str, dict[str, str]]
) -> None:
    assert all(n >= 1 for n in manifest.revisions.values()), manifest.revisions
    revised = {k for k, r in truth_children.items() if r["edge_case"].startswith("revision_")}
    files = {y: _episodes(tiny / "cin_census" / f"cin_census_{y}.xml") for y in range(2021, 2027)}
    changed = 0
    for y in range(2021, 2026):
        for key, ep in files[y].items():
            later = files[y + 1].get(key)
            if key[0] in revised and later is not None:
                before = (ep.findtext("ReasonForClosure"), ep.findtext("ReferralNFA"), ep.findtext("CINclosureDate"))
                after = (
                    later.findtext("ReasonForClosure"),
                    later.findtext("ReferralNFA"),
                    later.findtext("CINclosureDate"),
                )
                if (before[0] is not None and before != after) or before[1] != after[1]:
                    changed += 1
    assert changed >= 4


# --- SSDA903 and case management -------------------------------------------------------------


def test_ssda903(tiny: Path) -> None:
    cm_ids = {r["Person ID"] for r in rows(tiny / "case_management.csv")}
    for year in range(2021, 2027):
        head = tiny / "ssda903" / f"ssda903_{year}_header.csv"
        eps = tiny / "ssda903" / f"ssda903_{year}_episodes.csv"
        assert header(head) == ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]
        assert header(eps) == [
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
        ]
        children = rows(head)
        assert children
        assert {c["SEX"] for c in children} <= ({"M", "F"} if year >= 2025 else {"1", "2"})
        ids = {c["CHILD"] for c in children}
        assert ids <= cm_ids
        ref = date(year, 3, 31)
        for e in rows(eps):
            assert e["CHILD"] in ids
            decom = datetime.strptime(e["DECOM"], "%d/%m/%Y").date()
            assert decom <= ref
            if e["DEC"]:
                assert decom <= datetime.strptime(e["DEC"], "%d/%m/%Y").date() <= ref
                assert e["REC"]
            else:
                assert e["REC"] == ""


def test_case_management_and_mapping(tiny: Path, truth_children: dict[str, dict[str, str]]) -> None:
    assert header(tiny / "case_management.csv") == list(CM_COLUMNS)
    mapping = tomllib.loads((tiny / "case_management_mapping.toml").read_text(encoding="utf-8"))
    assert mapping["columns"]["la_child_id"] == "Person ID"
    assert mapping["columns"]["former_upn"] == "Former UPN"
    assert set(mapping["columns"].values()) == set(CM_COLUMNS)
    assert mapping["options"]["date_format"] == "%d/%m/%Y"
    cm = rows(tiny / "case_management.csv")
    assert {r["Person ID"] for r in cm} == set(truth_children)
    assert {r["Gender"] for r in cm} <= {"Male", "Female", "Unknown"}


def test_noise_rates_in_manifest_match_the_files(
    tiny: Path, manifest: Manifest, truth_children: dict[str, dict[str, str]]
) -> None:
    cm = {r["Person ID"]: r for r in rows(tiny / "case_management.csv")}
    counts = dict.fromkeys(NOISE_TAGS, 0)
    for cid, t in truth_children.items():
        tags = set(t["cm_noise"].split(";")) - {""}
        for tag in tags:
            counts[tag] += 1
        r = cm[cid]
        dob = datetime.strptime(r["Date of Birth"], "%d/%m/%Y").date()
        if "missing_upn" in tags:
            assert r["UPN"] == ""
            assert t["true_upn"]
        elif "stale_upn" in tags:
            assert r["UPN"] == t["true_former_upn"] != ""
        elif "mistyped_upn" in tags:
            assert r["UPN"] != t["true_upn"]
            assert not upn_mod.is_valid(r["UPN"])
        else:
            assert r["UPN"] == t["true_upn"]
        if "nickname" in tags:
            assert r["First Name"] in NICKNAMES[t["forename"]] or "name_typo" in tags
        if "dob_day_month_swap" in tags:
            true_dob = date.fromisoformat(t["dob"])
            assert (dob.day, dob.month) == (true_dob.month, true_dob.day)
        if not tags and t["dob"] <= R.isoformat():
            assert (r["First Name"], r["Last Name"], dob.isoformat()) == (t["forename"], t["surname"], t["dob"])
    assert counts == manifest.noise_counts
    n = len(cm)
    assert manifest.noise_rates == {k: round(v / n, 6) for k, v in counts.items()}
    assert counts["missing_upn"] > 0
    assert counts["stale_postcode"] > 0


# --- truth ------------------------------------------------------------------------------------


def test_truth_files(tiny: Path, truth_children: dict[str, dict[str, str]]) -> None:
    for name in COHORT_FILES:
        path = tiny / "truth" / name
        assert header(path) == list(COHORT_HEADER)
        cohort = rows(path)
        ids = [r["la_child_id"] for r in cohort]
        assert ids == sorted(ids)
        assert len(ids) == len(set(ids))
        r_date = date.fromisoformat(name.split("_")[1])
        for r in cohort:
            assert r["la_child_id"] in truth_children
            assert r["status"] in ("CLA", "CPP", "CINP", "CIN_OTHER", "EVER6_PREVIOUS")
            assert r["cwsw"] in ("true", "false")
            assert r["looked_after"] in ("true", "false")
            assert (r["status"] == "CLA") == (r["looked_after"] == "true")
            if r["cwsw"] == "false":
                assert r["status"] == "CLA"
                assert r["last_qualifying_date"] == ""
            else:
                last = date.fromisoformat(r["last_qualifying_date"])
                assert date(r_date.year - 6, 3, 31) < last <= r_date
            assert r["upn"] == "" or len(r["upn"]) == 13
        assert any(r["status"] == "EVER6_PREVIOUS" for r in cohort)


def test_strict_is_a_subset_of_default_plus_cla(tiny: Path) -> None:
    for r_date in (R, RP):
        default = {r["la_child_id"] for r in rows(tiny / "truth" / f"cohort_{r_date.isoformat()}_default.csv")}
        strict = {r["la_child_id"] for r in rows(tiny / "truth" / f"cohort_{r_date.isoformat()}_strict.csv")}
        assert strict <= default
        assert len(strict) < len(default)


@pytest.mark.parametrize("case", edge_cases(), ids=lambda c: c.tag)
def test_edge_case_outcome(tiny: Path, truth_children: dict[str, dict[str, str]], case: object) -> None:
    from ever6.synth.edge_cases import EdgeCase

    assert isinstance(case, EdgeCase)
    cid = next(k for k, r in truth_children.items() if r["edge_case"] == case.tag)
    for (r_date, mode), expected in case.expect.items():
        cohort = {r["la_child_id"]: r for r in rows(tiny / "truth" / f"cohort_{r_date.isoformat()}_{mode}.csv")}
        got = cohort.get(cid)
        assert ((got["status"], got["last_qualifying_date"]) if got else None) == expected, (r_date, mode)


def test_cohort_upn_is_the_latest_census_upn_else_the_903_upn(tiny: Path) -> None:
    latest: dict[str, str] = {}
    for year in range(2020, 2027):
        doc = etree.parse(str(tiny / "cin_census" / f"cin_census_{year}.xml"))
        for child in doc.iterfind("Children/Child"):
            latest[child.findtext("ChildIdentifiers/LAchildID") or ""] = child.findtext("ChildIdentifiers/UPN") or ""
    header_upn: dict[str, str] = {}
    for year in range(2021, 2027):
        for h in rows(tiny / "ssda903" / f"ssda903_{year}_header.csv"):
            header_upn[h["CHILD"]] = h["UPN"]
    fell_back = 0
    for r in rows(tiny / "truth" / f"cohort_{R.isoformat()}_default.csv"):
        cid = r["la_child_id"]
        if latest.get(cid):
            assert r["upn"] == latest[cid]
        elif header_upn.get(cid, "UN").startswith("UN"):
            assert r["upn"] == ""
        else:
            assert r["upn"] == header_upn[cid]
            fell_back += 1
    assert fell_back >= 1  # e.g. the looked-after child the CIN census omits


# --- calibration ------------------------------------------------------------------------------


def test_tiny_calibration_is_plausible(manifest: Manifest) -> None:
    c = manifest.calibration
    assert 0.04 <= c["pupils_cwsw_share"] <= 0.18
    assert 0.015 <= c["cin_rate_at_r"] <= 0.06


@pytest.mark.slow
def test_small_calibration(small_generated: tuple[Path, Manifest]) -> None:
    """About 1 pupil in 10 Ever6 CWSW, ~3% CIN, ~0.45% CP, ~0.7% looked after at a time (seed 11)."""
    c = small_generated[1].calibration
    assert 0.075 <= c["pupils_cwsw_share"] <= 0.13
    assert 0.024 <= c["cin_rate_at_r"] <= 0.042
    assert 0.0028 <= c["cpp_rate_at_r"] <= 0.0070
    assert 0.0045 <= c["cla_rate_at_r"] <= 0.0100


# --- boundaries -------------------------------------------------------------------------------


def test_synth_imports_only_allowed_ever6_modules() -> None:
    root = Path(__file__).resolve().parents[2] / "src" / "ever6" / "synth"
    allowed = ("ever6.dates", "ever6.model", "ever6.synth")
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                if name.startswith("ever6"):
                    assert name.startswith(allowed), f"{path.name} imports {name}"


def test_postcodes_are_real_units_distinct_while_the_authority_has_them() -> None:
    """Homes are the home authority's units, distinct up to as many as it has; a region needs
    more homes than Kent has units, so units are shared (and the draw ends)."""
    import re
    from collections import Counter

    import numpy as np

    from ever6.synth.names import make_postcodes, postcode_units
    from ever6.synth.scales import LA_ONS_CODE

    kent = set(postcode_units(LA_ONS_CODE))
    assert len(kent) > 50_000
    few = make_postcodes(np.random.default_rng(1), 2_000)
    assert len(set(few)) == 2_000
    assert set(few) <= kent
    assert list(few) == list(make_postcodes(np.random.default_rng(1), 2_000))  # seeded
    n = 330_000  # the homes of the "region" scale, about five per unit
    codes = make_postcodes(np.random.default_rng(1), n)
    uses = Counter(codes)
    assert len(codes) == n
    assert set(uses) == kent
    assert max(uses.values()) <= 1 + 4 * n / len(kent)
    assert all(re.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}", c) for c in codes[:1000])


def test_kinship_register_and_early_help_give_their_truth(tiny: Path, tmp_path: Path) -> None:
    """Read by ever6's own readers with the synthetic mappings, the two files give exactly the
    members the generator's truth lists (computed from its records, by the definitions)."""
    from ever6.cohort import current_tables
    from ever6.cohort.groups import group_members
    from ever6.config import CohortSettings
    from ever6.formats import early_help, kinship_register
    from ever6.warehouse import Warehouse

    register = kinship_register.read_kinship_register(
        tiny / "kinship_register.csv", mapping=kinship_register.load_mapping(tiny / "kinship_register_mapping.toml")
    )
    extract = early_help.read_early_help(
        tiny / "early_help.csv", mapping=early_help.load_mapping(tiny / "early_help_mapping.toml")
    )
    assert not register.problems
    assert not extract.problems
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.import_result(register, who="test")
    wh.import_result(extract, who="test")
    members = group_members(current_tables(wh.raw_tables()), R, CohortSettings(kinship=True, early_help=True))
    assert members is not None
    got = {(r["group"], r["la_child_id"]) for r in members.to_pyarrow().to_pylist()}
    truth = {(r["group"], r["id"]) for r in rows(tiny / "truth" / "optional_groups.csv") if r["member"] == "1"}
    assert got == truth
    assert {g for g, _ in truth} == {"kinship", "early_help"}
