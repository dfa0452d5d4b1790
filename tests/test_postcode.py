"""The one postcode rule (``ever6.postcode``), as the readers, linkage and the web forms apply it.

The cases are the six shapes of a UK postcode as Royal Mail describes them (A9 9AA, A99 9AA,
AA9 9AA, AA99 9AA, A9A 9AA, AA9A 9AA), the one historical exception (GIR 0AA), and the ways
systems mangle them. Two rules existed before this one: the readers' and linkage's (the same),
and the web form's, which refused a space in the wrong place and took any Unicode digit.
"""

from __future__ import annotations

import pytest

from ever6.postcode import normalise_postcode


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("M1 1AE", "M1 1AE"),  # A9 9AA
        ("B33 8TH", "B33 8TH"),  # A99 9AA
        ("CR2 6XH", "CR2 6XH"),  # AA9 9AA
        ("DN55 1PT", "DN55 1PT"),  # AA99 9AA
        ("W1A 0AX", "W1A 0AX"),  # A9A 9AA
        ("EC1A 1BB", "EC1A 1BB"),  # AA9A 9AA
        ("GIR 0AA", "GIR 0AA"),
        ("gir0aa", "GIR 0AA"),
        (" ct109je ", "CT10 9JE"),
        ("sw1a1aa", "SW1A 1AA"),
        ("SW1A  1AA", "SW1A 1AA"),
        ("SW1A\t1AA", "SW1A 1AA"),
        ("SW1A\u00a01AA", "SW1A 1AA"),  # a no-break space, as spreadsheets write it
        # The inward code is always the last three characters: a misplaced space says nothing.
        ("SW1 A1AA", "SW1A 1AA"),
        ("S W1A1AA", "SW1A 1AA"),
    ],
)
def test_a_postcode_is_given_its_normal_form(typed: str, expected: str) -> None:
    assert normalise_postcode(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        None,
        "",
        "   ",
        "not a postcode",
        "SW1A",  # an outward code alone
        "SW1A 1AAA",
        "1A 1AA",  # starts with a digit
        "SW1A 1\u0663A",  # an Arabic-Indic digit: the web form's old rule took it
        "B\uff114SB",  # a full-width digit: the same
        "SW1A-1AA",
    ],
)
def test_what_is_not_a_postcode_is_none(typed: str | None) -> None:
    assert normalise_postcode(typed) is None
