"""The Content-Security-Policy on every page, and request bodies limited per view before they are
parsed (the proxy test, tests/web/test_proxy.py, sees both through nginx and waitress)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.web.conftest import Published

pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def _inline_scripts(html: str) -> list[str]:
    """Every inline script a browser would run: no ``src``, and a JavaScript type (or none)."""
    found = []
    for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        kind = re.search(r'type="([^"]+)"', attributes)
        if "src=" in attributes or (kind and kind.group(1) not in ("text/javascript", "module")):
            continue
        found.append(body)
    return found


def _sha256(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def test_the_sign_in_page_allows_only_its_own_scripts_and_styles(client: Client) -> None:
    response = client.get("/accounts/sign-in/")
    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["style-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    # Each inline script on the page is allowed by its hash, and nothing else is allowed inline.
    inline = _inline_scripts(response.content.decode())
    assert inline, "GOV.UK's template marks the page as having JavaScript with one inline script"
    hashes = [source for source in policy["script-src"] if source.startswith("'sha256-")]
    assert sorted(hashes) == sorted({_sha256(script) for script in inline})


def test_chart_pages_allow_vegas_expression_compiler_and_pupil_pages_do_not(
    client_for: Callable[[str], Client], published: Published
) -> None:
    chart = client_for("vs_officer").get("/dashboard/attendance/")
    assert b"data-ever6-chart=" in chart.content
    assert "'unsafe-eval'" in _directives(chart["Content-Security-Policy"])["script-src"]
    pupils = client_for("school_dsl").get(f"/portal/{published.urn}/pupils/")
    assert pupils.status_code == 200
    assert "'unsafe-eval'" not in _directives(pupils["Content-Security-Policy"])["script-src"]
    for response in (chart, pupils):
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def _form_of_size(size: int) -> dict[str, str]:
    return {"username": "someone", "password": "x" * size}


def test_an_anonymous_body_is_refused_before_it_is_parsed(client: Client) -> None:
    assert client.post("/accounts/sign-in/", _form_of_size(70 * 1024)).status_code == 413
    # A sign-in form of ordinary size is read (and fails on the password, not the size).
    assert client.post("/accounts/sign-in/", _form_of_size(100)).status_code == 200
    # An upload page refuses an anonymous upload before the sign-in check would read it.
    upload = SimpleUploadedFile("contacts.csv", b"a" * (100 * 1024), content_type="text/csv")
    assert client.post("/schools/import/", {"kind": "contacts", "upload": upload}).status_code == 413


def test_signed_in_bodies_are_limited_by_the_view(client_for: Callable[[str], Client]) -> None:
    officer = client_for("vs_officer")
    # A form page takes a form, not a file.
    big = SimpleUploadedFile("contacts.csv", b"a" * (1536 * 1024), content_type="text/csv")
    assert officer.post("/support/enquiries/new/", {"upload": big}).status_code == 413
    # The bulk import takes up to 2 MB: a 1.5 MB file reaches the form (which judges its rows).
    upload = SimpleUploadedFile("contacts.csv", b"a" * (1536 * 1024), content_type="text/csv")
    assert officer.post("/schools/import/", {"kind": "contacts", "upload": upload}).status_code == 400
    # ... a file a little over it gets the form's own message ...
    upload = SimpleUploadedFile("contacts.csv", b"a" * (3 * 1024 * 1024), content_type="text/csv")
    response = officer.post("/schools/import/", {"kind": "contacts", "upload": upload})
    assert response.status_code == 400
    assert "must be smaller than 2MB" in response.content.decode()
    # ... and one far over it is refused before it is parsed, with a page that says so.
    upload = SimpleUploadedFile("contacts.csv", b"a" * (5 * 1024 * 1024), content_type="text/csv")
    response = officer.post("/schools/import/", {"kind": "contacts", "upload": upload})
    assert response.status_code == 413
    assert "must be smaller than 2MB" in response.content.decode()
