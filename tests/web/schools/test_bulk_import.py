"""Bulk import of contacts and agreements: upload checks, the preview with per-row errors, confirm
saves the valid rows together, cancel saves nothing, and the upload is deleted either way."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.conftest import Published

CONTACT_HEADINGS = ["urn", "name", "role", "email", "phone", "from_date", "to_date", "notes"]


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> Path:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return Path(settings.MEDIA_ROOT)


def _stored(media: Path) -> list[Path]:
    return [p for p in (media / "imports").rglob("*") if p.is_file()] if (media / "imports").exists() else []


def _csv_bytes(rows: list[list[str]], headings: list[str] = CONTACT_HEADINGS) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headings)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _xlsx_bytes(rows: list[list[Any]], headings: list[str] = CONTACT_HEADINGS) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(headings)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(client: Client, kind: str, name: str, content: bytes) -> Any:
    return client.post("/schools/import/", {"kind": kind, "upload": SimpleUploadedFile(name, content)})


def _contact_rows(published: Published) -> list[list[str]]:
    past = (date.today() - timedelta(days=300)).strftime("%d/%m/%Y")
    future = (date.today() + timedelta(days=30)).isoformat()
    return [
        [
            published.urn,
            "Priya Shah",
            "DSL / CWSW lead",
            "p.shah@example.sch.uk",
            "01632 960 001",
            past,
            "",
            "",
        ],  # 2 ok
        [published.urn, "Tom Reed", "senco", "t.reed@example.sch.uk", "", "", "", "Mon-Wed"],  # 3 ok
        [published.urn, "Bad Email", "SENCO", "not-an-email", "", "", "", ""],  # 4
        ["999999", "No School", "SENCO", "x@example.sch.uk", "", "", "", ""],  # 5
        [published.urn, "Future", "Headteacher", "f@example.sch.uk", "", future, "", ""],  # 6
        [published.urn, "Priya Shah", "dsl", "P.Shah@example.sch.uk", "", "", "", ""],  # 7 duplicate of row 2
        [published.urn, "Odd Role", "Caretaker", "o@example.sch.uk", "123", "", "", ""],  # 8 two errors
        ["", "", "", "", "", "", "", ""],  # blank: skipped
        [
            published.other_urn,
            "Ann Bell",
            "Designated teacher",
            "a.bell@example.sch.uk",
            "",
            "2024-09-01",
            "",
            "",
        ],  # 10
    ]


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_sign_in(published: Published) -> None:
    for url in ("/schools/import/", "/schools/import/preview/", "/schools/import/template/contacts.csv"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", ["data_manager", "school_dsl", "auditor"])
def test_other_roles_cannot_import(
    client_for: Callable[[str], Client], published: Published, media: Path, role: str
) -> None:
    from ever6.web.schools.models import Contact

    client = client_for(role)
    for url in ("/schools/import/", "/schools/import/preview/", "/schools/import/template/contacts.csv"):
        assert client.get(url).status_code == 403, url
    assert _upload(client, "contacts", "c.csv", _csv_bytes(_contact_rows(published))).status_code == 403
    assert client.post("/schools/import/preview/", {"action": "confirm"}).status_code == 403
    assert not Contact.objects.exists()
    assert not _stored(media)


def test_templates_download_with_the_columns(client_for: Callable[[str], Client]) -> None:
    client = client_for("vs_officer")
    response = client.get("/schools/import/template/contacts.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == CONTACT_HEADINGS
    assert len(rows) == 2
    agreements = list(csv.reader(io.StringIO(client.get("/schools/import/template/agreements.csv").content.decode())))
    assert agreements[0] == ["urn", "status", "version", "sent_on", "signed_on", "expires_on"]
    assert client.get("/schools/import/template/unknown.csv").status_code == 404
    page = client.get("/schools/import/").content.decode()
    assert "Named contacts" in page
    assert "Data sharing agreements" in page


def test_preview_lists_every_error_and_confirm_saves_the_valid_rows(
    client_for: Callable[[str], Client], published: Published, media: Path
) -> None:
    from ever6.web.schools.models import Contact, ContactChange

    client = client_for("vs_officer")
    response = _upload(client, "contacts", "contacts.csv", _csv_bytes(_contact_rows(published)))
    assert response.status_code == 302
    assert response["Location"] == "/schools/import/preview/"
    assert len(_stored(media)) == 1
    assert not Contact.objects.exists()  # nothing saved by the upload

    page = client.get("/schools/import/preview/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Import 3 contacts" in body
    errors = list(
        csv.DictReader(io.StringIO(client.get("/schools/import/preview/?format=csv&table=errors").content.decode()))
    )
    found = {(int(e["Row"]), e["Column"]) for e in errors}
    assert found == {(4, "email"), (5, "urn"), (6, "from_date"), (7, "email"), (8, "role"), (8, "phone")}
    messages = {(int(e["Row"]), e["Column"]): e["Error"] for e in errors}
    assert "correct format" in messages[(4, "email")]
    assert messages[(5, "urn")] == "No school or setting in the register has the URN 999999"
    assert "today or in the past" in messages[(6, "from_date")]
    assert "Row 2 has the same person in the same role" in messages[(7, "email")]
    assert messages[(8, "role")].startswith("Role must be one of: DSL / CWSW lead")
    creates = list(
        csv.DictReader(io.StringIO(client.get("/schools/import/preview/?format=csv&table=create").content.decode()))
    )
    assert [int(r["Row"]) for r in creates] == [2, 3, 10]
    assert client.get("/schools/import/preview/?format=xlsx&table=errors").content[:2] == b"PK"
    assert not Contact.objects.exists()  # the preview saves nothing either

    token = client.session["ever6_bulk_import"]["token"]
    response = client.post("/schools/import/preview/", {"token": token, "action": "confirm"})
    assert response.status_code == 302
    assert response["Location"] == "/schools/"
    saved = {(c.school_id, c.name, c.role, c.email) for c in Contact.objects.all()}
    assert saved == {
        (published.urn, "Priya Shah", "dsl", "p.shah@example.sch.uk"),
        (published.urn, "Tom Reed", "senco", "t.reed@example.sch.uk"),
        (published.other_urn, "Ann Bell", "designated_teacher", "a.bell@example.sch.uk"),
    }
    assert Contact.objects.get(name="Ann Bell").from_date == date(2024, 9, 1)
    assert ContactChange.objects.filter(action="imported", changed_by="vs_officer").count() == 3
    assert not _stored(media)
    assert "ever6_bulk_import" not in client.session
    # Importing the same file again: every row is now a duplicate of a saved contact or still wrong.
    _upload(client, "contacts", "contacts.csv", _csv_bytes(_contact_rows(published)))
    body = client.get("/schools/import/preview/").content.decode()
    assert "No row can be imported" in body
    assert "is already recorded as the DSL / CWSW lead" in body


def test_cancel_saves_nothing_and_deletes_the_upload(
    client_for: Callable[[str], Client], published: Published, media: Path
) -> None:
    from ever6.web.schools.models import Contact

    client = client_for("vs_head")
    assert _upload(client, "contacts", "c.csv", _csv_bytes(_contact_rows(published))).status_code == 302
    token = client.session["ever6_bulk_import"]["token"]
    response = client.post("/schools/import/preview/", {"token": token, "action": "cancel"})
    assert response.status_code == 302
    assert response["Location"] == "/schools/import/"
    assert not Contact.objects.exists()
    assert not _stored(media)
    assert client.get("/schools/import/preview/").status_code == 302  # nothing waiting any more


def test_a_stale_token_saves_nothing(client_for: Callable[[str], Client], published: Published, media: Path) -> None:
    from ever6.web.schools.models import Contact

    client = client_for("vs_officer")
    _upload(client, "contacts", "c.csv", _csv_bytes(_contact_rows(published)))
    response = client.post("/schools/import/preview/", {"token": "0" * 32, "action": "confirm"})
    assert response.status_code == 400
    assert not Contact.objects.exists()
    assert len(_stored(media)) == 1  # still waiting for the right confirmation


def test_an_excel_file_is_read_with_its_dates(client_for: Callable[[str], Client], published: Published) -> None:
    from ever6.web.schools.models import Contact

    client = client_for("vs_officer")
    rows: list[list[Any]] = [
        [
            int(published.urn),
            "Jo Fox",
            "Headteacher",
            "j.fox@example.sch.uk",
            "020 7946 0958",
            date(2023, 1, 9),
            None,
            None,
        ],
        [published.urn, "Max Ng", "SENCO", "m.ng@example.sch.uk", None, "31/02/2024", None, None],
    ]
    assert _upload(client, "contacts", "contacts.xlsx", _xlsx_bytes(rows)).status_code == 302
    errors = list(
        csv.DictReader(io.StringIO(client.get("/schools/import/preview/?format=csv&table=errors").content.decode()))
    )
    assert [(e["Row"], e["Column"]) for e in errors] == [("3", "from_date")]
    token = client.session["ever6_bulk_import"]["token"]
    assert client.post("/schools/import/preview/", {"token": token, "action": "confirm"}).status_code == 302
    saved = Contact.objects.get()
    assert (saved.name, saved.role, saved.from_date) == ("Jo Fox", "headteacher", date(2023, 1, 9))


def test_agreements_import(client_for: Callable[[str], Client], published: Published) -> None:
    from ever6.web.schools.models import DataSharingAgreement

    client = client_for("vs_officer")
    today = date.today()
    headings = ["urn", "status", "version", "sent_on", "signed_on", "expires_on"]
    rows = [
        [
            published.unsigned_urn,
            "Signed",
            "2025.2",
            (today - timedelta(days=40)).isoformat(),
            (today - timedelta(days=30)).isoformat(),
            (today + timedelta(days=300)).isoformat(),
        ],
        [published.other_urn, "sent", "", "", "", ""],  # a sent agreement needs the date sent
        [published.unsigned_urn, "declined", "", "", "", ""],  # a second row for the same school
        [published.urn, "lost", "", "", "", ""],
    ]
    assert _upload(client, "agreements", "agreements.csv", _csv_bytes(rows, headings)).status_code == 302
    errors = list(
        csv.DictReader(io.StringIO(client.get("/schools/import/preview/?format=csv&table=errors").content.decode()))
    )
    found = {(int(e["Row"]), e["Column"]): e["Error"] for e in errors}
    assert set(found) == {(3, "sent_on"), (4, "urn"), (5, "status")}
    assert found[(3, "sent_on")] == "Enter the date the agreement was sent"
    assert client_for("dsl_unsigned").get(f"/portal/{published.unsigned_urn}/pupils/").status_code == 403
    before = DataSharingAgreement.objects.count()
    token = client.session["ever6_bulk_import"]["token"]
    assert client.post("/schools/import/preview/", {"token": token, "action": "confirm"}).status_code == 302
    assert DataSharingAgreement.objects.count() == before + 1
    latest = DataSharingAgreement.latest_for(published.unsigned_urn)
    assert latest is not None
    assert (latest.status, latest.version, latest.recorded_by) == (
        "signed",
        "2025.2",
        "vs_officer",
    )
    assert client_for("dsl_unsigned").get(f"/portal/{published.unsigned_urn}/pupils/").status_code == 200


def _zip_without_content_types() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("word/document.xml", "<x/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("kind", "name", "content", "message"),
    [
        ("contacts", "big.csv", b"urn,name\n" + b"1,x\n" * (700 * 1024), "must be smaller than 2MB"),
        ("contacts", "c.csv", "urn,name\n1,Zoë\n".encode("utf-16"), "saved as UTF-8"),
        ("contacts", "c.xlsx", b"not a zip at all", "must be a CSV or an Excel (.xlsx) file"),
        ("contacts", "c.xlsx", _zip_without_content_types(), "must be a CSV or an Excel (.xlsx) file"),
        ("contacts", "c.pdf", b"%PDF-1.4", "must be a CSV or an Excel (.xlsx) file"),
        ("contacts", "c.csv", b"", "is empty"),
        ("contacts", "c.csv", b"urn,name,role\n1,x,senco\n", "must have a column called email"),
        ("contacts", "c.csv", b"urn,name,role,email\n", "has no rows to import"),
        ("", "c.csv", b"urn,name,role,email\n1,a,b,c\n", "Select what the file holds"),
        ("payroll", "c.csv", b"urn,name,role,email\n1,a,b,c\n", "Select what the file holds"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_kept(
    client_for: Callable[[str], Client], media: Path, kind: str, name: str, content: bytes, message: str
) -> None:
    from ever6.web.schools.models import Contact

    response = _upload(client_for("vs_officer"), kind, name, content)
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert message in body
    assert 'href="#id_upload"' in body or 'href="#id_kind"' in body
    assert "<title>Error:" in body
    assert not _stored(media)
    assert not Contact.objects.exists()


def test_no_file_chosen(client_for: Callable[[str], Client]) -> None:
    response = client_for("vs_officer").post("/schools/import/", {"kind": "contacts"})
    assert response.status_code == 400
    assert "Select a CSV or Excel file" in response.content.decode()


def test_the_registry_takes_another_kind(client_for: Callable[[str], Client], media: Path) -> None:
    """Another app's kind appears on the page and goes through the same preview and confirm."""
    from ever6.web import bulk

    saved: list[Any] = []

    def validate(values: dict[str, str], context: bulk.Context) -> bulk.Checked:
        if not values["title"]:
            return bulk.Checked(errors=[("title", "Enter the course title")])
        return bulk.Checked(record=values["title"], summary=f"Course {values['title']}")

    def save(records: list[Any], context: bulk.Context) -> int:
        saved.extend((r, context.username) for r in records)
        return len(records)

    bulk.register(
        bulk.Importer(
            "courses", "Training courses", "courses", (bulk.Column("title", "Title", True, "x"),), validate, save
        )
    )
    try:
        client = client_for("vs_officer")
        assert "Training courses" in client.get("/schools/import/").content.decode()
        assert (
            _upload(
                client, "courses", "c.csv", b"Title,Notes\nAttachment,\n\n,a note but no title\nTrauma,\n"
            ).status_code
            == 302
        )
        body = client.get("/schools/import/preview/").content.decode()
        assert "Import 2 courses" in body
        assert "Enter the course title" in body
        assert "not used and will be ignored: notes" in body
        token = client.session["ever6_bulk_import"]["token"]
        client.post("/schools/import/preview/", {"token": token, "action": "confirm"})
        assert saved == [("Attachment", "vs_officer"), ("Trauma", "vs_officer")]
    finally:
        bulk._REGISTRY.pop("courses", None)


@pytest.mark.django_db
def test_a_rows_errors_are_reported_all_at_once_whatever_its_urn(
    client_for: Callable[[str], Client], published: Published
) -> None:
    """A wrong URN does not hide the row's other errors, and the notes refuse a UPN as the advice
    line's records do (one rule)."""
    client = client_for("vs_officer")
    rows = [
        ["999999", "", "Caretaker", "not-an-email", "", "", "", "About pupil A123 4567 8901 2"],
        [published.urn, "Ann Bell", "senco", "a.bell@example.sch.uk", "", "", "", "Call 07700 900123 ext 4"],
    ]
    _upload(client, "contacts", "contacts.csv", _csv_bytes(rows))
    errors = list(
        csv.DictReader(io.StringIO(client.get("/schools/import/preview/?format=csv&table=errors").content.decode()))
    )
    found = {(int(e["Row"]), e["Column"]) for e in errors}
    assert found == {(2, "urn"), (2, "name"), (2, "role"), (2, "email"), (2, "notes")}
    notes = next(e["Error"] for e in errors if e["Column"] == "notes")
    assert notes.startswith("Notes must not contain a pupil's UPN")
    assert "A123" not in notes


@pytest.mark.django_db
def test_the_contact_form_refuses_a_upn_in_its_notes(client_for: Callable[[str], Client], published: Published) -> None:
    from ever6.web.schools.models import Contact

    client = client_for("vs_officer")
    data = {"name": "Ann Bell", "role": "senco", "email": "a.bell@example.sch.uk", "notes": "re a123456789012"}
    response = client.post(f"/schools/{published.urn}/contacts/new/", data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Notes must not contain a pupil" in body
    assert "re a123456789012" in body  # kept in the field to correct, not in the message
    assert not Contact.objects.exists()
