"""Coverage of schools with Ever6 CWSW pupils by tier, and the period it counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client

from tests.conftest import Published
from tests.web.training.helpers import _counts, _csv, _reg, _session


def test_coverage_by_tier_counts_attended_dsls_and_designated_teachers(
    client_for: Callable[[str], Client], setup: dict[str, Any], published: Published
) -> None:
    from ever6.web.schools.models import TierDecision

    counts = _counts(published)
    past = setup["past"]
    # published.urn: a DSL attended. unsigned_urn: a designated teacher attended. other_urn: only a
    # SENCO attended and a DSL did not: not covered.
    _reg(past, "Dee Teacher", "dt@example.org", "designated_teacher", published.unsigned_urn, attendance="attended")
    _reg(past, "Sen Co", "senco@example.org", "senco", published.other_urn, attendance="attended")
    _reg(past, "Absent Dsl", "absent@example.org", "dsl", published.other_urn, attendance="did_not_attend")
    setup["a"].attendance = "attended"
    setup["a"].save()
    TierDecision.objects.create(
        school_id=published.urn, tier="targeted", reason="Many children with a social worker", decided_by="vs_head"
    )
    client = client_for("vs_officer")
    schools = {r["URN"]: r for r in _csv(client.get("/training/coverage/?format=csv&table=schools"))}
    assert set(schools) == {u for u, n in counts.items() if n > 0}
    assert {u: int(r["Ever6 CWSW pupils"]) for u, r in schools.items()} == {u: n for u, n in counts.items() if n}
    assert schools[published.urn]["Covered"] == "Yes"
    assert schools[published.urn]["DSL / CWSW lead attended"] == "Yes"
    assert (schools[published.urn]["Tier"], schools[published.urn]["Tier from"]) == (
        "Targeted",
        "Decided by the Virtual School",
    )
    assert schools[published.unsigned_urn]["Designated teacher attended"] == "Yes"
    assert schools[published.unsigned_urn]["Covered"] == "Yes"
    assert schools[published.other_urn]["Covered"] == "No"
    assert sum(1 for r in schools.values() if r["Covered"] == "Yes") == 2

    tiers = {r["Tier"]: r for r in _csv(client.get("/training/coverage/?format=csv&table=tiers"))}
    total = tiers.pop("All tiers")
    assert (
        int(total["Schools with Ever6 CWSW pupils"]),
        int(total["Schools whose DSL or designated teacher attended"]),
    ) == (
        len(schools),
        2,
    )
    assert total["Schools covered (%)"] == f"{2 / len(schools) * 100:.1f}"
    assert int(total["Ever6 CWSW pupils at covered schools"]) == counts[published.urn] + counts[published.unsigned_urn]
    for tier, row in tiers.items():
        in_tier = [r for r in schools.values() if r["Tier"] == tier]
        assert int(row["Schools with Ever6 CWSW pupils"]) == len(in_tier)
        assert int(row["Schools whose DSL or designated teacher attended"]) == sum(
            1 for r in in_tier if r["Covered"] == "Yes"
        )
    # The decided school, and the other covered school if the figures suggest it for Targeted too.
    also_targeted = schools[published.unsigned_urn]["Tier"] == "Targeted"
    assert int(tiers["Targeted"]["Schools whose DSL or designated teacher attended"]) == 1 + also_targeted
    # Only the schools not yet covered; and attendance older than the period does not count.
    uncovered = _csv(client.get("/training/coverage/?format=csv&table=schools&show=uncovered"))
    assert published.urn not in {r["URN"] for r in uncovered}
    assert len(uncovered) == len(schools) - 2
    page = client.get("/training/coverage/").content.decode()
    assert f"2</span> of {len(schools)} schools" in page
    assert 'data-ever6-chart="coverage-by-tier-spec"' in page


def test_coverage_period_excludes_old_attendance(
    client_for: Callable[[str], Client], setup: dict[str, Any], published: Published
) -> None:
    old = _session(setup["course"], -500)
    _reg(old, "Old Dsl", "old@example.org", "dsl", published.other_urn, attendance="attended")
    client = client_for("vs_officer")
    ever = {r["URN"]: r for r in _csv(client.get("/training/coverage/?format=csv&table=schools"))}
    recent = {r["URN"]: r for r in _csv(client.get("/training/coverage/?format=csv&table=schools&since=12"))}
    assert ever[published.other_urn]["Covered"] == "Yes"
    assert recent[published.other_urn]["Covered"] == "No"
