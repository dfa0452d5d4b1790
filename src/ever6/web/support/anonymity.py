"""The one check that keeps pupils' identifiers out of the Virtual School's partnership records.

The Virtual School does not take on individual cases (DfE guidance, paras 15–16): enquiries,
clinic summaries and agreed actions are about a cohort, a situation or a practice, never a named or
numbered child. A unique pupil number (UPN) is 13 characters: a letter, 11 digits and a final digit
(or, in a temporary UPN, a letter). People write them with spaces or hyphens ("A123 4567 8901 2"),
and in lower case, so the check allows both; it does not test the check letter, because a
mistyped UPN identifies a child as well as a valid one.

A UPN-shaped token must stand on its own (no letter or digit straight before or after it), so
telephone numbers ("01632 960 123", "Tel 07700 900123 ext 4"), dates ("12/03/2024") and words that
end in a letter before a number ("Call 07700900123 5") are not refused.
"""

from __future__ import annotations

import re

from django import forms

_SEP = r"[ \t\u00a0-]{0,2}"  # up to two spaces or hyphens between characters
UPN_PATTERN = re.compile(
    rf"(?<![A-Za-z0-9])[A-Za-z](?:{_SEP}[0-9]){{11}}{_SEP}[A-Za-z0-9](?![A-Za-z0-9])",
)

WHY = (
    "The Virtual School does not take on individual cases, so its records must not identify a child: "
    "remove the unique pupil number (a letter, 11 digits and a final digit or letter)"
)


def find_upn(text: str | None) -> str | None:
    """The first UPN-shaped token in ``text``, as written there, or ``None``."""
    if not text:
        return None
    match = UPN_PATTERN.search(text)
    return match.group(0) if match else None


def contains_upn(text: str | None) -> bool:
    return find_upn(text) is not None


def refuse_upn(text: str | None, what: str) -> None:
    """Raise a form error naming the field (``what``, e.g. "The question") when it holds a UPN.

    The token itself is not repeated in the message, so the error summary does not show it again.
    """
    if contains_upn(text):
        raise forms.ValidationError(f"{what} must not contain a pupil's UPN. {WHY}.")
