"""The cohort's profile: how many children, by status and by each characteristic, at a date.

Counts of children, never a child's row: by age band, sex, ethnicity, disability, primary need,
latest category of abuse, SEN and FSM (``docs/cohort.md``, The cohort's profile), and for each
group of assessment factors (:mod:`ever6.assessment_factors`) and each type of disability, whether
it was ever recorded. The counting is Ibis (:func:`profile_counts`, engine-neutral); the roll-up
into published groups, with every category present (zeros included), is Python over a few hundred
rows (:func:`profile_rows`), and :func:`suppress_profile` applies disclosure control for
whatever leaves the Virtual School.

The status groups are the measures' (:mod:`ever6.metrics.rules`): ``cpp``, ``cinp``,
``cin_other``, ``ever6_previous`` (together ``cwsw``), ``cla`` beside them (inside ``cwsw`` with
``[measures] cla_in_cwsw``), and ``all_children``, everyone in the cohort's output. Every
breakdown's categories are disjoint and add up to the group's ``all``: a child with several
factors or disabilities is counted once in each one's own ``recorded`` / ``not recorded`` pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.expr.types import Table

from ever6.assessment_factors import FACTOR_GROUPS, GROUP_OF
from ever6.dates import academic_year_label, academic_year_start, latest_birth_date_reaching
from ever6.disclosure import DisclosureRules, MeasureSpec, suppress

MEASURE = "children"
NOT_KNOWN = "not known"
RECORDED, NOT_RECORDED = "recorded", "not recorded"
FACTOR_PREFIX = "assessment_factor/"
DISABILITY_PREFIX = "disability_type/"
# The CIN census schema's ``disabilitytype`` (every year 2017 to 2026), ``NONE`` apart.
DISABILITY_TYPES: dict[str, str] = {
    "MOB": "Mobility",
    "HAND": "Hand function",
    "PC": "Personal care",
    "INC": "Incontinence",
    "COMM": "Communication",
    "LD": "Learning",
    "HEAR": "Hearing",
    "VIS": "Vision",
    "BEH": "Behaviour",
    "CON": "Consciousness",
    "AUT": "Autism",
    "DDA": "Other",
}
# The DfE's age bands in its statistics on children in need (age at the date).
AGE_BANDS: tuple[tuple[str, int], ...] = (
    ("under 1", 0),
    ("1 to 4", 1),
    ("5 to 9", 5),
    ("10 to 15", 10),
    ("16 and over", 16),
)
# The breakdowns with one value per child, in the order the page shows them.
SINGLE_BREAKDOWNS = (
    "age_band",
    "sex",
    "ethnicity",
    "disability",
    "primary_need",
    "category_of_abuse",
    "sen",
    "fsm",
)
STATUS_GROUPS = ("cpp", "cinp", "cin_other", "ever6_previous", "cla_cwsw", "cla_only")
_CWSW = ("cpp", "cinp", "cin_other", "ever6_previous")
_STATUS_TO_GROUP = {"CPP": "cpp", "CINP": "cinp", "CIN_OTHER": "cin_other", "EVER6_PREVIOUS": "ever6_previous"}
PROFILE_COLUMNS = ("as_at", "academic_year", "measure", "group", "breakdown", "breakdown_value", "numerator")
SPECS = {MEASURE: MeasureSpec(MEASURE, "count", True, False, follows=())}


def published_groups(cla_in_cwsw: bool) -> dict[str, tuple[str, ...]]:
    """Each published group's status groups (as the measures roll them up)."""
    return {
        "cwsw": (*_CWSW, "cla_cwsw") if cla_in_cwsw else _CWSW,
        "cpp": ("cpp",),
        "cin": ("cinp", "cin_other"),
        "cinp": ("cinp",),
        "cin_other": ("cin_other",),
        "ever6_previous": ("ever6_previous",),
        "cla": ("cla_cwsw", "cla_only"),
        "all_children": STATUS_GROUPS,
    }


def group_sums(cla_in_cwsw: bool) -> dict[str, tuple[str, ...]]:
    """The additive relations between the published groups, for disclosure control."""
    if cla_in_cwsw:
        return {
            "cwsw": (*_CWSW, "cla_cwsw"),
            "cla": ("cla_cwsw", "cla_only"),
            "cin": ("cinp", "cin_other"),
            "all_children": ("cwsw", "cla_only"),
        }
    return {"cwsw": _CWSW, "cin": ("cinp", "cin_other"), "all_children": ("cwsw", "cla")}


def _d(value: date) -> ir.DateScalar:
    return ibis.literal(value, type="date")


def _school_records(links: Table, enrolment: Table) -> Table:
    """``la_child_id, sen, fsm_ever6``: from the newest roll record of the child's linked pupil
    (the measures' reading: the most recent record, any year)."""
    e = enrolment.select("upn", "entry_date", "urn", "sen", "fsm_ever6")
    e = e.mutate(_rank=ibis.row_number().over(group_by="upn", order_by=[ibis.desc("entry_date"), ibis.desc("urn")]))
    newest = e.filter(e._rank == 0).drop("_rank")
    linked = links.select("la_child_id", "upn").distinct().join(newest, "upn")
    linked = linked.mutate(
        _rank=ibis.row_number().over(group_by="la_child_id", order_by=[ibis.desc("entry_date"), linked.upn, linked.urn])
    )
    return linked.filter(linked._rank == 0).select("la_child_id", "sen", "fsm_ever6")


def _age_band(birth_date: ir.DateValue, as_at: date) -> ir.StringValue:
    cases = [
        (birth_date <= _d(latest_birth_date_reaching(age, as_at)), band) for band, age in reversed(AGE_BANDS) if age
    ]
    return ibis.cases(*cases, else_=AGE_BANDS[0][0])


def child_facts(cohort: Table, links: Table, enrolment: Table, as_at: date) -> Table:
    """One row per child in the cohort's output at ``as_at``: status group and each breakdown.

    ``cohort``: :func:`ever6.cohort.cohort` at ``as_at``; ``links``: ``la_child_id, upn``;
    ``enrolment``: the current ``pupil_enrolment`` (SEN and FSM, for linked children).
    """
    c = cohort.left_join(_school_records(links, enrolment), "la_child_id").drop("la_child_id_right")
    group = ibis.cases(
        ((c.status == "CLA") & c.cwsw, "cla_cwsw"),
        (c.status == "CLA", "cla_only"),
        *((c.status == s, g) for s, g in _STATUS_TO_GROUP.items()),
        else_="unknown",
    )
    n = c.disabilities.length().coalesce(0)
    disability = ibis.cases(
        (n == 0, NOT_KNOWN),
        ((n == 1) & c.disabilities.contains("NONE"), "no disability"),
        else_="disability",
    )
    fsm = ibis.cases((c.fsm_ever6.isnull(), NOT_KNOWN), (c.fsm_ever6, "FSM"), else_="not FSM")
    return c.select(
        "la_child_id",
        "assessment_factors",
        "disabilities",
        status_group=group,
        b_age_band=_age_band(c.birth_date, as_at),
        b_sex=c.sex.coalesce(NOT_KNOWN),
        b_ethnicity=c.ethnicity.coalesce(NOT_KNOWN),
        b_disability=disability,
        b_primary_need=c.primary_need.coalesce(NOT_KNOWN),
        b_category_of_abuse=ibis.ifelse(
            c.cp_plans > 0, c.latest_category_of_abuse.coalesce(NOT_KNOWN), "no child protection plan"
        ),
        b_sen=c.sen.coalesce(NOT_KNOWN),
        b_fsm=fsm,
    )


def _recorded(facts: Table, column: str, codes: Mapping[str, str], prefix: str) -> Table:
    """Per status group and each category of ``codes`` (code -> category): the children with a
    code of it recorded, counted once however many of its codes they have. A code the schemas do
    not know is ``Other``; ``NONE`` (no disability) is no category."""
    listed = facts.select("la_child_id", "status_group", code=facts[column].unnest())
    listed = listed.mutate(code=listed.code.strip().upper())
    listed = listed.filter(listed.code.notnull() & (listed.code != "") & (listed.code != "NONE"))
    lookup = ibis.memtable(pa.table({"code": list(codes), "category": list(codes.values())}))
    joined = listed.left_join(lookup, "code")
    joined = joined.select("la_child_id", "status_group", category=joined.category.coalesce("Other"))
    joined = joined.distinct()
    return joined.group_by("status_group", breakdown=ibis.literal(prefix) + joined.category).agg(
        children=joined.count().cast("int64")
    )


def profile_counts(facts: Table) -> pa.Table:
    """``status_group, breakdown, breakdown_value, children`` from :func:`child_facts`: the
    single-valued breakdowns and ``all``, and per assessment factor group and disability type the
    children with it ``recorded`` (``not recorded`` is the rest of the group: :func:`profile_rows`)."""
    parts = [
        facts.group_by("status_group")
        .agg(children=facts.count().cast("int64"))
        .mutate(breakdown=ibis.literal("all"), breakdown_value=ibis.literal("all"))
    ]
    for b in SINGLE_BREAKDOWNS:
        grouped = facts.group_by("status_group", breakdown_value=facts[f"b_{b}"].cast("string")).agg(
            children=facts.count().cast("int64")
        )
        parts.append(grouped.mutate(breakdown=ibis.literal(b)))
    for column, codes, prefix in (
        ("assessment_factors", GROUP_OF, FACTOR_PREFIX),
        ("disabilities", DISABILITY_TYPES, DISABILITY_PREFIX),
    ):
        recorded = _recorded(facts, column, codes, prefix)
        parts.append(recorded.mutate(breakdown_value=ibis.literal(RECORDED)))
    columns = ("status_group", "breakdown", "breakdown_value", "children")
    out = parts[0].select(*columns)
    for part in parts[1:]:
        out = out.union(part.select(*columns))
    return out.to_pyarrow()


def multi_breakdowns() -> list[str]:
    """The recorded / not recorded breakdowns, in the page's order."""
    return [f"{FACTOR_PREFIX}{g}" for g in FACTOR_GROUPS] + [
        f"{DISABILITY_PREFIX}{v}" for v in DISABILITY_TYPES.values()
    ]


def profile_rows(counts: pa.Table, as_at: date, *, cla_in_cwsw: bool = False) -> list[dict[str, Any]]:
    """The published groups' counts, every category of every breakdown for every group (0 where
    none), as rows of :data:`PROFILE_COLUMNS` (``numerator``: the number of children)."""
    cells: dict[tuple[str, str, str], int] = {}
    values: dict[str, set[str]] = {"all": {"all"}, **{b: set() for b in SINGLE_BREAKDOWNS}}
    for r in counts.to_pylist():
        key = (str(r["breakdown"]), str(r["breakdown_value"]), str(r["status_group"]))
        cells[key] = cells.get(key, 0) + int(r["children"])
        if key[0] in values:
            values[key[0]].add(key[1])
    values["age_band"] |= {band for band, _ in AGE_BANDS}  # every band, even an empty one
    for b in multi_breakdowns():
        values[b] = {RECORDED, NOT_RECORDED}
    groups = published_groups(cla_in_cwsw)
    label = academic_year_label(academic_year_start(as_at))
    rows: list[dict[str, Any]] = []
    for breakdown, found in values.items():
        for value in sorted(found):
            for group, members in groups.items():
                if value == NOT_RECORDED:
                    n = sum(cells.get(("all", "all", m), 0) - cells.get((breakdown, RECORDED, m), 0) for m in members)
                else:
                    n = sum(cells.get((breakdown, value, m), 0) for m in members)
                rows.append(
                    {
                        "as_at": as_at.isoformat(),
                        "academic_year": label,
                        "measure": MEASURE,
                        "group": group,
                        "breakdown": breakdown,
                        "breakdown_value": value,
                        "numerator": float(n),
                    }
                )
    return rows


def profile_table(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Rows of :func:`profile_rows` as a table, with ``denominator`` and ``value`` as the measures have."""
    rows = list(rows)
    return pa.table(
        {
            **{c: pa.array([r[c] for r in rows], pa.string()) for c in PROFILE_COLUMNS if c != "numerator"},
            "numerator": pa.array([r["numerator"] for r in rows], pa.float64()),
            "denominator": pa.array([None] * len(rows), pa.float64()),
            "value": pa.array([r["numerator"] for r in rows], pa.float64()),
        }
    )


def suppress_profile(
    table: pa.Table,
    *,
    cla_in_cwsw: bool = False,
    rules: DisclosureRules | None = None,
    reasons: Literal["shared", "internal"] = "shared",
    by: Sequence[str] = ("as_at", "academic_year"),
) -> pa.Table:
    """The profile as shared outside the Virtual School: each date's counts one publication, the
    categories of each breakdown adding up to the group's total, and the groups to theirs."""
    return suppress(table, SPECS, rules or DisclosureRules(), group_sums(cla_in_cwsw), by=by, reasons=reasons)
