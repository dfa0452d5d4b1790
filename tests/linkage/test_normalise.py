"""Name and postcode normalisation: Python reference and Ibis expression agree."""

from __future__ import annotations

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ever6.linkage.normalise import name_or_null, normalise_name, postcode_expr
from ever6.postcode import normalise_postcode


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Zoë", "ZOE"),
        ("O'Brien-Smith", "OBRIENSMITH"),
        ("o brien smith", "OBRIENSMITH"),
        ("Łukasz", "LUKASZ"),
        ("Strauß", "STRAUSS"),
        ("Æsa", "AESA"),
        ("  ", None),
        ("-", None),
        ("李", None),
        ("X", "X"),
        (None, None),
    ],
)
def test_normalise_name(raw: str | None, expected: str | None) -> None:
    assert normalise_name(raw) == expected


def test_postcode() -> None:
    assert normalise_postcode(" ct109je ") == "CT10 9JE"
    assert normalise_postcode("not a postcode") is None


_NAMES = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from("ÀÉÎÕÜßÆŒØŁÞđıﬁ-' "), max_size=12
)


@settings(max_examples=40, deadline=None)
@given(st.lists(_NAMES, min_size=1, max_size=30))
def test_ibis_names_agree_with_python(names: list[str]) -> None:
    t = ibis.memtable({"n": names}, schema={"n": "string"})
    got = t.select(x=name_or_null(t.n)).to_pyarrow()["x"].to_pylist()
    assert got == [normalise_name(n) for n in names]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.from_regex(r"[A-Za-z]{1,2}[0-9]{1,2} ?[0-9][A-Za-z]{2}|[ a-z0-9]{0,8}", fullmatch=True), min_size=1))
def test_ibis_postcodes_agree_with_python(values: list[str]) -> None:
    t = ibis.memtable({"p": values}, schema={"p": "string"})
    got = t.select(x=postcode_expr(t.p)).to_pyarrow()["x"].to_pylist()
    assert got == [normalise_postcode(v) for v in values]
