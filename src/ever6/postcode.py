"""The UK postcode rule, for every reader, linkage and the web forms.

A full postcode is an outward code (``SW1A``: one or two letters, a digit, and an optional letter
or digit) and an inward code (``1AA``: a digit and two letters); ``GIR 0AA`` is the one historical
exception. The inward code is always the last three characters, so where a system put its spaces
says nothing: they are removed before the check, and the normal form has one space before the
inward code. Digits are ASCII only (a full-width or Arabic-Indic digit is not a postcode).
Linkage applies the same rule inside the engine (``ever6.linkage.normalise.postcode_expr``, from
:data:`COMPACT_POSTCODE`), kept in agreement with this one by a property test.
"""

from __future__ import annotations

import re

# A full UK postcode once every space is removed and letters are upper case.
COMPACT_POSTCODE = re.compile(r"^(?:[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}|GIR0AA)$")


def normalise_postcode(text: str | None) -> str | None:
    """``text`` as a postcode in its normal form (``CT10 9JE``); None when it is not one."""
    compact = "".join((text or "").split()).upper()
    if not COMPACT_POSTCODE.match(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"
