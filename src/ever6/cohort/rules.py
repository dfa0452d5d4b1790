"""The Ever6 CWSW cohort as at a reference date (``docs/domain.md`` section 2), as Ibis expressions.

Each rule is one expression here, evaluated on whatever engine the tables are bound to. Dates
that need calendar arithmetic (six years before R, the latest birth date of an 18-year-old) are
computed once in Python (:mod:`ever6.dates`) and enter the expressions as literals, so the
engines never disagree about 29 February.

Everything is judged as known on R: a record dated after R is ignored, and a closure or plan end
after R means the episode or plan was open at R.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum

import ibis
import ibis.expr.types as ir
from ibis.expr.types import Table

from ever6.cohort.sources import CurrentTables, current_tables
from ever6.config import CohortSettings
from ever6.dates import latest_birth_date_reaching, shift_years, years_since_bands

# Closure reasons that mean "assessed, and no further action / referred to early help": an
# authorised assessment in an episode closed this way does not make the child in need.
NOT_IN_NEED_CLOSURES = ("RC8", "RC9")


class Status(StrEnum):
    """A child's status at R, in order of precedence (the first that applies)."""

    CLA = "CLA"
    CPP = "CPP"
    CINP = "CINP"
    CIN_OTHER = "CIN_OTHER"
    EVER6_PREVIOUS = "EVER6_PREVIOUS"


COHORT_COLUMNS = (
    "la_child_id",
    "upn",
    "former_upn",
    "birth_date",
    "sex",
    "ethnicity",
    "status",
    "cwsw",
    "looked_after",
    "last_qualifying_date",
    "years_since",
    "cp_plans",
    "latest_category_of_abuse",
    "primary_need",
    "assessment_factors",
    "disabilities",
)


def _years_since(status: ir.StringValue, last: ir.DateValue, as_at: date, window_years: int) -> ir.StringValue:
    """Time from the last day of qualifying activity to R, in whole years (calendar anniversaries,
    so 29 February is handled once, in :mod:`ever6.dates`). A child with a status other than
    ``EVER6_PREVIOUS`` has social work open at R (an open episode or plan, or looked after)."""
    bands = years_since_bands(window_years)
    return ibis.cases(
        (status != Status.EVER6_PREVIOUS.value, bands[0]),
        (last > _date(shift_years(as_at, -1)), bands[1]),
        (last > _date(shift_years(as_at, -2)), bands[2]),
        (last > _date(shift_years(as_at, -3)), bands[3]),
        else_=bands[4],
    )


def _date(value: date) -> ir.DateScalar:
    return ibis.literal(value, type="date")


def _known_end(end: ir.DateValue, as_at: ir.DateScalar) -> ir.DateValue:
    """An end date as known on R: one after R has not happened yet, so the period is open."""
    return ibis.ifelse(end.notnull() & (end <= as_at), end, ibis.null("date"))


def _episodes(t: CurrentTables, as_at: ir.DateScalar) -> Table:
    """Episodes referred on or before R, with their end as known on R and whether they qualify."""
    ep = t.cin_episode.filter(t.cin_episode.referral_date <= as_at)
    ep = ep.mutate(closed_on=_known_end(ep.closure_date, as_at))
    ep = ep.mutate(
        period_end=ep.closed_on.coalesce(as_at),
        nfa=ep.referral_nfa.coalesce(False),
        closed_not_in_need=ep.closed_on.notnull() & ep.closure_reason.isin(NOT_IN_NEED_CLOSURES),
    )

    plans = plan_periods(t, as_at).select("la_child_id", "referral_date").distinct().mutate(has_plan=True)
    assessed = (
        t.cin_assessment.filter(t.cin_assessment.authorisation_date <= as_at)
        .select("la_child_id", "referral_date")
        .distinct()
        .mutate(assessed=True)
    )
    ep = ep.left_join(plans, ["la_child_id", "referral_date"]).drop("la_child_id_right", "referral_date_right")
    ep = ep.left_join(assessed, ["la_child_id", "referral_date"]).drop("la_child_id_right", "referral_date_right")
    in_need = ep.assessed.coalesce(False) & ~ep.closed_not_in_need
    return ep.mutate(qualifying=~ep.nfa & (ep.has_plan.coalesce(False) | in_need))


def plan_periods(t: CurrentTables, as_at: ir.DateScalar) -> Table:
    """CIN and CP plans started on or before R, each with its kind and its end as known on R.

    A plan with no end date ends when its episode closes; plans of NFA referrals are ignored.
    """
    episodes = t.cin_episode.filter(t.cin_episode.referral_date <= as_at)
    episodes = episodes.filter(~episodes.referral_nfa.coalesce(False)).select(
        "la_child_id", "referral_date", episode_closed_on=_known_end(episodes.closure_date, as_at)
    )
    cin = t.cin_plan.select("la_child_id", "referral_date", "start_date", "end_date", kind=ibis.literal("CINP"))
    cp = t.cp_plan.select("la_child_id", "referral_date", "start_date", "end_date", kind=ibis.literal("CPP"))
    plans = cin.union(cp)
    plans = plans.filter(plans.start_date.notnull() & (plans.start_date <= as_at))
    plans = plans.join(episodes, ["la_child_id", "referral_date"])
    plan_end = _known_end(plans.end_date, as_at).coalesce(plans.episode_closed_on)
    return plans.mutate(
        ended_on=plan_end,
        period_end=plan_end.coalesce(as_at),
        open_at=plan_end.isnull() | (plan_end >= as_at),
    )


def _looked_after(t: CurrentTables, as_at: ir.DateScalar) -> Table:
    la = t.la_episode
    end = _known_end(la.end_date, as_at)
    open_at = (la.start_date <= as_at) & (end.isnull() | (end >= as_at))
    return la.filter(open_at).select("la_child_id").distinct().mutate(looked_after=True)


def _cp_profile(t: CurrentTables, as_at: ir.DateScalar) -> Table:
    """Per child: CP plans known on R, and the latest category of abuse."""
    cp = t.cp_plan.filter(t.cp_plan.start_date.notnull() & (t.cp_plan.start_date <= as_at))
    cp = cp.mutate(
        _rank=ibis.row_number().over(
            group_by="la_child_id", order_by=[ibis.desc("start_date"), ibis.desc("referral_date")]
        )
    )
    counts = cp.group_by("la_child_id").agg(cp_plans=cp.count())
    latest = cp.filter(cp._rank == 0).select("la_child_id", latest_category_of_abuse=cp.latest_category)
    return counts.join(latest, "la_child_id")


def _factors(t: CurrentTables, as_at: ir.DateScalar) -> Table:
    """Per child: every assessment factor recorded by R, distinct and sorted."""
    a = t.cin_assessment.filter(t.cin_assessment.authorisation_date <= as_at)
    a = a.select("la_child_id", factor=a.factors.unnest())
    a = a.filter(a.factor.notnull())
    return a.group_by("la_child_id").agg(assessment_factors=a.factor.collect(distinct=True).sort())


def cohort(raw: Mapping[str, Table], as_at: date, settings: CohortSettings | None = None) -> Table:
    """One row per child in the output at ``as_at``: Ever6 CWSW, or looked after at that date.

    ``raw`` maps the canonical table names and ``import_batch`` to Ibis tables on one backend.
    """
    settings = settings or CohortSettings()
    r = _date(as_at)
    window_start = _date(shift_years(as_at, -settings.window_years))
    born_after = _date(latest_birth_date_reaching(settings.max_age, as_at))
    t = current_tables(raw)

    episodes = _episodes(t, r)
    qualifying = episodes.filter(episodes.qualifying)
    plans = plan_periods(t, r)

    if settings.strict:
        periods = plans.filter(plans.period_end > window_start)
    else:
        periods = qualifying.filter(qualifying.period_end > window_start)
    ever6 = periods.group_by("la_child_id").agg(last_qualifying_date=periods.period_end.max()).mutate(cwsw=True)

    open_plans = plans.filter(plans.open_at)
    plan_flags = open_plans.group_by("la_child_id").agg(
        cpp_open=(open_plans.kind == "CPP").any(),
        cinp_open=(open_plans.kind == "CINP").any(),
    )
    open_episodes = qualifying.filter(qualifying.closed_on.isnull() | (qualifying.closed_on >= r))
    open_flags = open_episodes.select("la_child_id").distinct().mutate(episode_open=True)

    latest_episode = qualifying.mutate(
        _rank=ibis.row_number().over(group_by="la_child_id", order_by=ibis.desc("referral_date"))
    )
    need = latest_episode.filter(latest_episode._rank == 0).select("la_child_id", "primary_need")

    looked_after = _looked_after(t, r)
    members = ever6.select("la_child_id").union(looked_after.select("la_child_id")).distinct()

    out = members
    for part in (ever6, looked_after, plan_flags, open_flags, need, _cp_profile(t, r), _factors(t, r)):
        out = out.left_join(part, "la_child_id").drop("la_child_id_right")

    cin_child = t.cin_child.select(
        "la_child_id", "upn", "former_upn", "birth_date", "sex", "death_date", "ethnicity", "disabilities"
    )
    la_child = t.la_child.select(
        "la_child_id", la_upn="upn", la_birth_date="birth_date", la_sex="sex", la_ethnicity="ethnicity"
    )
    out = out.left_join(cin_child, "la_child_id").drop("la_child_id_right")
    out = out.left_join(la_child, "la_child_id").drop("la_child_id_right")
    birth_date = out.birth_date.coalesce(out.la_birth_date)
    out = out.mutate(
        upn=out.upn.coalesce(out.la_upn),
        birth_date=birth_date,
        sex=out.sex.coalesce(out.la_sex),
        ethnicity=out.ethnicity.coalesce(out.la_ethnicity),
    )
    eligible = (
        out.birth_date.notnull()
        & (out.birth_date <= r)
        & (out.birth_date > born_after)
        & (out.death_date.isnull() | (out.death_date > r))
    )
    out = out.filter(eligible)

    looked = out.looked_after.coalesce(False)
    status = ibis.cases(
        (looked, Status.CLA.value),
        (out.cpp_open.coalesce(False), Status.CPP.value),
        (out.cinp_open.coalesce(False), Status.CINP.value),
        (out.episode_open.coalesce(False), Status.CIN_OTHER.value),
        else_=Status.EVER6_PREVIOUS.value,
    )
    out = out.mutate(
        status=status,
        years_since=_years_since(status, out.last_qualifying_date, as_at, settings.window_years),
        cwsw=out.cwsw.coalesce(False),
        looked_after=looked,
        cp_plans=out.cp_plans.coalesce(0).cast("int64"),
    )
    return out.select(*COHORT_COLUMNS).order_by("la_child_id")
