"""Importing the permission-checked interface, as every web request module does, loads no
analytics: no Ibis, no DuckDB, none of the warehouse, cohort, linkage, measures' rules or the
publish stage. They load when a page first reads the snapshot or a data manager acts.

Each check runs in a fresh interpreter, since this test process has loaded everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

HEAVY = (
    "ibis",
    "duckdb",
    "pyspark",
    "splink",
    "ever6.warehouse",
    "ever6.cohort",
    "ever6.linkage",
    "ever6.metrics.rules",
    "ever6.publish.pipeline",
    "ever6.publish.snapshot",
)

_LOADED = """
import json, sys, time
start = time.perf_counter()
{body}
print(json.dumps({{"seconds": time.perf_counter() - start, "modules": sorted(sys.modules)}}))
"""

_WEB = """
import os
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.web.settings"
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns  # imports every app's views, as the first request does
import ever6.web.guard
"""


def _loaded(body: str) -> tuple[float, set[str]]:
    out = subprocess.run(
        [sys.executable, "-c", _LOADED.format(body=body)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return float(result["seconds"]), set(result["modules"])


@pytest.mark.parametrize(
    "body",
    ["import ever6.access\nimport ever6.access.operations", _WEB],
    ids=["access", "web-request-modules"],
)
def test_importing_the_interface_loads_no_analytics(body: str) -> None:
    seconds, modules = _loaded(body)
    heavy = sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))
    assert not heavy, f"loaded in {seconds:.2f}s, with {heavy}"


def test_the_checked_modules_exist() -> None:
    """The check above would pass vacuously if the heavy modules were renamed: they must load when
    the refresh does."""
    _, modules = _loaded("import ever6.publish.pipeline")
    assert {"ibis", "duckdb", "ever6.warehouse.store", "ever6.metrics.rules", "ever6.publish.snapshot"} <= modules
