"""Shared fixtures: the public reference samples live beside the project, never copied in."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ever6.config import AuthoritySettings, Settings
from ever6.demo import build_demo
from tests.support.engines import RULE_ENGINES, OnEngine

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"


@pytest.fixture(autouse=True, scope="session")
def _no_background_dfe_rules() -> Iterator[None]:
    """Imports in tests do not start the DfE validators (a minute per 10,000 children) in the
    background; the tests of the rules ask for them (``--dfe-rules wait``, tests/formats/test_dfe_rules.py).
    Session-wide, so that module fixtures which import files are covered too: a validator left running
    from one holds the warehouse when the fixture's refresh comes."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EVER6_DFE_RULES", "off")
        yield


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.fail(f"the shared reference samples are missing: expected them at {REFERENCE}")
    return REFERENCE


@dataclass(frozen=True)
class Published:
    home: Path
    snapshot: Path
    urn: str  # a school with Ever6 CWSW pupils, whose DSL has signed the agreement
    unsigned_urn: str  # a school with Ever6 CWSW pupils and no agreement
    other_urn: str  # a third school with Ever6 CWSW pupils, nobody's in these tests


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    home = tmp_path_factory.mktemp("web-demo") / "home"
    build_demo(Settings(home=home, authority=AuthoritySettings(la_code="886")), scale="tiny", seed=2026)
    snapshot = home / "published" / "web.duckdb"
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        by_size = "SELECT urn FROM school_pupil GROUP BY urn ORDER BY count(*) DESC, urn"
        urns = [r[0] for r in con.execute(by_size).fetchall()]
    finally:
        con.close()
    assert len(urns) >= 3, "the tiny authority should have Ever6 CWSW pupils in at least three schools"
    return Published(home=home, snapshot=snapshot, urn=urns[0], unsigned_urn=urns[1], other_urn=urns[2])


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local Spark session for the whole run (starting the JVM takes seconds); a test that
    needs it is skipped, and says why, only where Java is missing. The tests' tables are tiny:
    one shuffle partition, not four, spares each query's stages three empty tasks. One run holds
    every rule scenario and a whole refresh of `small` in one JVM: 2 GB of heap ran out of room for
    both (long collections, lost heartbeats, a dead JVM), so the tests' driver has 4 GB. Compiling each
    stage to Java and re-planning it adaptively cost more than running it on rows this few: both are
    off (a quarter of the rule scenarios' JVM time)."""
    if shutil.which("java") is None:
        pytest.skip("Java is not installed; Spark cannot run here")
    pytest.importorskip("pyspark")
    from ever6.config import EngineSettings
    from ever6.engines import spark_session

    session = spark_session(
        EngineSettings(
            name="spark",
            spark_conf=(
                ("spark.sql.shuffle.partitions", "1"),
                ("spark.driver.memory", "4g"),
                ("spark.sql.codegen.wholeStage", "false"),
                ("spark.sql.adaptive.enabled", "false"),
            ),
        ),
        "ever6-tests",
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module", params=RULE_ENGINES)
def rule_engine(request: pytest.FixtureRequest) -> OnEngine:
    """The engine a rule test runs on: DuckDB, then Spark (marked ``spark``; ``tests/support/engines.py``)."""
    session = request.getfixturevalue("spark") if request.param == "spark" else None
    return OnEngine(request.param, session)
