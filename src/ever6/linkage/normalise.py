"""Normalised names, postcodes and sex for matching, in Python and as Ibis expressions.

A name is compared without case, accents, hyphens, apostrophes or spaces: ``Zoë O'Brien-Smith``
and ``ZOE OBRIEN SMITH`` are the same (``ZOE`` / ``OBRIENSMITH``). Older case-management systems
fold diacritics and drop punctuation on entry; schools' systems keep them.

The folding table is built once from Unicode (every Latin letter whose decomposition starts with
an ASCII letter, plus the letters that do not decompose: ß, Æ, Œ, Ø, Ł, Þ, Đ, ...), and the same
table drives :func:`normalise_name` (Python) and :func:`name_expr` (Ibis: ``translate`` and
``replace``, which DuckDB and Spark both have), so the engines agree with each other and with
the reference function.
"""

from __future__ import annotations

import re
import unicodedata

import ibis
import ibis.expr.types as ir

from ever6.postcode import COMPACT_POSTCODE

# Letters with no canonical decomposition, and ligatures: folded to one or more ASCII letters.
_SPECIAL: dict[str, str] = {
    "ß": "SS",
    "ẞ": "SS",
    "Æ": "AE",
    "æ": "AE",
    "Œ": "OE",
    "œ": "OE",
    "Ø": "O",
    "ø": "O",
    "Ł": "L",
    "ł": "L",
    "Đ": "D",
    "đ": "D",
    "Ð": "D",
    "ð": "D",
    "Þ": "TH",
    "þ": "TH",
    "ı": "I",
    "Ħ": "H",
    "ħ": "H",
    "Ŧ": "T",
    "ŧ": "T",
    "ĸ": "K",
    "Ŋ": "N",
    "ŋ": "N",
    "ﬀ": "FF",
    "ﬁ": "FI",
    "ﬂ": "FL",
    "ﬃ": "FFI",
    "ﬄ": "FFL",
    "ﬅ": "ST",
    "ﬆ": "ST",
}
_LATIN_RANGES = ((0x00C0, 0x024F), (0x1E00, 0x1EFF))


def _single_folds() -> dict[str, str]:
    folds: dict[str, str] = {k: v for k, v in _SPECIAL.items() if len(v) == 1}
    for start, end in _LATIN_RANGES:
        for code in range(start, end + 1):
            char = chr(code)
            if char in _SPECIAL:
                continue
            base = unicodedata.normalize("NFKD", char)[:1]
            if base.isascii() and base.isalpha():
                folds[char] = base
    return folds


_FOLDS = _single_folds()
_MULTI = {k: v for k, v in _SPECIAL.items() if len(v) > 1}
_FROM = "".join(_FOLDS)
_TO = "".join(_FOLDS.values())
_TRANSLATION = str.maketrans(_FOLDS)
_NOT_LETTER = re.compile(r"[^A-Za-z]")


def normalise_name(name: str | None) -> str | None:
    """Upper-case ASCII letters only; None when nothing is left."""
    if name is None:
        return None
    text = name.translate(_TRANSLATION)
    for special, ascii_text in _MULTI.items():
        text = text.replace(special, ascii_text)
    # Drop everything but ASCII letters before upper-casing, so no engine's Unicode case
    # mapping (the "ﬁ" ligature, say) can differ from another's.
    text = _NOT_LETTER.sub("", text).upper()
    return text or None


def name_expr(name: ir.StringValue) -> ir.StringValue:
    """:func:`normalise_name` as an Ibis expression, except that nothing left is ``""``, not null."""
    folded = name.translate(_FROM, _TO)
    for special, ascii_text in _MULTI.items():
        folded = folded.replace(special, ascii_text)
    # Folding is costly (a long translation table per row): only names with a non-ASCII
    # character need it.
    text = ibis.ifelse(name.re_search("^[ -~]*$"), name, folded)
    return text.re_replace("[^A-Za-z]", "").upper()


def name_or_null(name: ir.StringValue, placeholders: tuple[str, ...] = ()) -> ir.StringValue:
    """:func:`name_expr`, null when empty or one of ``placeholders``.

    The normalised expression is written twice in the SQL (test and value), never nested
    deeper: engines expand NULLIF into CASE, so chained NULLIFs grow exponentially.
    """
    text = name_expr(name)
    return ibis.ifelse(text.isin(["", *placeholders]), ibis.null("string"), text)


def postcode_expr(postcode: ir.StringValue) -> ir.StringValue:
    """:func:`normalise_postcode` as an Ibis expression."""
    compact = postcode.re_replace(r"\s+", "").upper()
    ok = compact.re_search(COMPACT_POSTCODE.pattern)
    outward = compact.substr(0, compact.length() - 3)
    inward = compact.substr(compact.length() - 3, 3)
    return ibis.ifelse(ok.fill_null(False), outward + " " + inward, ibis.null("string"))


def sex_expr(sex: ir.StringValue) -> ir.StringValue:
    """``M`` or ``F``; anything else (``U``, blank, unknown codes) is null for matching."""
    s = sex.strip().upper()
    return ibis.ifelse(s.isin(["M", "F"]), s, ibis.null("string"))
