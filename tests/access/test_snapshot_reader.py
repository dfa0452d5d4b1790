"""The snapshot reader: permissions applied in one place, and a refresh seen without a restart."""

from __future__ import annotations

import os
import shutil
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import duckdb
import pytest

from ever6.access import AccessDenied, AuditEntry, MetricQuery, NotPublished, RefreshNeeded, Role, Snapshot, Viewer
from ever6.metrics.measures import BY_NAME
from tests.conftest import Published

HEAD = Viewer("head", Role.VS_HEAD)
AUDITOR = Viewer("auditor", Role.AUDITOR)


def _dsl(urn: str) -> Viewer:
    return Viewer("dsl", Role.SCHOOL_DSL, frozenset({urn}))


def test_a_replaced_snapshot_is_read_at_the_next_request(published: Published, tmp_path: Path) -> None:
    target = tmp_path / "web.duckdb"
    shutil.copy(published.snapshot, target)
    snap = Snapshot(target)
    first = snap.run().run_id
    newer = tmp_path / "newer.duckdb"
    shutil.copy(published.snapshot, newer)
    con = duckdb.connect(str(newer))
    con.execute("UPDATE run SET run_id = run_id + 41")
    con.close()
    os.replace(newer, target)  # what a refresh does
    assert snap.run().run_id == first + 41


def test_a_school_user_gets_suppressed_figures_for_its_own_school_only(published: Published) -> None:
    snap = Snapshot(published.snapshot)
    query = MetricQuery(breakdown="school", measures=("pupils",))
    rows = snap.metrics(_dsl(published.urn), query, suppressed=False)  # asks for unsuppressed...
    assert rows
    assert {r["breakdown_value"] for r in rows} == {published.urn}
    assert all(r["suppression_reason"] is not None or isinstance(r["value"], str) for r in rows)
    # ...and gets exactly the suppressed table's cells
    con = duckdb.connect(str(published.snapshot), read_only=True)
    expected = con.execute(
        'SELECT "group", academic_year, value FROM metric_suppressed '
        "WHERE breakdown = 'school' AND breakdown_value = ? AND period = 'year' AND measure = 'pupils'",
        [published.urn],
    ).fetchall()
    con.close()
    assert sorted((r["group"], r["academic_year"], r["value"]) for r in rows) == sorted(expected)
    everyone = snap.metrics(HEAD, query)
    assert {r["breakdown_value"] for r in everyone} > {published.urn}


def test_roles_without_figures_are_refused(published: Published) -> None:
    snap = Snapshot(published.snapshot)
    with pytest.raises(AccessDenied):
        snap.metrics(AUDITOR, MetricQuery())
    with pytest.raises(AccessDenied):
        snap.schools(AUDITOR)


def test_pupils_need_the_school_the_agreement_and_leave_an_audit_entry(published: Published) -> None:
    snap = Snapshot(published.snapshot)
    recorded: list[tuple[Viewer, AuditEntry]] = []

    def audit(viewer: Viewer, entry: AuditEntry) -> None:
        recorded.append((viewer, entry))

    dsl = _dsl(published.urn)
    with pytest.raises(AccessDenied):
        snap.school_pupils(dsl, published.other_urn, audit=audit, agreement_in_force=lambda urn: True)
    with pytest.raises(AccessDenied):
        snap.school_pupils(dsl, published.urn, audit=audit, agreement_in_force=lambda urn: False)
    with pytest.raises(AccessDenied):  # the Virtual School does not use the portal
        snap.school_pupils(HEAD, published.urn, audit=audit, agreement_in_force=lambda urn: True)
    assert recorded == []
    rows = snap.school_pupils(dsl, published.urn, audit=audit, agreement_in_force=lambda urn: True)
    assert rows
    assert {r["urn"] for r in rows} == {published.urn}
    assert "la_child_id" not in rows[0]  # the social-care identifier never reaches a school
    assert recorded == [(dsl, AuditEntry("view", "school_pupils", published.urn, rows=len(rows)))]


SYMBOLS = {"c", "z", "x", "low"}


def test_each_figure_is_the_number_its_published_text_shows(published: Published) -> None:
    """Charts and gaps read ``figure``; pages show ``value``: the two never disagree."""
    snap = Snapshot(published.snapshot)
    query = MetricQuery(period=None, breakdown=None)
    for suppressed in (True, False):
        rows = snap.metrics(HEAD, query, suppressed=suppressed)
        assert rows
        shown = [r for r in rows if r["figure"] is not None]
        assert shown
        assert len(shown) < len(rows)
        for row in rows:
            if row["value"] in SYMBOLS:
                assert row["figure"] is None, row
            else:
                assert Decimal(row["value"]) == Decimal(str(row["figure"])), row


def test_unsuppressed_figures_are_the_exact_values_rounded_as_published(published: Published) -> None:
    """The number beside an unsuppressed figure is its exact value rounded half-even on the binary
    value (counts whole, rates to one place), computed here with ``decimal`` instead."""
    con = duckdb.connect(str(published.snapshot), read_only=True)
    exact = {
        tuple(r[:6]): r[6]
        for r in con.execute(
            'SELECT academic_year, period, measure, "group", breakdown, breakdown_value, value FROM metric'
        ).fetchall()
    }
    con.close()
    rows = Snapshot(published.snapshot).metrics(HEAD, MetricQuery(period=None, breakdown=None))
    for row in rows:
        value = exact[
            tuple(row[k] for k in ("academic_year", "period", "measure", "group", "breakdown", "breakdown_value"))
        ]
        if value is None:
            assert row["figure"] is None
            assert row["value"] == "z"
        elif BY_NAME[row["measure"]].kind == "count":
            assert row["figure"] == int(value)
        else:
            assert row["figure"] == float(Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN))


def test_a_snapshot_from_an_earlier_version_asks_for_a_refresh(published: Published, tmp_path: Path) -> None:
    """A snapshot written before the figures were kept as numbers has no ``figure`` column: pages
    say a refresh is needed (as before the first one) instead of failing."""
    target = tmp_path / "old.duckdb"
    shutil.copy(published.snapshot, target)
    con = duckdb.connect(str(target))
    con.execute("DROP INDEX metric_suppressed_lookup")
    con.execute("ALTER TABLE metric_suppressed DROP COLUMN figure")
    con.close()
    snap = Snapshot(target)
    with pytest.raises(RefreshNeeded, match="refresh"):
        snap.academic_years()
    with pytest.raises(NotPublished):
        snap.metrics(HEAD, MetricQuery(), suppressed=True)
    shutil.copy(published.snapshot, tmp_path / "new.duckdb")
    os.replace(tmp_path / "new.duckdb", target)  # the next refresh
    assert snap.academic_years()
