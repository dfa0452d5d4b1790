"""What ``ever6 link`` does, as plain functions over the warehouse (the CLI is a thin layer).

* :func:`run_linkage` (``ever6 link``): link, store links / review queue / status / data-quality
  issues, and save the model as ``linkage_model.json`` beside the warehouse;
* :func:`ever6.linkage.review.review_queue` and :func:`ever6.linkage.review.decide`
  (``ever6 link review`` list / accept / reject);
* :func:`export_links` (``ever6 link export --out FILE.csv``);
* :func:`ever6.linkage.report.match_report` (the match report).
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from ever6.config import Engine
from ever6.engines import engine_for
from ever6.exports import write_csv
from ever6.linkage.core import INPUT_TABLES, LinkResult, link
from ever6.linkage.probabilistic import MODEL_VERSION
from ever6.linkage.settings import LinkageSettings
from ever6.warehouse import Warehouse
from ever6.warehouse.linkage_store import LinkageStore

MODEL_FILE = "linkage_model.json"
EXPORT_COLUMNS = ("la_child_id", "upn", "urn", "method", "match_probability")


def model_path(warehouse: Warehouse) -> Path:
    """``$EVER6_HOME/linkage_model.json``: beside the warehouse file."""
    return warehouse.path.parent / MODEL_FILE


def load_model(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a Splink model")
    return data


def save_model(model: dict[str, Any], path: Path) -> None:
    """Write the model atomically (a half-written model is never read back)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".linkage_model.", suffix=".json", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(model, fh, indent=2, sort_keys=True)
        fh.write("\n")
    os.replace(tmp, path)


def run_linkage(
    warehouse: Warehouse,
    settings: LinkageSettings | None = None,
    *,
    engine: Engine = "duckdb",
    spark_session: Any = None,
    retrain: bool = False,
    model_file: Path | None = None,
    today: date | None = None,
) -> LinkResult:
    """Link the warehouse's children to pupil records and store the results.

    The saved model is reused unless ``retrain`` (or there is none yet); a newly trained model
    is saved. The data manager's decisions are applied. On Spark the warehouse's tables are
    copied to Spark views first (``ever6.engines.spark_tables``).
    """
    store = LinkageStore(warehouse)
    path = model_file or model_path(warehouse)
    model = None if retrain else load_model(path)
    if model is not None and model.get("ever6_model_version") != MODEL_VERSION:
        model = None  # saved for other comparisons (an older version of ever6): trained again
    raw: Any = warehouse.raw_tables()
    raw = engine_for(engine).adopt({name: raw[name] for name in INPUT_TABLES}, spark_session)
    result = link(
        raw, settings, engine=engine, spark_session=spark_session, decisions=store.decisions(), model=model, today=today
    )
    if result.trained:
        save_model(result.model, path)
    store.replace(
        {"link": result.links, "link_review": result.review, "link_status": result.status, "link_issue": result.issues},
        engine=engine,
        trained=result.trained,
        counts=json.dumps(result.counts, sort_keys=True),
        probabilistic_skipped=result.probabilistic_skipped,
    )
    return result


def export_links(warehouse: Warehouse, out: Path) -> int:
    """Write the stored links to ``out`` (header ``la_child_id,upn,urn,method,match_probability``)."""
    links = (
        LinkageStore(warehouse)
        .table("link")
        .sort_by([("la_child_id", "ascending"), ("upn", "ascending"), ("urn", "ascending")])
    )
    rows = (
        {**r, "match_probability": None if r["match_probability"] is None else f"{r['match_probability']:.6f}"}
        for r in links.to_pylist()
    )
    return write_csv(out, EXPORT_COLUMNS, rows)
