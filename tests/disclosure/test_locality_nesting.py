"""Each school lies in one ``school_locality``: declared to disclosure control
(``school_nesting(..., localities)``), a school's suppressed count cannot be recovered as its
locality's total less the other schools there. The table is made by hand; the attacker
(``interval_attacker.py``) imports nothing from ``ever6.disclosure`` and knows each school's
locality, as anyone who knows its address does."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from ever6.disclosure import DisclosureRules
from ever6.localities import from_areas
from ever6.metrics.publication import school_nesting, suppress_metrics
from tests.disclosure.interval_attacker import attack

LA = "886"
# Two schools in Canterbury (CT1), one in Medway (ME1); the first has 3 Ever6 CWSW pupils.
REGISTER = pa.table(
    {
        "urn": ["100001", "100002", "100003"],
        "phase": ["Primary"] * 3,
        "la_code": [LA] * 3,
        "postcode": ["CT1 1AA", "CT1 2BB", "ME1 1AA"],
    }
)
LOCALITIES = from_areas({"Canterbury": ["CT1"], "Medway": ["ME1"]})
COUNTS = {
    ("all", "all"): 63,
    ("school", "100001"): 3,
    ("school", "100002"): 40,
    ("school", "100003"): 20,
    ("school_locality", "Canterbury"): 43,
    ("school_locality", "Medway"): 20,
}
SMALL = ("2025/26", "year", "attendance:pupils", "cwsw", "school", "100001")


def _table() -> pa.Table:
    rows: list[dict[str, Any]] = [
        {
            "academic_year": "2025/26",
            "period": "year",
            "measure": "pupils",
            "group": "cwsw",
            "breakdown": b,
            "breakdown_value": v,
            "numerator": float(n),
            "denominator": None,
            "value": float(n),
        }
        for (b, v), n in COUNTS.items()
    ]
    return pa.Table.from_pylist(rows)


def _attacked(with_localities: bool) -> tuple[dict[tuple[str, str], str], Any]:
    truth = _table()
    nesting = school_nesting(REGISTER, LA, LOCALITIES if with_localities else None)
    out = suppress_metrics(truth, rules=DisclosureRules(protection_width=3), nesting=nesting)
    shown = {(r["breakdown"], r["breakdown_value"]): r["value"] for r in out.to_pylist()}
    schools = {u: ("Primary", True) for u in REGISTER.column("urn").to_pylist()}
    places = {
        u: LOCALITIES.locality_of(p)
        for u, p in zip(REGISTER["urn"].to_pylist(), REGISTER["postcode"].to_pylist(), strict=True)
    }
    found = attack(truth.to_pylist(), out.to_pylist(), schools, width=3, localities=places)
    return shown, found


def test_the_nesting_names_each_schools_locality() -> None:
    nesting = school_nesting(REGISTER, LA, LOCALITIES)
    assert nesting[("school", "100002")] == [
        ("phase", "Primary"),
        ("in_la", "in LA"),
        ("school_locality", "Canterbury"),
    ]
    assert ("school_locality", "Medway") in nesting[("school", "100003")]
    assert all(
        ("school_locality", _) not in parents
        for parents in school_nesting(REGISTER, LA).values()
        for _ in ("Canterbury", "Medway")
    )


def test_without_the_nesting_a_school_is_its_locality_less_the_others() -> None:
    shown, found = _attacked(with_localities=False)
    assert shown[("school", "100001")] == "c"
    # 43 in Canterbury less the 40 shown at the other school there
    assert found.relations_used["schools in locality attendance:pupils"] == 2
    assert SMALL in found.exact


def test_with_the_nesting_the_school_keeps_its_interval() -> None:
    shown, found = _attacked(with_localities=True)
    assert shown[("school", "100001")] == "c"
    assert SMALL not in found.narrow, found.narrow
    assert found.hidden > 0
    # the protection hides a figure of the locality's relation, not only of the schools' row
    hidden = {k for k, v in shown.items() if v == "c"}
    assert hidden & {("school", "100002"), ("school_locality", "Canterbury")}
