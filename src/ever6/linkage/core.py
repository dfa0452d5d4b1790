"""``link``: children with a social worker to their school records, on DuckDB or Spark.

Pure: Ibis tables (bound to one engine) and the data manager's decisions in, Arrow tables out.
:mod:`ever6.linkage.commands` reads from and writes to the warehouse.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc
from ibis.expr.types import Table

from ever6.config import Engine
from ever6.linkage import probabilistic
from ever6.linkage.deterministic import Sides, current, exact_pairs, sides, upn_only, upn_pairs
from ever6.linkage.names import birth_date_agrees, forename_agrees
from ever6.linkage.settings import LinkageSettings
from ever6.linkage.upn import check_upn
from ever6.upn import la_codes as upn_la_codes

METHODS = ("upn", "former_upn", "exact_demographics", "probabilistic", "clerical")

LINKS_SCHEMA = pa.schema(
    [
        pa.field("la_child_id", pa.string()),
        pa.field("upn", pa.string()),
        pa.field("urn", pa.string()),
        pa.field("method", pa.string()),
        pa.field("match_probability", pa.float64()),
    ]
)
REVIEW_SCHEMA = pa.schema(
    [
        pa.field("la_child_id", pa.string()),
        pa.field("upn", pa.string()),
        pa.field("urn", pa.string()),
        pa.field("match_probability", pa.float64()),
        # upn_demographics_disagree, conflicting_upns, pupil_claimed_twice (a UPN candidate);
        # probabilistic, ambiguous, recorded_upn_differs (a demographic candidate)
        pa.field("reason", pa.string()),
        pa.field("candidate", pa.string()),  # upn: the child's recorded UPN; demographics: found by the model
        pa.field("rank", pa.int32()),  # 1 = shown first for this child
        # JSON [{"field", "level", "weight"}]: each compared field's agreement level and match weight
        pa.field("evidence", pa.string()),
    ]
)
STATUS_SCHEMA = pa.schema(
    [
        pa.field("la_child_id", pa.string()),
        pa.field("status", pa.string()),  # linked, review, unmatched
        pa.field("method", pa.string()),  # of the first link; null unless linked
        pa.field("reason", pa.string()),  # why not linked: no_upn, invalid_upn, no_candidate, below_threshold,
        # awaiting_review, rejected, upn_of_another_child
        pa.field("best_probability", pa.float64()),
    ]
)
ISSUE_SCHEMA = pa.schema(
    [
        pa.field("kind", pa.string()),  # invalid_upn, future_birth_date, no_name, duplicate_id, pupil_upn_conflict,
        # upn_of_another_child
        pa.field("source_table", pa.string()),
        pa.field("la_child_id", pa.string()),
        pa.field("urn", pa.string()),
        pa.field("field", pa.string()),
        pa.field("value", pa.string()),
        pa.field("problem", pa.string()),
    ]
)
DECISION_COLUMNS = ("la_child_id", "urn", "upn", "decision")


@dataclass(frozen=True)
class LinkResult:
    links: pa.Table  # LINKS_SCHEMA: one row per child x enrolment URN
    review: pa.Table  # REVIEW_SCHEMA: pairs awaiting a data manager's decision
    status: pa.Table  # STATUS_SCHEMA: one row per child
    issues: pa.Table  # ISSUE_SCHEMA: the data-quality report
    model: dict[str, Any]  # the Splink model used (trained now, or the one passed in); {} when none
    trained: bool  # True when the model was trained by this run
    baseline: pa.Table = field(default_factory=lambda: pa.table({"la_child_id": [], "upn": []}))  # UPN-only pairs
    counts: dict[str, int] = field(default_factory=dict)
    # Why the probabilistic pass did not run (the model could not be trained), or None.
    probabilistic_skipped: str | None = None


# The raw tables linkage reads (with ``import_batch``).
INPUT_TABLES = ("cm_identity", "cin_child", "la_child", "pupil_enrolment", "establishment", "import_batch")


def spark_inputs(spark_session: Any, raw: Mapping[str, Table]) -> dict[str, Table]:
    """The tables linkage needs, copied from any engine to Spark views."""
    from ever6.engines import spark_tables

    return spark_tables(spark_session, {name: raw[name].to_pyarrow() for name in INPUT_TABLES})


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return table.to_pylist()  # type: ignore[no-any-return]


def _db_api(engine: Engine, spark_session: Any) -> Any:
    from ever6.engines import engine_for

    return engine_for(engine).splink_api(spark_session)


def _decision_pairs(decisions: pa.Table | None) -> tuple[set[tuple[str, str]], dict[tuple[str, str], float | None]]:
    """Rejected pairs, and accepted pairs with the probability shown when accepted."""
    rejected: set[tuple[str, str]] = set()
    accepted: dict[tuple[str, str], float | None] = {}
    if decisions is None:
        return rejected, accepted
    for row in _rows(decisions):
        pair = (str(row["la_child_id"]), str(row["upn"]))
        if row["decision"] == "reject":
            rejected.add(pair)
            accepted.pop(pair, None)
        elif row["decision"] == "accept":
            accepted[pair] = row.get("match_probability")
            rejected.discard(pair)
    return rejected, accepted


def _issues(
    raw: Mapping[str, Table], s: Sides, today: date, la_codes: frozenset[str], others: list[tuple[str, str]]
) -> pa.Table:
    out: list[dict[str, Any]] = []

    def add(
        kind: str, source: str, child: str | None, urn: str | None, fld: str | None, value: Any, problem: str
    ) -> None:
        out.append(
            {
                "kind": kind,
                "source_table": source,
                "la_child_id": child,
                "urn": urn,
                "field": fld,
                "value": None if value is None else str(value),
                "problem": problem,
            }
        )

    ids = s.identifiers
    for r in _rows(ids.filter(~ids.valid).to_pyarrow()):
        add(
            "invalid_upn",
            r["source"],
            r["la_child_id"],
            None,
            r["field"],
            r["raw"],
            str(check_upn(r["raw"], la_codes).problem),
        )
    pu = s.pupil_upns
    for r in _rows(pu.filter(~pu.valid).to_pyarrow()):
        add(
            "invalid_upn",
            "pupil_enrolment",
            None,
            r["urn"],
            r["field"],
            r["raw"],
            str(check_upn(r["raw"], la_codes).problem),
        )
    c = s.children
    future = c.filter(c.raw_birth_date > ibis.literal(today)).select("la_child_id", "raw_birth_date")
    for r in _rows(future.to_pyarrow()):
        add(
            "future_birth_date",
            "case_management",
            r["la_child_id"],
            None,
            "birth_date",
            r["raw_birth_date"],
            "after today",
        )
    cm = current(raw, "cm_identity").select("la_child_id")
    nameless = c.filter(c.forename.isnull() & c.surname.isnull()).semi_join(cm, "la_child_id").select("la_child_id")
    for r in _rows(nameless.to_pyarrow()):
        add("no_name", "cm_identity", r["la_child_id"], None, "forename,surname", None, "no usable name")
    for name in ("cm_identity", "cin_child", "la_child"):
        t = raw[name]
        dup = t.group_by("batch_id", "la_child_id").agg(n=t.count()).filter(lambda x: x.n > 1)
        for r in _rows(dup.to_pyarrow()):
            add(
                "duplicate_id",
                name,
                r["la_child_id"],
                None,
                "la_child_id",
                r["n"],
                f"{r['n']} rows in batch {r['batch_id']}",
            )
    p = s.pupils
    for r in _rows(p.filter(p.conflicting).select("upn", "urn").to_pyarrow()):
        add(
            "pupil_upn_conflict",
            "pupil_enrolment",
            None,
            r["urn"],
            "upn",
            r["upn"],
            "one UPN, different birth dates or sex",
        )
    for child, upn in others:
        add(
            "upn_of_another_child",
            "social_care",
            child,
            None,
            "upn",
            upn,
            "a valid UPN whose pupil record is another child's (the names or birth date disagree)",
        )
    return pa.Table.from_pylist(out, schema=ISSUE_SCHEMA)


MAX_CANDIDATES = 3  # per child in the review queue
CANDIDATE_FLOOR = 0.1  # a demographic match below this is not worth a data manager's look


def _check_upn_pairs(
    rows: list[dict[str, Any]], child: Mapping[str, dict[str, Any]], pupil: Mapping[str, dict[str, Any]]
) -> tuple[dict[str, list[tuple[str, str]]], dict[str, list[tuple[str, str]]]]:
    """UPN pairs: the children's UPN candidates for review, and the claims ``(child, method)`` on each pupil.

    A pair claims its pupil only when the person agrees: the birth date (or day and month
    swapped) and the forename (or a typo, a nickname, another spelling, the names swapped, or
    the first three letters when the sex agrees). A sibling's or another pupil's valid UPN fails
    here and the child goes on to the later passes with the pupil as a candidate for review.
    """
    candidates: dict[str, list[tuple[str, str]]] = defaultdict(list)
    claims: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in rows:
        cid, upn = r["la_child_id"], r["upn"]
        if r["reason"] is not None:
            candidates[cid].append((upn, r["reason"]))
            continue
        c, p = child[cid], pupil[upn]
        same_sex = c["sex"] is not None and c["sex"] == p["sex"]
        agrees = birth_date_agrees(c["birth_date"], p["birth_date"]) and forename_agrees(
            c["forename"], c["surname"], p["forename"], p["surname"], same_sex=same_sex
        )
        if agrees:
            claims[upn].append((cid, r["method"]))
        else:
            candidates[cid].append((upn, "upn_demographics_disagree"))
    return candidates, claims


def _agreeing_fields(c: Mapping[str, Any], p: Mapping[str, Any]) -> float:
    """Without a model, a claim's strength: the number of identity fields that agree."""
    return float(sum(c[f] is not None and c[f] == p[f] for f in IDENTITY))


def _assign(
    best: Mapping[str, list[tuple[float, str, str | None]]], taken: set[str], accept: float
) -> list[tuple[str, str, float]]:
    """Probabilistic links, one child per pupil (``best``: each child's pairs, best first).

    A child proposes its best pupil not yet taken when it is at ``accept`` and no other pupil
    left is. Where two children propose one pupil, the better score wins; a tie links neither.
    Children whose pupil was taken propose again from what is left, until nothing changes.
    """
    taken = set(taken)
    linked: dict[str, tuple[str, float]] = {}
    contested: set[str] = set()
    while True:
        proposals: dict[str, list[tuple[float, str]]] = defaultdict(list)
        for child, cands in best.items():
            if child in linked:
                continue
            left = [(p, u) for p, u, _ in cands if u not in taken and u not in contested]
            if left and left[0][0] >= accept and (len(left) < 2 or left[1][0] < accept):
                proposals[left[0][1]].append((left[0][0], child))
        if not proposals:
            break
        for upn, offers in proposals.items():
            offers.sort(key=lambda t: (-t[0], t[1]))
            if len(offers) > 1 and offers[0][0] == offers[1][0]:
                contested.add(upn)  # two children equally likely: neither is linked
                continue
            prob, child = offers[0]
            linked[child] = (upn, prob)
            taken.add(upn)
    return [(child, upn, prob) for child, (upn, prob) in sorted(linked.items())]


IDENTITY = ("forename", "surname", "birth_date", "sex", "postcode")


def link(
    raw: Mapping[str, Table],
    settings: LinkageSettings | None = None,
    *,
    engine: Engine = "duckdb",
    spark_session: Any = None,
    decisions: pa.Table | None = None,
    model: dict[str, Any] | None = None,
    today: date | None = None,
) -> LinkResult:
    """Link every child (case management, CIN census, SSDA903) to pupil enrolments.

    ``raw`` maps the canonical table names and ``import_batch`` to Ibis tables bound to
    ``engine`` (``Warehouse.raw_tables()``, or :func:`ever6.engines.spark_tables`). ``decisions``
    are the data manager's (``la_child_id, urn, upn, decision`` with decision ``accept`` /
    ``reject``, optionally ``match_probability``); ``model`` is a Splink model dictionary, trained
    here when None. ``today`` bounds plausible birth dates.
    """
    settings = settings or LinkageSettings()
    today = today or date.today()
    la_codes = upn_la_codes(settings.extra_la_codes)
    s = sides(raw, today, la_codes)
    rejected, accepted = _decision_pairs(decisions)

    rej_schema = {"la_child_id": "string", "upn": "string"}
    rej_table = ibis.memtable(
        {"la_child_id": [p[0] for p in rejected], "upn": [p[1] for p in rejected]}, schema=rej_schema
    )
    children = s.children.to_pyarrow()
    pupils = s.pupils.to_pyarrow()
    enrolments = s.enrolments.to_pyarrow()
    identifiers = s.identifiers.select("la_child_id", "field", "valid").to_pyarrow()
    child_ids = children["la_child_id"].to_pylist()
    has_demo = pc.or_(
        pc.is_valid(children["birth_date"]),
        pc.and_(pc.is_valid(children["forename"]), pc.is_valid(children["surname"])),
    )

    # The model first: it scores the UPN pairs as well as the demographic ones.
    child_features = probabilistic.features(children, "la_child_id")
    pupil_features = probabilistic.features(pupils, "upn")
    trained = model is None
    skipped: str | None = None
    if model is None:
        model, skipped = probabilistic.train_or_skip(
            _db_api(engine, spark_session),
            child_features.filter(has_demo),
            pupil_features,
            settings,
        )
        trained = model is not None

    pairs: dict[tuple[str, str], tuple[str, float | None]] = {}  # (child, upn) -> (method, probability)
    for key, prob in accepted.items():
        pairs[key] = ("clerical", prob)
    clerical_children = {c for c, _ in accepted}

    # 1-2. UPN and former UPN: a candidate link only when the person agrees, one child per pupil.
    upn_rows = [r for r in _rows(upn_pairs(s, rej_table).to_pyarrow()) if r["la_child_id"] not in clerical_children]
    wanted = {r["la_child_id"] for r in upn_rows}
    child_of = {
        r["la_child_id"]: r
        for r in children.select(["la_child_id", *IDENTITY]).to_pylist()
        if r["la_child_id"] in wanted
    }
    wanted_upns = {r["upn"] for r in upn_rows}
    pupil_of = {r["upn"]: r for r in pupils.select(["upn", *IDENTITY]).to_pylist() if r["upn"] in wanted_upns}
    upn_candidates, claimed = _check_upn_pairs(upn_rows, child_of, pupil_of)
    # Scored by the model: the pairs for review (their evidence) and the claims on a pupil two
    # children make (the better wins). A pupil claimed once needs no score.
    to_score = {(c, u) for c, found in upn_candidates.items() for u, _ in found}
    to_score |= {(c, u) for u, found in claimed.items() if len(found) > 1 for c, _ in found}
    scores: dict[tuple[str, str], tuple[float, str | None]] = {}
    if model is not None and to_score:
        scored_upn = probabilistic.score_pairs(
            _db_api(engine, spark_session), child_features, pupil_features, sorted(to_score), model
        )
        for r in _rows(scored_upn):
            scores[(r["la_child_id"], r["upn"])] = (r["match_probability"], r["evidence"])
    claims = {
        u: [
            (c, m, scores[(c, u)][0] if (c, u) in scores else _agreeing_fields(child_of[c], pupil_of[u]))
            for c, m in found
        ]
        for u, found in claimed.items()
    }
    person = {c: (r["forename"], r["surname"], r["birth_date"], r["sex"]) for c, r in child_of.items()}
    taken_by: dict[str, str] = {u: c for (c, u) in pairs}  # pupil -> the child linked to it
    for upn, claimants in sorted(claims.items()):
        if upn in taken_by:
            for child, _, _ in claimants:
                upn_candidates[child].append((upn, "pupil_claimed_twice"))
            continue
        # Records of one person under two ids (a re-referral given a new id) are not two
        # children: identical names, birth date and sex claim the pupil together.
        groups: dict[tuple[Any, ...], list[tuple[str, str, float]]] = defaultdict(list)
        for claim in claimants:
            groups[person[claim[0]]].append(claim)
        by_strength = sorted(groups.values(), key=lambda g: (-max(t[2] for t in g), min(t[0] for t in g)))
        top = max(t[2] for t in by_strength[0])
        if len(by_strength) == 1 or top > max(t[2] for t in by_strength[1]):
            for child, method, _ in by_strength[0]:
                pairs[(child, upn)] = (method, 1.0)
            taken_by[upn] = by_strength[0][0][0]
            losers = [t for g in by_strength[1:] for t in g]
        else:
            losers = [t for g in by_strength for t in g]
        for child, _, _ in losers:
            upn_candidates[child].append((upn, "pupil_claimed_twice"))

    # 3. Exact demographics, on the children and pupils the links so far left.
    linked_children = {c for c, _ in pairs}
    done = ibis.memtable({"la_child_id": sorted(linked_children)}, schema={"la_child_id": "string"})
    taken = ibis.memtable({"upn": sorted(taken_by)}, schema={"upn": "string"})
    for r in _rows(exact_pairs(s, rej_table, done, taken).to_pyarrow()):
        pairs[(r["la_child_id"], r["upn"])] = ("exact_demographics", 1.0)
        taken_by[r["upn"]] = r["la_child_id"]
        linked_children.add(r["la_child_id"])

    # 4. The model, on the children and pupils left (a child whose UPN pupil disagreed is among them).
    keep_c = pc.and_(has_demo, pa.array([cid not in linked_children for cid in child_ids], pa.bool_()))
    keep_p = pa.array([u not in taken_by for u in pupils["upn"].to_pylist()], pa.bool_())
    if model is None:
        # The deterministic passes stand alone; the reason goes to the output and the report.
        scored = probabilistic.no_scores()
    else:
        # A fresh database for scoring: Splink caches term-frequency tables per database, and
        # scoring must not depend on whether this run trained (same model, same links).
        scored = probabilistic.score(
            _db_api(engine, spark_session),
            child_features.filter(keep_c),
            pupil_features.filter(keep_p),
            model,
            settings.floor,
        )
    best: dict[str, list[tuple[float, str, str | None]]] = defaultdict(list)
    for r in _rows(scored):
        if (r["la_child_id"], r["upn"]) in rejected:
            continue
        best[r["la_child_id"]].append((round(r["match_probability"], 9), r["upn"], r["evidence"]))
    for ranked in best.values():
        ranked.sort(key=lambda t: (-t[0], t[1]))
    # A child whose recorded valid UPN is no pupil's (a school outside the data) is not linked by
    # the model to a pupil with another UPN: the record says it is someone else. Review decides.
    upn_elsewhere = {r["la_child_id"] for r in _rows(identifiers) if r["field"] == "upn" and r["valid"]} - {
        r["la_child_id"] for r in upn_rows
    }
    free = {child: ranked for child, ranked in best.items() if child not in upn_elsewhere}
    for child, upn, prob in _assign(free, set(taken_by), settings.accept):
        pairs[(child, upn)] = ("probabilistic", prob)
        taken_by[upn] = child
        linked_children.add(child)

    # Review: each child not linked with a UPN candidate or a pair at review level, up to three
    # candidates (the UPN pupil first, then the best demographic matches), with the evidence.
    review: dict[tuple[str, str], tuple[float | None, str, str, str | None]] = {}
    # (child, UPN) where the UPN is another child's: to fix at source, whether or not the
    # child was linked to their own record.
    others = sorted(
        (child, upn) for child, found in upn_candidates.items() for upn, _ in found if taken_by.get(upn, child) != child
    )
    best_probability: dict[str, float] = {}
    for child in child_ids:
        if child in linked_children:
            continue
        cands: list[tuple[str, float | None, str, str, str | None]] = []  # upn, p, reason, candidate, evidence
        for upn, why in upn_candidates.get(child, []):
            if upn in taken_by:
                continue
            prob, evidence = scores.get((child, upn), (None, None))
            cands.append((upn, prob, why, "upn", evidence))
        demographic = [t for t in best.get(child, []) if t[1] not in taken_by]
        if demographic:
            best_probability[child] = demographic[0][0]
        if not cands and not (demographic and demographic[0][0] >= settings.review):
            continue
        ambiguous = len(demographic) > 1 and demographic[1][0] >= settings.accept
        why_demographic = (
            "recorded_upn_differs" if child in upn_elsewhere else "ambiguous" if ambiguous else "probabilistic"
        )
        shown = {u for u, *_ in cands}
        for prob, upn, evidence in demographic:
            if len(cands) >= MAX_CANDIDATES:
                break
            if upn not in shown and prob >= min(settings.review, CANDIDATE_FLOOR):
                cands.append((upn, prob, why_demographic, "demographics", evidence))
        for upn, prob, why, kind, evidence in cands[:MAX_CANDIDATES]:
            review[(child, upn)] = (prob, why, kind, evidence)

    # Enrolments: every URN a linked UPN has; the review queue shows the latest one.
    urns: dict[str, list[str]] = defaultdict(list)
    for r in _rows(enrolments):
        urns[r["upn"]].append(r["urn"])
    latest_urn = dict(zip(pupils["upn"].to_pylist(), pupils["urn"].to_pylist(), strict=True))
    link_rows = [
        {"la_child_id": c, "upn": u, "urn": urn, "method": m, "match_probability": p}
        for (c, u), (m, p) in pairs.items()
        for urn in sorted(set(urns.get(u, [])))
    ]
    links = pa.Table.from_pylist(link_rows, schema=LINKS_SCHEMA).sort_by(
        [("la_child_id", "ascending"), ("upn", "ascending"), ("urn", "ascending")]
    )
    rank: dict[str, int] = defaultdict(int)
    review_rows = []
    for (c, u), (p, reason, kind, evidence) in review.items():
        rank[c] += 1
        review_rows.append(
            {
                "la_child_id": c,
                "upn": u,
                "urn": latest_urn.get(u),
                "match_probability": p,
                "reason": reason,
                "candidate": kind,
                "rank": rank[c],
                "evidence": evidence,
            }
        )
    review_table = pa.Table.from_pylist(review_rows, schema=REVIEW_SCHEMA).sort_by(
        [("la_child_id", "ascending"), ("upn", "ascending")]
    )

    valid_upn: set[str] = set()
    any_upn: set[str] = set()
    for r in _rows(identifiers):
        if r["field"] == "upn" or r["field"] == "former_upn":
            any_upn.add(r["la_child_id"])
            if r["valid"]:
                valid_upn.add(r["la_child_id"])
    method_of: dict[str, str] = {}
    for (c, _), (m, _) in sorted(pairs.items(), key=lambda kv: METHODS.index(kv[1][0])):
        method_of.setdefault(c, m)
    in_review = {c for c, _ in review}
    rejected_children = {c for c, _ in rejected}
    other_upn = {c for c, _ in others}
    status_rows: list[tuple[str, str, str | None, str | None]] = []
    for child in child_ids:
        if child in method_of:
            status_rows.append((child, "linked", method_of[child], None))
            continue
        if child in in_review:
            reason = "awaiting_review"
        elif child in best_probability:
            reason = "below_threshold"
        elif child in rejected_children:
            reason = "rejected"
        elif child in other_upn:
            reason = "upn_of_another_child"
        elif child in valid_upn:
            reason = "no_candidate"
        elif child in any_upn:
            reason = "invalid_upn"
        else:
            reason = "no_upn"
        status_rows.append((child, "review" if child in in_review else "unmatched", None, reason))
    status = pa.Table.from_pylist(
        [
            {"la_child_id": c, "status": st, "method": m, "reason": reason, "best_probability": best_probability.get(c)}
            for c, st, m, reason in status_rows
        ],
        schema=STATUS_SCHEMA,
    ).sort_by("la_child_id")

    baseline = upn_only(s).to_pyarrow()
    counts = {
        "children": len(child_ids),
        "pupils": pupils.num_rows,
        "linked_children": len(method_of),
        "review_pairs": review_table.num_rows,
        "scored_pairs": scored.num_rows,
        **{f"method_{m}": sum(1 for v in method_of.values() if v == m) for m in METHODS},
    }
    return LinkResult(
        links=links,
        review=review_table,
        status=status,
        issues=_issues(raw, s, today, la_codes, others),
        model=model or {},
        trained=trained,
        baseline=baseline,
        counts=counts,
        probabilistic_skipped=skipped,
    )
