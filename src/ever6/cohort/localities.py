"""Where a child lives and a school is, as a locality (``[localities]``, :mod:`ever6.localities`),
as Ibis expressions: the same lookup applied inside whatever engine runs the measures.

A child's residence is the postcode of their case-management record (the newest extract's), else
the home postcode (``HOME_POST``) of their newest SSDA903 episode of care.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.expr.types import Table

from ever6.cohort.sources import CurrentTables
from ever6.localities import UNKNOWN, Localities


def lookup_table(localities: Localities) -> pa.Table:
    """The localities as rows ``kind`` (postcode, sector, district), ``key``, ``locality``."""
    rows = [
        (kind, key, locality)
        for kind, table in (
            ("postcode", localities.postcodes),
            ("sector", localities.sectors),
            ("district", localities.districts),
        )
        for key, locality in table.items()
    ]
    return pa.table(
        {
            "kind": pa.array([r[0] for r in rows], pa.string()),
            "key": pa.array([r[1] for r in rows], pa.string()),
            "locality": pa.array([r[2] for r in rows], pa.string()),
        }
    )


def residence_postcodes(t: CurrentTables) -> Table:
    """``la_child_id, postcode``: the case-management postcode, else the newest 903 home postcode."""
    cm = t.cm_identity.filter(t.cm_identity.postcode.notnull()).select("la_child_id", cm_postcode="postcode")
    ep = t.la_episode.filter(t.la_episode.home_postcode.notnull())
    ep = ep.mutate(_rank=ibis.row_number().over(group_by="la_child_id", order_by=ibis.desc("start_date")))
    la = ep.filter(ep._rank == 0).select("la_child_id", la_postcode="home_postcode")
    children = cm.select("la_child_id").union(la.select("la_child_id")).distinct()
    out = children.left_join(cm, "la_child_id").drop("la_child_id_right")
    out = out.left_join(la, "la_child_id").drop("la_child_id_right")
    return out.select("la_child_id", postcode=out.cm_postcode.coalesce(out.la_postcode))


def locality_of(table: Table, postcode: str, lookup: Table, *, name: str) -> Table:
    """``table`` with a column ``name``: the locality of its ``postcode`` column (its own line in
    the lookup, else its sector's, else its district's; ``unknown`` when none)."""
    compact = table[postcode].upper().replace(" ", "")
    n = compact.length()
    outward = compact.substr(0, n - 3)
    inward = compact.right(3)
    keyed = table.mutate(
        _full=outward.concat(" ", inward),
        _sector=outward.concat(" ", inward.substr(0, 1)),
        _district=outward,
    )
    out = keyed
    for kind in ("postcode", "sector", "district"):
        part = lookup.filter(lookup.kind == kind).select(_key="key", **{f"_{kind}_locality": lookup.locality})
        column = {"postcode": "_full", "sector": "_sector", "district": "_district"}[kind]
        out = out.left_join(part, out[column] == part._key).drop("_key")
    found: ir.StringValue = out._postcode_locality.coalesce(out._sector_locality, out._district_locality, UNKNOWN)
    return out.mutate(**{name: found}).drop(
        "_full", "_sector", "_district", "_postcode_locality", "_sector_locality", "_district_locality"
    )
