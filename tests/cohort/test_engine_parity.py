"""The cohort expressions give identical results on DuckDB and on Spark (local mode)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ever6.cohort import cohort
from ever6.config import CohortSettings
from tests.support.builders import Child, Episode, Plan, census_result, load, ssda903_result

pytestmark = pytest.mark.spark


def _authority(tmp: Path) -> Any:
    """Children covering every status, both files' versions, boundaries, NFA and strict cases."""
    older = census_result(
        tmp,
        "2025-03-31",
        [
            Child("revised", episodes=[Episode("2024-06-01", cp_plans=[Plan("2024-07-01", None, "NEG")])]),
            Child("old-only", episodes=[Episode("2020-01-01", "2020-06-01", "RC2", cin_plans=[Plan("2020-02-01")])]),
        ],
    )
    newer = census_result(
        tmp,
        "2026-03-31",
        [
            Child(
                "revised",
                episodes=[
                    Episode("2024-06-01", "2025-09-01", "RC2", cp_plans=[Plan("2024-07-01", "2025-08-01", "NEG")])
                ],
            ),
            Child(
                "cpp",
                upn="A801200001001",
                episodes=[
                    Episode(
                        "2025-01-01",
                        cin_plans=[Plan("2025-01-10", "2025-03-01")],
                        cp_plans=[Plan("2025-03-01", None, "EMO")],
                        assessed=["2025-01-05"],
                        factors=["3A", "4B"],
                    )
                ],
            ),
            Child("boundary-out", episodes=[Episode("2019-06-01", "2020-03-31", "RC1", assessed=["2019-06-10"])]),
            Child("boundary-in", episodes=[Episode("2019-06-01", "2020-04-01", "RC1", assessed=["2019-06-10"])]),
            Child("nfa", episodes=[Episode("2025-05-01", nfa=True, cin_plans=[Plan("2025-05-02")])]),
            Child("rc8", episodes=[Episode("2025-05-01", "2025-06-01", "RC8", assessed=["2025-05-20"])]),
            Child("other", episodes=[Episode("2025-09-01", assessed=["2025-09-20"], factors=["1B"])]),
            Child("unborn", dob=None, episodes=[Episode("2026-01-01", cp_plans=[Plan("2026-02-01")])]),
            Child("dead", death="2025-12-01", episodes=[Episode("2025-01-01", assessed=["2025-01-05"])]),
            Child("eighteen", dob="2008-03-31", episodes=[Episode("2025-01-01", assessed=["2025-01-05"])]),
            Child("leap", dob="2008-02-29", episodes=[Episode("2025-01-01", assessed=["2025-01-05"])]),
            Child("future", episodes=[Episode("2026-04-10", assessed=["2026-04-11"])]),
        ],
    )
    la = ssda903_result(
        tmp,
        2026,
        [("cla", "2025-06-01", None), ("cpp", "2026-03-31", None)],
        [("cla", "2014-02-01"), ("cpp", "2012-05-01")],
    )
    return load(tmp, newer, older, la)


@pytest.mark.parametrize(
    ("as_at", "strict"), [(date(2026, 3, 31), False), (date(2026, 3, 31), True), (date(2025, 3, 31), False)]
)
def test_duckdb_and_spark_agree(tmp_path: Path, spark: Any, as_at: date, strict: bool) -> None:
    from ever6.engines import spark_tables

    wh = _authority(tmp_path)
    raw = wh.raw_tables()
    settings = CohortSettings(strict=strict)
    on_duckdb = cohort(raw, as_at, settings).to_pyarrow().to_pylist()
    on_spark = cohort(spark_tables(spark, {k: v.to_pyarrow() for k, v in raw.items()}), as_at, settings)
    assert on_spark.to_pyarrow().to_pylist() == on_duckdb
    assert len(on_duckdb) >= 3  # the comparison is over a real cohort, not two empty tables
