"""Small hand-written authorities for linkage tests: identities in a few lines each."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from stdnum.gb import upn as stdnum_upn

from ever6.formats import FORMATS
from ever6.formats.problems import ReadResult, table_from_rows
from ever6.model import TABLES
from ever6.warehouse import Warehouse

_counter = itertools.count()


def make_upn(serial: int, la: str = "886", estab: int = 2001, year: int = 15) -> str:
    body = f"{la}{estab:04d}{year:02d}{serial % 1000:03d}"
    return stdnum_upn.calc_check_digit(body) + body


@dataclass
class Kid:
    """One child in case management (and, when ``cin``, in the CIN census with ``cin_upn``)."""

    id: str
    forename: str | None
    surname: str | None
    dob: str | None
    sex: str | None = "F"
    postcode: str | None = "CT1 1AA"
    upn: str | None = None
    former_upn: str | None = None
    cin: bool = False
    cin_upn: str | None = None


@dataclass
class Pupil:
    upn: str
    forename: str | None
    surname: str | None
    dob: str | None
    sex: str | None = "F"
    postcode: str | None = "CT1 1AA"
    urn: str = "100001"
    former_upn: str | None = None
    entry: str = "2024-09-01"


def _opt(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _result(tmp: Path, fmt: str, rows: dict[str, list[dict[str, Any]]], ref: date) -> ReadResult:
    path = tmp / f"{fmt}_{next(_counter)}.json"
    path.write_text(json.dumps(rows, default=str))
    tables = {name: table_from_rows(TABLES[name].schema, rows.get(name, [])) for name in FORMATS[fmt].tables}
    return ReadResult(fmt, path, tables, year=ref.year, reference_date=ref)


def authority(
    tmp: Path, kids: Sequence[Kid], pupils: Sequence[Pupil], schools: Sequence[tuple[str, str]] = ()
) -> Warehouse:
    """A warehouse holding these children and pupils (and GIAS rows ``(urn, la_code)``)."""
    ref = date(2026, 3, 31)
    cm = [
        {
            "la_child_id": k.id,
            "forename": k.forename,
            "surname": k.surname,
            "birth_date": _opt(k.dob),
            "sex": k.sex,
            "postcode": k.postcode,
            "upn": k.upn,
            "former_upn": k.former_upn,
        }
        for k in kids
    ]
    cin = [
        {"la_child_id": k.id, "upn": k.cin_upn, "birth_date": _opt(k.dob), "sex": k.sex, "disabilities": []}
        for k in kids
        if k.cin
    ]
    pe = [
        {
            "urn": p.urn,
            "upn": p.upn,
            "former_upn": p.former_upn,
            "forename": p.forename,
            "surname": p.surname,
            "birth_date": _opt(p.dob),
            "sex": p.sex,
            "postcode": p.postcode,
            "entry_date": date.fromisoformat(p.entry),
        }
        for p in pupils
    ]
    est = [{"urn": urn, "la_code": la, "name": f"School {urn}"} for urn, la in schools]
    wh = Warehouse(tmp / "warehouse.duckdb")
    wh.import_results(
        [
            _result(tmp, "case-management", {"cm_identity": cm}, ref),
            _result(tmp, "cin-census", {"cin_child": cin}, ref),
            _result(tmp, "pupils", {"pupil_enrolment": pe}, ref),
            _result(tmp, "schools", {"establishment": est}, ref),
        ],
        who="test",
    )
    return wh
