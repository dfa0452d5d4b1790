"""Build canonical import batches in tests without going through a file reader.

The cohort rules are tested on records described in a few lines each; the readers have their
own tests against the real sample files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ever6.formats import FORMATS
from ever6.formats.problems import ReadResult, table_from_rows
from ever6.model import TABLES
from ever6.warehouse import Warehouse


def d(text: str) -> date:
    return date.fromisoformat(text)


@dataclass
class Plan:
    start: str
    end: str | None = None
    category: str | None = None  # set for a CP plan


@dataclass
class Episode:
    referral: str
    closure: str | None = None
    reason: str | None = None
    nfa: bool | None = False
    need: str | None = "N1"
    cin_plans: list[Plan] = field(default_factory=list)
    cp_plans: list[Plan] = field(default_factory=list)
    assessed: list[str] = field(default_factory=list)  # authorisation dates
    factors: list[str] = field(default_factory=list)


@dataclass
class Child:
    id: str
    dob: str | None = "2012-05-01"
    upn: str | None = None
    death: str | None = None
    sex: str = "F"
    episodes: list[Episode] = field(default_factory=list)
    ethnicity: str | None = None
    disabilities: list[str] = field(default_factory=list)


def _opt(text: str | None) -> date | None:
    return d(text) if text else None


def census_result(tmp: Path, reference_date: str, children: list[Child]) -> ReadResult:
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in FORMATS["cin-census"].tables}
    for c in children:
        rows["cin_child"].append(
            {
                "la_child_id": c.id,
                "upn": c.upn,
                "birth_date": _opt(c.dob),
                "sex": c.sex,
                "death_date": _opt(c.death),
                "ethnicity": c.ethnicity,
                "disabilities": c.disabilities,
            }
        )
        for e in c.episodes:
            key = {"la_child_id": c.id, "referral_date": d(e.referral)}
            rows["cin_episode"].append(
                {
                    **key,
                    "primary_need": e.need,
                    "closure_date": _opt(e.closure),
                    "closure_reason": e.reason,
                    "referral_nfa": e.nfa,
                }
            )
            for i, p in enumerate(e.cin_plans):
                rows["cin_plan"].append({**key, "seq": i, "start_date": d(p.start), "end_date": _opt(p.end)})
            for i, p in enumerate(e.cp_plans):
                rows["cp_plan"].append(
                    {
                        **key,
                        "seq": i,
                        "start_date": d(p.start),
                        "end_date": _opt(p.end),
                        "latest_category": p.category,
                        "initial_category": p.category,
                    }
                )
            for i, a in enumerate(e.assessed):
                # A real return dates every assessment's start: the identity of an assessment across files.
                start = d(a)
                rows["cin_assessment"].append(
                    {**key, "seq": i, "start_date": start, "authorisation_date": start, "factors": e.factors}
                )
    # Distinct content per batch, so the warehouse's duplicate-file check treats each as new.
    path = tmp / f"cin_{reference_date}_{abs(hash(json.dumps(rows, default=str)))}.json"
    path.write_text(json.dumps(rows, default=str))
    tables = {name: table_from_rows(TABLES[name].schema, rows[name]) for name in rows}
    ref = d(reference_date)
    return ReadResult("cin-census", path, tables, year=ref.year, reference_date=ref)


def ssda903_result(
    tmp: Path, year: int, episodes: list[tuple[str, str, str | None]], children: list[tuple[str, str]] = ()
) -> ReadResult:  # type: ignore[assignment]
    """Looked-after episodes as (child id, DECOM, DEC); header rows as (child id, DOB)."""
    ep_rows = [{"la_child_id": c, "start_date": d(s), "end_date": _opt(e)} for c, s, e in episodes]
    child_rows = [{"la_child_id": c, "birth_date": d(b), "sex": "M"} for c, b in children]
    path = tmp / f"903_{year}_{abs(hash(json.dumps([ep_rows, child_rows], default=str)))}.json"
    path.write_text(json.dumps([ep_rows, child_rows], default=str))
    tables = {
        "la_episode": table_from_rows(TABLES["la_episode"].schema, ep_rows),
        "la_child": table_from_rows(TABLES["la_child"].schema, child_rows),
    }
    return ReadResult("ssda903", path, tables, year=year, reference_date=date(year, 3, 31))


def load(tmp: Path, *results: ReadResult) -> Warehouse:
    wh = Warehouse(tmp / "warehouse.duckdb")
    for result in results:
        wh.import_result(result, who="test")
    return wh


def rows_result(tmp: Path, fmt: str, rows: dict[str, list[dict[str, Any]]], year: int | None = None) -> ReadResult:
    """Any format's batch from row dicts (unspecified columns are null)."""
    tables = {name: table_from_rows(TABLES[name].schema, rows.get(name, [])) for name in FORMATS[fmt].tables}
    path = tmp / f"{fmt}_{abs(hash(json.dumps(rows, default=str, sort_keys=True)))}.json"
    path.write_text(json.dumps(rows, default=str))
    return ReadResult(fmt, path, tables, year=year)
