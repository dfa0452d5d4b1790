"""The tier of the offer: suggested from the school's published figures, set by an officer with a
reason, every decision kept."""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.conftest import Published


def _figures(published: Published, urn: str) -> tuple[int, int, str]:
    con = duckdb.connect(str(published.snapshot), read_only=True)
    try:
        year = con.execute("SELECT max(academic_year) FROM metric").fetchone()[0]  # type: ignore[index]
        rows = con.execute(
            """SELECT "group", numerator FROM metric WHERE academic_year = ? AND period = 'year'
               AND measure = 'pupils' AND breakdown = 'school' AND breakdown_value = ?
               AND "group" IN ('cwsw', 'all_pupils')""",
            [year, urn],
        ).fetchall()
    finally:
        con.close()
    by_group = {g: int(n) for g, n in rows}
    return by_group["cwsw"], by_group["all_pupils"], str(year)


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_sign_in(published: Published) -> None:
    response = Client().get(f"/schools/{published.urn}/tier/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", ["data_manager", "school_dsl", "auditor"])
def test_other_roles_cannot_set_a_tier(client_for: Callable[[str], Client], published: Published, role: str) -> None:
    from ever6.web.schools.models import TierDecision

    client = client_for(role)
    assert client.get(f"/schools/{published.urn}/tier/").status_code == 403
    assert client.post(f"/schools/{published.urn}/tier/", {"tier": "targeted", "reason": "x"}).status_code == 403
    assert not TierDecision.objects.exists()


def test_the_suggestion_follows_the_published_figures(
    client_for: Callable[[str], Client], published: Published
) -> None:
    from ever6.web.dashboard.tiers import TIER_LABELS, suggest_tier

    count, total, year = _figures(published, published.urn)
    share = count / total * 100
    expected = suggest_tier(count, round(share, 1), settings.EVER6_TIERS)
    assert expected is not None
    page = client_for("vs_officer").get(f"/schools/{published.urn}/tier/")
    assert page.status_code == 200
    body = page.content.decode()
    assert f"{count} in {year}" in body
    assert f"{share:.1f}%" in body
    assert f"{TIER_LABELS[expected]} (suggested)" in body
    # The suggestion is preselected when no tier has been set.
    assert f'value="{expected}" checked' in body


def test_setting_the_tier_keeps_every_decision(client_for: Callable[[str], Client], published: Published) -> None:
    from ever6.web.schools.models import TierDecision

    count, total, year = _figures(published, published.urn)
    response = client_for("vs_officer").post(
        f"/schools/{published.urn}/tier/", {"tier": "enhanced", "reason": "  Rising suspensions reported.  "}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/schools/{published.urn}/#tier"
    first = TierDecision.objects.get()
    assert (first.tier, first.reason, first.decided_by) == ("enhanced", "Rising suspensions reported.", "vs_officer")
    assert (first.cwsw_count, first.academic_year) == (count, year)
    assert first.share == pytest.approx(count / total * 100, abs=0.05)
    assert first.suggested in {"standard", "enhanced", "targeted"}
    assert (
        client_for("vs_head")
        .post(f"/schools/{published.urn}/tier/", {"tier": "targeted", "reason": "Case consultations agreed."})
        .status_code
        == 302
    )
    assert TierDecision.objects.count() == 2
    latest = TierDecision.latest_for(published.urn)
    assert latest is not None
    assert latest.tier == "targeted"
    body = client_for("vs_officer").get(f"/schools/{published.urn}/").content.decode()
    assert "Targeted, set by vs_head" in body
    assert "Case consultations agreed." in body
    assert "Rising suspensions reported." in body  # the earlier decision is in the history
    assert body.index("Case consultations agreed.") < body.index("Rising suspensions reported.")
    # The register shows the latest tier.
    page = client_for("vs_officer").get("/schools/", {"q": published.urn, "format": "csv"}).content.decode()
    assert ",Targeted," in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"tier": "enhanced", "reason": "   "}, "reason", "Enter the reason for the tier"),
        ({"tier": "", "reason": "Because"}, "tier", "s tier"),
        ({"tier": "platinum", "reason": "Because"}, "tier", "Select a valid choice"),
        ({"tier": "enhanced", "reason": "x" * 2001}, "reason", "Reason must be 2,000 characters or fewer"),
    ],
)
def test_invalid_tier_decisions_save_nothing(
    client_for: Callable[[str], Client], published: Published, data: dict[str, str], field: str, message: str
) -> None:
    from ever6.web.schools.models import TierDecision

    response = client_for("vs_officer").post(f"/schools/{published.urn}/tier/", data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert message in body
    assert f'href="#id_{field}"' in body
    assert not TierDecision.objects.exists()


def test_a_setting_without_figures_gets_no_suggestion(client_for: Callable[[str], Client]) -> None:
    from ever6.web.schools.models import School, TierDecision

    School.objects.create(urn="L00001", name="Acorns Nursery", kind="early_years", added_by="t")
    client = client_for("vs_officer")
    body = client.get("/schools/L00001/tier/").content.decode()
    assert "No suggestion: no published figures for this school" in body
    assert client.post("/schools/L00001/tier/", {"tier": "standard", "reason": "New setting"}).status_code == 302
    decision = TierDecision.objects.get()
    assert (decision.suggested, decision.cwsw_count, decision.share) == ("", None, None)
