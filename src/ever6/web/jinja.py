"""The Jinja2 environment: GOV.UK Frontend's macros, and Django's URLs, static files and messages."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import reverse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader
from markupsafe import Markup

from ever6.access import Capability
from ever6.web.accounts.middleware import current_request
from ever6.web.forms import error_summary, field_error
from ever6.web.forms import value as field_value
from ever6.web.settings import WEB_DIR
from ever6.web.tables import shown


def url(name: str, *args: Any, **kwargs: Any) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


def json_script(value: Any) -> Markup:
    """JSON safe to put inside a ``<script type="application/json">`` element."""
    text = json.dumps(value, default=str).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 (escaped above for the script context)


def number(value: Any) -> str:
    """Counts with thousands separators; anything else as published (:func:`ever6.web.tables.shown`)."""
    return shown(value)


def navigation_items(request: HttpRequest) -> list[dict[str, Any]]:
    """The service navigation: one link per area the signed-in user's role may use."""
    from ever6.web.guard import viewer

    who = viewer(request)
    items = []
    for capability, name, text in NAVIGATION:
        if who.can(capability):
            href = reverse(name)
            items.append({"href": href, "text": text, "active": request.path.startswith(href)})
    return items


NAVIGATION = (
    (Capability.COHORT_FIGURES, "dashboard:index", "Dashboard"),
    (Capability.COHORT_FIGURES, "dashboard:schools", "Schools"),
    (Capability.PARTNERSHIP, "schools:index", "Schools and settings"),
    (Capability.PARTNERSHIP, "schools:agreements", "Agreements"),
    (Capability.PARTNERSHIP, "support:enquiries", "Advice and clinics"),
    (Capability.PARTNERSHIP, "training:index", "Training"),
    (Capability.PARTNERSHIP, "outcomes:index", "Activity and outcomes"),
    (Capability.PARTNERSHIP, "roundup:index", "Round-ups"),
    (Capability.GRANT_LEDGER, "grant:index", "Grant"),
    (Capability.ANNUAL_REPORT, "documents:annual", "Annual report"),
    (Capability.DATA_PAGES, "datamgmt:index", "Data"),
    (Capability.SCHOOL_PORTAL, "portal:index", "Your schools"),
    (Capability.AUDIT_LOG, "audit:index", "Audit log"),
    (Capability.ALLOCATED_CHILDREN, "events:index", "Your children's events"),
    (Capability.MANAGE_USERS, "accounts:users", "Users"),
)


def download_href(request: HttpRequest, fmt: str, **extra: str) -> str:
    """This page's URL with ``format=fmt`` (and ``extra``), keeping its filters."""
    params = request.GET.copy()
    params["format"] = fmt
    for key, value in extra.items():
        params[key] = value
    return f"{request.path}?{params.urlencode()}"


def page_href(request: HttpRequest, page: int) -> str:
    """This page's URL at another page of its results, keeping its filters."""
    params = request.GET.copy()
    params["page"] = str(page)
    return f"{request.path}?{params.urlencode()}"


def school_event_record(urn: str) -> dict[str, Any] | None:
    """The school's record of events told to social workers (the Virtual School's school page)."""
    from ever6.web.events.record import school_summary

    return school_summary(urn)


def environment(**options: Any) -> Environment:
    options["loader"] = ChoiceLoader(
        [
            FileSystemLoader(str(WEB_DIR / "jinja2")),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja", "templates")}),
        ]
    )
    env = Environment(**options)  # noqa: S701 (autoescape is set on by the TEMPLATES options)
    env.globals.update(
        url=url,
        static=static,
        get_messages=messages.get_messages,
        navigation_items=navigation_items,
        download_href=download_href,
        page_href=page_href,
        current_request=current_request,
        error_summary=error_summary,
        field_error=field_error,
        field_value=field_value,
        service_owner=settings.EVER6_SERVICE_OWNER,
        school_event_record=school_event_record,
    )
    env.filters.update(json_script=json_script, number=number)
    return env
