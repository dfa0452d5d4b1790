"""Figure pages are cached between refreshes, without mixing up who is signed in."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from ever6.web.accounts.models import User
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def test_a_cached_page_shows_each_user_their_own_name_and_token(accounts: dict[str, Any]) -> None:
    cache.clear()
    second = User.objects.create_user("second_head", "s@example.org", PASSWORD, role="vs_head")
    first_client, second_client = Client(), Client()
    first_client.force_login(accounts["vs_head"])
    second_client.force_login(second)
    first = first_client.get("/dashboard/").content.decode()
    again = second_client.get("/dashboard/").content.decode()  # served from the cache
    assert "Signed in as <strong>vs_head</strong>" in first
    assert "Signed in as <strong>second_head</strong>" in again
    assert "vs_head</strong>" not in again
    assert _csrf(first) != _csrf(again)
    # The cached body is the same page: only the banner differs.
    strip = re.compile(r'<div class="ever6-signed-in">.*?</div>', re.S)
    assert strip.sub("", first) == strip.sub("", again)
    # The sign-out form on the cached page works for the second user.
    assert second_client.post("/accounts/sign-out/", {"csrfmiddlewaretoken": _csrf(again)}).status_code == 302


def test_roles_do_not_share_cached_pages(client_for: Any) -> None:
    cache.clear()
    head = client_for("vs_head").get("/dashboard/").content.decode()
    manager = client_for("data_manager").get("/dashboard/").content.decode()
    assert 'href="/accounts/users/"' in head  # the head's navigation has Users
    assert 'href="/accounts/users/"' not in manager
    assert 'href="/data/"' in manager


def test_a_new_snapshot_is_a_new_page(client_for: Any, published: Any) -> None:
    cache.clear()
    client = client_for("vs_officer")
    before = client.get("/dashboard/").content.decode()
    assert "ever6:signed-in" not in before
    stat = published.snapshot.stat()
    os.utime(published.snapshot, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # "a refresh"
    try:
        keys_before = len(cache._cache)  # type: ignore[attr-defined]
        client.get("/dashboard/")
        assert len(cache._cache) == keys_before + 1  # type: ignore[attr-defined]
    finally:
        os.utime(published.snapshot, ns=(stat.st_atime_ns, stat.st_mtime_ns))
