"""The identities on each side, and the deterministic passes, as engine-neutral Ibis expressions.

Children (who is linked): every child in the case-management extract, the CIN census or the
SSDA903 header, current versions. A child's identity is the case-management record (names,
birth date, sex, postcode), with birth date and sex from the CIN census or SSDA903 where the
extract lacks them, and every UPN and former UPN any of the three sources holds.

Candidates: pupil enrolments, one record per UPN for matching (the latest enrolment's
demographics, any enrolment's former UPN); a matched UPN brings every enrolment (URN) with it.

Passes, each on the children the earlier ones left:

1. ``upn``: a valid UPN of the child is a pupil's UPN;
2. ``former_upn``: the child's UPN is a pupil's former UPN, or the child's former UPN is a
   pupil's UPN;
3. ``exact_demographics``: normalised forename, surname, birth date and sex all equal, and that
   combination is unique among the remaining children and among all pupils.

A UPN pass that finds two different pupils for one child does not link (``conflicting_upns``).
Whether a UPN pair agrees with the person (birth date, forename) is decided afterwards on the
collected pairs (:mod:`ever6.linkage.core`, with :mod:`ever6.linkage.names`): the exact pass
then runs on the children and pupils the accepted UPN links left (:func:`exact_pairs`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import ibis
import ibis.expr.types as ir
from ibis.expr.types import Table

from ever6.cohort.sources import latest_version
from ever6.engines import cache
from ever6.linkage.normalise import name_or_null, postcode_expr, sex_expr
from ever6.linkage.upn import compact_expr, upn_is_valid

# Placeholders case-management systems put where a name is not known.
PLACEHOLDER_NAMES = ("UNBORN", "BABY", "UNKNOWN", "NOTKNOWN", "UNNAMED", "TBC", "NK", "XX", "XXX")
EARLIEST_BIRTH = date(1990, 1, 1)

# (source table, field) pairs that carry a child's UPN.
UPN_SOURCES: tuple[tuple[str, str], ...] = (
    ("cm_identity", "upn"),
    ("cm_identity", "former_upn"),
    ("cin_child", "upn"),
    ("cin_child", "former_upn"),
    ("la_child", "upn"),
)


# The newest active batch's version of every record: the one rule, in ever6.cohort.sources.
current = latest_version


def _name(value: ir.StringValue) -> ir.StringValue:
    return name_or_null(value, PLACEHOLDER_NAMES)


def _birth(value: ir.DateValue, today: date) -> ir.DateValue:
    """A birth date usable for matching: not in the future and not absurdly old."""
    ok = value.notnull() & (value <= ibis.literal(today)) & (value >= ibis.literal(EARLIEST_BIRTH))
    return ibis.ifelse(ok, value, ibis.null("date"))


@dataclass(frozen=True)
class Sides:
    """Both sides of the linkage, normalised, as Ibis expressions on one engine."""

    children: Table  # la_child_id, forename, surname, birth_date, sex, postcode, raw_birth_date
    identifiers: Table  # la_child_id, source, field, raw, upn (compacted), valid
    pupils: Table  # upn, former_upn, urn, forename, surname, birth_date, sex, postcode, conflicting
    enrolments: Table  # upn, urn (distinct)
    pupil_upns: Table  # urn, field, raw, upn, valid: every UPN value the school data carry


def sides(raw: Mapping[str, Table], today: date, la_codes: Iterable[str]) -> Sides:
    codes = sorted(set(la_codes))
    # The current identities and rolls are materialised first (one row per child or enrolment, never
    # the marks): each is read by several of the sides below, whose compiles otherwise each
    # compiled its ranking of versions again (half of the sides' time on a small authority).
    cm = cache(current(raw, "cm_identity"))
    cin = cache(current(raw, "cin_child"))
    lac = cache(current(raw, "la_child"))

    ids = cm.select("la_child_id").union(cin.select("la_child_id")).union(lac.select("la_child_id")).distinct()
    c = ids.left_join(cm, "la_child_id").drop("la_child_id_right")
    c = c.left_join(cin.select("la_child_id", cin_birth="birth_date", cin_sex="sex"), "la_child_id").drop(
        "la_child_id_right"
    )
    c = c.left_join(lac.select("la_child_id", la_birth="birth_date", la_sex="sex"), "la_child_id").drop(
        "la_child_id_right"
    )
    raw_birth = c.birth_date.coalesce(c.cin_birth, c.la_birth)
    children = c.select(
        "la_child_id",
        forename=_name(c.forename),
        surname=_name(c.surname),
        surname_raw=c.surname,
        birth_date=_birth(raw_birth, today),
        sex=sex_expr(c.sex.coalesce(c.cin_sex, c.la_sex)),
        postcode=postcode_expr(c.postcode),
        raw_birth_date=raw_birth,
    )

    parts = []
    for table_name, fld in UPN_SOURCES:
        t = {"cm_identity": cm, "cin_child": cin, "la_child": lac}[table_name]
        parts.append(
            t.select("la_child_id", source=ibis.literal(table_name), field=ibis.literal(fld), raw=t[fld]).filter(
                lambda t: t.raw.notnull()
            )
        )
    idents = parts[0]
    for part in parts[1:]:
        idents = idents.union(part)
    idents = idents.mutate(upn=compact_expr(idents.raw))
    idents = idents.mutate(valid=upn_is_valid(idents.upn, codes))

    pe = cache(current(raw, "pupil_enrolment"))
    pe = pe.mutate(upn_c=compact_expr(pe.upn), former_c=compact_expr(pe.former_upn))
    pe = pe.mutate(former_ok=ibis.ifelse(upn_is_valid(pe.former_c, codes), pe.former_c, ibis.null("string")))
    pe = pe.filter(pe.upn_c.notnull())
    latest = pe.mutate(
        _rank=ibis.row_number().over(group_by="upn_c", order_by=[ibis.desc("entry_date"), ibis.desc("urn")])
    )
    latest = latest.filter(latest._rank == 0)
    per_upn = pe.group_by("upn_c").agg(
        any_former=pe.former_ok.max(),
        conflicting=(pe.birth_date.nunique() > 1) | (pe.sex.nunique() > 1),
    )
    p = latest.join(per_upn, "upn_c")
    pupils = p.select(
        upn=p.upn_c,
        former_upn=p.former_ok.coalesce(p.any_former),
        urn=p.urn,
        forename=_name(p.forename),
        surname=_name(p.surname),
        surname_raw=p.surname,
        birth_date=_birth(p.birth_date, today),
        sex=sex_expr(p.sex),
        postcode=postcode_expr(p.postcode),
        conflicting=p.conflicting,
    )
    enrolments = pe.select(upn=pe.upn_c, urn=pe.urn).distinct()
    pupil_upns = (
        pe.select("urn", field=ibis.literal("upn"), raw=pe.upn, upn=pe.upn_c)
        .union(
            pe.filter(pe.former_c.notnull()).select(
                "urn", field=ibis.literal("former_upn"), raw=pe.former_upn, upn=pe.former_c
            )
        )
        .distinct()
    )
    pupil_upns = pupil_upns.mutate(valid=upn_is_valid(pupil_upns.upn, codes))
    # Materialised once (a temporary table on DuckDB, a cached frame on Spark): every pass
    # reads them several times, and the normalising expressions are costly to repeat.
    return Sides(cache(children), cache(idents), cache(pupils), cache(enrolments), cache(pupil_upns))


LINK_COLUMNS = ("la_child_id", "upn", "method", "reason")


def _resolve(pairs: Table, method: str) -> Table:
    """One pupil per child: a candidate link (reason null), or every candidate to review."""
    # pairs are distinct, so a plain count is the number of pupils (Spark has no DISTINCT window).
    counted = pairs.mutate(_n=pairs.upn.count().over(group_by="la_child_id"))
    return counted.select(
        "la_child_id",
        "upn",
        method=ibis.literal(method),
        reason=ibis.ifelse(counted._n > 1, "conflicting_upns", ibis.null("string")),
    )


def upn_pairs(s: Sides, rejected: Table) -> Table:
    """UPN and former-UPN pairs ``la_child_id, upn, method, reason``; reason null: a candidate link.

    ``rejected`` holds ``la_child_id, upn`` pairs a data manager rejected: never proposed again.
    A child found by UPN is not looked for again by former UPN.
    """
    rej = rejected.select("la_child_id", "upn")
    ids = s.identifiers.filter(s.identifiers.valid)
    pupil_upn = s.pupils.select("upn")

    by_upn = ids.filter(ids.field == "upn").select("la_child_id", "upn").distinct()
    by_upn = by_upn.semi_join(pupil_upn, "upn").anti_join(rej, ["la_child_id", "upn"])
    first = _resolve(by_upn, "upn")
    done = first.select("la_child_id").distinct()

    own = ids.filter(ids.field == "upn").select("la_child_id", key="upn")
    former = ids.filter(ids.field == "former_upn").select("la_child_id", key="upn")
    pf = s.pupils.filter(s.pupils.former_upn.notnull())
    via_pupil_former = own.join(pf.select("upn", key="former_upn"), "key").select("la_child_id", "upn")
    via_child_former = former.join(s.pupils.select("upn", key="upn"), "key").select("la_child_id", "upn")
    by_former = via_pupil_former.union(via_child_former).distinct()
    by_former = by_former.anti_join(done, "la_child_id").anti_join(rej, ["la_child_id", "upn"])
    return first.union(_resolve(by_former, "former_upn"))


def exact_pairs(s: Sides, rejected: Table, done: Table, taken: Table) -> Table:
    """``exact_demographics`` pairs for the children not in ``done`` and pupils not in ``taken``.

    Normalised forename, surname, birth date and sex all equal, and the combination unique among
    the remaining children and among all pupils.
    """
    rej = rejected.select("la_child_id", "upn")
    key = ["forename", "surname", "birth_date", "sex"]
    c = s.children.anti_join(done.select("la_child_id"), "la_child_id")
    c = c.filter(c.forename.notnull() & c.surname.notnull() & c.birth_date.notnull() & c.sex.notnull())
    c = c.mutate(_n=c.la_child_id.count().over(group_by=key)).filter(lambda t: t._n == 1)
    p = s.pupils.filter(
        s.pupils.forename.notnull()
        & s.pupils.surname.notnull()
        & s.pupils.birth_date.notnull()
        & s.pupils.sex.notnull()
    )
    p = p.mutate(_n=p.upn.count().over(group_by=key)).filter(lambda t: t._n == 1).anti_join(taken.select("upn"), "upn")
    exact = c.select("la_child_id", *key).join(p.select("upn", *key), key).select("la_child_id", "upn")
    return exact.anti_join(rej, ["la_child_id", "upn"]).select(
        "la_child_id", "upn", method=ibis.literal("exact_demographics"), reason=ibis.null("string")
    )


def upn_only(s: Sides) -> Table:
    """The naive baseline: a child's recorded UPN (any source, unchecked) equals a pupil's UPN."""
    ids = s.identifiers.filter(s.identifiers.field == "upn").select("la_child_id", "upn").distinct()
    return ids.semi_join(s.pupils.select("upn"), "upn")
