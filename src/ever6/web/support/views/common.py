"""Helpers shared by the support pages: dates, links, form pages, list filters, and the anonymity reminder."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render as django_render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, linebreaks

from ever6.web.forms import choice
from ever6.web.guard import viewer

__all__ = [
    "PAGE_SIZE",
    "choice",
    "filter_items",
    "form_page",
    "link",
    "long_date",
    "render",
    "short_date",
    "when",
    "who",
]

PAGE_SIZE = 50
ANONYMITY = (
    "The Virtual School gives advice about groups of pupils and situations; it does not take on "
    "individual cases. Do not write a child's name, date of birth or unique pupil number (UPN): "
    "describe them, for example 'a Year 9 pupil on a child protection plan'. Text with a UPN is refused."
)


def long_date(day: date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else ""


def short_date(day: date | None) -> str:
    return day.isoformat() if day else ""


def when(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%B %Y}, {local:%H:%M}"


def paragraphs(text: str) -> str:
    """Free text as escaped paragraphs, keeping the writer's line breaks."""
    return linebreaks(text or "", autoescape=True)


def render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return django_render(request, template, {**context, "paragraphs": paragraphs}, status=status)


def who(request: HttpRequest) -> str:
    return viewer(request).username


def link(name: str, args: list[Any], text: str) -> str:
    return format_html('<a class="govuk-link" href="{}">{}</a>', reverse(name, args=args), text)


def form_page(request: HttpRequest, template: str, context: dict[str, Any], form: Any) -> HttpResponse:
    """A form page: status 400 with the error summary when the form was refused."""
    context = {**context, "form": form, "page_error": bool(form.errors), "anonymity": ANONYMITY}
    return render(request, template, context, status=400 if form.errors else 200)


def filter_items(choices: dict[str, str], chosen: str, everything: str) -> list[dict[str, Any]]:
    return [{"value": "", "text": everything, "selected": not chosen}] + [
        {"value": value, "text": label, "selected": value == chosen} for value, label in choices.items()
    ]
