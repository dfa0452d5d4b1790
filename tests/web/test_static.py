"""The static files: every asset a page or stylesheet names is served, and nothing else of the npm
packages they come from (ever6.web.staticfiles)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

import ever6.web
from ever6.web.staticfiles import SERVED

WEB = Path(ever6.web.__file__).parent
FRONTEND = WEB / "frontend" / "node_modules"

pytestmark = pytest.mark.django_db  # a file not served is Django's 404, through the audited middleware


def _named_by_the_pages() -> set[str]:
    """Each asset a template names with ``static('…')`` or an ``/assets/`` address, and each the
    GOV.UK stylesheet and our scripts reach by ``url(/assets/…)`` or an import."""
    names: set[str] = set()
    for path in [*WEB.rglob("*.html"), *(WEB / "static").rglob("*.js")]:
        if "frontend" in path.relative_to(WEB).parts:  # the npm packages' own pages and examples
            continue
        text = path.read_text()
        names |= set(re.findall(r"static\('([^']+)'\)", text))
        names |= set(re.findall(r"[\"'(]/assets/([A-Za-z0-9_./-]+)", text))
    css = (FRONTEND / "govuk-frontend" / "dist" / "govuk" / "govuk-frontend.min.css").read_text()
    names |= set(re.findall(r"url\(/assets/([^)\"']+)\)", css))
    return names


def test_every_asset_the_pages_name_is_served(client: Client) -> None:
    names = _named_by_the_pages()
    assert {"govuk/govuk-frontend.min.css", "govuk/govuk-frontend.min.js", "vega/vega.min.js"} <= names
    assert any(name.startswith("fonts/") for name in names)  # the stylesheet's own fonts
    for name in sorted(names):
        response = client.get(f"/assets/{name}")
        assert response.status_code == 200, name
        response.close()


@pytest.mark.parametrize(
    "name",
    [
        "govuk/all.bundle.js",
        "govuk/all.bundle.js.map",
        "govuk/_base.scss",
        "vega/vega.module.js.map",
        "vega/vega-schema.json",
        "vega-embed/embed.d.ts",
        "vega-lite/index.d.ts",
    ],
)
def test_the_packages_other_files_are_not_served(client: Client, name: str) -> None:
    prefix, _, rest = name.partition("/")
    assert (FRONTEND / {"govuk": "govuk-frontend/dist/govuk"}.get(prefix, f"{prefix}/build") / rest).is_file()
    assert prefix in SERVED
    assert client.get(f"/assets/{name}").status_code == 404


def test_collectstatic_collects_only_what_is_served(tmp_path: Path) -> None:
    """A deployment whose proxy serves the assets (``EVER6_STATIC_ROOT``) gets the same few files."""
    from django.core.management import call_command
    from django.test import override_settings

    with override_settings(STATIC_ROOT=str(tmp_path)):
        call_command("collectstatic", interactive=False, verbosity=0)
    collected = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert {"govuk/govuk-frontend.min.css", "vega-lite/vega-lite.min.js", "ever6/ever6.css"} <= collected
    assert any(name.startswith("fonts/") for name in collected)
    assert not [name for name in collected if name.endswith((".map", ".d.ts", ".scss", ".mjs"))]
    assert _named_by_the_pages() <= collected
