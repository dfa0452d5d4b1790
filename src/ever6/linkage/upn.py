"""Unique Pupil Number checks: format, LA number and check letter (``domain.md`` section 3).

A UPN is 13 characters: a check letter, the 3-digit LA number of the issuing school, the
4-digit establishment number, a 2-digit year and a 3-digit serial. A *temporary* UPN has a
2-digit serial and a final letter. The check letter is ``sum(position * value)`` over
characters 2-13, mod 23, mapped over ``ABCDEFGHJKLMNPQRTUVWXYZ``.

Two implementations of the same rule, kept in agreement by a property test:

* :func:`check_upn` (Python, with :mod:`stdnum.gb.upn`) says *why* a value is not a UPN, for the
  data-quality report;
* :func:`upn_is_valid` (an Ibis expression) decides which values may be matched on, inside the
  engine (DuckDB or Spark), so the linkage never pulls every identifier into Python.

The LA numbers are those python-stdnum knows plus the ones created since (Dorset and BCP 2019,
the Northamptonshire and Cumbria splits 2021-2023); a local authority can add more in settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import ibis
import ibis.expr.types as ir
from stdnum.gb import upn as stdnum_upn

CHECK_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
# stdnum's value table: letters at their index, digits at 23 + digit (= digit mod 23).
_VALUE_ALPHABET = CHECK_ALPHABET + "0123456789"
NEWER_LA_CODES = frozenset({"838", "839", "940", "941", "942", "943"})
LA_CODES: frozenset[str] = frozenset(f"{n:03d}" for n in getattr(stdnum_upn, "_la_numbers", ())) | NEWER_LA_CODES
# CIN census / SSDA903 "UPN unknown" codes (UN1 ... UN10): a reason there is no UPN, not a UPN.
_UNKNOWN_CODE = re.compile(r"^UN\d{1,2}$")
_SHAPE = f"^[{CHECK_ALPHABET}][0-9]{{11}}[0-9{CHECK_ALPHABET}]$"


class UpnProblem(StrEnum):
    """Why a recorded value is not a usable UPN (in the order the checks are made)."""

    MISSING = "missing"  # blank
    UNKNOWN_CODE = "unknown_code"  # UN1-UN10: the source says it has no UPN
    LENGTH = "length"  # not 13 characters once spaces are removed
    FORMAT = "format"  # characters 2-12 not digits, or a character outside the UPN alphabet
    LA_NUMBER = "la_number"  # characters 2-4 are not a known LA number
    CHECK_LETTER = "check_letter"  # the check letter does not match


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


def compact(value: str | None) -> str:
    """Upper case with every whitespace character removed (how systems mangle UPNs)."""
    return "".join((value or "").split()).upper()


def check_upn(value: str | None, la_codes: Iterable[str] = LA_CODES) -> UpnCheck:
    """Classify one recorded UPN: valid (permanent or temporary) or the first problem found."""
    upn = compact(value)
    if not upn:
        return UpnCheck("", None, UpnProblem.MISSING)
    if _UNKNOWN_CODE.match(upn):
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


def compact_expr(value: ir.StringValue) -> ir.StringValue:
    """:func:`compact` as an Ibis expression; null for a blank value."""
    return value.re_replace(r"\s+", "").upper().nullif("")


def upn_is_valid(value: ir.StringValue, la_codes: Iterable[str] = LA_CODES) -> ir.BooleanValue:
    """True where ``value`` (already compacted) is a valid UPN; False for null or invalid.

    Character values are looked up with ``find`` on a literal alphabet (never a cast), so a
    malformed value cannot make an engine in ANSI mode (Spark) raise.
    """
    alphabet = ibis.literal(_VALUE_ALPHABET)
    total: ir.IntegerValue = ibis.literal(0)
    for position in range(2, 14):
        total = total + position * alphabet.find(value.substr(position - 1, 1))
    check = ibis.literal(CHECK_ALPHABET).find(value.substr(0, 1))
    shape = value.notnull() & (value.length() == 13) & value.re_search(_SHAPE)
    la = value.substr(1, 3).isin(sorted(frozenset(la_codes)))
    return ibis.ifelse(shape & la, (total % 23) == check, False)
