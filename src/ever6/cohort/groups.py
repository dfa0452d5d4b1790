"""The optional groups published beside the Ever6 CWSW cohort: ``kinship`` and ``early_help``.

Each is switched on in ``[cohort]`` (off by default). A child may be in CWSW and in either group:
the groups are counted apart from the status groups, so switching one on adds its rows to the
measures and changes no other figure (``docs/measures.md``, Groups).
"""

from __future__ import annotations

from datetime import date

import ibis
from ibis.expr.types import Table

from ever6.cohort.early_help import early_help_children
from ever6.cohort.kinship import kinship_children
from ever6.cohort.sources import CurrentTables
from ever6.config import CohortSettings
from ever6.dates import latest_birth_date_reaching

OPTIONAL_GROUPS = ("kinship", "early_help")


def enabled_groups(settings: CohortSettings) -> tuple[str, ...]:
    """The optional groups the settings switch on, in publication order."""
    on = {"kinship": settings.kinship, "early_help": settings.early_help}
    return tuple(g for g in OPTIONAL_GROUPS if on[g])


def group_members(t: CurrentTables, as_at: date, settings: CohortSettings) -> Table | None:
    """``la_child_id, group, upn`` for every child in an enabled optional group at ``as_at``; None
    when none is enabled.

    Like the cohort, a member is born, under ``cohort.max_age`` and alive at R; the date of birth
    is the CIN census's, else the SSDA903 header's, else the group's own source's. ``upn`` is the
    best UPN ever6 holds for the child (the source's own, else the CIN census's, else SSDA903's):
    it reaches the child's school only when the linkage has no link for them.
    """
    groups = enabled_groups(settings)
    if not groups:
        return None
    parts = []
    if "kinship" in groups:
        k = kinship_children(t, as_at)
        parts.append(k.select("la_child_id", "upn", "birth_date", group=ibis.literal("kinship")))
    if "early_help" in groups:
        e = early_help_children(t, as_at, settings.window_years)
        parts.append(e.select("la_child_id", "upn", "birth_date", group=ibis.literal("early_help")))
    found = parts[0]
    for part in parts[1:]:
        found = found.union(part)

    r = ibis.literal(as_at, type="date")
    born_after = ibis.literal(latest_birth_date_reaching(settings.max_age, as_at), type="date")
    cin = t.cin_child.select("la_child_id", cin_upn="upn", cin_birth="birth_date", death="death_date")
    la = t.la_child.select("la_child_id", la_upn="upn", la_birth="birth_date")
    m = found.left_join(cin, "la_child_id").drop("la_child_id_right")
    m = m.left_join(la, "la_child_id").drop("la_child_id_right")
    birth = m.cin_birth.coalesce(m.la_birth, m.birth_date)
    m = m.filter(birth.notnull() & (birth <= r) & (birth > born_after) & (m.death.isnull() | (m.death > r)))
    return m.select("la_child_id", "group", upn=m.upn.coalesce(m.cin_upn, m.la_upn))
