"""The one UPN check behind every anonymised text of the support pages, and working days."""

from __future__ import annotations

from datetime import date

import pytest
from django import forms

from ever6.web.support.anonymity import contains_upn, find_upn, refuse_upn
from ever6.web.support.models import working_days


@pytest.mark.parametrize(
    "text",
    [
        "A123456789012",
        "a123456789012",
        "Pupil K12345678901A is refusing school",  # a temporary UPN ends in a letter
        "upn: z12345678901b.",
        "A1234 5678 9012",
        "A 1234 5678 901 2",
        "a123-456-789-012",
        "(H123456789012)",
        "first line\nN123 4567 8901 2 on the second",
    ],
)
def test_upn_shaped_tokens_are_found(text: str) -> None:
    assert contains_upn(text), text


@pytest.mark.parametrize(
    "text",
    [
        "Call 07700 900123 after 3pm",
        "Tel 07700 900123 ext 4",
        "+44 7700 900123",
        "01632 960 001",
        "Ring 01632960001 2 times",
        "Meeting on 12/03/2024 at 10:30",
        "2024-03-12",
        "born 12 March 2014",
        "A12345678901",  # 12 characters: too short
        "A12345678901234",  # 15 characters: too long
        "AB123456789012",  # two letters first
        "Year 9, room 101, 30 pupils, ISBN 9781234567897",
        "",
    ],
)
def test_phone_numbers_dates_and_other_numbers_are_not(text: str) -> None:
    assert not contains_upn(text), (text, find_upn(text))


def test_find_returns_the_token_as_written() -> None:
    assert find_upn("about A1234 5678 9012 today") == "A1234 5678 9012"
    assert find_upn(None) is None


def test_refusal_explains_why_without_repeating_the_number() -> None:
    refuse_upn("A Year 9 pupil on a child protection plan", "The question")  # no error
    with pytest.raises(forms.ValidationError) as caught:
        refuse_upn("pupil A123456789012", "The question")
    message = " ".join(caught.value.messages)
    assert message.startswith("The question must not contain a pupil's UPN")
    assert "does not take on individual cases" in message
    assert "A123456789012" not in message


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (date(2026, 3, 2), date(2026, 3, 2), 0),  # Monday, same day
        (date(2026, 3, 2), date(2026, 3, 3), 1),
        (date(2026, 3, 6), date(2026, 3, 9), 1),  # Friday to Monday
        (date(2026, 3, 7), date(2026, 3, 9), 1),  # Saturday to Monday
        (date(2026, 3, 2), date(2026, 3, 9), 5),  # a week
        (date(2026, 3, 2), date(2026, 3, 20), 14),
        (date(2026, 3, 9), date(2026, 3, 2), 0),  # never negative
    ],
)
def test_working_days_count_monday_to_friday(start: date, end: date, days: int) -> None:
    assert working_days(start, end) == days
