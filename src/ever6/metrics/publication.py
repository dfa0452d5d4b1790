"""Measures ready to leave the Virtual School: the registry's measures as disclosure specs.

Measures that publish the same sum (every absence rate divides by possible sessions; every
exclusion rate by pupils on roll) name it as one quantity, so disclosure control suppresses them
with one pattern and none gives away what another hides. Session-based attendance figures
follow the ``pupils`` count: a rate for 1 to 5 pupils is suppressed with it.
"""

from __future__ import annotations

import pyarrow as pa

from ever6.disclosure import DisclosureRules, MeasureSpec, group_sums, suppress
from ever6.metrics.measures import MEASURES, Measure


def _quantity(measure: Measure, component: str | None) -> str | None:
    return f"{measure.theme}:{component}" if component else None


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
    return suppress(table, disclosure_specs(), rules or DisclosureRules(), group_sums(cla_in_cwsw))
