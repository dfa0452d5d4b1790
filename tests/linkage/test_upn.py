"""UPN checks: the Python classifier (stdnum) and the Ibis expression agree on every string."""

from __future__ import annotations

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.gb import upn as stdnum_upn

from ever6.linkage.upn import LA_CODES, UpnKind, UpnProblem, check_upn, compact_expr, upn_is_valid
from tests.linkage.builders import make_upn

ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"


def _temporary(serial: int, letter: str) -> str:
    body = f"8862001{15:02d}{serial:02d}{letter}"
    return stdnum_upn.calc_check_digit(body) + body


@pytest.mark.parametrize(
    ("value", "problem", "kind"),
    [
        (make_upn(5), None, UpnKind.PERMANENT),
        (" " + make_upn(5).lower()[:5] + " " + make_upn(5)[5:] + " ", None, UpnKind.PERMANENT),
        (_temporary(7, "K"), None, UpnKind.TEMPORARY),
        (None, UpnProblem.MISSING, None),
        ("   ", UpnProblem.MISSING, None),
        ("UN5", UpnProblem.UNKNOWN_CODE, None),
        ("UN10", UpnProblem.UNKNOWN_CODE, None),
        ("A88620011500", UpnProblem.LENGTH, None),
        ("A886200115A01", UpnProblem.FORMAT, None),
        ("I886200115001", UpnProblem.FORMAT, None),
        ("A886200115００1", UpnProblem.FORMAT, None),  # full-width digits are not digits here
        ("A000200115001", UpnProblem.LA_NUMBER, UpnKind.PERMANENT),
        ("B801200005001", None, UpnKind.PERMANENT),  # stdnum's documented example
        ("A801200005001", UpnProblem.CHECK_LETTER, UpnKind.PERMANENT),
        (make_upn(5, la="940"), None, UpnKind.PERMANENT),  # North Northamptonshire (2021)
    ],
)
def test_check_upn(value: str | None, problem: UpnProblem | None, kind: UpnKind | None) -> None:
    check = check_upn(value)
    assert check.problem == problem
    assert check.kind == kind
    assert check.valid == (problem is None)


def test_new_la_codes_are_configurable() -> None:
    upn = make_upn(1, la="999")
    assert check_upn(upn).problem == UpnProblem.LA_NUMBER
    assert check_upn(upn, LA_CODES | {"999"}).valid


def _mutations() -> st.SearchStrategy[str]:
    valid = st.builds(make_upn, st.integers(0, 999), st.sampled_from(sorted(LA_CODES)), st.integers(0, 9999))
    chars = st.sampled_from(ALPHABET + "0123456789IOS a-")

    def mutate(upn: str, i: int, c: str) -> str:
        return upn[:i] + c + upn[i + 1 :]

    mutated = st.builds(mutate, valid, st.integers(0, 12), chars)
    temporary = st.builds(_temporary, st.integers(0, 99), st.sampled_from(ALPHABET))
    return st.one_of(valid, mutated, temporary, st.text(chars, max_size=15), st.text(max_size=14))


@settings(max_examples=60, deadline=None)
@given(st.lists(_mutations(), min_size=1, max_size=40))
def test_ibis_expression_agrees_with_python(values: list[str]) -> None:
    t = ibis.memtable({"v": values}, schema={"v": "string"})
    got = t.select(ok=upn_is_valid(compact_expr(t.v)).fill_null(False)).to_pyarrow()["ok"].to_pylist()
    assert got == [check_upn(v).valid for v in values]
