"""Measures ready to leave the Virtual School: the registry's measures as disclosure specs.

A sum that is itself published as a count (the ``pupils`` count, which is also the denominator
of the persistent and severe absence rates) is named as one quantity, so disclosure control
suppresses it with one pattern everywhere it appears. Other shared sums (pupils on roll under
every exclusion rate, possible sessions under every absence rate) are not secret in themselves:
hiding a small numerator does not require hiding the denominator in every other measure, which
would blank the LA's suspension rate whenever it had a handful of permanent exclusions.
Session-based attendance figures follow the ``pupils`` count: a rate for 1 to 5 pupils is
suppressed with it.
"""

from __future__ import annotations

import pyarrow as pa

from ever6.disclosure import DisclosureRules, MeasureSpec, group_sums, suppress
from ever6.metrics.measures import MEASURES, Measure

# Components published as counts in their own right: (theme, component).
_COUNTED = frozenset((m.theme, m.numerator) for m in MEASURES if m.kind == "count")


def _quantity(measure: Measure, component: str | None) -> str | None:
    if component is None or (measure.theme, component) not in _COUNTED:
        return None  # the measure's own sum
    return f"{measure.theme}:{component}"


def disclosure_specs() -> dict[str, MeasureSpec]:
    return {
        m.name: MeasureSpec(
            name=m.name,
            kind=m.kind,
            people_numerator=m.people_numerator,
            people_denominator=m.people_denominator,
            numerator_quantity=_quantity(m, m.numerator),
            denominator_quantity=_quantity(m, m.denominator),
            follows=("pupils",) if m.theme == "attendance" and m.name != "pupils" else (),
        )
        for m in MEASURES
    }


def suppress_metrics(table: pa.Table, *, cla_in_cwsw: bool = False, rules: DisclosureRules | None = None) -> pa.Table:
    """The published measures with primary and secondary suppression and DfE symbols applied."""
    sums = {**group_sums(cla_in_cwsw), "cin": ("cinp", "cin_other")}
    return suppress(table, disclosure_specs(), rules or DisclosureRules(), sums)
