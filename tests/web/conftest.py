"""Web fixtures: a published synthetic authority (``tiny``, built once per test session) and one
signed-in user per role.

- ``published``: the demo workspace; its snapshot is what every page reads.
- ``accounts``: one user per role (password :data:`PASSWORD`); ``dsl`` acts for :attr:`Published.urn`
  (signed agreement) and ``dsl_unsigned`` for :attr:`Published.unsigned_urn` (no agreement); the
  ``other_urn`` school has Ever6 CWSW pupils and belongs to neither.
- ``client_for(role)``: a Django test client signed in as that user.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.conftest import Published

PASSWORD = "a long test password 1"
ROLES = ("vs_head", "vs_officer", "data_manager", "school_dsl", "auditor", "social_worker", "finance")


@pytest.fixture(autouse=True)
def _snapshot_setting(request: pytest.FixtureRequest) -> Iterator[None]:
    """Point the web service at the published snapshot for tests that use it."""
    if "published" not in request.fixturenames:
        yield
        return
    from ever6.web import guard

    pub: Published = request.getfixturevalue("published")
    previous = django_settings.EVER6_SNAPSHOT
    django_settings.EVER6_SNAPSHOT = pub.snapshot
    django_settings.EVER6_WAREHOUSE = pub.home / "warehouse.duckdb"
    guard.snapshot.cache_clear()
    yield
    django_settings.EVER6_SNAPSHOT = previous
    guard.snapshot.cache_clear()


@pytest.fixture
def accounts(db: None, published: Published) -> dict[str, object]:
    """One active user per role, the schools register synced from the snapshot, and agreements."""
    from ever6.web.accounts.models import User
    from ever6.web.schools.models import AgreementStatus, DataSharingAgreement
    from ever6.web.schools.sync import sync_schools

    sync_schools()
    made: dict[str, object] = {}
    for role in ROLES:
        made[role] = User.objects.create_user(role, f"{role}@example.org", PASSWORD, role=role)
    made["school_dsl"].schools.set([published.urn])  # type: ignore[attr-defined]
    unsigned = User.objects.create_user("dsl_unsigned", "dsl2@example.org", PASSWORD, role="school_dsl")
    unsigned.schools.set([published.unsigned_urn])
    made["dsl_unsigned"] = unsigned
    today = date.today()
    DataSharingAgreement.objects.create(
        school_id=published.urn,
        status=AgreementStatus.SIGNED,
        version="2026.1",
        sent_on=today - timedelta(days=30),
        signed_on=today - timedelta(days=20),
        expires_on=today + timedelta(days=345),
        recorded_by="vs_officer",
    )
    DataSharingAgreement.objects.create(
        school_id=published.other_urn,
        status=AgreementStatus.SIGNED,
        version="2026.1",
        signed_on=today - timedelta(days=20),
        recorded_by="vs_officer",
    )
    return made


@pytest.fixture
def client_for(accounts: dict[str, object]) -> Callable[[str], Client]:
    """A test client signed in as the user named (a role, or ``dsl_unsigned``)."""

    def make(username: str) -> Client:
        client = Client()
        client.force_login(accounts[username])  # type: ignore[arg-type]
        return client

    return make


@pytest.fixture(autouse=True)
def _flushable_audit_log(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests that commit (the browser tests' live server) empty the database afterwards with
    DELETE, which the audit log's triggers refuse: lift them for that, and only that."""
    if not {"live_server", "transactional_db"} & set(request.fixturenames):
        yield
        return
    from django.db import connection

    from ever6.web.audit import triggers

    triggers.install(connection)
    yield
    triggers.remove(connection)


@pytest.fixture(autouse=True)
def _fresh_refusal_limiter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with the refused-request allowance unused, in one minute that never ends."""
    from ever6.web.audit import middleware

    monkeypatch.setattr(middleware, "limiter", middleware.RefusalLimiter(clock=lambda: 0.0))
