"""Secrets, passwords and the audit log's integrity (issue: security and reliability, 8 and 9)."""

from __future__ import annotations

import os
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection
from django.test import Client, RequestFactory

from ever6.access import AuditEntry, Role, Viewer
from ever6.web.audit import chain, middleware, triggers
from ever6.web.audit.models import AuditEvent, record
from ever6.web.keys import strong_key

# --- Secret key ---------------------------------------------------------------------------------


WEAK_KEYS = ["", "   ", "abc", "x" * 80, "ab" * 40, "django-insecure-" + secrets.token_urlsafe(50)]


@pytest.mark.parametrize("weak", WEAK_KEYS)
def test_a_weak_key_is_refused(weak: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="EVER6_SECRET_KEY"):
        strong_key(weak, "EVER6_SECRET_KEY")


def test_a_random_key_is_accepted() -> None:
    key = secrets.token_urlsafe(50)
    assert strong_key(key, "EVER6_SECRET_KEY") == key


def _ever6(args: list[str], home: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("EVER6_", "DJANGO_"))}
    environment.update({"EVER6_HOME": str(home), **env})
    return subprocess.run(
        [sys.executable, "-m", "ever6", *args],
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("key", ["", "abc"])
def test_production_with_an_empty_or_short_key_stops_at_start_with_a_clear_message(tmp_path: Path, key: str) -> None:
    result = _ever6(
        ["web", "migrate"], tmp_path, DJANGO_SETTINGS_MODULE="ever6.web.settings_production", EVER6_SECRET_KEY=key
    )
    assert result.returncode == 2, result.stderr
    assert "ever6 cannot start: EVER6_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


# --- Passwords ----------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "abababababababab", "password1234", "123456789012"])
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.django_db
def test_a_new_accounts_password_may_not_resemble_its_name(client_for: Callable[[str], Client]) -> None:
    from ever6.web.accounts.models import User

    data = {
        "username": "robinhalewood",
        "first_name": "Robin",
        "last_name": "Halewood",
        "email": "robin.halewood@example.org",
        "role": "vs_officer",
        "school_urns": "",
        "password": "robinhalewood",
        "is_active": "on",
    }
    response = client_for("vs_head").post("/accounts/users/new/", data)
    assert response.status_code == 400
    assert "too similar" in response.content.decode()
    assert not User.objects.filter(username="robinhalewood").exists()


# --- Refused requests are audited, within a limit -----------------------------------------------


@pytest.mark.django_db
def test_refused_requests_are_recorded_but_a_flood_is_not(
    client_for: Callable[[str], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(middleware, "limiter", middleware.RefusalLimiter(per_source=10, overall=100, clock=lambda: 0.0))
    client = client_for("school_dsl")
    assert client.get("/accounts/users/", REMOTE_ADDR="198.51.100.4").status_code == 403
    event = AuditEvent.objects.get(action="refused")
    assert (event.username, event.role, event.path, event.ip_address) == (
        "school_dsl",
        "school_dsl",
        "/accounts/users/",
        "198.51.100.4",
    )
    for _ in range(50):
        assert client.get("/audit/", REMOTE_ADDR="198.51.100.4").status_code == 403
    assert AuditEvent.objects.filter(action="refused").count() == 10
    # Another source still gets its own allowance.
    assert client_for("auditor").get("/accounts/users/").status_code == 403
    assert AuditEvent.objects.filter(action="refused", username="auditor").count() == 1


def test_the_limiter_counts_what_it_did_not_record() -> None:
    limiter = middleware.RefusalLimiter(per_source=2, overall=3)
    assert [limiter.allow("a", now=0)[0] for _ in range(4)] == [True, True, False, False]
    assert limiter.allow("b", now=1) == (True, 2)  # the third overall: says two were dropped
    assert limiter.allow("c", now=2) == (False, 0)  # over the overall allowance
    assert limiter.allow("a", now=61) == (True, 1)  # a new minute


@pytest.mark.django_db
def test_the_auditor_sees_the_address(client_for: Callable[[str], Client]) -> None:
    request = RequestFactory().get("/portal/100001/pupils/", REMOTE_ADDR="203.0.113.9")
    record(request, Viewer("dsl", Role.SCHOOL_DSL), AuditEntry("view", "school_pupils", "100001", rows=3))
    client = client_for("auditor")
    assert "203.0.113.9" in client.get("/audit/").content.decode()
    assert "203.0.113.9" in client.get("/audit/", {"format": "csv"}).content.decode()


# --- The hash chain -----------------------------------------------------------------------------


def _events(n: int) -> list[AuditEvent]:
    request = RequestFactory().get("/portal/", REMOTE_ADDR="192.0.2.1")
    who = Viewer("dsl", Role.SCHOOL_DSL)
    return [record(request, who, AuditEntry("view", "school_pupils", f"10000{i}", rows=i)) for i in range(n)]


def _raw(sql: str, params: list[Any]) -> None:
    """What someone with the database's own rights can do: lift the triggers and change a row."""
    triggers.remove(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        triggers.install(connection)


@pytest.mark.django_db
def test_verify_finds_an_entry_edited_in_the_database(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        events = _events(5)
    assert chain.verify().intact
    assert chain.verify().entries == 5
    _raw("UPDATE audit_auditevent SET rows = 0 WHERE id = %s", [events[2].pk])
    result = chain.verify()
    assert not result.intact
    assert len(result.problems) == 1
    assert f"entry {events[2].pk} " in result.problems[0]


@pytest.mark.django_db
def test_verify_finds_an_entry_deleted_from_the_middle_or_the_end(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        events = _events(5)
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    result = chain.verify()
    assert [f"entry {events[2].pk} " in p for p in result.problems] == [True]
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[4].pk])
    problems = chain.verify().problems
    assert any(f"entry {events[4].pk}, recorded as the newest, is missing" in p for p in problems)


@pytest.mark.django_db
def test_an_entry_forged_without_the_key_does_not_verify(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        events = _events(3)
    forged = chain.link(b"a key that is not the service's key at all, 50+ chars", events[0].chain_hash, events[1])
    _raw("UPDATE audit_auditevent SET chain_hash = %s WHERE id = %s", [forged, events[1].pk])
    assert not chain.verify().intact


def test_ever6_audit_verify_on_a_workspace(tmp_path: Path) -> None:
    """The command, on a real workspace: intact, then a row edited with sqlite3, then one deleted."""
    password = "a long enough password for the test 8\n"
    for name in ("head", "officer"):
        made = _ever6(["web", "create-user", name, "--role", "vs_officer"], tmp_path, stdin=password * 2)
        assert made.returncode == 0, made.stderr
    assert (tmp_path / "audit_key").stat().st_mode & 0o777 == 0o600
    ok = _ever6(["audit", "verify"], tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "2 entries" in ok.stdout

    db = sqlite3.connect(tmp_path / "web.sqlite3")
    db.executescript("DROP TRIGGER audit_event_no_update; DROP TRIGGER audit_event_no_delete;")
    db.execute("UPDATE audit_auditevent SET object_id = 'someone-else' WHERE object_id = 'head'")
    db.commit()
    edited = _ever6(["audit", "verify"], tmp_path)
    assert edited.returncode == 1
    assert "does not verify" in edited.stderr

    db.execute("UPDATE audit_auditevent SET object_id = 'head' WHERE object_id = 'someone-else'")
    db.execute("DELETE FROM audit_auditevent WHERE object_id = 'officer'")
    db.commit()
    db.close()
    deleted = _ever6(["audit", "verify"], tmp_path)
    assert deleted.returncode == 1
    assert "is missing" in deleted.stderr


@pytest.mark.django_db
def test_a_role_changed_by_single_sign_on_is_audited(settings: Any) -> None:
    from ever6.web.accounts.models import User
    from ever6.web.accounts.oidc import RoleMappingOIDCBackend

    settings.EVER6_OIDC_ROLE_GROUPS = {"g-officers": "vs_officer", "g-data": "data_manager"}
    user = User.objects.create_user("sso.person", "sso@example.org", role="vs_officer")
    backend = RoleMappingOIDCBackend.__new__(RoleMappingOIDCBackend)  # no provider needed for this
    backend.request = RequestFactory().get("/oidc/callback/", REMOTE_ADDR="192.0.2.80")
    backend.update_user(user, {"groups": ["g-data"]})
    backend.update_user(user, {"groups": ["g-data"]})  # nothing changed: nothing recorded
    events = list(AuditEvent.objects.filter(action="account"))
    assert [(e.what, e.username, e.object_id, e.ip_address) for e in events] == [
        ("role_changed", "single sign-on", "sso.person", "192.0.2.80")
    ]
    assert events[0].detail == {"from": "vs_officer", "to": "data_manager"}
