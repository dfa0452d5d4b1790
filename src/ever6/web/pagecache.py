"""Caching the Virtual School's figure pages between refreshes.

A dashboard page is the same for everyone with the same role until the next refresh: its figures
come from the published snapshot. Rendering the GOV.UK components for hundreds of table cells is
most of a page's cost, so the rendered page is kept, keyed by role, URL (with its filters) and
snapshot version, and only the per-user part (who is signed in, the sign-out form with its CSRF
token) is rendered for each request. Used only behind the role check, never for pages that show
pupils (which must be audited on each view) and never for downloads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from markupsafe import Markup

from ever6.access import NotPublished
from ever6.web.guard import snapshot, viewer

View = TypeVar("View", bound=Callable[..., HttpResponse])

PLACEHOLDER = "<!--ever6:signed-in-->"


def cacheable(request: HttpRequest) -> dict[str, Any]:
    """Context for a page that :func:`cached_page` may cache: the banner becomes a placeholder."""
    return {"cacheable_page": True, "banner_placeholder": Markup(PLACEHOLDER)}  # noqa: S704 (a constant)


def _key(request: HttpRequest) -> str | None:
    try:
        version = snapshot().version()
    except NotPublished:
        return None
    role = viewer(request).role
    digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    return f"ever6:page:{role}:{version}:{digest}"


def cached_page(view: View) -> View:
    """Serve a rendered page from the cache when the role, URL and snapshot are the same."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "GET" or "format" in request.GET or len(get_messages(request)) > 0:
            return view(request, *args, **kwargs)
        key = _key(request)
        html = cache.get(key) if key else None
        if html is None:
            response = view(request, *args, **kwargs)
            if (
                key is None
                or response.status_code != 200
                or not response.get("Content-Type", "").startswith("text/html")
            ):
                return response
            html = response.content.decode()
            if PLACEHOLDER not in html:
                return response  # the view did not render a cacheable page
            cache.set(key, html)
        banner = render_to_string("_signed_in.html", request=request)
        return HttpResponse(html.replace(PLACEHOLDER, banner, 1))

    return wrapped  # type: ignore[return-value]
