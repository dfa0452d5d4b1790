"""The linkers are built without Splink's settings check: the settings would pass it, and each
linker gets its own copy of them."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pyarrow as pa
import pytest
from splink import DuckDBAPI

from ever6.linkage import probabilistic

FORENAMES = ["AMY", "BEN", "CHLOE", "DAN", "ELLA", "FINN", "GRACE", "HARRY", "ISLA", "JACK", "KAI", "LILY"]
SURNAMES = ["SMITH", "JONES", "TAYLOR", "BROWN", "WILSON", "EVANS", "KHAN", "PATEL", "AHMED", "WRIGHT"]
POSTCODES = ["ME1 1AA", "ME1 2BB", "ME2 3CC", "CT1 4DD", "CT2 5EE", "TN1 6FF"]


def _side(rng: random.Random, n: int, prefix: str) -> pa.Table:
    def maybe(value: Any) -> Any:
        return None if rng.random() < 0.1 else value

    return pa.table(
        {
            "id": [f"{prefix}{i}" for i in range(n)],
            "forename": [maybe(rng.choice(FORENAMES)) for _ in range(n)],
            "surname": [maybe(rng.choice(SURNAMES)) for _ in range(n)],
            "birth_date": pa.array(
                [maybe(date(2010, 1, 1) + timedelta(days=rng.randrange(900))) for _ in range(n)], pa.date32()
            ),
            "sex": [maybe(rng.choice("MF")) for _ in range(n)],
            "postcode": [maybe(rng.choice(POSTCODES)) for _ in range(n)],
        }
    )


def _sides(seed: int, n_children: int, n_pupils: int) -> tuple[pa.Table, pa.Table]:
    """Children, and pupils of whom half the children are (the same identity, another id)."""
    rng = random.Random(seed)
    children = _side(rng, n_children, "c")
    same = children.slice(0, n_children // 2)
    same = same.set_column(0, "id", pa.array([f"p{i}" for i in range(same.num_rows)]))
    others = _side(rng, n_pupils - same.num_rows, "q")
    pupils = pa.concat_tables([same, others])
    return probabilistic.features(children, "id"), probabilistic.features(pupils, "id")


def _settings_warnings(children: pa.Table, pupils: pa.Table, caplog: pytest.LogCaptureFixture) -> list[str]:
    from splink import Linker

    caplog.clear()
    db_api = DuckDBAPI(":memory:")
    left, right = db_api.register(children), db_api.register(pupils)
    # Splink's own logger at WARNING: the CLI quietens it (to ERROR) in any process that ran a command.
    with caplog.at_level("WARNING", logger="splink"):
        Linker([left, right], probabilistic.settings_dict("duckdb"), log_level=None, validate_settings=True)
    return [r.getMessage() for r in caplog.records if "SETTINGS VALIDATION" in r.getMessage()]


def test_the_settings_pass_splinks_check_of_their_columns(caplog: pytest.LogCaptureFixture) -> None:
    """The linkers are built with ``validate_settings=False`` (its check only logs): the settings
    and the feature columns pass it, so it would log nothing; without a column it would."""
    children, pupils = _sides(3, 30, 30)
    assert _settings_warnings(children, pupils, caplog) == []
    assert _settings_warnings(children.drop_columns(["postcode"]), pupils, caplog)


def test_settings_are_a_fresh_copy_each_time() -> None:
    first = probabilistic.settings_dict("duckdb")
    first["comparisons"][0]["comparison_levels"][1]["m_probability"] = 0.5
    assert "m_probability" not in probabilistic.settings_dict("duckdb")["comparisons"][0]["comparison_levels"][1]
