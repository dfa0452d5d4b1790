"""Data sharing agreements: the Virtual School records them (with validation and a PDF signed copy),
sees coverage against the published cohort, and the latest record decides the portal's pupil list."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.web.conftest import Published

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> Path:
    """Uploads go to a throwaway folder."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return Path(settings.MEDIA_ROOT)


def _urls(published: Published) -> list[str]:
    return [
        "/schools/",
        "/schools/agreements/",
        "/schools/agreements/?status=signed&format=csv&table=agreements",
        "/schools/agreements/?format=xlsx&table=coverage",
        f"/schools/{published.urn}/",
        f"/schools/{published.urn}/agreement/",
    ]


def _counts(published: Published) -> dict[str, int]:
    con = duckdb.connect(str(published.snapshot), read_only=True)
    try:
        return {u: n for u, n in con.execute("SELECT urn, count(*) FROM school_pupil GROUP BY urn").fetchall()}
    finally:
        con.close()


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_sign_in(published: Published) -> None:
    for url in _urls(published):
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", ["data_manager", "school_dsl", "auditor", "dsl_unsigned"])
def test_roles_without_partnership_are_refused(
    client_for: Callable[[str], Client], published: Published, role: str
) -> None:
    client = client_for(role)
    for url in _urls(published):
        assert client.get(url).status_code == 403, (role, url)
    assert client.post(f"/schools/{published.unsigned_urn}/agreement/", {"status": "not_sent"}).status_code == 403


@pytest.mark.parametrize("role", ["vs_head", "vs_officer"])
def test_partnership_roles_see_the_pages(client_for: Callable[[str], Client], published: Published, role: str) -> None:
    client = client_for(role)
    assert client.get("/schools/").status_code == 200  # the register
    for url in _urls(published)[1:]:
        assert client.get(url).status_code == 200, url
    assert client.get("/schools/000000/").status_code == 404


def test_coverage_counts_match_the_snapshot(client_for: Callable[[str], Client], published: Published) -> None:
    counts = _counts(published)
    signed = {published.urn, published.other_urn}  # the fixture's agreements in force
    uncovered = {u: n for u, n in counts.items() if u not in signed}
    client = client_for("vs_officer")
    rows = _csv(client.get("/schools/agreements/?format=csv&table=coverage"))
    assert {r["URN"]: int(r["Ever6 CWSW pupils"]) for r in rows} == uncovered
    page = client.get("/schools/agreements/")
    body = page.content.decode()
    assert f"{len(uncovered)}</span> of {len(counts)} schools" in body
    assert f"{sum(uncovered.values())}</span> of {sum(counts.values())} Ever6 CWSW pupils" in body


def test_register_filter_by_status(client_for: Callable[[str], Client], published: Published) -> None:
    client = client_for("vs_head")
    signed = _csv(client.get("/schools/agreements/?status=signed&format=csv&table=agreements"))
    assert {r["URN"] for r in signed} == {published.urn, published.other_urn}
    assert {r["Agreement status"] for r in signed} == {"Signed"}
    everything = _csv(client.get("/schools/agreements/?format=csv&table=agreements"))
    assert published.unsigned_urn in {r["URN"] for r in everything}
    assert len(everything) >= len(_counts(published))
    # An unknown status shows every school rather than failing.
    assert len(_csv(client.get("/schools/agreements/?status=bogus&format=csv"))) == len(everything)


def _date(prefix: str, day: date | None) -> dict[str, str]:
    if day is None:
        return {f"{prefix}_day": "", f"{prefix}_month": "", f"{prefix}_year": ""}
    return {f"{prefix}_day": str(day.day), f"{prefix}_month": str(day.month), f"{prefix}_year": str(day.year)}


def _post(client: Client, urn: str, **fields: Any) -> Any:
    today = date.today()
    data: dict[str, Any] = {
        "status": "signed",
        "version": "2026.2",
        **_date("sent_on", today - timedelta(days=10)),
        **_date("signed_on", today - timedelta(days=2)),
        **_date("expires_on", today + timedelta(days=365)),
    }
    data.update(fields)
    return client.post(f"/schools/{urn}/agreement/", data)


def test_recording_a_signed_agreement_opens_the_portal_list(
    client_for: Callable[[str], Client], published: Published
) -> None:
    from ever6.web.schools.models import DataSharingAgreement

    assert client_for("dsl_unsigned").get(f"/portal/{published.unsigned_urn}/pupils/").status_code == 403
    response = _post(client_for("vs_officer"), published.unsigned_urn)
    assert response.status_code == 302
    assert response["Location"] == f"/schools/{published.unsigned_urn}/"
    latest = DataSharingAgreement.latest_for(published.unsigned_urn)
    assert latest is not None
    assert (latest.status, latest.version, latest.recorded_by) == ("signed", "2026.2", "vs_officer")
    assert client_for("dsl_unsigned").get(f"/portal/{published.unsigned_urn}/pupils/").status_code == 200
    # A later record (declined) closes it again; both records are kept.
    assert (
        _post(client_for("vs_head"), published.unsigned_urn, status="declined", **_date("signed_on", None)).status_code
        == 302
    )
    assert DataSharingAgreement.objects.filter(school_id=published.unsigned_urn).count() == 2
    assert client_for("dsl_unsigned").get(f"/portal/{published.unsigned_urn}/pupils/").status_code == 403
    history = client_for("vs_head").get(f"/schools/{published.unsigned_urn}/").content.decode()
    assert "Declined" in history
    assert "Signed" in history


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"signed_on_day": "31", "signed_on_month": "2", "signed_on_year": "2025"},
            "signed_on",
            "Date signed must be a real date",
        ),
        (
            {"signed_on_day": "1", "signed_on_month": "", "signed_on_year": "2025"},
            "signed_on",
            "Date signed must include a month",
        ),
        (
            {**_date("signed_on", date.today() + timedelta(days=3))},
            "signed_on",
            "Date signed must be today or in the past",
        ),
        ({**_date("sent_on", date.today() + timedelta(days=3))}, "sent_on", "Date sent must be today or in the past"),
        ({**_date("signed_on", None)}, "signed_on", "Enter the date the agreement was signed"),
        (
            {**_date("expires_on", date.today() - timedelta(days=5))},
            "expires_on",
            "Expiry date must be after the date signed",
        ),
        (
            {**_date("signed_on", date.today() - timedelta(days=20))},
            "signed_on",
            "Date signed must be the same as or after the date sent",
        ),
        (
            {"status": "sent", **_date("sent_on", None), **_date("signed_on", None)},
            "sent_on",
            "Enter the date the agreement was sent",
        ),
        ({"status": ""}, "status", "Select the state of the agreement"),
    ],
)
def test_invalid_agreements_are_explained_and_nothing_is_saved(
    client_for: Callable[[str], Client], published: Published, fields: dict[str, str], field: str, message: str
) -> None:
    from ever6.web.schools.models import DataSharingAgreement

    before = DataSharingAgreement.objects.count()
    response = _post(client_for("vs_officer"), published.unsigned_urn, **fields)
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert message in body
    anchor = f'href="#id_{field}_day"' if field.endswith("_on") else f'href="#id_{field}"'
    assert anchor in body
    assert body.count(f'id="id_{field}_day"' if field.endswith("_on") else f'id="id_{field}') >= 1
    assert "<title>Error:" in body
    assert DataSharingAgreement.objects.count() == before


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("agreement.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"), "must be a PDF"),
        (SimpleUploadedFile("agreement.docx", PDF, content_type="application/pdf"), "must be a PDF"),
        (
            SimpleUploadedFile("big.pdf", PDF + b"0" * (5 * 1024 * 1024), content_type="application/pdf"),
            "smaller than 5MB",
        ),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_saved(
    client_for: Callable[[str], Client], published: Published, media: Path, upload: SimpleUploadedFile, message: str
) -> None:
    from ever6.web.schools.models import DataSharingAgreement

    before = DataSharingAgreement.objects.count()
    response = _post(client_for("vs_officer"), published.unsigned_urn, signed_copy=upload)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert 'href="#id_signed_copy"' in body
    assert DataSharingAgreement.objects.count() == before
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_a_signed_copy_is_stored_privately_and_downloadable_by_the_virtual_school(
    client_for: Callable[[str], Client], published: Published, media: Path
) -> None:
    from ever6.web.schools.models import DataSharingAgreement

    upload = SimpleUploadedFile("../../Signed agreement <Deal>.pdf", PDF, content_type="application/pdf")
    assert _post(client_for("vs_officer"), published.unsigned_urn, signed_copy=upload).status_code == 302
    latest = DataSharingAgreement.latest_for(published.unsigned_urn)
    assert latest is not None
    assert latest.signed_copy
    stored = [p for p in media.rglob("*") if p.is_file()]
    assert len(stored) == 1
    assert stored[0].read_bytes() == PDF
    assert stored[0].is_relative_to(media / "agreements" / published.unsigned_urn)
    assert "Deal" not in stored[0].name  # a generated name, not the uploaded one
    url = f"/schools/{published.unsigned_urn}/agreement/{latest.pk}/signed-copy.pdf"
    response = client_for("vs_head").get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == PDF
    assert client_for("dsl_unsigned").get(url).status_code == 403
    # Another school's URN with this record's id is not found.
    assert (
        client_for("vs_head").get(f"/schools/{published.urn}/agreement/{latest.pk}/signed-copy.pdf").status_code == 404
    )


def test_sync_schools_command_reports_added_and_updated(accounts: dict[str, object]) -> None:
    out = io.StringIO()
    call_command("sync_schools", stdout=out)
    assert "0 added, 0 updated" in out.getvalue()  # the fixture synced already
    from ever6.web.schools.models import School

    School.objects.filter(urn=next(iter(School.objects.values_list("urn", flat=True)))).update(name="Renamed")
    out = io.StringIO()
    call_command("sync_schools", stdout=out)
    assert "0 added, 1 updated" in out.getvalue()
