"""The passes on hand-written authorities: each method, conflicts, decisions, hostile input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from ever6.linkage import LINKS_SCHEMA, link
from tests.linkage.builders import Kid, Pupil, authority, make_upn
from tests.linkage.support import TODAY

U1, U2, U3, U4, U5 = (make_upn(i) for i in range(1, 6))


def _pairs(result: Any) -> dict[tuple[str, str], str]:
    return {(r["la_child_id"], r["upn"]): r["method"] for r in result.links.to_pylist()}


def _status(result: Any) -> dict[str, dict[str, Any]]:
    return {r["la_child_id"]: r for r in result.status.to_pylist()}


def test_each_deterministic_method(tmp_path: Path, model: dict[str, Any]) -> None:
    kids = [
        Kid("c-upn", "Amy", "Stone", "2014-01-02", upn=U1),
        Kid("c-cin-upn", "Ben", "Hall", "2013-05-06", sex="M", cin=True, cin_upn=U2),  # UPN only in the census
        Kid("c-stale", "Cara", "Dunn", "2012-07-08", upn=U3),  # school now uses U4, former U3
        Kid("c-exact", "Zoë", "O'Brien-Smith", "2015-03-04", postcode=None),
    ]
    pupils = [
        Pupil(U1, "Amy", "Stone", "2014-01-02", urn="100001"),
        Pupil(U1, "Amy", "Stone", "2014-01-02", urn="100002", entry="2025-01-10"),  # dual registered
        Pupil(U2, "Ben", "Hall", "2013-05-06", sex="M"),
        Pupil(U4, "Cara", "Dunn", "2012-07-08", former_upn=U3),
        Pupil(U5, "ZOE", "OBRIEN SMITH", "2015-03-04"),
    ]
    wh = authority(tmp_path, kids, pupils)
    result = link(wh.raw_tables(), model=model, today=TODAY)
    assert result.links.schema.equals(LINKS_SCHEMA)
    assert _pairs(result) == {
        ("c-upn", U1): "upn",
        ("c-cin-upn", U2): "upn",
        ("c-stale", U4): "former_upn",
        ("c-exact", U5): "exact_demographics",
    }
    assert {r["urn"] for r in result.links.to_pylist() if r["la_child_id"] == "c-upn"} == {"100001", "100002"}
    assert result.review.num_rows == 0


def test_conflicts_and_contradictions_go_to_review(tmp_path: Path, model: dict[str, Any]) -> None:
    kids = [
        Kid("two-upns", "Dan", "Ray", "2011-01-01", sex="M", upn=U1, cin=True, cin_upn=U2),
        Kid("wrong-person", "Eve", "Lamb", "2010-02-02", upn=U3),
    ]
    pupils = [
        Pupil(U1, "Dan", "Ray", "2011-01-01", sex="M"),
        Pupil(U2, "Dan", "Ray", "2011-01-01", sex="M", urn="100009"),
        Pupil(U3, "Hugo", "Marsh", "2016-09-09", sex="M"),
    ]
    wh = authority(tmp_path, kids, pupils)
    result = link(wh.raw_tables(), model=model, today=TODAY)
    assert _pairs(result) == {}
    reasons = {(r["la_child_id"], r["upn"]): r["reason"] for r in result.review.to_pylist()}
    assert reasons == {
        ("two-upns", U1): "conflicting_upns",
        ("two-upns", U2): "conflicting_upns",
        ("wrong-person", U3): "upn_demographics_disagree",
    }
    assert _status(result)["two-upns"]["reason"] == "awaiting_review"


def test_decisions_override_the_passes(tmp_path: Path, model: dict[str, Any]) -> None:
    kids = [Kid("a", "Amy", "Stone", "2014-01-02", upn=U1), Kid("b", "Bo", "Kerr", "2013-01-01")]
    pupils = [Pupil(U1, "Amy", "Stone", "2014-01-02"), Pupil(U2, "Rob", "Fenn", "2012-06-06", sex="M")]
    wh = authority(tmp_path, kids, pupils)
    decisions = pa.table(
        {
            "la_child_id": ["a", "b"],
            "urn": ["100001", "100001"],
            "upn": [U1, U2],
            "decision": ["reject", "accept"],
            "match_probability": [None, 0.9],
        }
    )
    result = link(wh.raw_tables(), model=model, decisions=decisions, today=TODAY)
    assert _pairs(result) == {("b", U2): "clerical"}
    status = _status(result)
    assert status["a"]["reason"] == "rejected"
    assert status["b"]["method"] == "clerical"


def test_unmatched_reasons(tmp_path: Path, model: dict[str, Any]) -> None:
    kids = [
        Kid("no-upn", "Fay", "Moss", "2012-01-01"),
        Kid("bad-upn", "Gil", "Pike", "2012-01-01", sex="M", upn="A886200115999"),
        Kid("gone", "Hal", "Reed", "2012-01-01", sex="M", upn=U4),
    ]
    wh = authority(tmp_path, kids, [Pupil(U1, "Ivy", "Sloan", "2009-09-09")])
    result = link(wh.raw_tables(), model=model, today=TODAY)
    assert {k: v["reason"] for k, v in _status(result).items()} == {
        "no-upn": "no_upn",
        "bad-upn": "invalid_upn",
        "gone": "no_candidate",
    }
    issues = [r for r in result.issues.to_pylist() if r["kind"] == "invalid_upn"]
    assert issues == [
        {
            "kind": "invalid_upn",
            "source_table": "cm_identity",
            "la_child_id": "bad-upn",
            "urn": None,
            "field": "upn",
            "value": "A886200115999",
            "problem": "check_letter",
        }
    ]


def test_hostile_input_is_reported_not_fatal(tmp_path: Path, model: dict[str, Any]) -> None:
    kids = [
        Kid("empty", "", "   ", None, sex=None, postcode=""),
        Kid("nfc", "Ŝtéphanie-Ñoël", "Ø'Cönnor", "2014-02-03"),  # no UPN: found by its normalised name
        Kid(
            "unicode",
            "Ŝtéphanie-Ñoël",
            "Ø'Cönnor",
            "2014-02-02",
            upn=" " + make_upn(7)[:4].lower() + " " + make_upn(7)[4:] + " ",
        ),
        Kid("short", "A", "B", "2013-03-03", sex="M"),
        Kid("future", "Fut", "Ure", "2030-01-01", upn=make_upn(8)),
        Kid("future", "Fut", "Ure", "2030-01-01", upn=make_upn(8)),  # duplicate id in one batch
        Kid("emoji", "😀", "🙂", "2012-12-12", sex="X", upn="UN5"),
        Kid("unborn", "Unborn", "Baby", "2026-08-01", sex="U"),
    ]
    pupils = [
        Pupil(make_upn(7), "Stephanie Noel", "O Connor", "2014-02-02"),
        Pupil(make_upn(9), "A", "B", "2013-03-03", sex="M"),
        Pupil(make_upn(13), "STEPHANIE NOEL", "OCONNOR", "2014-02-03"),
        Pupil(make_upn(10), "", None, None, sex=None, postcode="??"),
        Pupil("not-a-upn", "Q", "Q", "2010-10-10", urn="100077"),
        Pupil(make_upn(11), "Twin", "Same", "2011-11-11", sex="M"),
        Pupil(make_upn(12), "Twin", "Same", "2011-11-11", sex="M"),  # a UPN pair nobody can tell apart
    ]
    wh = authority(tmp_path, kids, pupils)
    result = link(wh.raw_tables(), model=model, today=TODAY)
    pairs = _pairs(result)
    assert pairs[("short", make_upn(9))] == "exact_demographics"
    assert pairs[("unicode", make_upn(7))] == "upn"  # compacted and upper-cased before matching
    kinds = {(r["kind"], r["la_child_id"] or r["urn"]) for r in result.issues.to_pylist()}
    assert ("future_birth_date", "future") in kinds
    assert ("duplicate_id", "future") in kinds
    assert ("no_name", "empty") in kinds
    assert ("invalid_upn", "100077") in kinds
    assert pairs[("nfc", make_upn(13))] == "exact_demographics"
    assert len(_status(result)) == 7  # one row per child, the duplicate id once


def test_empty_warehouse(tmp_path: Path, model: dict[str, Any]) -> None:
    wh = authority(tmp_path, [], [])
    result = link(wh.raw_tables(), model=model, today=TODAY)
    assert result.links.num_rows == 0
    assert result.status.num_rows == 0
