"""Events for tests: a child of the published demo with an open plan, read from the snapshot file
directly (not through the code under test), and a social worker allocated to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from tests.conftest import Published


@dataclass(frozen=True)
class OpenPupil:
    la_child_id: str
    upn: str
    forename: str
    surname: str
    worker_email: str
    team_email: str


def open_pupils(published: Published, urn: str | None = None) -> list[OpenPupil]:
    """The school's Ever6 CWSW pupils on roll whose plan is open at the refresh date."""
    con = duckdb.connect(str(published.snapshot), read_only=True)
    try:
        rows = con.execute(
            "SELECT p.la_child_id, p.upn, p.forename, p.surname, a.worker_email, a.team_email "
            "FROM school_pupil p JOIN allocation a USING (la_child_id) "
            "WHERE p.urn = ? AND a.plan_open ORDER BY p.upn",
            [urn or published.urn],
        ).fetchall()
    finally:
        con.close()
    return [OpenPupil(*map(str, r)) for r in rows]


def allocated_event(published: Published, worker: Any, *, kind: str = "suspension") -> Any:
    """An event for the first open pupil of the published school, its worker being ``worker``."""
    from ever6.web.events.models import Event

    pupil = open_pupils(published)[0]
    worker.email = pupil.worker_email
    worker.save(update_fields=["email"])
    return Event.objects.create(
        la_child_id=pupil.la_child_id,
        urn=published.urn,
        upn=pupil.upn,
        kind=kind,
        event_date=date.today(),
        from_school=True,
        worker_email=pupil.worker_email,
        team_email=pupil.team_email,
    )
