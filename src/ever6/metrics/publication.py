"""Measures ready to leave the Virtual School: the registry's measures as disclosure specs.

A sum that is itself published as a count (the ``pupils`` count, which is also the denominator
of the persistent and severe absence rates) is named as one quantity, so disclosure control
suppresses it with one pattern everywhere it appears. Other shared sums (pupils on roll under
every exclusion rate, possible sessions under every absence rate) are not secret in themselves:
hiding a small numerator does not require hiding the denominator in every other measure, which
would blank the LA's suspension rate whenever it had a handful of permanent exclusions.
Session-based attendance figures follow the ``pupils`` count: a rate for 1 to 5 pupils is
suppressed with it.

The shared sums that are not families are still declared (``MeasureSpec.shared_denominator``):
the linked check treats the roll under the exclusion rates, and possible sessions under the
absence rates, as one unknown, known wherever one of them shows it (issue 14, example 2: the roll
was 132 - 14 - 117 = 1 from three measures).

A school lies in one phase, is in or out of the authority, and lies in one ``school_locality`` when
the authority defines localities: ``school_nesting`` says where, from the school register, so that
the linked check protects a school's figures against its phase's and its locality's.
"""

from __future__ import annotations

from typing import Literal

import pyarrow as pa

from ever6.disclosure import DisclosureRules, MeasureSpec, Memo, group_sums, suppress
from ever6.localities import Localities
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
            shared_denominator=None if m.denominator is None else f"{m.theme}:{m.denominator}",
        )
        for m in MEASURES
    }


Nesting = dict[tuple[str, str], list[tuple[str, str]]]


def school_nesting(establishments: pa.Table, la_code: str, localities: Localities | None = None) -> Nesting:
    """(``school``, URN) -> its ``phase`` and ``in_la`` categories, as the measures engine labels
    them, and with ``localities`` its ``school_locality`` (the locality of its GIAS postcode, as
    :func:`ever6.cohort.localities.locality_of` gives it to the measures)."""
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    urns = establishments.column("urn").to_pylist()
    phases = establishments.column("phase").to_pylist()
    las = establishments.column("la_code").to_pylist()
    postcodes = establishments.column("postcode").to_pylist() if localities else [None] * len(urns)
    for urn, phase, la, postcode in zip(urns, phases, las, postcodes, strict=True):
        if urn is None:
            continue
        in_la = "unknown" if la is None else "in LA" if str(la) == str(la_code) else "out of LA"
        parents = [("phase", str(phase) if phase is not None else "unknown"), ("in_la", in_la)]
        if localities:
            parents.append(("school_locality", localities.locality_of(postcode)))
        out[("school", str(urn))] = parents
    return out


def suppress_metrics(
    table: pa.Table,
    *,
    cla_in_cwsw: bool = False,
    rules: DisclosureRules | None = None,
    nesting: Nesting | None = None,
    reasons: Literal["shared", "internal"] = "shared",
    memo: Memo | None = None,
) -> pa.Table:
    """The published measures with primary and secondary suppression and DfE symbols applied.

    Suppress a year with its terms in one call: they are published together, and the linked check
    protects each against the others. ``nesting``: :func:`school_nesting`. ``memo``: interval
    protection recorded by an earlier run, replayed where unchanged (:mod:`ever6.disclosure.memo`).
    """
    sums = {**group_sums(cla_in_cwsw), "cin": ("cinp", "cin_other")}
    specs = disclosure_specs()
    return suppress(table, specs, rules or DisclosureRules(), sums, nesting=nesting, reasons=reasons, memo=memo)


def unchanged_years(unchanged: set[tuple[str, str]], partitions: pa.Table) -> set[tuple[str, str]]:
    """The (year, period) publications whose suppression can be reused: those unchanged in a year
    none of whose periods changed. A year is suppressed with its terms as one publication set, so
    one changed term re-suppresses its year and every term of it."""
    years = partitions.column("academic_year").to_pylist()
    periods = partitions.column("period").to_pylist()
    changed = {str(y) for y, p in zip(years, periods, strict=True) if (str(y), str(p)) not in unchanged}
    return {(y, p) for y, p in unchanged if y not in changed}


def suppress_period(
    year: pa.Table,
    period: str,
    *,
    cla_in_cwsw: bool = False,
    rules: DisclosureRules | None = None,
    nesting: Nesting | None = None,
) -> pa.Table:
    """One period's suppressed figures, suppressed with the rest of its year (one publication set:
    the year and its terms are published together, so each is protected against the others)."""
    import pyarrow.compute as pc

    out = suppress_metrics(year, cla_in_cwsw=cla_in_cwsw, rules=rules, nesting=nesting)
    return out.filter(pc.equal(out.column("period"), period))
