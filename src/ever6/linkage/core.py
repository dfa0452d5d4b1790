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
from ever6.linkage.deterministic import Sides, current, deterministic, sides, upn_only
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
        pa.field("reason", pa.string()),
    ]
)
STATUS_SCHEMA = pa.schema(
    [
        pa.field("la_child_id", pa.string()),
        pa.field("status", pa.string()),  # linked, review, unmatched
        pa.field("method", pa.string()),  # of the first link; null unless linked
        pa.field("reason", pa.string()),  # why not linked: no_upn, invalid_upn, no_candidate, below_threshold,
        # awaiting_review, rejected
        pa.field("best_probability", pa.float64()),
    ]
)
ISSUE_SCHEMA = pa.schema(
    [
        pa.field("kind", pa.string()),  # invalid_upn, future_birth_date, no_name, duplicate_id, pupil_upn_conflict
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


def _issues(raw: Mapping[str, Table], s: Sides, today: date, la_codes: frozenset[str]) -> pa.Table:
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
    return pa.Table.from_pylist(out, schema=ISSUE_SCHEMA)


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
    det = _rows(deterministic(s, rej_table).to_pyarrow())
    children = s.children.to_pyarrow()
    pupils = s.pupils.to_pyarrow()
    enrolments = s.enrolments.to_pyarrow()
    identifiers = s.identifiers.select("la_child_id", "field", "valid").to_pyarrow()

    pairs: dict[tuple[str, str], tuple[str, float | None]] = {}  # (child, upn) -> (method, probability)
    review: dict[tuple[str, str], tuple[float | None, str]] = {}
    for r in det:
        key = (r["la_child_id"], r["upn"])
        if r["reason"] is None:
            pairs[key] = (r["method"], 1.0)
        else:
            review[key] = (None, r["reason"])
    for key, prob in accepted.items():
        pairs[key] = ("clerical", prob)
        review.pop(key, None)

    decided_children = {k[0] for k in pairs} | {k[0] for k in review}
    taken_upns = {k[1] for k in pairs}
    child_ids = children["la_child_id"].to_pylist()
    has_demo = pc.or_(
        pc.is_valid(children["birth_date"]),
        pc.and_(pc.is_valid(children["forename"]), pc.is_valid(children["surname"])),
    )
    keep_c = pc.and_(has_demo, pa.array([cid not in decided_children for cid in child_ids], pa.bool_()))
    keep_p = pa.array([u not in taken_upns for u in pupils["upn"].to_pylist()], pa.bool_())
    remaining_children = probabilistic.features(children.filter(keep_c), "la_child_id")
    remaining_pupils = probabilistic.features(pupils.filter(keep_p), "upn")

    trained = model is None
    skipped: str | None = None
    if model is None:
        model, skipped = probabilistic.train_or_skip(
            _db_api(engine, spark_session),
            probabilistic.features(children.filter(has_demo), "la_child_id"),
            probabilistic.features(pupils, "upn"),
            settings,
        )
        trained = model is not None
    if model is None:
        # The deterministic passes stand alone; the reason goes to the output and the report.
        scored = probabilistic.no_scores()
    else:
        # A fresh database for scoring: Splink caches term-frequency tables per database, and
        # scoring must not depend on whether this run trained (same model, same links).
        scored = probabilistic.score(
            _db_api(engine, spark_session), remaining_children, remaining_pupils, model, settings.floor
        )

    best: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for r in _rows(scored):
        if (r["la_child_id"], r["upn"]) in rejected:
            continue
        best[r["la_child_id"]].append((round(r["match_probability"], 9), r["upn"]))
    claims: dict[str, int] = defaultdict(int)  # pupil -> children with an accept-level pair to it
    for cands in best.values():
        cands.sort(key=lambda t: (-t[0], t[1]))
        for prob, upn in cands:
            if prob >= settings.accept:
                claims[upn] += 1
    best_probability: dict[str, float] = {}
    for child, cands in best.items():
        top_prob, top_upn = cands[0]
        best_probability[child] = top_prob
        second = cands[1][0] if len(cands) > 1 else 0.0
        if top_prob >= settings.accept and second < settings.accept and claims[top_upn] == 1:
            pairs[(child, top_upn)] = ("probabilistic", top_prob)
        elif top_prob >= settings.review:
            reason = "probabilistic" if top_prob < settings.accept else "ambiguous"
            for prob, upn in cands[:3]:
                if prob >= settings.review:
                    review[(child, upn)] = (prob, reason)

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
    review_rows = [
        {"la_child_id": c, "upn": u, "urn": latest_urn.get(u), "match_probability": p, "reason": reason}
        for (c, u), (p, reason) in review.items()
    ]
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
        issues=_issues(raw, s, today, la_codes),
        model=model or {},
        trained=trained,
        baseline=baseline,
        counts=counts,
        probabilistic_skipped=skipped,
    )
