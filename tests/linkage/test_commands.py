"""run_linkage / review / decide / export / match report on the warehouse; decisions persist."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from ever6.linkage import decide, export_links, match_report, model_path, review_queue, run_linkage
from ever6.warehouse.linkage_store import DecisionError, LinkageStore
from tests.linkage.builders import Kid, Pupil, authority, make_upn
from tests.linkage.support import TODAY


def test_run_review_decide_export_and_refresh(tiny_warehouse, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wh = tiny_warehouse
    first = run_linkage(wh, today=TODAY)
    assert first.trained
    assert model_path(wh).exists()
    again = run_linkage(wh, today=TODAY)
    assert not again.trained  # the saved model is reused
    assert again.links.to_pylist() == first.links.to_pylist()

    # Reject a deterministic link, accept a pair nobody proposed: both apply now and after a refresh.
    target = first.links.to_pylist()[0]
    decide(wh, target["la_child_id"], target["upn"], "reject", "school confirms a different child", who="dm")
    store = LinkageStore(wh)
    assert (target["la_child_id"], target["upn"]) not in {
        (r["la_child_id"], r["upn"]) for r in store.table("link").to_pylist()
    }
    status = {r["la_child_id"]: r for r in store.table("link_status").to_pylist()}
    assert status[target["la_child_id"]]["reason"] == "rejected"
    with pytest.raises(DecisionError):
        decide(wh, target["la_child_id"], target["upn"], "maybe", "unsure")
    with pytest.raises(DecisionError):
        decide(wh, target["la_child_id"], target["upn"], "accept", "  ")

    refreshed = run_linkage(wh, today=TODAY)
    assert (target["la_child_id"], target["upn"]) not in {
        (r["la_child_id"], r["upn"]) for r in refreshed.links.to_pylist()
    }

    decide(wh, target["la_child_id"], target["upn"], "accept", "checked again with the DSL", who="dm")
    refreshed = run_linkage(wh, today=TODAY)
    methods = {(r["la_child_id"], r["upn"]): r["method"] for r in refreshed.links.to_pylist()}
    assert methods[(target["la_child_id"], target["upn"])] == "clerical"
    log = store.table("link_decision_log").to_pylist()
    assert [d["decision"] for d in log] == ["reject", "accept"]
    assert store.table("link_decision").num_rows == 1  # keyed by (la_child_id, urn, upn): latest wins

    out = tmp_path / "links.csv"
    n = export_links(wh, out)
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["la_child_id", "upn", "urn", "method", "match_probability"]
    assert len(rows) == n + 1 == refreshed.links.num_rows + 1

    report = match_report(wh, date(2026, 3, 31))
    assert report.overall.children > 0
    assert 0 < report.overall.linked <= report.overall.children
    assert sum(report.by_method.values()) == report.overall.linked
    assert set(report.unmatched_school_age) >= {"no_upn", "invalid_upn", "no_candidate", "below_threshold"}
    assert sum(report.unmatched_school_age.values()) == report.school_age.children - report.school_age.linked
    assert report.by_location["in_la"] > 0


def test_review_queue_shows_both_identities(tmp_path: Path, model: dict) -> None:  # type: ignore[type-arg]
    import json

    kids = [Kid("k1", "Jonathan", "Pryce", "2012-04-05", sex="M", postcode="ME1 2AB")]
    pupils = [Pupil(make_upn(1), "Jon", "Price", "2012-05-04", sex="M", postcode="ME9 9ZZ")]
    wh = authority(tmp_path, kids, pupils, schools=[("100001", "886")])
    (tmp_path / "linkage_model.json").write_text(json.dumps(model))
    result = run_linkage(wh, today=TODAY)
    assert not result.trained
    queue = review_queue(wh).to_pylist()
    if queue:  # the pair scores between the thresholds with the tiny model
        item = queue[0]
        assert item["child_forename"] == "Jonathan"
        assert item["pupil_forename"] == "Jon"
        decide(wh, item["la_child_id"], item["upn"], "accept", "same child")
        assert review_queue(wh).num_rows == 0
    else:
        assert result.status.to_pylist()[0]["status"] in {"linked", "unmatched"}
