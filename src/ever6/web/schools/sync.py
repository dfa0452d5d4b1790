"""Seeding the schools register from the published GIAS list (run after each refresh)."""

from __future__ import annotations

from django.db import transaction

from ever6.access import Role, Viewer
from ever6.web.guard import snapshot
from ever6.web.schools.models import School

# The register is maintained by the Virtual School; syncing acts with an officer's view of it.
_SYNC = Viewer(username="system:sync-schools", role=Role.VS_OFFICER)


def sync_schools() -> tuple[int, int]:
    """Add schools new to the published list and refresh the GIAS details of known ones.

    Schools added by hand (early years settings, colleges) and schools no longer published are
    kept: agreements and contacts hang off them. Returns (added, updated).
    """
    snap = snapshot()
    published = snap.schools(_SYNC)
    la_code = snap.authority_la_code()
    added = updated = 0
    with transaction.atomic():
        known = {s.urn: s for s in School.objects.all()}
        for row in published:
            fields = {
                "name": row.get("name") or row["urn"],
                "la_code": row.get("la_code") or "",
                "la_name": row.get("la_name") or "",
                "phase": row.get("phase") or "",
                "type_name": row.get("type_name") or "",
                "status": row.get("status") or "",
                "postcode": row.get("postcode") or "",
                "in_la": (row.get("la_code") or "") == la_code,
            }
            school = known.get(row["urn"])
            if school is None:
                School.objects.create(urn=row["urn"], **fields)
                added += 1
            elif any(getattr(school, k) != v for k, v in fields.items()):
                for k, v in fields.items():
                    setattr(school, k, v)
                school.save()
                updated += 1
    return added, updated
