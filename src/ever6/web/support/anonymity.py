"""The one check that keeps pupils' identifiers out of the Virtual School's partnership records,
as a form error: the rule itself is :func:`ever6.upn.find_upn_in_text`, the same for every form
(enquiries, clinic summaries, agreed actions, a school contact's notes and the bulk imports).

The Virtual School does not take on individual cases (DfE guidance, paras 15–16): its records are
about a cohort, a situation or a practice, never a named or numbered child.
"""

from __future__ import annotations

from django import forms

from ever6.upn import find_upn_in_text

WHY = (
    "The Virtual School does not take on individual cases, so its records must not identify a child: "
    "remove the unique pupil number (a letter, 11 digits and a final digit or letter)"
)


def find_upn(text: str | None) -> str | None:
    """The first UPN-shaped token in ``text``, as written there, or ``None``."""
    return find_upn_in_text(text)


def contains_upn(text: str | None) -> bool:
    return find_upn(text) is not None


def refuse_upn(text: str | None, what: str) -> None:
    """Raise a form error naming the field (``what``, e.g. "The question") when it holds a UPN.

    The token itself is not repeated in the message, so the error summary does not show it again.
    """
    if contains_upn(text):
        raise forms.ValidationError(f"{what} must not contain a pupil's UPN. {WHY}.")
