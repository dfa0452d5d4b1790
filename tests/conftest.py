"""Shared fixtures: the public reference samples live beside the project, never copied in."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ever6.config import DisclosureSettings, Settings
from ever6.demo import DemoSummary, build_demo
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


# `make test` runs three pytest runs side by side and names a folder they share (emptied at each
# start): a workspace every run needs is built there once, by the first run to ask, and copied.
SHARED = "EVER6_TEST_SHARED"


def built_once(name: str, tmp_path_factory: pytest.TempPathFactory, build: Callable[[Path], None]) -> Path:
    """The folder holding workspace ``name`` (``home``, made by ``build(home)``, with whatever
    ``build`` left beside it): under ``EVER6_TEST_SHARED`` built once for all the runs (the others
    wait for it), else built for this run. Read it only: a fixture copies it (:func:`copied`)."""
    shared = os.environ.get(SHARED)
    if not shared:
        built = tmp_path_factory.mktemp(name)
        build(built / "home")
        return built
    folder = Path(shared)
    folder.mkdir(parents=True, exist_ok=True)
    built, done = folder / name, folder / f"{name}.built"
    with (folder / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if the build fails
        if not done.exists():
            shutil.rmtree(built, ignore_errors=True)
            build(built / "home")
            done.touch()
    return built


def copied(built: Path, name: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the workspace a :func:`built_once` folder holds, the files' modes too."""
    home = tmp_path_factory.mktemp(name) / "home"
    shutil.copytree(built / "home", home, symlinks=True)
    return home


def _demo(home: Path) -> None:
    """``ever6 demo --scale tiny --seed 2026 --no-serve`` run as a user would: the command in a new
    process started with the common umask 022 (files 0644 unless ever6 acts); what it printed is
    kept beside the workspace (``demo.stdout``)."""
    env = {**os.environ, "EVER6_HOME": str(home), "EVER6_USER": "test-manager", "COLUMNS": "200"}
    # The demo's own web database in its workspace, as a user's, whichever run builds it: not the
    # PostgreSQL server of a run testing the web service on PostgreSQL (`make unit-postgresql`).
    for name in ("EVER6_CONFIG", "EVER6_TEST_POSTGRESQL", "DATABASE_URL"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-m", "ever6", "demo", "--scale", "tiny", "--seed", "2026", "--no-serve"],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert result.returncode == 0, result.stderr
    (home.parent / "demo.stdout").write_text(result.stdout)


@pytest.fixture(scope="session")
def tiny_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of the session's one tiny demo build (:func:`_demo`), shared by :func:`published`
    and :func:`cli_demo`: a build is over a minute and a half of CPU, made once per `make test`."""
    return built_once("tiny-demo", tmp_path_factory, _demo)


@dataclass(frozen=True)
class Published:
    home: Path
    snapshot: Path
    urn: str  # a school with Ever6 CWSW pupils, whose DSL has signed the agreement
    unsigned_urn: str  # a school with Ever6 CWSW pupils and no agreement
    other_urn: str  # a third school with Ever6 CWSW pupils, nobody's in these tests


@pytest.fixture(scope="session")
def published(tiny_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Published:
    """The tiny demo (LA 886, seed 2026), this run's own copy: its snapshot is what the web serves."""
    home = copied(tiny_demo, "web-demo", tmp_path_factory)
    snapshot = home / "published" / "web.duckdb"
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        by_size = "SELECT urn FROM school_pupil GROUP BY urn ORDER BY count(*) DESC, urn"
        urns = [r[0] for r in con.execute(by_size).fetchall()]
    finally:
        con.close()
    assert len(urns) >= 3, "the tiny authority should have Ever6 CWSW pupils in at least three schools"
    return Published(home=home, snapshot=snapshot, urn=urns[0], unsigned_urn=urns[1], other_urn=urns[2])


@dataclass(frozen=True)
class CliDemo:
    home: Path
    stdout: str  # what `ever6 demo` printed


@pytest.fixture(scope="session")
def cli_demo(tiny_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> CliDemo:
    """The tiny demo as ``ever6 demo`` built it (:func:`_demo`), this run's own copy, with what the
    command printed; a test that changes the workspace works on a copy
    (``shutil.copytree(..., symlinks=True)``)."""
    return CliDemo(copied(tiny_demo, "cli-demo", tmp_path_factory), (tiny_demo / "demo.stdout").read_text())


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    """The ``small`` synthetic authority (seed 11), imported and refreshed on DuckDB, built once for
    the tests of its cohort and measures against its ground truth; a test that changes it works
    on a copy. They read the cohort, the links and the unsuppressed measures, never the snapshot's
    suppressed figures: interval protection off (``protection_width = 0``) spares the build's
    costliest step, whose figures nobody reads."""
    home = tmp_path_factory.mktemp("small-demo") / "home"
    return build_demo(Settings(home=home, disclosure=DisclosureSettings(protection_width=0)), scale="small", seed=11)


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local Spark session for the whole run (starting the JVM takes seconds); a test that
    needs it is skipped, and says why, only where Java is missing. The tests' tables are tiny:
    one shuffle partition, not four, spares each query's stages three empty tasks. One run holds
    every rule scenario and a whole refresh of `small` in one JVM: 2 GB of heap ran out of room for
    both (long collections, lost heartbeats, a dead JVM), so the tests' driver has 4 GB. Compiling each
    stage to Java and re-planning it adaptively cost more than running it on rows this few: both are
    off (a quarter of the rule scenarios' JVM time). The JVM compiles with its quick compiler only
    (``-XX:TieredStopAtLevel=1``): its optimising compiler spent more CPU than it saved on runs this
    short (the JVM's CPU for the cohort's engine-parity tests 98 s to 54, for a `small` refresh on
    Spark 192 s to 137)."""
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
                ("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1"),
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
