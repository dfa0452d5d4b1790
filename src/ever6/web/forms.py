"""Django forms shown with GOV.UK components: the error summary and each field's error message."""

from __future__ import annotations

from typing import Any

from django import forms


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
