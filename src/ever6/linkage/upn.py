"""Unique Pupil Number checks inside the linkage engine.

The rule itself is :mod:`ever6.upn` (one rule for every reader and for linkage; re-exported
here). :func:`upn_is_valid` is the same rule as an Ibis expression, deciding which values may
be matched on inside the engine (DuckDB or Spark), so the linkage never pulls every identifier
into Python; a property test keeps it in agreement with :func:`ever6.upn.check_upn`.
"""

from __future__ import annotations

from collections.abc import Iterable

import ibis
import ibis.expr.types as ir

from ever6.upn import CHECK_ALPHABET, LA_CODES, NEWER_LA_CODES, UpnCheck, UpnKind, UpnProblem, check_upn, compact

__all__ = [
    "CHECK_ALPHABET",
    "LA_CODES",
    "NEWER_LA_CODES",
    "UpnCheck",
    "UpnKind",
    "UpnProblem",
    "check_upn",
    "compact",
    "compact_expr",
    "upn_is_valid",
]

# stdnum's value table: letters at their index, digits at 23 + digit (= digit mod 23).
_VALUE_ALPHABET = CHECK_ALPHABET + "0123456789"
_SHAPE = f"^[{CHECK_ALPHABET}][0-9]{{11}}[0-9{CHECK_ALPHABET}]$"


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
