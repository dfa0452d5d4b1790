"""Each listed pupil's attendance and suspensions, counted by hand from the measures' own fixture
(tests/metrics/test_rules.py: marks written out session by session, exclusions row by row)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from ever6.config import AuthoritySettings, Settings
from ever6.publish.pupil_attendance import school_pupil_attendance
from ever6.publish.session_counts import keep
from ever6.warehouse import Warehouse
from tests.metrics.test_rules import MARKS, PUPILS, SCHOOLS, build, termly_fills_terms
from tests.support.builders import d, load, rows_result

AS_AT = d("2025-03-31")  # 2024/25, the fixture's year

LISTED = [
    ("100002", "U1"),
    ("100002", "U2"),
    ("100002", "U3"),
    ("200001", "U3"),
    ("100002", "U4"),
    ("100001", "U5"),
    ("100002", "U7"),
    ("100001", "U8"),
]


def _listed(pairs: list[tuple[str, str]]) -> pa.Table:
    return pa.table({"urn": [u for u, _ in pairs], "upn": [p for _, p in pairs]})


def _rows(wh: Warehouse, tmp_path: Path, pairs: list[tuple[str, str]] = LISTED) -> dict[tuple[str, str], Any]:
    settings = Settings(home=tmp_path, authority=AuthoritySettings(la_code="886"))
    table = school_pupil_attendance(wh.raw_tables(), _listed(pairs), settings, AS_AT)
    return {
        (r["urn"], r["upn"]): (r["possible"], r["missed"], r["attendance"], r["persistent"], r["suspensions"])
        for r in table.to_pylist()
    }


# (possible, missed, attendance %, persistently absent, suspensions this year), by hand:
BY_HAND = {
    # "/ \ / \ / \ / \ I N": 10 possible, I and N missed; a SUSP in October and a FIXD in January.
    ("100002", "U1"): (10, 2, 80.0, True, 2),
    # Ten present and an X (not a possible session); one SUSP this year (the other was last year's).
    ("100002", "U2"): (10, 0, 100.0, False, 1),
    # "/ \ G G": 4 possible, 2 missed: 50%.
    ("100002", "U3"): (4, 2, 50.0, True, 0),
    # Six present at the new school; the PERM there is not a suspension.
    ("200001", "U3"): (6, 0, 100.0, False, 0),
    # "/ \ D D D D": D is not a possible session.
    ("100002", "U4"): (2, 0, 100.0, False, 0),
    # "Y1 Y1 # #": no possible session, so no attendance to show.
    ("100001", "U5"): (None, None, None, None, 0),
    # Aged 16: outside the headline figures' ages, but a pupil's own attendance still counts.
    ("100002", "U7"): (4, 2, 50.0, True, 0),
    # Five C2 (authorised absence) and five present.
    ("100001", "U8"): (10, 5, 50.0, True, 0),
}


def test_each_pupil_by_hand(tmp_path: Path) -> None:
    with build(tmp_path) as wh:
        assert _rows(wh, tmp_path) == BY_HAND


def test_counts_kept_per_batch_give_the_same(tmp_path: Path) -> None:
    with build(tmp_path) as wh:
        assert keep(wh) > 0
        assert _rows(wh, tmp_path) == BY_HAND


def test_termly_returns_fill_the_terms_without_marks(tmp_path: Path) -> None:
    fixture = termly_fills_terms(tmp_path)
    with fixture.wh as wh:
        rows = _rows(wh, tmp_path, [("100002", "U2"), ("100002", "U9")])
    # U2: 10 marked in the autumn + 100 in the spring's totals, 4 + 8 missed: 98 of 110 = 89.1%.
    assert rows[("100002", "U2")] == (110, 12, 89.1, True, 1)
    # U9: 10 marked + 40 "/", 10 K, 10 C2 in the spring (# is not possible): 60 of 70 = 85.7%.
    assert rows[("100002", "U9")] == (70, 10, 85.7, True, 0)


def test_no_exclusion_records_means_no_figure_not_zero(tmp_path: Path) -> None:
    with load(
        tmp_path,
        rows_result(tmp_path, "schools", {"establishment": SCHOOLS}),
        rows_result(tmp_path, "pupils", {"pupil_enrolment": PUPILS}),
        rows_result(tmp_path, "attendance", {"attendance_mark": MARKS}),
    ) as wh:
        rows = _rows(wh, tmp_path, [("100002", "U1")])
    assert rows == {("100002", "U1"): (10, 2, 80.0, True, None)}


def test_an_empty_list(tmp_path: Path) -> None:
    with build(tmp_path) as wh:
        assert _rows(wh, tmp_path, []) == {}
