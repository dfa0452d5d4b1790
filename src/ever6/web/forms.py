"""Django forms shown with GOV.UK components: the error summary, each field's error message, and
the GOV.UK date input (day, month and year boxes) as a form field, shared by every app; and the
GET/POST shape of a form page (:func:`posted`, :func:`saved_on_post`)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone


def choice(request: HttpRequest, name: str, allowed: Collection[str], default: str = "") -> str:
    """A list filter's value from the query string: one of ``allowed``, else ``default``."""
    value = request.GET.get(name, default)
    return value if value in allowed else default


def posted(request: HttpRequest) -> QueryDict | None:
    """A form's data: the POST's, or ``None`` on a GET (the form then shows its initial values)."""
    return request.POST if request.method == "POST" else None


def saved_on_post(
    request: HttpRequest, form: forms.BaseForm, save: Callable[[], tuple[str, HttpResponse]]
) -> HttpResponse | None:
    """A form page's POST: when the form is valid, ``save`` (in one transaction) returns what to
    tell the user and where to go next. ``None`` on a GET or a refused form, for the caller to
    show the form (with its error summary)."""
    if request.method != "POST" or not form.is_valid():
        return None
    with transaction.atomic():
        message, response = save()
    messages.success(request, message)
    return response


def error_summary(form: forms.BaseForm) -> list[dict[str, str]]:
    """The GOV.UK error summary's ``errorList``: each error linked to its field."""
    items: list[dict[str, str]] = []
    for name, errors in form.errors.items():
        href = f"#{form[name].id_for_label}" if name in form.fields else "#main-content"
        items.extend({"text": str(e), "href": href} for e in errors)
    return items


def field_error(form: forms.BaseForm, name: str) -> dict[str, str] | None:
    """A GOV.UK component's ``errorMessage`` for one field, or ``None``."""
    errors = form.errors.get(name)
    return {"text": " ".join(str(e) for e in errors)} if errors else None


def value(form: forms.BaseForm, name: str) -> Any:
    """What to put back in a field: the submitted value after an error, else the initial one."""
    bound = form[name]
    data = bound.value()
    return "" if data is None else data


DATE_PARTS = ("day", "month", "year")


class DateWidget(forms.MultiWidget):
    """Three text boxes named ``<name>_day``, ``<name>_month`` and ``<name>_year``."""

    def __init__(self) -> None:
        super().__init__(widgets={part: forms.TextInput() for part in DATE_PARTS})

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def id_for_label(self, id_: str) -> str:
        # The error summary links to the day box, as the GOV.UK date input pattern says.
        return f"{id_}_day" if id_ else id_


class DateField(forms.Field):
    """A GOV.UK date input: empty, or a real date; optionally not after today."""

    widget = DateWidget

    def __init__(self, *, what: str, not_future: bool = False, **kwargs: Any) -> None:
        self.what = what  # as in the error messages: "Date signed must be a real date"
        self.not_future = not_future
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> date | None:
        if isinstance(value, date):
            return value
        parts = [str(p).strip() if p is not None else "" for p in (value or ["", "", ""])]
        if not any(parts):
            return None
        missing = [part for part, text in zip(DATE_PARTS, parts, strict=True) if not text]
        if missing:
            raise forms.ValidationError(f"{self.what} must include a {' and a '.join(missing)}")
        day, month, year = parts
        if not (day.isdigit() and month.isdigit() and year.isdigit()):
            raise forms.ValidationError(f"{self.what} must be a real date")
        if len(year) != 4:
            raise forms.ValidationError("Year must include 4 numbers")
        try:
            result = date(int(year), int(month), int(day))
        except ValueError as exc:
            raise forms.ValidationError(f"{self.what} must be a real date") from exc
        if self.not_future and result > timezone.localdate():
            raise forms.ValidationError(f"{self.what} must be today or in the past")
        return result


def date_items(form: forms.BaseForm, name: str) -> list[dict[str, Any]]:
    """The GOV.UK date input's ``items`` for one date field: its boxes' names, ids and values."""
    bound = form[name]
    values = bound.value()
    if not isinstance(values, (list, tuple)):
        values = DateWidget().decompress(values)
    has_error = name in form.errors
    widths = {"day": 2, "month": 2, "year": 4}
    return [
        {
            "name": f"{name}_{part}",
            "id": f"{bound.auto_id}_{part}",
            "label": part.capitalize(),
            "value": "" if value is None else str(value),
            "classes": f"govuk-input--width-{widths[part]}" + (" govuk-input--error" if has_error else ""),
        }
        for part, value in zip(DATE_PARTS, values, strict=True)
    ]
