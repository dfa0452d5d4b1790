"""Flow into and out of social care per month, from the CIN census union, as Ibis expressions.

Each event is counted in the calendar month it happened, as known on R (nothing dated after R):

- ``referrals``: CIN episodes referred (``CINreferralDate``), whatever came of them;
- ``assessments_authorised``: assessments authorised (``AssessmentAuthorisationDate``), the
  moment a child enters CIN;
- ``cin_plans_started`` / ``cin_plans_ended`` and ``cp_plans_started`` / ``cp_plans_ended``: plans
  by the cohort rule's own reading (:func:`ever6.cohort.rules.plan_periods`: a plan with no end
  ends when its episode closes; plans of ``ReferralNFA`` episodes are ignored);
- ``episodes_closed``: episodes closed (``CINclosureDate``);
- ``net_change``: referrals less episodes closed, the month's change in open episodes.

Plans are **as live as the data**: where a case-management extract carries plan dates (optional
columns ``cin_plan_start``/``_end``, ``cp_plan_start``/``_end``), a plan start or end it gives
dated after the newest CIN census return's reference date is counted too. The census union stays
the source for everything up to that date, so no plan is counted twice: a census return holds
nothing after its reference date.

Each count is split by the child's status at R (``not in cohort`` for a child outside the output),
so the flow of the children who are CWSW now can be told from that of all referrals. Those rows
have no ``locality`` (null): they are the flow of all localities. When the authority defines
localities, the same counts are given again split by the child's locality of residence
(:func:`ever6.cohort.localities.residence_postcodes`; ``unknown`` for a child with no postcode or
one no locality holds), so each locality's rows add up to the all-localities rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import ibis
import ibis.expr.types as ir
from ibis.expr.types import Table

from ever6.cohort.localities import locality_of, residence_postcodes
from ever6.cohort.rules import plan_periods
from ever6.cohort.sources import current_tables

FLOW_EVENTS = (
    "referrals",
    "assessments_authorised",
    "cin_plans_started",
    "cin_plans_ended",
    "cp_plans_started",
    "cp_plans_ended",
    "episodes_closed",
    "net_change",
)
FLOW_COLUMNS = ("month", "event", "status", "locality", "count")
NOT_IN_COHORT = "not in cohort"


def first_month(as_at: date, months: int) -> date:
    """The first day of the earliest of ``months`` calendar months ending with R's."""
    index = as_at.year * 12 + as_at.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def flow(
    raw: Mapping[str, Table], statuses: Table, as_at: date, *, months: int = 24, localities: Table | None = None
) -> Table:
    """Per month, event and status at R: how many (``FLOW_COLUMNS``, ``locality`` null); months
    with none are absent. With ``localities``, the same again per locality of residence.

    ``statuses``: ``la_child_id, status`` of the cohort at R (:func:`ever6.cohort.cohort`).
    ``localities``: ``[localities]`` as rows (:func:`ever6.cohort.localities.lookup_table`), on
    the same backend; None when the authority defines none.
    """
    t = current_tables(raw)
    r = ibis.literal(as_at, type="date")
    start = ibis.literal(first_month(as_at, months), type="date")

    def events(table: Table, day: ir.DateValue, event: str) -> Table:
        return table.select("la_child_id", day=day, event=ibis.literal(event))

    ep = t.cin_episode
    plans = plan_periods(t, r)
    parts = [
        events(ep, ep.referral_date, "referrals"),
        events(t.cin_assessment, t.cin_assessment.authorisation_date, "assessments_authorised"),
        events(ep, ep.closure_date, "episodes_closed"),
    ]
    for kind, name in (("CINP", "cin"), ("CPP", "cp")):
        of_kind = plans.filter(plans.kind == kind)
        parts.append(events(of_kind, of_kind.start_date, f"{name}_plans_started"))
        parts.append(events(of_kind, of_kind.ended_on, f"{name}_plans_ended"))
    parts += _live_plan_events(t.cm_identity, _last_census_date(raw["import_batch"]))
    every = parts[0]
    for part in parts[1:]:
        every = every.union(part)
    every = every.filter(every.day.notnull() & (every.day >= start) & (every.day <= r))
    every = every.left_join(statuses.select("la_child_id", "status"), "la_child_id").drop("la_child_id_right")
    every = every.mutate(month=every.day.truncate("M").cast("date"), status=every.status.coalesce(NOT_IN_COHORT))
    out = _counts(every, ("status",)).mutate(locality=ibis.null("string"))
    if localities is not None:
        placed = every.left_join(residence_postcodes(t), "la_child_id").drop("la_child_id_right")
        placed = locality_of(placed, "postcode", localities, name="locality")
        out = out.select(*FLOW_COLUMNS).union(_counts(placed, ("status", "locality")).select(*FLOW_COLUMNS))
    return out.select(*FLOW_COLUMNS).order_by("month", "event", "status", "locality")


def _counts(every: Table, keys: tuple[str, ...]) -> Table:
    """Events counted per month, event and ``keys``, with each month's net change."""
    counts = every.group_by("month", "event", *keys).agg(count=every.count().cast("int64"))
    # Net change: referrals add an open episode, closures take one away.
    moves = counts.filter(counts.event.isin(["referrals", "episodes_closed"]))
    signed = ibis.ifelse(moves.event == "referrals", moves["count"], -moves["count"])
    net = moves.group_by("month", *keys).agg(count=signed.sum().cast("int64"))
    net = net.mutate(event=ibis.literal("net_change"))
    columns = ("month", "event", *keys, "count")
    return counts.select(*columns).union(net.select(*columns))


def _last_census_date(batches: Table) -> ir.DateScalar:
    """The newest active CIN census return's reference date (the earliest date when there is none).

    Read once, here (a few rows), and passed on as a literal: every engine compares with it alike."""
    census = batches.filter((batches.status == "active") & (batches.format == "cin-census"))
    newest = census.reference_date.max().to_pyarrow().as_py()
    return ibis.literal(newest or date.min, type="date")


def _live_plan_events(cm: Table, after: ir.DateScalar) -> list[Table]:
    """Plan starts and ends the case-management extract dates after ``after`` (the newest census):
    events the census union cannot hold yet."""
    out = []
    for column, event in (
        ("cin_plan_start", "cin_plans_started"),
        ("cin_plan_end", "cin_plans_ended"),
        ("cp_plan_start", "cp_plans_started"),
        ("cp_plan_end", "cp_plans_ended"),
    ):
        dated = cm.filter(cm[column].notnull() & (cm[column] > after))
        out.append(dated.select("la_child_id", day=dated[column], event=ibis.literal(event)))
    return out
