"""The cohort's education measures for an academic year, by DfE methodology, as Ibis expressions.

The unit of attendance and exclusion measures is the **enrolment**: a pupil at a school
(``urn``, ``upn``). A pupil who moves school, or is dual registered, has an enrolment at each.
An enrolment counts for attendance when it has at least one possible session in the period; the
headline attendance figures count pupils aged 5 to 15 on 31 August before the year
(``[measures] min_age`` / ``max_age``). Session counts come from the marks where an enrolment
has marks in a term, else from the termly returns. Attainment's unit is the pupil's result.

Each unit carries one **status group**, disjoint: ``cpp``, ``cinp``, ``cin_other``,
``ever6_previous`` (the Ever6 CWSW statuses), ``cla_cwsw`` and ``cla_only`` (looked after at R,
meeting the CWSW rule or not), ``not_cwsw`` (in no output at R). Every component is a sum, so the
published groups are sums of these: ``cwsw`` is the four CWSW statuses (plus ``cla_cwsw`` when
``cla_in_cwsw``), ``cla`` both CLA groups, ``all_pupils`` everything. That additivity is also
what disclosure control relies on.

A cohort child reaches a school's figures through their **link** (``la_child_id`` to ``upn``),
made by :mod:`ever6.linkage`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.expr.types import Table

from ever6.attendance import POSSIBLE, SUMMARY_AUTHORISED, SUMMARY_POSSIBLE, SUMMARY_UNAUTHORISED, Category
from ever6.cohort.localities import locality_of, residence_postcodes
from ever6.cohort.roll import on_roll, on_roll_during
from ever6.cohort.sources import CurrentTables
from ever6.config import MeasureSettings
from ever6.dates import (
    academic_year_bounds,
    academic_year_label,
    academic_year_start,
    latest_birth_date_reaching,
    term_bounds,
)
from ever6.engines import cache
from ever6.localities import UNKNOWN
from ever6.metrics.measures import (
    ALTERNATIVE_PROVISION_TYPES,
    BREAKDOWNS,
    MEASURES,
    METRIC_COLUMNS,
    PERIODS,
    Measure,
    values_of,
)

STATUS_GROUPS = ("cpp", "cinp", "cin_other", "ever6_previous", "cla_cwsw", "cla_only", "not_cwsw")
_CWSW_STATUSES = ("cpp", "cinp", "cin_other", "ever6_previous")
_STATUS_TO_GROUP = {"CPP": "cpp", "CINP": "cinp", "CIN_OTHER": "cin_other", "EVER6_PREVIOUS": "ever6_previous"}
_STATUS_RANK = {"CLA": 0, "CPP": 1, "CINP": 2, "CIN_OTHER": 3, "EVER6_PREVIOUS": 4}

ATTENDANCE_COMPONENTS = (
    "pupils",
    "possible",
    "coded_possible",
    "absence",
    "authorised",
    "unauthorised",
    "persistent",
    "severe",
    "c2",
    "k",
    "b",
)
EXCLUSION_COMPONENTS = ("roll", "suspensions", "one_plus", "permanent", "in_ap")
ATTAINMENT_COMPONENTS = (
    "gld_n",
    "gld_yes",
    "ks2_n",
    "ks2_yes",
    "a8_n",
    "a8_sum",
    "em4_n",
    "em4_yes",
    "em5_n",
    "em5_yes",
)
_ATTAINMENT_MEASURES = {
    "eyfs_gld": ("gld_n", "gld_yes"),
    "ks2_rwm_expected": ("ks2_n", "ks2_yes"),
    "ks4_attainment8": ("a8_n", "a8_sum"),
    "ks4_em_grade4": ("em4_n", "em4_yes"),
    "ks4_em_grade5": ("em5_n", "em5_yes"),
}


@dataclass(frozen=True)
class KeptCounts:
    """Session counts kept per batch of marks (:mod:`ever6.publish.session_counts`), and the day index."""

    counts: Table  # batch_id, academic_year, urn, upn, term, MARK_COUNTS: of active batches
    days: Table  # batch_id, date: the days each active batch of marks holds


@dataclass(frozen=True)
class Inputs:
    """What the measures read: the current canonical tables, the cohort at R and the links."""

    tables: CurrentTables
    cohort: Table  # ever6.cohort.cohort(...) at R
    links: Table  # la_child_id, upn
    codes: Table  # ever6.attendance.code_table(), on the same backend
    la_code: str | None
    settings: MeasureSettings
    kept: KeptCounts | None = None  # session counts kept per batch: without them, every mark is counted
    # Each pupil's and each school's description (:func:`described_pupils`, :func:`described_schools`),
    # which do not depend on the theme or year, when already materialised: :func:`compute_metrics`
    # computes them once, not per theme.
    pupils: Table | None = None
    schools: Table | None = None
    # Each enrolment's NC year in its latest roll record of each year of ``roll_years`` (``academic_year``,
    # ``urn``, ``upn``, ``roll_ncyear``: :func:`_rolls`, or the :func:`exclusion_units` that
    # :func:`compute_metrics` materialises), when already computed: not computed again per theme.
    rolls: Table | None = None
    roll_years: tuple[int, ...] = ()
    # ``[localities]`` as rows (ever6.cohort.localities.lookup_table), on the same backend; None
    # when the authority defines none, and then there is no locality breakdown.
    localities: Table | None = None
    # Members of the optional groups switched on (ever6.cohort.groups.group_members: la_child_id,
    # group, upn) and those groups' names; each is published beside the status groups, never in them.
    members: Table | None = None
    optional_groups: tuple[str, ...] = ()


def _d(value: date) -> ir.DateScalar:
    return ibis.literal(value, type="date")


def pupil_groups(inputs: Inputs) -> Table:
    """One row per linked UPN: its status group, primary need and years since social work ended.

    A UPN linked to more than one child (a data error the linkage report shows) takes the
    highest-precedence status among them.
    """
    c = inputs.cohort
    ranked = inputs.links.select("la_child_id", "upn").join(
        c.select("la_child_id", "status", "cwsw", "primary_need", "years_since"), "la_child_id"
    )
    rank = ibis.cases(*((ranked.status == s, r) for s, r in _STATUS_RANK.items()), else_=9)
    ranked = ranked.mutate(_rank=ibis.row_number().over(group_by="upn", order_by=[rank, ranked.la_child_id]))
    best = ranked.filter(ranked._rank == 0)
    if inputs.localities is not None:
        best = best.left_join(residence_postcodes(inputs.tables), "la_child_id").drop("la_child_id_right")
    else:
        best = best.mutate(postcode=ibis.null("string"))
    group = ibis.cases(
        ((best.status == "CLA") & best.cwsw, "cla_cwsw"),
        (best.status == "CLA", "cla_only"),
        *((best.status == s, g) for s, g in _STATUS_TO_GROUP.items()),
        else_="not_cwsw",
    )
    return best.select(
        "upn",
        status_group=group,
        primary_need=best.primary_need,
        years_since=best.years_since,
        child_postcode=best.postcode,
    )


def group_pupils(inputs: Inputs) -> Table | None:
    """``upn, group``: the pupils of each optional group. A member reaches a pupil through their
    link, else (a child the linkage does not know, such as one only on the kinship register)
    through the UPN their own record gives."""
    if inputs.members is None:
        return None
    m = inputs.members
    links = inputs.links.select("la_child_id", link_upn="upn")
    linked = m.join(links, "la_child_id").select(upn="link_upn", group="group")
    unlinked = m.anti_join(links, "la_child_id")
    unlinked = unlinked.filter(unlinked.upn.notnull()).select("upn", "group")
    return linked.union(unlinked).distinct()


def _on_roll(inputs: Inputs, start: date, end: date) -> Table:
    """Enrolments (urn, upn) on roll at some time in the period, with their NC year then."""
    return on_roll(inputs.tables.pupil_enrolment, start, end).select("urn", "upn", roll_ncyear="ncyear")


def _union(parts: Iterable[Table]) -> Table:
    tables = list(parts)
    result = tables[0]
    for more in tables[1:]:
        result = result.union(more)
    return result


def _by_year(year: ir.IntegerValue, values: dict[int, ir.Value]) -> ir.Value:
    """The value of ``values`` for each row's academic year (a literal per year, in one expression)."""
    return ibis.cases(*((year == y, v) for y, v in values.items()))


def _periods(years: Iterable[int], *, terms: bool = True) -> Table:
    """``academic_year``, ``period``, ``_first``, ``_last``: each year (and with ``terms`` each of
    its terms) and its first and last day, as a small table to join to. One join with the periods
    builds one expression for every year and period, where a union of one expression per period
    cost more to build and compile than to run (issue 22)."""
    rows = [
        (y, period, first, last)
        for y in years
        for period, (first, last) in {"year": academic_year_bounds(y), **(term_bounds(y) if terms else {})}.items()
    ]
    columns = list(zip(*rows, strict=True)) if rows else [(), (), (), ()]
    return ibis.memtable(
        pa.table(
            {
                YEAR: pa.array(columns[0], pa.int64()),
                PERIOD: pa.array(columns[1], pa.string()),
                "_first": pa.array(columns[2], pa.date32()),
                "_last": pa.array(columns[3], pa.date32()),
            }
        )
    )


def _rolls(inputs: Inputs, years: Iterable[int]) -> Table:
    """:func:`_on_roll` of each academic year, told apart by ``academic_year``: the latest entry of
    each enrolment on roll in the year."""
    e = inputs.tables.pupil_enrolment
    periods = _periods(years, terms=False)
    e = e.join(periods, on_roll_during(e, periods._first, periods._last)).select(
        YEAR, "urn", "upn", "entry_date", roll_ncyear="ncyear"
    )
    e = e.mutate(_rank=ibis.row_number().over(group_by=[YEAR, "urn", "upn"], order_by=ibis.desc("entry_date")))
    return e.filter(e._rank == 0).select(YEAR, "urn", "upn", "roll_ncyear")


def _pupils(inputs: Inputs) -> Table:
    """Per UPN, the pupil's characteristics from their most recent roll record (any year)."""
    e = inputs.tables.pupil_enrolment
    e = e.mutate(_rank=ibis.row_number().over(group_by="upn", order_by=[ibis.desc("entry_date"), ibis.desc("urn")]))
    return e.filter(e._rank == 0).select(
        "upn", "birth_date", "sex", "fsm_ever6", "sen", "ethnicity", roll_postcode="postcode"
    )


def _derived_ncyear(birth_date: ir.DateValue, start_year: ir.IntegerValue) -> ir.StringValue:
    """The NC year of a pupil in their chronological year group: age on 31 August minus 4."""
    age = start_year - birth_date.year() - ibis.ifelse(birth_date.month() >= 9, 1, 0)
    year = age - 4
    return ibis.cases(
        (birth_date.isnull(), ibis.null("string")),
        (year == 0, "R"),
        (year == -1, "N2"),
        (year == -2, "N1"),
        else_=year.cast("string"),
    )


def described_pupils(inputs: Inputs) -> Table:
    """One row per UPN on a roll or linked to a child: the pupil's characteristics from their most
    recent roll record (:func:`_pupils`), their status group, primary need and years since social
    work ended (:func:`pupil_groups`), and with ``[localities]`` where they live (``b_locality``:
    the social-care record's postcode, else the school roll's). None of it depends on the unit, the
    theme or the year: :func:`compute_metrics` materialises it once for every theme (issue 22)."""
    pupils = _pupils(inputs)
    groups = pupil_groups(inputs)
    # Both have at most one row per UPN; a unit's pupil may be in either or both.
    p = pupils.outer_join(groups, "upn")
    p = p.select(
        upn=p.upn.coalesce(p.upn_right),
        **{c: p[c] for c in pupils.columns if c != "upn"},
        **{c: p[c] for c in groups.columns if c != "upn"},
    )
    if inputs.localities is not None:
        p = p.mutate(_residence=p.child_postcode.coalesce(p.roll_postcode))
        p = locality_of(p, "_residence", inputs.localities, name="b_locality").drop("_residence")
    return p


def described_schools(inputs: Inputs) -> Table:
    """One row per school (URN) in GIAS: its phase, LA, type, and with ``[localities]`` the locality
    of its postcode (``b_school_locality``)."""
    est = inputs.tables.establishment.select("urn", "phase", "la_code", "type_code", school_postcode="postcode")
    if inputs.localities is not None:
        est = locality_of(est, "school_postcode", inputs.localities, name="b_school_locality")
    return est


def _describe(inputs: Inputs, units: Table, years: Iterable[int]) -> Table:
    """Units (``academic_year``, ``urn``, ``upn``) of ``years`` with their status group and every
    breakdown attribute. Units with a ``roll_ncyear`` column (:func:`exclusion_units`) already carry
    their roll record's NC year for the year; the others are matched with the rolls here.

    The pupil's characteristics come from their roll record by UPN (:func:`described_pupils`) and
    the school's from GIAS by URN (:func:`described_schools`), so a unit counts even when the roll
    for that year was not loaded; the NC year is the roll's for the year, else the chronological
    one from the date of birth. Every year is described in one expression, the year a column: one
    query (and one compilation) for all.
    """
    pupils = inputs.pupils if inputs.pupils is not None else described_pupils(inputs)
    u = units.left_join(pupils, "upn").drop("upn_right")
    schools = inputs.schools if inputs.schools is not None else described_schools(inputs)
    u = u.left_join(schools, "urn").drop("urn_right")
    years = tuple(years)
    if "roll_ncyear" not in units.columns:
        rolls = inputs.rolls if inputs.rolls is not None and inputs.roll_years == years else _rolls(inputs, years)
        u = u.left_join(rolls, [YEAR, "urn", "upn"]).drop(f"{YEAR}_right", "urn_right", "upn_right")
    if inputs.localities is not None:
        # A pupil on no roll and linked to no child, a school not in GIAS: no postcode.
        u = u.mutate(b_locality=u.b_locality.coalesce(UNKNOWN), b_school_locality=u.b_school_locality.coalesce(UNKNOWN))
    in_la = (
        ibis.cases((u.la_code.isnull(), "unknown"), (u.la_code == inputs.la_code, "in LA"), else_="out of LA")
        if inputs.la_code
        else ibis.literal("unknown")
    )
    fsm = ibis.cases((u.fsm_ever6.isnull(), "unknown"), (u.fsm_ever6, "FSM"), else_="not FSM")
    group = u.status_group.coalesce("not_cwsw")
    return u.mutate(
        status_group=group,
        b_school=u.urn.coalesce("unknown"),
        b_phase=u.phase.coalesce("unknown"),
        b_ncyear=u.roll_ncyear.coalesce(_derived_ncyear(u.birth_date, u[YEAR])).coalesce("unknown"),
        b_sex=u.sex.coalesce("unknown"),
        b_fsm=fsm,
        b_sen=u.sen.coalesce("unknown"),
        b_ethnicity=u.ethnicity.coalesce("unknown"),
        b_primary_need=ibis.ifelse(group == "not_cwsw", "not applicable", u.primary_need.coalesce("unknown")),
        b_in_la=in_la,
        b_years_since=ibis.ifelse(group == "not_cwsw", "not applicable", u.years_since.coalesce("unknown")),
    )


YEAR = "academic_year"  # the academic year's start, a grouping column like the period

MARK_COUNTS = ("possible", "authorised", "unauthorised", "c2", "k", "b")


def mark_session_counts(marks: Table, codes: Table, start_year: int, last: date, *, by: tuple[str, ...] = ()) -> Table:
    """Per (``by``, urn, upn, term): the possible, authorised, unauthorised, C2, K and B sessions of
    ``marks`` from the start of the academic year to ``last``."""
    start, end = academic_year_bounds(start_year)
    last = min(end, last)
    terms = term_bounds(start.year)

    def term_of(day: ir.DateValue) -> ir.StringValue:
        return ibis.cases(*((day <= _d(b[1]), name) for name, b in terms.items()), else_="summer")

    # The code table is joined to every (day, code) of the period (a few thousand pairs), not to
    # every mark: each pair gets its term and what it counts towards, and the marks meet that
    # small lookup in one equi-join and one aggregation.
    m = marks.filter((marks.date >= _d(start)) & (marks.date <= _d(last)))
    days = ibis.memtable(
        pa.table({"date": pa.array([start + timedelta(days=i) for i in range((last - start).days + 1)], pa.date32())})
    )
    pairs = days.join(
        codes, (days.date >= codes.valid_from) & (codes.valid_to.isnull() | (days.date <= codes.valid_to))
    ).select(days.date, codes.code, codes.category)

    def flag(cond: ir.BooleanValue) -> ir.IntegerValue:
        return ibis.ifelse(cond, 1, 0).cast("int64")

    lookup = pairs.select(
        "date",
        "code",
        _term=term_of(pairs.date),
        _possible=flag(pairs.category.isin([c.value for c in POSSIBLE])),
        _authorised=flag(pairs.category == Category.AUTHORISED.value),
        _unauthorised=flag(pairs.category == Category.UNAUTHORISED.value),
        _c2=flag(pairs.code == "C2"),
        _k=flag(pairs.code == "K"),
        _b=flag(pairs.code == "B"),
    )
    m = m.select(*by, "urn", "upn", "date", "code").join(lookup, ["date", "code"])
    return m.group_by(*by, "urn", "upn", term=m._term).agg(**{c: m[f"_{c}"].sum().cast("int64") for c in MARK_COUNTS})


def _marks_counts(inputs: Inputs, start_year: int, last: date) -> Table:
    """The year's session counts from the current marks: rows of (urn, upn, term) whose sums per
    (urn, upn, term) are the counts (:func:`session_counts` adds them up).

    With counts kept per batch, a batch alone on every one of its days of the year (no other batch
    resends them) and with none after ``last`` adds its kept counts; only the other batches' days
    are counted from the marks (the current version of a resent day is resolved there). The rows
    are each batch's, not yet added up: whoever reads them sums per enrolment (and term) anyway,
    and one aggregation fewer was a tenth of the measures' DuckDB time at ``la`` (issue 22).
    """
    marks = inputs.tables.attendance_mark
    if inputs.kept is None:
        return mark_session_counts(marks, inputs.codes, start_year, last)
    start, end = academic_year_bounds(start_year)
    days = inputs.kept.days.filter((inputs.kept.days.date >= _d(start)) & (inputs.kept.days.date <= _d(end)))
    shared = days.group_by("date").agg(_batches=days.batch_id.nunique())
    shared = shared.filter(shared._batches > 1).select("date")
    unsafe = days.filter(days.date.isin(shared.date) | (days.date > _d(last))).select("batch_id")
    kept = inputs.kept.counts.filter(inputs.kept.counts.academic_year == start_year)
    clean = kept.select("batch_id").distinct().anti_join(unsafe, "batch_id")
    from_kept = kept.semi_join(clean, "batch_id").select("urn", "upn", "term", *MARK_COUNTS)
    recount = days.anti_join(clean, "batch_id").select("date").distinct()
    # Usually no day is counted again (each batch of marks its own days, kept as it came): then the
    # marks are not read at all, nor the query that would count them built and compiled (a quarter
    # of a second, whatever the size; issue 22). One count on the day index decides.
    if not recount.count().to_pyarrow().as_py():
        return from_kept
    from_marks = mark_session_counts(marks.semi_join(recount, "date"), inputs.codes, start_year, last)
    return from_kept.union(from_marks.select("urn", "upn", "term", *MARK_COUNTS))


def session_counts(inputs: Inputs, years: Iterable[int], *, as_at: date | None = None) -> Table:
    """Per (academic_year, urn, upn, term) of ``years``: possible, authorised, unauthorised, C2, K
    and B sessions, as rows to add up: a (year, enrolment, term) may have several, one per batch of
    marks (:func:`_marks_counts`); its counts are their sums."""
    years = tuple(years)
    codes = inputs.codes
    parts = []
    for y in years:
        end = academic_year_bounds(y)[1]
        counted = _marks_counts(inputs, y, min(end, as_at) if as_at else end)
        parts.append(counted.mutate(**{YEAR: ibis.literal(y, type="int64")}))
    m = _union(parts)
    # Materialised: the termly returns are matched against it as well as added to it.
    marks = cache(
        m.select(
            YEAR, "urn", "upn", "term", m.possible, m.possible.name("coded_possible"), *(m[c] for c in MARK_COUNTS[1:])
        )
    )

    t = inputs.tables.attendance_termly
    t = t.filter(t.academic_year.isin(years)).mutate(**{YEAR: t.academic_year.cast("int64")})
    # Each term's first day (the year's, for a term not named), in one expression for every year.
    term_start = ibis.cases(
        *(
            ((t[YEAR] == y) & (t.term == name), _d(b[0]))
            for y in years
            for name, b in term_bounds(academic_year_bounds(y)[0].year).items()
        ),
        *((t[YEAR] == y, _d(academic_year_bounds(y)[0])) for y in years),
    )
    t = t.mutate(_term_start=term_start)
    t = t.left_join(
        codes,
        (t.code == codes.code)
        & (t._term_start >= codes.valid_from)
        & (codes.valid_to.isnull() | (t._term_start <= codes.valid_to)),
    )

    def sessions_if(cond: ir.BooleanValue) -> ir.IntegerValue:
        return ibis.ifelse(cond, t.sessions, 0).sum()

    def has(code: str) -> ir.BooleanValue:
        return (t.code == code).any()

    # A source may hold totals ("*possible" ...), per-code counts, or both (the school census
    # gives per-code absence beside its own possible sessions): a total, where given, wins over
    # the sum of the codes, so nothing is counted twice.
    sums = t.group_by(YEAR, "urn", "upn", "term").agg(
        code_possible=sessions_if(t.category.isin([c.value for c in POSSIBLE])),
        code_authorised=sessions_if(t.category == Category.AUTHORISED.value),
        code_unauthorised=sessions_if(t.category == Category.UNAUTHORISED.value),
        total_possible=sessions_if(t.code == SUMMARY_POSSIBLE),
        total_authorised=sessions_if(t.code == SUMMARY_AUTHORISED),
        total_unauthorised=sessions_if(t.code == SUMMARY_UNAUTHORISED),
        has_possible=has(SUMMARY_POSSIBLE),
        has_authorised=has(SUMMARY_AUTHORISED),
        has_unauthorised=has(SUMMARY_UNAUTHORISED),
        has_codes=t.category.notnull().any(),
        c2=sessions_if(t.code == "C2"),
        k=sessions_if(t.code == "K"),
        b=sessions_if(t.code == "B"),
    )
    termly = sums.select(
        YEAR,
        "urn",
        "upn",
        "term",
        possible=ibis.ifelse(sums.has_possible, sums.total_possible, sums.code_possible),
        # Sessions whose codes are known: a return of totals alone says nothing about C2, K or B.
        coded_possible=ibis.ifelse(
            sums.has_codes, ibis.ifelse(sums.has_possible, sums.total_possible, sums.code_possible), 0
        ),
        authorised=ibis.ifelse(sums.has_authorised, sums.total_authorised, sums.code_authorised),
        unauthorised=ibis.ifelse(sums.has_unauthorised, sums.total_unauthorised, sums.code_unauthorised),
        c2=sums.c2,
        k=sums.k,
        b=sums.b,
    )
    # Marks win where an enrolment has them for the term; termly returns fill the rest.
    termly = termly.anti_join(marks, [YEAR, "urn", "upn", "term"])
    # (Spark reads the cached year back as a 32-bit integer.)
    counts = marks.mutate(**{YEAR: marks[YEAR].cast("int64")}).union(termly)
    return counts.mutate(
        *(
            counts[c].cast("int64").name(c)
            for c in ("possible", "coded_possible", "authorised", "unauthorised", "c2", "k", "b")
        )
    )


PERIOD = "period"  # "year" or a term's name


SESSION_COUNTS = ("possible", "coded_possible", "authorised", "unauthorised", "c2", "k", "b")


def attendance_units(sessions: Table) -> Table:
    """One row per enrolment and academic year with a possible session in the year: its session
    counts (:func:`session_counts`) for the year and for each term as columns
    (``<count>_<period>``: :func:`period_column`), 0 in a term without any.

    Where every row's term is one of the three (the marks' always are, and the termly readers
    refuse any other; a warehouse written by other means could hold one), the year's counts are
    the sum of the terms': 21 sums over the rows instead of 28 (issue 22). One count of the rows
    outside the terms decides, a few milliseconds on the materialised counts at ``la``."""
    terms = {
        period_column(c, term): ibis.ifelse(sessions.term == term, sessions[c], 0).sum()
        for term in TERMS
        for c in SESSION_COUNTS
    }
    elsewhere = sessions.filter(sessions.term.isnull() | ~sessions.term.isin(TERMS)).count().to_pyarrow().as_py()
    if elsewhere:
        year = {period_column(c, "year"): sessions[c].sum() for c in SESSION_COUNTS}
        per_unit = sessions.group_by(YEAR, "urn", "upn").agg(**year, **terms)
    else:
        per_unit = sessions.group_by(YEAR, "urn", "upn").agg(**terms)
        per_unit = per_unit.mutate(
            **{
                # (0 for a term whose counts are all null, as the year's sum leaves them out)
                period_column(c, "year"): sum(
                    (per_unit[period_column(c, term)].coalesce(0) for term in TERMS[1:]),
                    per_unit[period_column(c, TERMS[0])].coalesce(0),
                )
                for c in SESSION_COUNTS
            }
        )
    # A unit of a term is a unit of its year (the year's sums include the term's).
    return per_unit.filter(per_unit[period_column("possible", "year")] > 0)


def _counted(f: Table, years: tuple[int, ...], settings: MeasureSettings) -> dict[str, ir.BooleanValue]:
    """Whether each described unit counts in each period's attendance (``_counted_<period>``): it
    has a possible session in the period and its pupil is in the headline age range."""
    # Age on 31 August before the year: at least min_age, at most max_age. A pupil with no
    # known date of birth cannot be placed in the headline age range and is not counted.
    oldest = {y: _d(latest_birth_date_reaching(settings.max_age + 1, date(y, 8, 31))) for y in years}
    youngest = {y: _d(latest_birth_date_reaching(settings.min_age, date(y, 8, 31))) for y in years}
    in_range = (f.birth_date > _by_year(f[YEAR], oldest)) & (f.birth_date <= _by_year(f[YEAR], youngest))
    return {f"_counted_{period}": in_range & (f[period_column("possible", period)] > 0) for period in PERIODS}


def _attendance_columns(f: Table) -> dict[str, ir.Value]:
    """The attendance components of described units (:func:`attendance_units`' counts), for the
    year and each term: a unit's where it counts in the period (:func:`_counted`), elsewhere 0
    (``pupils_<period>`` 0)."""
    columns: dict[str, ir.Value] = {}
    for period in PERIODS:
        counted = f[f"_counted_{period}"]

        def at(component: str, period: str = period, counted: ir.BooleanValue = counted) -> ir.IntegerValue:
            return ibis.ifelse(counted, f[period_column(component, period)], 0)

        sessions_then = {c: at(c) for c in SESSION_COUNTS}
        flags = absence_components(
            _Sessions(sessions_then["possible"], sessions_then["authorised"], sessions_then["unauthorised"])
        )
        columns[period_column("pupils", period)] = ibis.ifelse(counted, 1, 0).cast("int64")
        columns.update({period_column(c, period): v for c, v in sessions_then.items()})
        columns.update({period_column(c, period): ibis.ifelse(counted, v, 0) for c, v in flags.items()})
    return columns


@dataclass(frozen=True)
class _Sessions:
    """A period's session counts of a unit, as :func:`absence_components` reads them."""

    possible: ir.IntegerValue
    authorised: ir.IntegerValue
    unauthorised: ir.IntegerValue


TERMS = tuple(p for p in PERIODS if p != "year")


def period_column(component: str, period: str) -> str:
    """The column of a period's component in the facts, where the periods are columns."""
    return f"{component}_{period}"


def absence_components(sessions: Table | _Sessions) -> dict[str, ir.IntegerValue]:
    """An enrolment's sessions missed and whether it is persistently (10% or more of its own
    possible sessions) or severely (50% or more) absent: the one rule, for the measures and for
    each pupil's row on a school's list."""
    absence = sessions.authorised + sessions.unauthorised
    return {
        "absence": absence,
        "persistent": ibis.ifelse(absence * 10 >= sessions.possible, 1, 0),
        "severe": ibis.ifelse(absence * 2 >= sessions.possible, 1, 0),
    }


SUSPENSION_CATEGORIES = ("SUSP", "FIXD")  # FIXD: a fixed-period exclusion, a suspension's former name


def _exclusion_sums(excluded: Table, by: tuple[str, ...] = ()) -> Table:
    """Per (``by``, urn, upn): the suspensions and permanent exclusions among ``excluded``."""
    return excluded.group_by(*by, "urn", "upn").agg(
        suspensions=excluded.category.isin(list(SUSPENSION_CATEGORIES)).sum().cast("int64"),
        permanent=(excluded.category == "PERM").sum().cast("int64"),
    )


def exclusion_counts(exclusions: Table, start: date, end: date) -> Table:
    """Per enrolment (urn, upn): suspensions and permanent exclusions starting between ``start``
    and ``end``."""
    return _exclusion_sums(exclusions.filter((exclusions.start_date >= _d(start)) & (exclusions.start_date <= _d(end))))


def exclusion_units(inputs: Inputs, years: Iterable[int]) -> Table:
    """One row per enrolment on roll at some time in an academic year, or excluded from its school
    in it: for the year and each term (``<component>_<period>``: :func:`period_column`) whether it
    is on roll then (``roll``), its suspensions and permanent exclusions; and ``roll_ncyear``, the
    NC year of its latest entry on roll in the year (what :func:`_rolls` gives; null for a unit
    only excluded)."""
    years = tuple(years)
    x = inputs.tables.exclusion
    periods = _periods(years)
    # Each exclusion in every period it starts in (its year and its term), counted per period.
    xp = x.join(periods, (x.start_date >= periods._first) & (x.start_date <= periods._last))
    counts = _exclusion_sums(xp, (YEAR, PERIOD))
    # On roll in the period: the roll, and anyone excluded from a school in it (who was on its
    # roll then, whether or not that roll was loaded). Every unit of a term is a unit of the year.
    e = inputs.tables.pupil_enrolment
    zero = ibis.literal(0, type="int64")
    one = ibis.literal(1, type="int64")
    # Each roll record once per year it is on roll in, with a flag per term (the terms make up the
    # year): a quarter of the rows a row per period would take into the aggregation below.
    in_year = _periods(years, terms=False)
    on_roll = e.join(in_year, on_roll_during(e, in_year._first, in_year._last))
    bounds = {y: term_bounds(y) for y in years}
    in_term = {
        term: on_roll_during(
            on_roll,
            _by_year(on_roll[YEAR], {y: _d(b[term][0]) for y, b in bounds.items()}),
            _by_year(on_roll[YEAR], {y: _d(b[term][1]) for y, b in bounds.items()}),
        )
        for term in TERMS
    }
    # The year's roll records as "<entry date><+NC year or ->": the largest is the latest entry (an
    # enrolment's entry dates differ: they are in its key), so the roll's NC year comes out of the
    # same aggregation instead of a window over the rolls and a join with them.
    latest_key = on_roll.entry_date.cast("string").concat(
        ibis.ifelse(on_roll.ncyear.isnull(), "-", ibis.literal("+").concat(on_roll.ncyear))
    )
    rolled = on_roll.select(
        YEAR,
        "urn",
        "upn",
        _latest=latest_key,
        **{
            column: value
            for period in PERIODS
            for column, value in {
                period_column("roll", period): one if period == "year" else ibis.ifelse(in_term[period], one, zero),
                period_column("suspensions", period): zero,
                period_column("permanent", period): zero,
            }.items()
        },
    )
    excluded = counts.select(
        YEAR,
        "urn",
        "upn",
        _latest=ibis.null("string"),
        **{
            column: value
            for period in PERIODS
            for column, value in {
                period_column("roll", period): ibis.ifelse(counts[PERIOD] == period, one, zero),
                period_column("suspensions", period): ibis.ifelse(counts[PERIOD] == period, counts.suspensions, 0),
                period_column("permanent", period): ibis.ifelse(counts[PERIOD] == period, counts.permanent, 0),
            }.items()
        },
    )
    both = rolled.union(excluded.select(*rolled.columns))
    per_unit = both.group_by(YEAR, "urn", "upn").agg(
        _latest=both._latest.max(),
        **{
            column: value
            for period in PERIODS
            for column, value in {
                period_column("roll", period): both[period_column("roll", period)].max().cast("int64"),
                period_column("suspensions", period): both[period_column("suspensions", period)].sum(),
                period_column("permanent", period): both[period_column("permanent", period)].sum(),
            }.items()
        },
    )
    dated = 10  # the length of an ISO date
    ncyear = ibis.ifelse(
        per_unit._latest.substr(dated, 1) == "+", per_unit._latest.substr(dated + 1), ibis.null("string")
    )
    return per_unit.mutate(roll_ncyear=ncyear).drop("_latest")


def _exclusion_columns(f: Table) -> dict[str, ir.Value]:
    """The exclusion and alternative-provision components of described units
    (:func:`exclusion_units`' counts), for the year and each term: 0 where the unit is not on
    roll in the period."""
    in_ap = f.type_code.isin(sorted(ALTERNATIVE_PROVISION_TYPES))
    columns: dict[str, ir.Value] = {}
    for period in PERIODS:
        roll = f[period_column("roll", period)]
        suspensions = f[period_column("suspensions", period)].cast("int64")
        columns[period_column("roll", period)] = roll
        columns[period_column("suspensions", period)] = suspensions
        columns[period_column("one_plus", period)] = ibis.ifelse(suspensions > 0, 1, 0)
        columns[period_column("permanent", period)] = f[period_column("permanent", period)].cast("int64")
        columns[period_column("in_ap", period)] = ibis.ifelse(in_ap & (roll == 1), 1, 0)
    return columns


def period_facts(inputs: Inputs, years: Iterable[int], *, sessions: Table, excluded: Table | None = None) -> Table:
    """One row per unit of attendance or exclusions and academic year: breakdown attributes and,
    for the year and each term (``<component>_<period>``: :func:`period_column`), the attendance
    components (:func:`_attendance_columns`) and the exclusion components
    (:func:`_exclusion_columns`), each 0 where the unit is not one of that theme's in the period.

    ``sessions``: the years' session counts (:func:`session_counts`); ``excluded``: the years'
    :func:`exclusion_units`, when already computed. The two themes' units are nearly the same
    enrolments: described once and summed once, not once per theme (issue 22). The periods are
    columns, not rows: a quarter of the rows a row per period would take.
    """
    years = tuple(years)
    keys = [YEAR, "urn", "upn"]
    attending = attendance_units(sessions)
    rolls = excluded if excluded is not None else exclusion_units(inputs, years)
    joined = rolls.outer_join(attending, keys)
    counts = [c for c in (*rolls.columns, *attending.columns) if c not in (*keys, "roll_ncyear")]
    units = joined.select(
        **{k: joined[k].coalesce(joined[f"{k}_right"]) for k in keys},
        roll_ncyear=joined.roll_ncyear,
        **{c: joined[c].fill_null(0) for c in counts},
    ).view()  # a relation of its own: Ibis cannot add the description's joins to the outer join's chain
    f = _describe(inputs, units, years)
    # Whether a unit counts in each period, as columns of a relation of their own: the 44 attendance
    # components that read them name them, where repeating the age test in each made a query
    # (and a compilation) several times longer (issue 22).
    counted = _counted(f, years, inputs.settings)
    f = f.mutate(**counted).view()
    return f.mutate(**_attendance_columns(f), **_exclusion_columns(f)).drop(*counted)


def pupil_attendance(inputs: Inputs, start_year: int, units: Table, *, as_at: date | None = None) -> Table:
    """Per enrolment of ``units`` (``urn``, ``upn``), its academic year to ``as_at``: ``possible``
    sessions, sessions missed (``absence``), ``persistent`` absence, and ``suspensions`` (null
    where the enrolment has none recorded), each by the rule the measures use
    (:func:`session_counts`, :func:`absence_components`, :func:`exclusion_counts`).

    ``possible`` is null where the enrolment has no possible session. Every age counts: the
    headline age range decides which enrolments a published figure counts, not what a pupil's own
    attendance was. Only the units' marks and returns are read.
    """
    keys = units.select("urn", "upn").distinct()
    t = inputs.tables
    tables = t.replace(
        attendance_mark=t.attendance_mark.semi_join(keys, ["urn", "upn"]),
        attendance_termly=t.attendance_termly.semi_join(keys, ["urn", "upn"]),
    )
    kept = inputs.kept
    if kept is not None:
        kept = replace(kept, counts=kept.counts.semi_join(keys, ["urn", "upn"]))
    sessions = session_counts(replace(inputs, tables=tables, kept=kept), (start_year,), as_at=as_at)
    year = sessions.group_by("urn", "upn").agg(
        possible=sessions.possible.sum(),
        authorised=sessions.authorised.sum(),
        unauthorised=sessions.unauthorised.sum(),
    )
    year = year.filter(year.possible > 0)
    flags = absence_components(year)
    attendance = year.select("urn", "upn", "possible", absence=flags["absence"], persistent=flags["persistent"])
    start, end = academic_year_bounds(start_year)
    excluded = exclusion_counts(t.exclusion.semi_join(keys, ["urn", "upn"]), start, end)
    joined = keys.left_join(attendance, ["urn", "upn"]).drop("urn_right", "upn_right")
    joined = joined.left_join(excluded.select("urn", "upn", "suspensions"), ["urn", "upn"])
    return joined.select(
        "urn",
        "upn",
        possible=joined.possible.cast("int64"),
        absence=joined.absence.cast("int64"),
        persistent=joined.persistent == 1,
        suspensions=joined.suspensions,
    )


def attainment_facts(inputs: Inputs, years: Iterable[int]) -> Table:
    """One row per pupil with a result, and academic year: the attainment components."""
    years = tuple(years)
    a = inputs.tables.attainment
    a = a.filter(a.academic_year.isin(years)).mutate(**{YEAR: a.academic_year.cast("int64")})
    comps = {}
    for measure, (n_col, v_col) in _ATTAINMENT_MEASURES.items():
        hit = (a.measure == measure) & a.value.notnull()
        comps[n_col] = ibis.ifelse(hit, 1, 0).sum().cast("int64")
        comps[v_col] = ibis.ifelse(hit, a.value, 0.0).sum().cast("float64")
    per_pupil = a.group_by(YEAR, "upn").agg(urn=a.urn.max(), **comps)
    return _describe(inputs, per_pupil, years)


def aggregate(
    facts: Table,
    components: Iterable[str],
    *,
    by: tuple[str, ...] = (),
    optional: Table | None = None,
    whole: bool = False,
) -> pa.Table:
    """Sum components per status group and breakdown value, for every breakdown (and ``by``).

    ``optional`` (:func:`group_pupils`): each optional group's pupils are counted again under the
    group's name, so its sums sit beside the status groups' and leave them as they were.

    ``whole``: every component is a whole number, so sums of sums are the same sums: without optional
    groups the facts are first summed per combination of every breakdown's value (0.48 million
    units to 0.2 million rows at ``la``), and each breakdown sums those (issue 22). Not for
    fractional points, whose float sums could differ in the last bit when added in another grouping.
    """
    components = tuple(components)
    # Every breakdown reads the same facts: materialise them once (a temporary table on DuckDB,
    # a cached DataFrame on Spark) rather than recompute them per breakdown.
    # A breakdown the facts do not describe (locality, when the authority defines none) is left out.
    present = [b for b in BREAKDOWNS if b == "all" or f"b_{b}" in facts.columns]
    # Cast once as the facts are written, not in each breakdown's sums: 13 times fewer expressions to
    # build and compile (issue 22). The components are whole counts, whose sums as doubles are exact
    # in any order (far below 2**53), or already doubles (Attainment 8's points).
    columns = {
        **{f"b_{b}": facts[f"b_{b}"].cast("string") for b in present if b != "all"},
        **{c: facts[c].cast("float64") for c in components},
    }
    keys = (*by, "status_group", *(c for c in columns if c not in components))

    def combined(rows: Table) -> Table:
        return rows.group_by(*keys).agg(**{c: rows[c].sum() for c in components}) if whole else rows

    if optional is None:
        facts = cache(combined(facts.select(*by, "status_group", **columns)))
    else:
        # The facts materialised once, and the optional groups' rows taken from them: a union of the
        # facts and their join with the groups computed the facts twice (the description, the
        # counts), and compiling the query twice as long was a second or two (issue 22).
        described = cache(facts.select("upn", *by, "status_group", **columns))
        again = described.join(optional, "upn")
        again = cache(again.select(*by, again.group.name("status_group"), *columns))
        # (Not summed first here: materialising the sums as well cost more than it saved.)
        facts = described.select(*keys, *components).union(again.select(*keys, *components))
    parts = []
    for breakdown in present:
        key = ibis.literal("all") if breakdown == "all" else facts[f"b_{breakdown}"]
        grouped = facts.group_by(*by, "status_group", breakdown_value=key).agg(
            **{c: facts[c].sum() for c in components}
        )
        parts.append(grouped.mutate(breakdown=ibis.literal(breakdown)))
    return _union(parts).to_pyarrow()


def periods_as_rows(sums: pa.Table, components: Iterable[str], *, present: str) -> pa.Table:
    """Sums of facts whose periods are columns (:func:`period_column`), as rows: a ``period`` column
    and each component under its own name (null in a period whose sums were not taken). A cell is
    a period's only where one of its units is (the sum of ``present`` in the period is not 0), as
    when the periods were rows."""
    import pyarrow.compute as pc

    components = tuple(components)
    absent = {c: pa.nulls(sums.num_rows, pa.float64()) for c in components}
    keys = [c for c in sums.column_names if c in (YEAR, "status_group", "breakdown_value", "breakdown")]
    parts = []
    for period in PERIODS:
        rows = sums.filter(pc.not_equal(sums.column(period_column(present, period)), 0))
        columns = {k: rows.column(k) for k in keys}
        columns[PERIOD] = pa.array([period] * rows.num_rows, pa.string())
        columns.update(
            {
                c: rows.column(period_column(c, period))
                if period_column(c, period) in sums.column_names
                else absent[c].slice(0, rows.num_rows)
                for c in components
            }
        )
        parts.append(pa.table(columns))
    return pa.concat_tables(parts)


def _sums_of(sums: pa.Table, **key: object) -> pa.Table:
    """The rows of sums aggregated ``by`` these columns that have these values, without the columns."""
    import pyarrow.compute as pc

    rows = sums
    for column, value in key.items():
        rows = rows.filter(pc.equal(rows.column(column), pa.scalar(value, rows.schema.field(column).type)))
    return rows.drop_columns(list(key))


def _sum(parts: Iterable[float]) -> float:
    """A sum of components, rounded to 6 decimal places: points (Attainment 8) are fractional, and
    the engines add them in different orders, so the last bits of a float sum would otherwise
    differ between DuckDB and Spark (and between runs on Spark)."""
    return round(sum(parts), 6)


def publish(
    sums: pa.Table,
    measures: Iterable[Measure],
    academic_year: int,
    period: str,
    settings: MeasureSettings,
    optional: tuple[str, ...] = (),
) -> pa.Table:
    """Roll status groups up into the published groups and compute each measure's figure: a
    :func:`metrics_table`, a row per measure, breakdown, breakdown value (sorted) and group.

    ``optional``: the optional groups switched on, each published from its own sums only.

    Column at a time (numpy) rather than a Python loop per figure: at ``la`` a year and its terms
    are over half a million figures. Each sum adds the same components in the same order as a
    loop would (IEEE addition is the same in numpy), and rounding uses Python's own ``round``, so
    the figures are the same to the last bit."""
    import numpy as np

    groups: dict[str, tuple[str, ...]] = {
        "cwsw": (*_CWSW_STATUSES, "cla_cwsw") if settings.cla_in_cwsw else _CWSW_STATUSES,
        "cpp": ("cpp",),
        # Children in need at R, not on a CP plan or looked after: DfE's "CiN excluding CPP and CLA".
        "cin": ("cinp", "cin_other"),
        "cinp": ("cinp",),
        "cin_other": ("cin_other",),
        "ever6_previous": ("ever6_previous",),
        "cla": ("cla_cwsw", "cla_only"),
        "not_cwsw": ("not_cwsw",),
        "all_pupils": STATUS_GROUPS,
        **{g: (g,) for g in optional},
    }
    measures = tuple(measures)
    components = sorted({m.numerator for m in measures} | {m.denominator for m in measures if m.denominator})
    keys = ("breakdown", "breakdown_value", "status_group")
    breakdowns, values, statuses = ([str(v) for v in sums.column(k).to_pylist()] if sums.num_rows else [] for k in keys)
    # Every (breakdown, value) in the order published: breakdowns as listed, values sorted.
    by_breakdown: dict[str, set[str]] = {}
    for breakdown, value in zip(breakdowns, values, strict=True):
        by_breakdown.setdefault(breakdown, set()).add(value)
    pairs = [(b, v) for b in BREAKDOWNS for v in sorted(by_breakdown.get(b, ()))]
    pair_index = {pair: i for i, pair in enumerate(pairs)}
    members = sorted({m for ms in groups.values() for m in ms} | set(statuses))
    member_index = {m: j for j, m in enumerate(members)}
    kept = [i for i, b in enumerate(breakdowns) if b in BREAKDOWNS]
    rows_at = np.array([pair_index[breakdowns[i], values[i]] for i in kept], dtype=np.int64)
    cols_at = np.array([member_index[statuses[i]] for i in kept], dtype=np.int64)
    take = pa.array(kept, pa.int64())

    def cell_sums(component: str) -> np.ndarray:
        """The component of every (breakdown value, status group) cell; 0 where there is none."""
        grid = np.zeros((len(pairs), len(members)))
        if component in sums.column_names and kept:
            column = sums.column(component).take(take).cast(pa.float64()).fill_null(0.0)
            grid[rows_at, cols_at] = column.to_numpy()
        return grid

    def rounded(x: np.ndarray) -> np.ndarray:
        """``round(x, 6)`` as Python rounds: integers are unchanged, fractions rounded one by one."""
        out = x.copy()
        fractional = np.flatnonzero(x != np.trunc(x))
        out[fractional] = [round(float(v), 6) for v in x[fractional]]
        return out

    # Each published group's sum of each component: (breakdown value, group), row-major.
    totals: dict[str, np.ndarray] = {}
    for component in components:
        grid = cell_sums(component)
        per_group = []
        for group_members in groups.values():
            total = np.zeros(len(pairs))
            for m in group_members:
                total = total + grid[:, member_index[m]]
            per_group.append(rounded(total))
        totals[component] = np.stack(per_group, axis=1).reshape(-1) if pairs else np.zeros(0)

    n = len(pairs) * len(groups)
    pair_of = np.repeat(np.arange(len(pairs)), len(groups))
    group_names = pa.array(list(groups), pa.string()).take(pa.array(np.tile(np.arange(len(groups)), len(pairs))))
    pair_breakdowns = pa.array([b for b, _ in pairs], pa.string()).take(pa.array(pair_of))
    pair_values = pa.array([v for _, v in pairs], pa.string()).take(pa.array(pair_of))
    parts = []
    for measure in measures:
        num = totals[measure.numerator]
        den = totals[measure.denominator] if measure.denominator else None
        parts.append(
            pa.table(
                {
                    "academic_year": pa.array([academic_year_label(academic_year)] * n, pa.string()),
                    "period": pa.array([period] * n, pa.string()),
                    "measure": pa.array([measure.name] * n, pa.string()),
                    "group": group_names,
                    "breakdown": pair_breakdowns,
                    "breakdown_value": pair_values,
                    "numerator": pa.array(num, pa.float64()),
                    "denominator": pa.array(den, pa.float64()) if den is not None else pa.nulls(n, pa.float64()),
                    "value": _values(measure, num, den),
                },
                schema=METRICS_SCHEMA,
            )
        )
    return pa.concat_tables(parts) if parts else METRICS_SCHEMA.empty_table()


def _values(measure: Measure, numerator: Any, denominator: Any) -> pa.Array:
    """:func:`ever6.metrics.measures.value_of` of each figure (the one rule), column at a time
    (:func:`ever6.metrics.measures.values_of`): a call per figure, even once per distinct
    (numerator, denominator), was a third of the roll-up at ``la``."""
    return pa.array(values_of(measure, numerator, denominator), pa.float64())


def years_with_data(t: CurrentTables) -> list[int]:
    """The academic years any education data falls in (from distinct dates: a few hundred rows)."""

    def start_years(table: Table, column: str) -> set[int]:
        days = table.select(day=table[column]).distinct().to_pyarrow().column("day").to_pylist()
        return {academic_year_start(day) for day in days if day is not None}

    # The dates and years are in each table's key, so the active rows hold the same ones as the
    # newest versions, without ranking the versions.
    rows = t.active or {"exclusion": t.exclusion, "attendance_termly": t.attendance_termly, "attainment": t.attainment}
    marks = t.attendance_mark_days if t.attendance_mark_days is not None else t.attendance_mark
    years = start_years(marks, "date") | start_years(rows["exclusion"], "start_date")
    for name in ("attendance_termly", "attainment"):
        table = rows[name]
        years.update(int(y) for y in table.select("academic_year").distinct().to_pyarrow().column(0).to_pylist())
    return sorted(y for y in years if y is not None)


def _termly(t: CurrentTables) -> Table:
    """The current termly returns. When every active row comes from one batch, each row is its own
    current version: the termly readers refuse (``attendance_termly``) or add up (``school_census``)
    a (school, pupil, year, term, code) repeated in one file, so there is nothing to rank. Ranking the
    versions was about a tenth of the measures' DuckDB time at ``la`` (2 million rows, one batch)."""
    if t.active is None:
        return t.attendance_termly
    rows = t.active["attendance_termly"]
    batches = rows.select("batch_id").distinct().count().to_pyarrow().as_py()
    return rows.drop("batch_id") if batches <= 1 else t.attendance_termly


# The roll's columns that name a pupil: the measures never read them.
_NAME_COLUMNS = ("forename", "surname", "former_upn")


def compute_metrics(inputs: Inputs, *, years: Iterable[int] | None = None, as_at: date | None = None) -> pa.Table:
    """Every measure for every group, breakdown and period (year and terms) of each year."""
    import pyarrow.compute as pc

    by_theme: dict[str, list[Measure]] = {}
    for m in MEASURES:
        by_theme.setdefault(m.theme, []).append(m)
    s = inputs.settings
    # Every theme describes its units from the rolls (the newest version of each roll record):
    # materialised once, not ranked again each time (a fifth of each aggregation at la), without
    # the names, which no measure reads.
    rolls = inputs.tables.pupil_enrolment
    rolls = rolls.drop(*(c for c in _NAME_COLUMNS if c in rolls.columns))
    inputs = replace(
        inputs, tables=inputs.tables.replace(pupil_enrolment=cache(rolls), attendance_termly=_termly(inputs.tables))
    )
    # Each pupil's and school's description does not depend on the theme or the year: described once
    # (the rolls ranked, the status groups and localities matched), not in each theme's query.
    inputs = replace(inputs, pupils=cache(described_pupils(inputs)), schools=cache(described_schools(inputs)))
    years = tuple(years if years is not None else years_with_data(inputs.tables))
    if not years:
        return metrics_table([])
    # Every year at once, the year a grouping column as the period is: each theme is described and
    # aggregated in one query for all years and periods (building and compiling the expressions
    # costs as much as running them at the size of a small authority). The session counts are the
    # heaviest step (every mark): computed once, used by the year and by each term.
    # Each enrolment's periods on roll and exclusions, and its roll's NC year each year: summed
    # with the attendance, and the rolls every theme is described with.
    excluded = cache(exclusion_units(inputs, years))
    inputs = replace(inputs, rolls=excluded.select(YEAR, "urn", "upn", "roll_ncyear"), roll_years=years)
    # The optional groups' pupils (from the current versions of several social-care tables: a
    # query longer than the facts' own) are read by the attendance and the attainment: computed once.
    extra = group_pupils(inputs)
    extra = cache(extra) if extra is not None else None
    opt = inputs.optional_groups
    sessions = cache(session_counts(inputs, years, as_at=as_at))
    # Only the sums something reads: absence is authorised + unauthorised, added after the sums
    # (integers: the same to the last bit), and alternative provision is published for the year
    # only. Fewer columns to write and sum (issue 22).
    components = [c for c in (*ATTENDANCE_COMPONENTS, *EXCLUSION_COMPONENTS) if c != "absence"]
    sums = aggregate(
        period_facts(inputs, years, sessions=sessions, excluded=excluded),
        [period_column(c, p) for p in PERIODS for c in components if c != "in_ap" or p == "year"],
        by=(YEAR,),
        optional=extra,
        whole=True,
    )
    attendance = periods_as_rows(sums, [c for c in ATTENDANCE_COMPONENTS if c != "absence"], present="pupils")
    attendance = attendance.append_column(
        "absence", pc.add(attendance.column("authorised"), attendance.column("unauthorised"))
    )
    exclusions = periods_as_rows(sums, EXCLUSION_COMPONENTS, present="roll")
    attainment = aggregate(attainment_facts(inputs, years), ATTAINMENT_COMPONENTS, by=(YEAR,), optional=extra)
    parts: list[pa.Table] = []
    for year in years:
        for period in ("year", *term_bounds(year)):
            key = {YEAR: year, PERIOD: period}
            parts.append(publish(_sums_of(attendance, **key), by_theme["attendance"], year, period, s, opt))
            provision = by_theme["provision"] if period == "year" else []
            parts.append(publish(_sums_of(exclusions, **key), by_theme["exclusions"] + provision, year, period, s, opt))
            if period == "year":
                results = _sums_of(attainment, **{YEAR: year})
                parts.append(publish(results, by_theme["attainment"], year, period, s, opt))
    return pa.concat_tables(parts) if parts else metrics_table([])


METRICS_SCHEMA = pa.schema(
    [
        ("academic_year", pa.string()),
        ("period", pa.string()),
        ("measure", pa.string()),
        ("group", pa.string()),
        ("breakdown", pa.string()),
        ("breakdown_value", pa.string()),
        ("numerator", pa.float64()),
        ("denominator", pa.float64()),
        ("value", pa.float64()),
    ]
)


def metrics_table(rows: list[dict[str, object]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=METRICS_SCHEMA)


__all__ = [
    "METRIC_COLUMNS",
    "Inputs",
    "attainment_facts",
    "attendance_units",
    "compute_metrics",
    "exclusion_units",
    "period_facts",
    "pupil_attendance",
    "years_with_data",
]
