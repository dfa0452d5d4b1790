"""Whose plan is open, who is allocated, and the events a school must tell the social worker of.

The duties (``docs/notifications.md``): a school tells the allocated social worker, without delay,
when a child open on a Child in Need or Child Protection Plan is suspended or excluded, starts a
part-time timetable, is removed from roll, or is absent without explanation. Here, at each refresh,
those events are found in the data the warehouse holds, for children whose CIN plan, CP plan or CIN
episode (and, when configured, period of care) is open on the event's date:

- ``suspension`` / ``permanent_exclusion``: an exclusion record (its start date);
- ``part_time_timetable``: the first ``C2`` session of a run of them (a part-time timetable began);
- ``removed_from_roll``: a leaving date with no other enrolment starting within 30 days;
- ``unexplained_absence``: ``N`` or ``O`` sessions in a row, ``absence_run`` of them (3 by default),
  dated the session that completes the run.

Every event is dated on or before R and within the retention period. Written as Ibis expressions,
like the cohort's own rules, so they run on any engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from enum import StrEnum

import ibis
import ibis.expr.types as ir
from ibis.expr.types import Table

from ever6.cohort.rules import _date, _episodes, _known_end, plan_periods
from ever6.cohort.sources import CurrentTables, current_tables, latest_with_batch
from ever6.config import NotificationSettings

# A pupil who leaves and starts at another school within this many days has moved, not been removed.
MOVED_WITHIN_DAYS = 30
PART_TIME_CODE = "C2"
UNEXPLAINED_CODES = ("N", "O")


class EventKind(StrEnum):
    SUSPENSION = "suspension"
    PERMANENT_EXCLUSION = "permanent_exclusion"
    SUSPENSION_RISK = "suspension_risk"  # recorded by a school only
    PART_TIME_TIMETABLE = "part_time_timetable"
    REMOVED_FROM_ROLL = "removed_from_roll"
    UNEXPLAINED_ABSENCE = "unexplained_absence"


EVENT_LABELS = {
    EventKind.SUSPENSION: "Suspension",
    EventKind.PERMANENT_EXCLUSION: "Permanent exclusion",
    EventKind.SUSPENSION_RISK: "Risk of suspension or exclusion",
    EventKind.PART_TIME_TIMETABLE: "Part-time timetable",
    EventKind.REMOVED_FROM_ROLL: "Removed from roll",
    EventKind.UNEXPLAINED_ABSENCE: "Unexplained absence",
}

EVENT_COLUMNS = ("la_child_id", "urn", "upn", "kind", "event_date", "detail")
ALLOCATION_COLUMNS = (
    "la_child_id",
    "forename",
    "surname",
    "birth_date",
    "worker_name",
    "worker_email",
    "team",
    "team_email",
    "plan_open",
    "open_plans",
    "batch_id",
    "source_file",
    "imported_at",
)


def open_periods(t: CurrentTables, as_at: ir.DateScalar, settings: NotificationSettings) -> Table:
    """Each child's periods under a CIN plan, a CP plan or a CIN episode (and, when configured,
    in care), as known on R: ``kind``, ``start_date`` and ``end_date`` (null while open)."""
    plans = plan_periods(t, as_at)
    plans = plans.select("la_child_id", "kind", "start_date", end_date=plans.ended_on)
    episodes = _episodes(t, as_at)
    episodes = episodes.filter(episodes.qualifying).select(
        "la_child_id", kind=ibis.literal("CIN"), start_date=episodes.referral_date, end_date=episodes.closed_on
    )
    periods = plans.union(episodes)
    if settings.looked_after:
        la = t.la_episode.filter(t.la_episode.start_date <= as_at)
        periods = periods.union(
            la.select(
                "la_child_id",
                kind=ibis.literal("CLA"),
                start_date=la.start_date,
                end_date=_known_end(la.end_date, as_at),
            )
        )
    return periods


def periods_at(raw: Mapping[str, Table], as_at: date, settings: NotificationSettings | None = None) -> Table:
    """:func:`open_periods` as known on ``as_at``: what :func:`allocations` and :func:`data_events`
    both read, for a caller that computes it once for both (the snapshot materialises it)."""
    return open_periods(current_tables(raw), _date(as_at), settings or NotificationSettings())


def allocations(
    raw: Mapping[str, Table],
    as_at: date,
    settings: NotificationSettings | None = None,
    *,
    periods: Table | None = None,
) -> Table:
    """One row per child in the case-management extract: the allocated worker and team, whether a
    plan is open on R (and which kinds), and the batch the allocation came from.

    ``periods``: :func:`periods_at` for the same date and settings, if the caller has it."""
    settings = settings or NotificationSettings()
    r = _date(as_at)
    periods = periods_at(raw, as_at, settings) if periods is None else periods
    now = periods.filter((periods.start_date <= r) & (periods.end_date.isnull() | (periods.end_date >= r)))
    kinds = now.select("la_child_id", "kind").distinct()
    flags = kinds.group_by("la_child_id").agg(open_plans=kinds.kind.collect(order_by=kinds.kind).join(","))
    cm = latest_with_batch(raw, "cm_identity")
    batches = raw["import_batch"].select("batch_id", "source_file", "imported_at")
    out = cm.join(batches, "batch_id").left_join(flags, "la_child_id").drop("la_child_id_right")
    # No team mailbox in the extract: the authority's default one ([notifications] default_team_email).
    default_team = ibis.literal(settings.default_team_email or None, type="string")
    out = out.mutate(
        plan_open=out.open_plans.notnull(),
        team_email=out.team_email.coalesce(default_team),
        imported_at=out.imported_at.cast("timestamp"),
    )
    return out.select(*ALLOCATION_COLUMNS).order_by("la_child_id")


def _exclusions(t: CurrentTables) -> Table:
    x = t.exclusion
    kind = ibis.ifelse(x.category == "PERM", EventKind.PERMANENT_EXCLUSION.value, EventKind.SUSPENSION.value)
    detail = x.category.concat(
        ibis.ifelse(x.sessions.notnull(), ibis.literal(", ").concat(x.sessions.cast("string"), " sessions"), "")
    )
    return x.select("urn", "upn", kind=kind, event_date=x.start_date, detail=detail)


def _marks_in_order(marks: Table) -> Table:
    order = [marks.date, marks.session]
    return marks.mutate(_pos=ibis.row_number().over(group_by=["urn", "upn"], order_by=order))


def _part_time(marks: Table) -> Table:
    """The first C2 session of each run of C2 sessions."""
    marks = marks.semi_join(marks.filter(marks.code == PART_TIME_CODE).select("urn", "upn").distinct(), ["urn", "upn"])
    m = marks.mutate(_prev=marks.code.lag().over(group_by=["urn", "upn"], order_by=[marks.date, marks.session]))
    first = m.filter((m.code == PART_TIME_CODE) & (m._prev.isnull() | (m._prev != PART_TIME_CODE)))
    return first.select(
        "urn",
        "upn",
        kind=ibis.literal(EventKind.PART_TIME_TIMETABLE.value),
        event_date=first.date,
        detail=ibis.literal("first C2 session: ").concat(first.session),
    )


def _unexplained(marks: Table, run: int) -> Table:
    """The session completing each run of ``run`` N or O sessions in a row (gaps and islands)."""
    no = marks.filter(marks.code.isin(UNEXPLAINED_CODES))
    sessions = no.group_by(["urn", "upn"]).agg(_sessions=no.count())
    marks = marks.semi_join(sessions.filter(sessions._sessions >= run), ["urn", "upn"])
    m = _marks_in_order(marks)
    m = m.mutate(_no=m.code.isin(UNEXPLAINED_CODES))
    m = m.mutate(_run_pos=ibis.row_number().over(group_by=["urn", "upn", "_no"], order_by=[m.date, m.session]))
    m = m.mutate(_island=m._pos - m._run_pos)
    m = m.mutate(_nth=ibis.row_number().over(group_by=["urn", "upn", "_no", "_island"], order_by=[m.date, m.session]))
    hit = m.filter(m._no & (m._nth == run - 1))
    return hit.select(
        "urn",
        "upn",
        kind=ibis.literal(EventKind.UNEXPLAINED_ABSENCE.value),
        event_date=hit.date,
        detail=ibis.literal(f"{run} unexplained-absence sessions in a row"),
    )


def _removed(t: CurrentTables, as_at: ir.DateScalar) -> Table:
    e = t.pupil_enrolment
    left = e.filter(e.leaving_date.notnull() & (e.leaving_date <= as_at))
    other = e.select(o_upn=e.upn, o_urn=e.urn, o_entry=e.entry_date, o_leaving=e.leaving_date)
    moved = left.join(
        other,
        [
            left.upn == other.o_upn,
            (left.urn != other.o_urn) | (left.entry_date != other.o_entry),
            other.o_entry >= left.entry_date,
            other.o_entry <= left.leaving_date + ibis.interval(days=MOVED_WITHIN_DAYS),
            other.o_leaving.isnull() | (other.o_leaving > left.leaving_date),
        ],
    ).select("urn", "upn", "entry_date")
    gone = left.anti_join(moved, ["urn", "upn", "entry_date"])
    return gone.select(
        "urn",
        "upn",
        kind=ibis.literal(EventKind.REMOVED_FROM_ROLL.value),
        event_date=gone.leaving_date,
        detail=ibis.literal("left with no other enrolment"),
    )


def data_events(
    raw: Mapping[str, Table],
    links: Table,
    as_at: date,
    settings: NotificationSettings | None = None,
    *,
    periods: Table | None = None,
) -> Table:
    """The events found in the data, dated within the retention period up to R, for linked
    children whose plan or episode was open on the event's date.

    ``links``: the run's links of children to pupils (``la_child_id``, ``urn``, ``upn``);
    ``periods``: :func:`periods_at` for the same date and settings, if the caller has it.
    """
    settings = settings or NotificationSettings()
    r = _date(as_at)
    since = _date(as_at - timedelta(days=settings.retention_days))
    t = current_tables(raw)
    periods = periods_at(raw, as_at, settings) if periods is None else periods
    links = links.select("la_child_id", "urn", "upn").distinct()
    watched = links.semi_join(periods, "la_child_id").select("urn", "upn")
    marks = t.attendance_mark.filter((t.attendance_mark.date > since) & (t.attendance_mark.date <= r))
    # Each kind of event orders the marks only of the watched pupils who can have one (a C2
    # session; ``run`` N or O sessions): the same events, and at la 3 of the 6.2 million marks of
    # the watched pupils ordered, instead of all of them twice.
    marks = marks.semi_join(watched, ["urn", "upn"]).select("urn", "upn", "date", "session", "code")
    found = (
        _exclusions(t).union(_part_time(marks)).union(_unexplained(marks, settings.absence_run)).union(_removed(t, r))
    )
    found = found.filter((found.event_date > since) & (found.event_date <= r))
    found = found.join(links, ["urn", "upn"])
    covering = found.join(
        periods,
        [
            found.la_child_id == periods.la_child_id,
            periods.start_date <= found.event_date,
            periods.end_date.isnull() | (periods.end_date >= found.event_date),
        ],
    ).select(*EVENT_COLUMNS)
    return covering.distinct().order_by("event_date", "la_child_id", "kind", "urn")
