"""The Unique Pupil Number rule, for every reader and for linkage (``docs/domain.md`` section 3).

A UPN is 13 characters: a check letter, the 3-digit LA number of the issuing school, the
4-digit establishment number, a 2-digit year and a 3-digit serial. A *temporary* UPN has a
2-digit serial and a final letter. The check letter is python-stdnum's (``stdnum.gb.upn``):
``sum(position * value)`` over characters 2-13, mod 23, mapped over ``ABCDEFGHJKLMNPQRTUVWXYZ``.

The LA numbers are those python-stdnum knows plus the ones created since (Dorset and BCP 2019,
the Northamptonshire and Cumbria splits 2021-2023); a local authority adds more with
``[linkage] extra_la_codes`` (:func:`la_codes`). :func:`check_upn` says which problem a value
has, first found first, and :attr:`UpnCheck.message` says it in words for an import warning or
the data-quality report. Linkage applies the same rule inside the engine as an Ibis expression
(``ever6.linkage.upn.upn_is_valid``), kept in agreement with this one by a property test.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from stdnum.gb import upn as stdnum_upn

CHECK_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
NEWER_LA_CODES = frozenset({"838", "839", "940", "941", "942", "943"})
LA_CODES: frozenset[str] = frozenset(f"{n:03d}" for n in getattr(stdnum_upn, "_la_numbers", ())) | NEWER_LA_CODES
# CIN census / SSDA903 "UPN unknown" codes (UN1 ... UN10): a reason there is no UPN, not a UPN.
UNKNOWN_CODE = re.compile(r"^UN\d{1,2}$")


class UpnProblem(StrEnum):
    """Why a recorded value is not a usable UPN (in the order the checks are made)."""

    MISSING = "missing"  # blank
    UNKNOWN_CODE = "unknown_code"  # UN1-UN10: the source says it has no UPN
    LENGTH = "length"  # not 13 characters once spaces are removed
    FORMAT = "format"  # characters 2-12 not digits, or a character outside the UPN alphabet
    LA_NUMBER = "la_number"  # characters 2-4 are not a known LA number
    CHECK_LETTER = "check_letter"  # the check letter does not match

    @property
    def words(self) -> str:
        """The problem in a few words ("check letter wrong"), for counts of many values."""
        return _WORDS[self]


_WORDS = {
    UpnProblem.MISSING: "blank",
    UpnProblem.UNKNOWN_CODE: "a 'UPN unknown' code",
    UpnProblem.LENGTH: "wrong length",
    UpnProblem.FORMAT: "bad characters",
    UpnProblem.LA_NUMBER: "LA number not recognised",
    UpnProblem.CHECK_LETTER: "check letter wrong",
}


class UpnKind(StrEnum):
    PERMANENT = "permanent"
    TEMPORARY = "temporary"


@dataclass(frozen=True)
class UpnCheck:
    value: str  # the compacted value (upper case, spaces removed); "" when missing
    kind: UpnKind | None
    problem: UpnProblem | None

    @property
    def valid(self) -> bool:
        return self.problem is None

    @property
    def message(self) -> str | None:
        """The problem in words, naming what is wrong with this value (None when valid)."""
        upn = self.value
        match self.problem:
            case None:
                return None
            case UpnProblem.MISSING:
                return "UPN is blank"
            case UpnProblem.UNKNOWN_CODE:
                return f"{upn!r} is a 'UPN unknown' reason code, not a UPN"
            case UpnProblem.LENGTH:
                return f"UPN {upn!r} has the wrong length: {len(upn)} characters, a UPN has 13"
            case UpnProblem.FORMAT:
                return f"UPN {upn!r} has bad characters: {_bad_characters(upn)}"
            case UpnProblem.LA_NUMBER:
                return (
                    f"UPN {upn!r}: LA number {upn[1:4]} is not recognised "
                    "(a new authority's number can be added with [linkage] extra_la_codes)"
                )
            case UpnProblem.CHECK_LETTER:
                expected = stdnum_upn.calc_check_digit(upn[1:])
                return f"UPN {upn!r}: the check letter is wrong ({upn[0]}; the other 12 characters give {expected})"


def _bad_characters(upn: str) -> str:
    if upn[0] not in CHECK_ALPHABET:
        return f"the first character {upn[0]!r} is not a check letter (A-Z without I, O and S)"
    for i in range(1, 12):
        if not (upn[i].isascii() and upn[i].isdigit()):
            return f"character {i + 1} is {upn[i]!r}; characters 2-12 are digits"
    return f"the last character {upn[12]!r} is neither a digit nor a check-alphabet letter"


def la_codes(extra: Iterable[str] = ()) -> frozenset[str]:
    """The LA numbers a UPN may carry: the built-in ones and the authority's ``extra_la_codes``."""
    return LA_CODES | frozenset(str(code).strip() for code in extra)


def compact(value: str | None) -> str:
    """Upper case with every whitespace character removed (how systems mangle UPNs)."""
    return "".join((value or "").split()).upper()


def recorded_upn(value: str | None) -> str | None:
    """A UPN as a reader keeps it: compacted, None when blank or a 'UPN unknown' code (UN1-UN10)."""
    upn = compact(value)
    return None if not upn or UNKNOWN_CODE.match(upn) else upn


def check_upn(value: str | None, la_codes: Iterable[str] = LA_CODES) -> UpnCheck:
    """Classify one recorded UPN: valid (permanent or temporary) or the first problem found."""
    upn = compact(value)
    if not upn:
        return UpnCheck("", None, UpnProblem.MISSING)
    if UNKNOWN_CODE.match(upn):
        return UpnCheck(upn, None, UpnProblem.UNKNOWN_CODE)
    if len(upn) != 13:
        return UpnCheck(upn, None, UpnProblem.LENGTH)
    if upn[0] not in CHECK_ALPHABET or not upn[1:12].isascii() or not upn[1:12].isdigit():
        return UpnCheck(upn, None, UpnProblem.FORMAT)
    last = upn[12]
    if not (last.isascii() and last.isdigit()) and last not in CHECK_ALPHABET:
        return UpnCheck(upn, None, UpnProblem.FORMAT)
    kind = UpnKind.PERMANENT if last.isdigit() else UpnKind.TEMPORARY
    if upn[1:4] not in frozenset(la_codes):
        return UpnCheck(upn, kind, UpnProblem.LA_NUMBER)
    if stdnum_upn.calc_check_digit(upn[1:]) != upn[0]:
        return UpnCheck(upn, kind, UpnProblem.CHECK_LETTER)
    return UpnCheck(upn, kind, None)


# --- a UPN written in free text ---------------------------------------------------------------
# Records that must not identify a child (the Virtual School's enquiries, clinics, actions and a
# school contact's notes) refuse text holding a UPN. People write them with spaces or hyphens
# ("A123 4567 8901 2") and in lower case, so both are allowed; the check letter is not tested,
# because a mistyped UPN identifies a child as well as a valid one. The token must stand on its own
# (no letter or digit straight before or after it), so telephone numbers ("01632 960 123", "Tel
# 07700 900123 ext 4"), dates and words ending in a letter before a number ("Call 07700900123 5")
# are not refused.
_SEP = r"[ \t\u00a0-]{0,2}"  # up to two spaces or hyphens between characters
UPN_IN_TEXT = re.compile(rf"(?<![A-Za-z0-9])[A-Za-z](?:{_SEP}[0-9]){{11}}{_SEP}[A-Za-z0-9](?![A-Za-z0-9])")


def find_upn_in_text(text: str | None) -> str | None:
    """The first UPN-shaped token in ``text``, as written there, or ``None``."""
    if not text:
        return None
    match = UPN_IN_TEXT.search(text)
    return match.group(0) if match else None
