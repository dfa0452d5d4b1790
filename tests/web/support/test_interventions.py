"""The interventions library and recommendations to schools."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.test import Client

from ever6.web.support.models import Intervention, Recommendation
from tests.web.conftest import Published
from tests.web.support.helpers import UPN_TEXT, _csv, _date, _refused


def _intervention_post(**fields: Any) -> dict[str, str]:
    data = {
        "name": "Small group tuition",
        "description": "Teaching two to five pupils together.",
        "source": "eef",
        "evidence": "p3",
        "cost_band": "2",
        "phase": "all",
        "link": "https://educationendowmentfoundation.org.uk/education-evidence/teaching-learning-toolkit/small-group-tuition",
        "active": "yes",
    }
    data.update(fields)
    return data


def test_interventions_library_and_recommendations(
    client_for: Callable[[str], Client], published: Published, accounts: dict[str, object]
) -> None:
    client = client_for("vs_officer")
    for fields, field, message in [
        ({"link": "not a web address"}, "id_link", "Enter a web address in the correct format"),
        ({"link": "ftp://example.org/file"}, "id_link", "Enter a web address"),
        ({"source": "other", "evidence": "p4"}, "id_evidence", "Padlocks are the EEF"),
        ({"cost_band": ""}, "id_cost_band", "Select the cost band"),
        ({"description": UPN_TEXT}, "id_description", "UPN"),
    ]:
        _refused(client.post("/support/interventions/new/", _intervention_post(**fields)), field, message)
    assert Intervention.objects.count() == 0
    assert client.post("/support/interventions/new/", _intervention_post()).status_code == 302
    item = Intervention.objects.get()
    _refused(
        client.post("/support/interventions/new/", _intervention_post(name="small group TUITION")),
        "id_name",
        "already in the library",
    )

    url = f"/support/interventions/{item.pk}/recommend/"
    good = {"school": published.urn, **_date("recommended_on", date.today() - timedelta(days=1)), "note": "Year 7"}
    _refused(
        client.post(url, {**good, **_date("recommended_on", date.today() + timedelta(days=3))}),
        "id_recommended_on_day",
        "must be today or in the past",
    )
    _refused(client.post(url, {**good, "school": ""}), "id_school", "Select the school")
    _refused(client.post(url, {**good, "note": UPN_TEXT}), "id_note", "UPN")
    assert Recommendation.objects.count() == 0
    assert client.post(url, good).status_code == 302
    recommended = _csv(client.get(f"/support/interventions/{item.pk}/?format=csv"))
    assert [(r["URN"], r["Note"]) for r in recommended] == [(published.urn, "Year 7")]

    library = {r["Intervention"]: r for r in _csv(client.get("/support/interventions/?format=csv"))}
    assert library["Small group tuition"]["Schools recommended to"] == "1"
    assert library["Small group tuition"]["Source"] == "Education Endowment Foundation toolkit"
    # Retiring keeps it, out of the "recommended now" list.
    assert client.post(f"/support/interventions/{item.pk}/edit/", _intervention_post(active="no")).status_code == 302
    assert _csv(client.get("/support/interventions/?shown=active&format=csv")) == []
    assert len(_csv(client.get("/support/interventions/?shown=retired&format=csv"))) == 1
    assert len(_csv(client.get("/support/interventions/?phase=secondary&format=csv"))) == 1  # "all" suits every phase
