"""Signing in, throttling, sessions, CSRF, deployment settings and user management."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client

from ever6.access import AuditEntry, Role, Viewer
from ever6.web.accounts.models import User
from ever6.web.accounts.oidc import role_from_claims
from ever6.web.audit.models import AppendOnlyError, AuditEvent, record
from tests.web.conftest import PASSWORD, Published

pytestmark = pytest.mark.django_db


def test_passwords_are_hashed_with_argon2(accounts: dict[str, Any]) -> None:
    user = User.objects.get(username="vs_head")
    assert user.password.startswith("argon2")
    assert user.check_password(PASSWORD)


def test_signing_in_sends_each_role_to_its_area(accounts: dict[str, Any]) -> None:
    expected = {
        "vs_head": "/dashboard/",
        "vs_officer": "/dashboard/",
        "data_manager": "/data/",
        "school_dsl": "/portal/",
        "auditor": "/audit/",
    }
    for username, area in expected.items():
        client = Client()
        response = client.post("/accounts/sign-in/", {"username": username, "password": PASSWORD})
        assert response.status_code == 302, username
        assert client.get("/")["Location"] == area, username


def test_a_wrong_password_is_refused_with_an_error_summary(accounts: dict[str, Any]) -> None:
    response = Client().post("/accounts/sign-in/", {"username": "vs_head", "password": "wrong password"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in body
    assert "Enter a correct username and password" in body
    assert "_auth_user_id" not in Client().session


def test_five_failures_lock_the_account_even_with_the_right_password(accounts: dict[str, Any]) -> None:
    client = Client()
    for _ in range(5):
        client.post("/accounts/sign-in/", {"username": "vs_officer", "password": "guess"}, REMOTE_ADDR="10.0.0.9")
    response = client.post(
        "/accounts/sign-in/", {"username": "vs_officer", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert client.get("/dashboard/").status_code == 302  # still not signed in


def test_forms_refuse_a_post_without_the_csrf_token(accounts: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/sign-in/", {"username": "vs_head", "password": PASSWORD})
    assert response.status_code == 403
    assert "Your form has expired" in response.content.decode()


def test_signed_in_pages_are_never_cached_and_cookies_are_http_only(client_for: Any) -> None:
    client = client_for("auditor")
    response = client.get("/audit/")
    assert response["Cache-Control"] == "no-store"
    assert response["X-Frame-Options"] == "DENY"
    login = Client().post("/accounts/sign-in/", {"username": "auditor", "password": PASSWORD})
    assert login.cookies["sessionid"]["httponly"]


def test_sign_out_is_a_post_and_ends_the_session(client_for: Any) -> None:
    client = client_for("auditor")
    assert client.get("/accounts/sign-out/").status_code == 405
    client.post("/accounts/sign-out/")
    assert client.get("/audit/").status_code == 302


def test_a_user_without_a_role_is_told_so(db: None) -> None:
    user = User.objects.create_user("nobody", "n@example.org", PASSWORD)
    client = Client()
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 403
    assert "You do not have a role yet" in response.content.decode()


# --- user management -------------------------------------------------------------------------


def _new_user(**overrides: str) -> dict[str, str]:
    return {
        "username": "new_dsl",
        "first_name": "Sam",
        "last_name": "Lead",
        "email": "sam@example.org",
        "role": "school_dsl",
        "school_urns": "",
        "password": "a new long password 9",
        "is_active": "on",
        **overrides,
    }


def test_the_head_adds_a_school_user_for_a_school(client_for: Any, published: Published) -> None:
    from ever6.web.schools.models import Contact

    # The account is the register's named DSL for the school: the same email address.
    Contact.objects.create(school_id=published.urn, name="Sam Lead", role="dsl", email="sam@example.org")
    client = client_for("vs_head")
    response = client.post("/accounts/users/new/", _new_user(school_urns=published.urn))
    assert response.status_code == 302
    user = User.objects.get(username="new_dsl")
    assert user.role == Role.SCHOOL_DSL
    assert list(user.schools.values_list("urn", flat=True)) == [published.urn]
    assert user.check_password("a new long password 9")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({}, "Enter the URN of at least one school for a school user"),
        ({"school_urns": "999999"}, "No school has the URN 999999"),
        ({"role": "vs_officer", "school_urns": "{urn}"}, "Only school users act for schools"),
        ({"school_urns": "{urn}", "password": "short"}, "too short"),
        ({"school_urns": "{urn}", "email": "not-an-email"}, "Enter a valid email address"),
        ({"school_urns": "{urn}", "role": "superuser"}, "Select a valid choice"),
    ],
)
def test_invalid_accounts_are_refused_and_nothing_is_saved(
    client_for: Any, published: Published, overrides: dict[str, str], message: str
) -> None:
    client = client_for("vs_head")
    data = _new_user(**{k: v.format(urn=published.urn) for k, v in overrides.items()})
    response = client.post("/accounts/users/new/", data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "govuk-error-summary" in body
    assert message in body
    assert not User.objects.filter(username="new_dsl").exists()


@pytest.mark.parametrize("role", ["vs_officer", "data_manager", "school_dsl", "auditor"])
def test_only_the_head_manages_users(client_for: Any, role: str) -> None:
    client = client_for(role)
    assert client.get("/accounts/users/").status_code == 403
    assert client.post("/accounts/users/new/", _new_user(role="vs_head")).status_code == 403
    assert not User.objects.filter(username="new_dsl").exists()


# --- audit log -------------------------------------------------------------------------------


def test_the_audit_log_is_append_only(db: None) -> None:
    event = record(None, Viewer("someone", Role.SCHOOL_DSL), AuditEntry("view", "school_pupils", "100001", rows=3))
    event.rows = 0
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    # ... and the database refuses too, whatever the application does (each in a savepoint:
    # after an error PostgreSQL refuses everything else in the transaction).
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET rows = 0")
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.get(pk=event.pk).rows == 3


def test_the_auditor_filters_and_downloads_the_log(client_for: Any) -> None:
    record(None, Viewer("=cmd|' /C calc'!A0", Role.SCHOOL_DSL), AuditEntry("download", "marker_csv", "100001", 4))
    record(None, Viewer("dm", Role.DATA_MANAGER), AuditEntry("decision", "linkage_review", "C1"))
    client = client_for("auditor")
    page = client.get("/audit/", {"action": "decision"}).content.decode()
    assert "linkage_review" in page
    assert "marker_csv" not in page
    csv = client.get("/audit/", {"format": "csv"}).content.decode()
    assert "'=cmd|" in csv  # a formula-looking value is neutralised, never run by a spreadsheet
    assert "decision" in csv


# --- OIDC and deployment -----------------------------------------------------------------------


def test_single_sign_on_roles_come_from_mapped_groups() -> None:
    mapping = {"g-head": "vs_head", "g-data": "data_manager"}
    assert role_from_claims({"groups": ["g-data", "other"]}, mapping) is Role.DATA_MANAGER
    assert role_from_claims({"groups": ["g-data", "g-head"]}, mapping) is Role.VS_HEAD  # most senior
    assert role_from_claims({"groups": ["other"]}, mapping) is None
    assert role_from_claims({}, mapping) is None


def _manage(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("EVER6_", "DJANGO_"))}
    environment.update({"EVER6_HOME": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-m", "ever6.web", *args], env=environment, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_djangos_deployment_checks(tmp_path: Path) -> None:
    result = _manage(
        ["check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        DJANGO_SETTINGS_MODULE="ever6.web.settings_production",
        EVER6_SECRET_KEY=secrets.token_urlsafe(60),
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    result = _manage(["check"], tmp_path, DJANGO_SETTINGS_MODULE="ever6.web.settings_production")
    assert result.returncode != 0
    assert "EVER6_SECRET_KEY" in result.stderr


def test_development_keeps_a_generated_key_out_of_the_repository(tmp_path: Path) -> None:
    result = _manage(["check"], tmp_path)
    assert result.returncode == 0, result.stderr
    key = tmp_path / "secret_key"
    assert key.exists()
    assert len(key.read_text()) >= 50
    assert oct(key.stat().st_mode)[-3:] == "600"
