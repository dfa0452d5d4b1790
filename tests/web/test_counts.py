"""One definition of each cohort count: the data page, the quality page, the dashboard and
``ever6 cohort counts`` show the same figures, and those figures are what the warehouse's published
run holds, counted here by SQL of the test's own (not by the code under test)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from html.parser import HTMLParser

import duckdb
import pytest
from django.test import Client

from tests.web.conftest import Published

KEYS = ("cohort", "linked", "not_linked", "on_roll")


class _Counts(HTMLParser):
    """The figures in each ``data-ever6-count`` row of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.key: str | None = None
        self.in_value = False
        self.found: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if "data-ever6-count" in a:
            self.key = a["data-ever6-count"]
        if self.key and "ever6-count__value" in (a.get("class") or ""):
            self.in_value = True

    def handle_data(self, data: str) -> None:
        if self.in_value and self.key:
            self.found[self.key] = int(data.replace(",", ""))
            self.in_value = False
            self.key = None


def _shown(client: Client, url: str) -> dict[str, int]:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = _Counts()
    parser.feed(response.content.decode())
    return parser.found


@pytest.fixture(scope="module")
def expected(published: Published) -> dict[str, int]:
    """The counts of the latest published run, straight from the warehouse's tables."""
    con = duckdb.connect(str(published.home / "warehouse.duckdb"), read_only=True)
    try:
        (run,) = con.execute("SELECT max(run_id) FROM published_cohort").fetchone() or (None,)
        cohort, linked = con.execute(
            """
            SELECT count(DISTINCT c.la_child_id),
                   count(DISTINCT c.la_child_id) FILTER (WHERE l.la_child_id IS NOT NULL)
            FROM published_cohort c
            LEFT JOIN (SELECT DISTINCT la_child_id FROM published_link WHERE run_id = $run) l USING (la_child_id)
            WHERE c.run_id = $run AND c.cwsw
            """,
            {"run": run},
        ).fetchone() or (0, 0)
    finally:
        con.close()
    snap = duckdb.connect(str(published.snapshot), read_only=True)
    try:
        (on_roll,) = snap.execute("SELECT count(DISTINCT la_child_id) FROM school_pupil").fetchone() or (0,)
    finally:
        snap.close()
    return {"cohort": cohort, "linked": linked, "not_linked": cohort - linked, "on_roll": on_roll}


def test_the_counts_are_the_published_runs(expected: dict[str, int]) -> None:
    # Not degenerate: some children linked, some not, fewer on roll than linked at most.
    assert 0 < expected["linked"] < expected["cohort"]
    assert 0 < expected["on_roll"] <= expected["linked"]


@pytest.mark.parametrize("url", ["/data/", "/data/quality/"])
def test_the_data_pages_show_the_same_counts(
    client_for: Callable[[str], Client], expected: dict[str, int], url: str
) -> None:
    assert _shown(client_for("data_manager"), url) == expected


def test_the_dashboard_shows_the_same_counts(client_for: Callable[[str], Client], expected: dict[str, int]) -> None:
    page = client_for("vs_head").get("/dashboard/").content.decode()
    parser = _Counts()
    parser.feed(page)
    assert parser.found == expected
    # Where the dashboard's own pupil figures differ by definition, it says so.
    assert "Not the cohort counts below" in page


def test_the_command_line_shows_the_same_counts(published: Published, expected: dict[str, int]) -> None:
    env = {**os.environ, "EVER6_HOME": str(published.home), "EVER6_USER": "test-manager", "COLUMNS": "300"}
    env.pop("EVER6_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-m", "ever6", "cohort", "counts"], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    labels = {"cohort": "Cohort", "linked": "Linked", "not_linked": "Not linked", "on_roll": "On roll"}
    for key, label in labels.items():
        row = re.search(rf"│ {label}\s+│\s+([\d,]+)\s+│", done.stdout)
        assert row, done.stdout
        assert int(row.group(1).replace(",", "")) == expected[key], key


def test_a_role_without_cohort_figures_cannot_read_them(published: Published) -> None:
    from ever6.access import AccessDenied, Role, Snapshot, Viewer

    with pytest.raises(AccessDenied):
        Snapshot(published.snapshot).counts(Viewer("dsl", Role.SCHOOL_DSL, frozenset({published.urn})))
