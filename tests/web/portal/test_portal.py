"""The school portal: a DSL sees only their own school, suppressed figures, and their pupils only under
a signed, unexpired agreement; every pupil-level view and download is audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta

import duckdb
import pytest
from django.test import Client
from django.urls import reverse
from lxml import etree

from tests.web.conftest import Published

VS_ROLES = ("vs_head", "vs_officer", "data_manager", "auditor")


def _urls(urn: str) -> list[str]:
    return [
        f"/portal/{urn}/",
        f"/portal/{urn}/?format=csv&table=figures",
        f"/portal/{urn}/pupils/",
        f"/portal/{urn}/pupils/?format=csv",
        f"/portal/{urn}/pupils/?format=xlsx",
        f"/portal/{urn}/marker.csv",
        f"/portal/{urn}/marker.xml",
    ]


def _snapshot_upns(published: Published, urn: str) -> list[str]:
    con = duckdb.connect(str(published.snapshot), read_only=True)
    try:
        return sorted(r[0] for r in con.execute("SELECT upn FROM school_pupil WHERE urn = ?", [urn]).fetchall())
    finally:
        con.close()


def _audit(**filters: object) -> list[object]:
    from ever6.web.audit.models import AuditEvent

    # Pupil-level access only: refused requests are recorded too (action "refused").
    return list(AuditEvent.objects.exclude(action="refused").filter(**filters))


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_sign_in(published: Published) -> None:
    client = Client()
    for url in ["/portal/", *_urls(published.urn)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", VS_ROLES)
def test_virtual_school_roles_do_not_use_the_portal(
    client_for: Callable[[str], Client], published: Published, role: str
) -> None:
    client = client_for(role)
    urls = ["/portal/", *_urls(published.urn)]
    for url in urls:
        assert client.get(url).status_code == 403, (role, url)
    assert _audit() == []
    from ever6.web.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="refused", username=role).count() == min(len(urls), 10)


def test_a_dsl_with_one_school_goes_straight_to_it(client_for: Callable[[str], Client], published: Published) -> None:
    response = client_for("school_dsl").get("/portal/")
    assert response.status_code == 302
    assert response["Location"] == f"/portal/{published.urn}/"


def test_a_dsl_with_several_schools_chooses_one(
    client_for: Callable[[str], Client], published: Published, accounts: dict[str, object]
) -> None:
    accounts["school_dsl"].schools.add(published.unsigned_urn)  # type: ignore[attr-defined]
    response = client_for("school_dsl").get("/portal/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f"/portal/{published.urn}/" in body
    assert f"/portal/{published.unsigned_urn}/" in body
    assert f"/portal/{published.other_urn}/" not in body


@pytest.mark.parametrize("urn_attr", ["other_urn", "unsigned_urn"])
def test_another_schools_urn_is_refused_on_every_url(
    client_for: Callable[[str], Client], published: Published, urn_attr: str
) -> None:
    client = client_for("school_dsl")
    for url in _urls(getattr(published, urn_attr)):
        assert client.get(url).status_code == 403, url
    for url in _urls("999999"):
        assert client.get(url).status_code == 403, url
    assert _audit() == []


def _suppressed(published: Published, urn: str, year: str) -> dict[tuple[str, str], str]:
    con = duckdb.connect(str(published.snapshot), read_only=True)
    try:
        rows = con.execute(
            """SELECT measure, "group", value FROM metric_suppressed
               WHERE academic_year = ? AND period = 'year' AND breakdown = 'school' AND breakdown_value = ?""",
            [year, urn],
        ).fetchall()
    finally:
        con.close()
    return {(m, g): v for m, g, v in rows}


def test_school_figures_are_the_suppressed_ones_for_the_own_school(
    client_for: Callable[[str], Client], published: Published
) -> None:
    from ever6.web.portal.views import MEASURE_LABELS

    client = client_for("school_dsl")
    page = client.get(f"/portal/{published.urn}/")
    assert page.status_code == 200
    assert "Attendance and suspensions" in page.content.decode()
    con = duckdb.connect(str(published.snapshot), read_only=True)
    try:
        year = con.execute("SELECT max(academic_year) FROM metric").fetchone()[0]  # type: ignore[index]
    finally:
        con.close()
    response = client.get(f"/portal/{published.urn}/?format=csv&table=figures&year={year}&period=year")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    expected = _suppressed(published, published.urn, year)
    by_label = {v: k for k, v in MEASURE_LABELS.items()}
    assert len(rows) == len(MEASURE_LABELS)
    suppressed_seen = False
    for row in rows:
        measure = by_label[row["Measure"]]
        assert row["This school: Ever6 CWSW pupils"] == expected.get((measure, "cwsw"), "")
        assert row["This school: other pupils"] == expected.get((measure, "not_cwsw"), "")
        suppressed_seen |= row["This school: Ever6 CWSW pupils"] == "c"
    assert suppressed_seen, "the tiny authority's school should have at least one suppressed cell"


def test_a_bad_year_or_term_falls_back_to_the_latest_year(
    client_for: Callable[[str], Client], published: Published
) -> None:
    response = client_for("school_dsl").get(f"/portal/{published.urn}/?year=1999/00&period=nonsense")
    assert response.status_code == 200


def test_own_dsl_sees_the_pupil_list_and_it_is_audited(
    client_for: Callable[[str], Client], published: Published
) -> None:
    client = client_for("school_dsl")
    own = _snapshot_upns(published, published.urn)
    assert own
    pages = -(-len(own) // 25)  # the list shows 25 pupils a page
    body = ""
    for number in range(1, pages + 1):
        response = client.get(f"/portal/{published.urn}/pupils/", {"page": number})
        assert response.status_code == 200
        body += response.content.decode()
    assert all(upn in body for upn in own)
    for other in (published.other_urn, published.unsigned_urn):
        # A dual-registered pupil is on both schools' lists; anyone only on another school's is not.
        assert not any(upn in body for upn in set(_snapshot_upns(published, other)) - set(own))
    events = _audit(what="school_pupils")
    assert len(events) == pages  # every page viewed is recorded
    event = events[0]
    assert (event.username, event.role, event.action, event.object_id, event.rows) == (  # type: ignore[attr-defined]
        "school_dsl",
        "school_dsl",
        "view",
        published.urn,
        len(own),
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_pupil_list_downloads_are_audited_as_downloads(
    client_for: Callable[[str], Client], published: Published, fmt: str
) -> None:
    response = client_for("school_dsl").get(f"/portal/{published.urn}/pupils/?format={fmt}")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert sorted(r["UPN"] for r in rows) == _snapshot_upns(published, published.urn)
    events = _audit(action="download", what="school_pupils", object_id=published.urn)
    assert len(events) == 1
    assert events[0].detail == {"format": fmt}  # type: ignore[attr-defined]


def test_without_a_signed_agreement_the_school_is_told_how_to_get_one(
    client_for: Callable[[str], Client], published: Published
) -> None:
    client = client_for("dsl_unsigned")
    assert client.get(f"/portal/{published.unsigned_urn}/").status_code == 200  # figures need no agreement
    for url in _urls(published.unsigned_urn)[2:]:
        response = client.get(url)
        assert response.status_code == 403, url
    page = client.get(f"/portal/{published.unsigned_urn}/pupils/").content.decode()
    assert "needs a data sharing agreement" in page
    assert not any(upn in page for upn in _snapshot_upns(published, published.unsigned_urn))
    assert _audit() == []


def test_an_expired_agreement_closes_the_list(client_for: Callable[[str], Client], published: Published) -> None:
    from ever6.web.schools.models import AgreementStatus, DataSharingAgreement

    today = date.today()
    DataSharingAgreement.objects.create(
        school_id=published.urn,
        status=AgreementStatus.SIGNED,
        signed_on=today - timedelta(days=400),
        expires_on=today - timedelta(days=1),
    )
    client = client_for("school_dsl")
    assert client.get(f"/portal/{published.urn}/pupils/").status_code == 403
    assert client.get(f"/portal/{published.urn}/marker.csv").status_code == 403
    assert _audit() == []


def test_marker_csv_is_the_schools_pupils_and_formula_safe(
    client_for: Callable[[str], Client], published: Published
) -> None:
    response = client_for("school_dsl").get(f"/portal/{published.urn}/marker.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["UPN", "Marker", "Marker description", "As at"]
    assert sorted(r[0] for r in rows[1:]) == sorted(set(_snapshot_upns(published, published.urn)))
    assert {r[1] for r in rows[1:]} == {"EVER6CWSW"}
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)
    events = _audit(action="download", what="marker_csv")
    assert [(e.username, e.object_id) for e in events] == [("school_dsl", published.urn)]  # type: ignore[attr-defined]


def test_marker_xml_is_a_ctf_of_the_schools_pupils(client_for: Callable[[str], Client], published: Published) -> None:
    response = client_for("school_dsl").get(f"/portal/{published.urn}/marker.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = etree.fromstring(response.content, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    assert root.tag == "CTfile"
    assert root.findtext("Header/DestSchool/URN") == published.urn
    assert root.findtext("Header/SourceSchool/LEA") == "886"
    upns = sorted(p.findtext("UPN") or "" for p in root.findall("CTFpupilData/Pupil"))
    assert upns == sorted(set(_snapshot_upns(published, published.urn)))
    events = _audit(action="download", what="marker_xml")
    assert len(events) == 1
    assert events[0].rows == len(_snapshot_upns(published, published.urn))  # type: ignore[attr-defined]
