"""A school's page for the Virtual School: its figures against the authority's, read from the
snapshot by another route, and this year's activity and training with it."""

from __future__ import annotations

from collections.abc import Callable

import duckdb
from django.test import Client

from tests.web.conftest import Published
from tests.web.dashboard.test_dashboard import _page_table


def test_the_school_page_sets_its_figures_beside_the_authoritys(
    published: Published, client_for: Callable[[str], Client]
) -> None:
    html = client_for("vs_officer").get(f"/schools/{published.urn}/").content.decode()
    table = _page_table(html, "This school against the authority")
    year = html.split("This school against the authority, ")[1][:7]
    con = duckdb.connect(str(published.snapshot), read_only=True)
    try:
        found = {
            (b, g): v
            for b, g, v in con.execute(
                """SELECT breakdown, "group", value FROM metric WHERE academic_year = ? AND period = 'year'
                   AND measure = 'persistent_absence_rate' AND "group" IN ('cwsw', 'not_cwsw')
                   AND (breakdown = 'all' OR (breakdown = 'school' AND breakdown_value = ?))""",
                [year, published.urn],
            ).fetchall()
        }
    finally:
        con.close()
    row = next(r for r in table if r[0] == "Persistent absence (%)")
    expected = [found["school", "cwsw"], found["school", "not_cwsw"], found["all", "cwsw"], found["all", "not_cwsw"]]
    assert [float(c) for c in row[1:]] == [round(float(v), 1) for v in expected]


def test_the_school_page_counts_this_years_activity(
    published: Published, client_for: Callable[[str], Client], accounts: dict[str, object]
) -> None:
    from ever6.web.schools.models import TierDecision

    client = client_for("vs_officer")
    before = client.get(f"/schools/{published.urn}/").content.decode()
    assert "Activity and training in" in before
    TierDecision.objects.create(
        school_id=published.urn, tier="enhanced", reason="test", decided_by="vs_officer", suggested="enhanced"
    )
    after = client.get(f"/schools/{published.urn}/").content.decode()

    def tier_decisions(html: str) -> str:
        part = html.split('id="activity"')[1]
        return part.split("Tier decisions")[1].split("</dd>")[0].split(">")[-1].strip()

    assert int(tier_decisions(after)) == int(tier_decisions(before) or 0) + 1
