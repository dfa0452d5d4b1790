"""The Ever6 CWSW marker files a school loads into its MIS."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from lxml import etree

from ever6.markers import (
    CSV_COLUMNS,
    MARKER_CODE,
    Establishment,
    MarkerPupil,
    ctf_academic_year,
    ctf_filename,
    marker_csv,
    marker_ctf,
    pupils_from_rows,
)

AS_AT = date(2026, 3, 31)
SOURCE = Establishment(lea="886", estab="LLLL", name="Kent Virtual School")
DEST = Establishment(lea="886", estab="2001", name="Deal Infant & Junior <School>", urn="113587")


def _rows() -> list[dict[str, object]]:
    return [
        {"upn": "B886375122936", "surname": "Ashton", "forename": "Ethan", "birth_date": date(2018, 5, 1)},
        {"upn": "A886368124087", "surname": '=HYPERLINK("x")', "forename": "+Deb\x07", "birth_date": None},
        {"upn": "B886375122936", "surname": "Ashton", "forename": "Ethan", "birth_date": date(2018, 5, 1)},
        {"upn": "", "surname": "No UPN", "forename": "x", "birth_date": None},
    ]


def test_pupils_once_each_in_upn_order_without_blank_upns() -> None:
    pupils = pupils_from_rows(_rows())
    assert [p.upn for p in pupils] == ["A886368124087", "B886375122936"]
    assert pupils[1].birth_date == date(2018, 5, 1)


def test_csv_has_one_marker_row_per_pupil_and_nothing_about_status() -> None:
    text = marker_csv(pupils_from_rows(_rows()), AS_AT)
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r[0] for r in rows[1:]] == ["A886368124087", "B886375122936"]
    assert {r[1] for r in rows[1:]} == {MARKER_CODE}
    assert {r[3] for r in rows[1:]} == {"2026-03-31"}
    assert "Ashton" not in text  # the CSV carries UPNs only


def test_csv_cells_cannot_start_a_formula() -> None:
    pupils = [MarkerPupil(upn="=1+2", surname="", forename="", birth_date=None)]
    rows = list(csv.reader(io.StringIO(marker_csv(pupils, AS_AT))))
    assert rows[1][0] == "'=1+2"


def test_ctf_shape_header_and_pupils() -> None:
    pupils = pupils_from_rows(_rows())
    body = marker_ctf(pupils, as_at=AS_AT, source=SOURCE, dest=DEST, generated_at=datetime(2026, 4, 1, 9, 30, 15, 123))
    assert body.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    assert root.tag == "CTfile"
    header = root.find("Header")
    assert header is not None
    assert header.findtext("DocumentName") == "Common Transfer File"
    assert header.findtext("DateTime") == "2026-04-01T09:30:15"
    assert header.findtext("DocumentQualifier") == "partial"
    assert header.findtext("SourceSchool/LEA") == "886"
    assert header.findtext("SourceSchool/Estab") == "LLLL"
    assert header.findtext("SourceSchool/AcademicYear") == "2025"
    assert header.findtext("DestSchool/URN") == "113587"
    assert header.findtext("DestSchool/SchoolName") == "Deal Infant & Junior <School>"  # escaped, read back intact
    found = root.findall("CTFpupilData/Pupil")
    assert [p.findtext("UPN") for p in found] == ["A886368124087", "B886375122936"]
    assert found[1].findtext("DOB") == "2018-05-01"
    assert found[0].findtext("Forename") == "+Deb"  # a control character XML cannot carry is dropped
    assert {p.findtext("Groups/Group/Code") for p in found} == {MARKER_CODE}


def test_ctf_has_no_doctype_or_entities() -> None:
    body = marker_ctf([], as_at=AS_AT, source=SOURCE, dest=DEST, generated_at=datetime(2026, 4, 1))
    assert b"<!DOCTYPE" not in body
    assert b"<!ENTITY" not in body
    root = etree.fromstring(body)
    assert root.findall("CTFpupilData/Pupil") == []


def test_academic_year_and_file_name() -> None:
    assert ctf_academic_year(date(2025, 9, 1)) == "2025"
    assert ctf_academic_year(date(2026, 8, 31)) == "2025"
    assert ctf_filename(SOURCE, DEST) == "886LLLL_CTF_8862001_001.xml"
