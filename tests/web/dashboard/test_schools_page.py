"""The schools page: a table that fits (a few columns by default, every column on request and in
the downloads), filters by phase, tier and in or out of the authority, and names that lead to each
school's page."""

from __future__ import annotations

import re
from collections.abc import Callable

import duckdb
import pytest
from django.test import Client

from tests.web.conftest import Published
from tests.web.dashboard.test_dashboard import _csv, _page_table


def _register(published: Published) -> dict[str, tuple[str, str]]:
    """URN -> (phase, LA code), read from the snapshot directly."""
    con = duckdb.connect(str(published.snapshot), read_only=True)
    try:
        return {
            r[0]: (r[1] or "", r[2] or "") for r in con.execute("SELECT urn, phase, la_code FROM school").fetchall()
        }
    finally:
        con.close()


def test_the_page_shows_at_most_eight_columns_and_downloads_them_all(client_for: Callable[[str], Client]) -> None:
    client = client_for("vs_head")
    html = client.get("/dashboard/schools/").content.decode()
    table = _page_table(html, "Schools, ")
    assert len(table[0]) <= 8
    assert table[0][0] == "School"
    every = _page_table(client.get("/dashboard/schools/", {"show": "all"}).content.decode(), "Schools, ")
    download = _csv(client.get("/dashboard/schools/", {"format": "csv", "table": "schools"}))
    assert len(every[0]) == len(download[0]) == 14
    # The wide table scrolls in a focusable, labelled region.
    assert re.search(r'class="ever6-table-wrapper" tabindex="0" role="region" aria-label="Schools, ', html)


def test_school_names_link_to_the_school_page(published: Published, client_for: Callable[[str], Client]) -> None:
    client = client_for("vs_officer")
    html = client.get("/dashboard/schools/").content.decode()
    assert f'href="/schools/{published.urn}/"' in html
    page = client.get(f"/schools/{published.urn}/")
    assert page.status_code == 200
    # The data manager sees the figures but not the partnership pages: no link that would refuse.
    assert "/schools/" + published.urn not in client_for("data_manager").get("/dashboard/schools/").content.decode()


@pytest.mark.parametrize("in_la", ["In", "Out"])
def test_filters_keep_only_the_schools_that_match(
    published: Published, client_for: Callable[[str], Client], in_la: str
) -> None:
    register = _register(published)
    client = client_for("vs_head")
    rows = _csv(client.get("/dashboard/schools/", {"format": "csv", "table": "schools"}))
    head = rows[0]
    everything = {r[head.index("URN")] for r in rows[1:]}
    phase = next(register[u][0] for u in sorted(everything) if u in register and register[u][0])
    chosen = _csv(
        client.get("/dashboard/schools/", {"format": "csv", "table": "schools", "phase": phase, "in_la": in_la})
    )
    kept = {r[head.index("URN")] for r in chosen[1:]}
    expected = {
        u
        for u in everything
        if u in register and register[u][0] == phase and (register[u][1] == "886") == (in_la == "In")
    }
    assert kept == expected
    tiers = {r[head.index("Suggested tier")] for r in rows[1:]}
    for tier in tiers:
        only = _csv(client.get("/dashboard/schools/", {"format": "csv", "table": "schools", "tier": tier}))
        assert {r[head.index("Suggested tier")] for r in only[1:]} == {tier}


def test_an_unknown_filter_value_is_an_error_message(client_for: Callable[[str], Client]) -> None:
    response = client_for("vs_head").get("/dashboard/schools/", {"phase": "Nowhere"})
    assert response.status_code == 400
    assert "Select a phase from the list" in response.content.decode()


def test_one_name_for_the_page(client_for: Callable[[str], Client]) -> None:
    html = client_for("vs_head").get("/dashboard/schools/").content.decode()
    assert "<title>Schools – " in html
    assert '<h1 class="govuk-heading-l">Schools</h1>' in html
    assert "Schools ranking" not in html
    assert re.search(r'href="/dashboard/schools/"[^>]*>\s*Schools\s*<', html)


def test_sort_by_name(client_for: Callable[[str], Client]) -> None:
    client = client_for("vs_head")
    rows = _csv(client.get("/dashboard/schools/", {"format": "csv", "table": "schools", "sort": "name"}))
    head = rows[0]
    listed = [(r[head.index("School")], r[head.index("URN")]) for r in rows[1:]]
    assert len(listed) > 1
    assert listed == sorted(listed, key=lambda r: (r[0].casefold(), r[1]))
    html = client.get("/dashboard/schools/", {"sort": "name"}).content.decode()
    assert "sorted by school name (A to Z)" in html
    assert '<option value="name" selected>School name (A to Z)</option>' in html
