"""The clerical review queue: pairs the model could not decide, and the data manager's decisions.

Each child in the queue comes with up to three candidate pupils: the pupil of the UPN the child's
record carries (when its names or birth date disagree, or another child claims it), then the best
demographic matches, each with its evidence (every compared field's level and match weight). A
pair (a child and a pupil record, shown side by side) is accepted or rejected with a reason;
accepting one candidate rejects the child's other candidates. The decision is stored in
``link_decision`` keyed by (la_child_id, urn, upn) and takes effect at once in the stored
links, and again at every later run: an accepted pair is linked (method ``clerical``)
whatever the passes find, a rejected pair is never linked or proposed again.

Pupil-level rows: only the data manager sees this queue (``docs/domain.md`` section 1); the CLI
should audit each listing.
"""

from __future__ import annotations

import json
from typing import Any

import ibis
import pyarrow as pa

from ever6.linkage.deterministic import current
from ever6.warehouse import Warehouse
from ever6.warehouse.linkage_store import Decision, DecisionError, LinkageStore

IDENTITY = ("forename", "surname", "birth_date", "sex", "postcode")
# The model's comparison names -> the identity field each compares.
_COMPARED_FIELD = {"dob": "birth_date"}


def evidence(text: str | None) -> list[dict[str, Any]]:
    """A queue row's evidence as ``[{"field", "level", "weight"}]`` (``field`` an identity field,
    ``weight`` the match weight, log2 of the Bayes factor: positive for, negative against);
    empty when the pair was not scored (no model)."""
    if not text:
        return []
    return [
        {"field": _COMPARED_FIELD.get(str(e["field"]), str(e["field"])), "level": e["level"], "weight": e["weight"]}
        for e in json.loads(text)
    ]


def describe_evidence(text: str | None) -> str:
    """The evidence in one line: ``forename exact +6.0, birth_date disagrees -9.1, ...``."""
    return ", ".join(f"{e['field']} {e['level']} {e['weight']:+.1f}" for e in evidence(text))


def review_queue(warehouse: Warehouse, *, include_decided: bool = False) -> pa.Table:
    """Pairs awaiting a decision, each with the child's and the pupil's identity side by side.

    Columns: ``la_child_id, upn, urn, match_probability, reason, candidate, rank, evidence``
    then ``child_*`` and ``pupil_*`` for forename, surname, birth_date, sex, postcode. Children
    best-scoring first, each child's candidates in order (``rank``).
    """
    store = LinkageStore(warehouse)
    queue = store.table("link_review")
    if not include_decided:
        decided = {(r["la_child_id"], r["upn"]) for r in store.decisions().to_pylist()}
        keep = pa.array(
            [
                (c, u) not in decided
                for c, u in zip(queue["la_child_id"].to_pylist(), queue["upn"].to_pylist(), strict=True)
            ],
            pa.bool_(),
        )
        queue = queue.filter(keep)
    raw = warehouse.raw_tables()
    cm = current(raw, "cm_identity").select("la_child_id", *[ibis._[c].name(f"child_{c}") for c in IDENTITY])
    pe = current(raw, "pupil_enrolment")
    pe = pe.mutate(_r=ibis.row_number().over(group_by="upn", order_by=ibis.desc("entry_date")))
    pupils = pe.filter(pe._r == 0).select("upn", *[pe[c].name(f"pupil_{c}") for c in IDENTITY])
    q = ibis.memtable(queue)
    out = q.left_join(cm, "la_child_id").drop("la_child_id_right").left_join(pupils, "upn").drop("upn_right")
    best = out.match_probability.max().over(group_by="la_child_id")
    out = out.mutate(_best=best.fill_null(-1.0))
    out = out.order_by([ibis.desc("_best"), "la_child_id", "rank", "upn"]).drop("_best")
    return out.to_pyarrow()


def _urn_for(store: LinkageStore, warehouse: Warehouse, la_child_id: str, upn: str) -> tuple[str, float | None]:
    row = store.con.execute(
        "SELECT urn, match_probability FROM link_review WHERE la_child_id = ? AND upn = ? LIMIT 1", [la_child_id, upn]
    ).fetchone()
    if row and row[0]:
        return str(row[0]), row[1]
    row = store.con.execute(
        "SELECT urn, match_probability FROM link WHERE la_child_id = ? AND upn = ? ORDER BY urn LIMIT 1",
        [la_child_id, upn],
    ).fetchone()
    if row:
        return str(row[0]), row[1]
    row = warehouse.con.execute(
        "SELECT urn FROM pupil_enrolment WHERE upn = ? ORDER BY entry_date DESC LIMIT 1", [upn]
    ).fetchone()
    if row:
        return str(row[0]), None
    raise DecisionError(f"there is no pupil record with UPN {upn}")


def decide(
    warehouse: Warehouse,
    la_child_id: str,
    upn: str,
    decision: str,
    reason: str,
    *,
    urn: str | None = None,
    who: str | None = None,
) -> Decision:
    """Accept or reject the pair (child, pupil UPN) with a reason; applied to the stored links now.

    ``urn`` defaults to the school of the pair in the queue (or the pupil's latest enrolment).
    Accepting a pair rejects the child's other candidates in the queue (each decision recorded).
    """
    store = LinkageStore(warehouse)
    found_urn, probability = _urn_for(store, warehouse, la_child_id, upn)
    made = store.decide(la_child_id, urn or found_urn, upn, decision, reason, who=who, match_probability=probability)
    others = []
    if made.decision == "accept":
        others = store.con.execute(
            "SELECT upn, urn, match_probability FROM link_review WHERE la_child_id = ? AND upn <> ? ORDER BY upn",
            [la_child_id, upn],
        ).fetchall()
    _apply(store, warehouse, made)
    for other_upn, other_urn, other_probability in others:
        rejected = store.decide(
            la_child_id,
            other_urn or found_urn,
            other_upn,
            "reject",
            f"another candidate accepted (UPN {upn}): {made.reason}",
            who=made.decided_by,
            match_probability=other_probability,
        )
        _apply(store, warehouse, rejected)
    return made


def _apply(store: LinkageStore, warehouse: Warehouse, d: Decision) -> None:
    con = store.con
    con.begin()
    try:
        con.execute("DELETE FROM link_review WHERE la_child_id = ? AND upn = ?", [d.la_child_id, d.upn])
        con.execute("DELETE FROM link WHERE la_child_id = ? AND upn = ?", [d.la_child_id, d.upn])
        if d.decision == "accept":
            con.execute(
                "INSERT INTO link SELECT DISTINCT ?, upn, urn, 'clerical', ? FROM pupil_enrolment WHERE upn = ?",
                [d.la_child_id, d.match_probability, d.upn],
            )
        linked: Any = con.execute("SELECT min(method) FROM link WHERE la_child_id = ?", [d.la_child_id]).fetchone()
        waiting: Any = con.execute("SELECT count(*) FROM link_review WHERE la_child_id = ?", [d.la_child_id]).fetchone()
        if linked[0] is not None:
            status, method, why = "linked", ("clerical" if d.decision == "accept" else linked[0]), None
        elif waiting[0]:
            status, method, why = "review", None, "awaiting_review"
        else:
            status, method, why = "unmatched", None, "rejected"
        con.execute(
            "UPDATE link_status SET status = ?, method = ?, reason = ? WHERE la_child_id = ?",
            [status, method, why, d.la_child_id],
        )
    except BaseException:
        con.rollback()
        raise
    con.commit()
