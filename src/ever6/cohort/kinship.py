"""Children in kinship care at R: an optional group beside the Ever6 CWSW cohort, never inside it.

A child under 18 and alive at R is in kinship care when any of these holds (``docs/cohort.md``,
"Kinship care"):

- **looked after at R** in a foster placement with a relative or friend (a connected person):
  SSDA903 placement type ``U1``-``U3``;
- **not looked after at R**, and a special guardianship order or a child arrangements order was
  made on or before R: an SSDA903 episode of care that ceased on or before R with one of the reason
  codes for those orders (``E41``, ``E43``-``E48``), or a CIN episode closed on or before R with
  ``RC3`` or ``RC4``. An order lasts until the child is 18; a child who came back into care is
  in kinship care again only if placed with a connected person;
- the authority's **kinship register** holds an arrangement open at R.

The codes are data (``data/kinship_codes.csv``, each with its source), read once here.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

import ibis
import ibis.expr.types as ir
from ibis.expr.types import Table

from ever6.cohort.sources import CurrentTables

# What a register's arrangement column may say, and what the code tables map codes to.
ARRANGEMENTS = ("sgo", "cao", "kinship_foster", "other_kinship")


@dataclass(frozen=True)
class KinshipCode:
    source: str  # ssda903 or cin_census
    field: str  # REC, PLACE, ReasonForClosure
    code: str
    arrangement: str  # one of ARRANGEMENTS
    meaning: str
    reference: str


def codes_path() -> Path:
    return Path(str(resources.files("ever6") / "data" / "kinship_codes.csv"))


@cache
def kinship_codes() -> tuple[KinshipCode, ...]:
    """Every code that marks a kinship arrangement, from the code table."""
    with codes_path().open(encoding="utf-8", newline="") as f:
        return tuple(KinshipCode(**row) for row in csv.DictReader(f))


def _codes(source: str, field: str) -> dict[str, str]:
    return {c.code: c.arrangement for c in kinship_codes() if c.source == source and c.field == field}


def _arrangement(column: ir.StringValue, codes: dict[str, str]) -> ir.StringValue:
    return ibis.cases(*((column == code, kind) for code, kind in codes.items()), else_=ibis.null("string"))


def kinship_children(t: CurrentTables, as_at: date) -> Table:
    """One row per child with an arrangement at ``as_at``: ``la_child_id``, ``arrangement``,
    ``upn`` (the source's own, for a child the linkage does not know), ``birth_date``.

    Age and death are left to the caller (:func:`ever6.cohort.groups.group_members`), which applies
    them to every optional group alike. Where a child has several arrangements the register's
    wins, then the placement at R, then the latest order.
    """
    r = ibis.literal(as_at, type="date")
    la = t.la_episode
    la_end = ibis.ifelse(la.end_date.notnull() & (la.end_date <= r), la.end_date, ibis.null("date"))
    open_at = (la.start_date <= r) & la_end.isnull()
    looked_after = la.filter(open_at)
    placed = looked_after.mutate(arrangement=_arrangement(looked_after.placement, _codes("ssda903", "PLACE")))
    placed = placed.filter(placed.arrangement.notnull()).select(
        "la_child_id", "arrangement", since=r, prio=ibis.literal(1)
    )

    ceased = la.filter(la_end.notnull())
    ceased = ceased.mutate(arrangement=_arrangement(ceased.reason_episode_ceased, _codes("ssda903", "REC")))
    ceased = ceased.filter(ceased.arrangement.notnull()).select(
        "la_child_id", "arrangement", since=ceased.end_date, prio=ibis.literal(2)
    )
    ep = t.cin_episode
    closed = ep.filter(ep.closure_date.notnull() & (ep.closure_date <= r))
    closed = closed.mutate(arrangement=_arrangement(closed.closure_reason, _codes("cin_census", "ReasonForClosure")))
    closed = closed.filter(closed.arrangement.notnull()).select(
        "la_child_id", "arrangement", since=closed.closure_date, prio=ibis.literal(2)
    )
    # An order counts for a child not looked after at R (one back in care counts by placement).
    in_care = looked_after.select("la_child_id").distinct()
    orders = ceased.union(closed).anti_join(in_care, "la_child_id")

    reg = t.kinship_register
    reg = reg.filter((reg.start_date.isnull() | (reg.start_date <= r)) & (reg.end_date.isnull() | (reg.end_date >= r)))
    listed = reg.select("la_child_id", "arrangement", since=reg.start_date.coalesce(r), prio=ibis.literal(0))

    found = placed.union(orders).union(listed)
    found = found.mutate(
        _rank=ibis.row_number().over(group_by="la_child_id", order_by=[found.prio, ibis.desc(found.since)])
    )
    best = found.filter(found._rank == 0).select("la_child_id", "arrangement")
    own = t.kinship_register.select("la_child_id", reg_upn="upn", reg_birth_date="birth_date")
    best = best.left_join(own, "la_child_id").drop("la_child_id_right")
    return best.select("la_child_id", "arrangement", upn=best.reg_upn, birth_date=best.reg_birth_date)
