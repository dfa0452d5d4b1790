"""The attendance code table (``ever6/data/attendance_codes.csv``) against the school census
schemas' attendance reason lists, read from the schema files themselves."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ever6.attendance import load_codes
from tests.support.school_census_schema import code_lists_by_year

NEW_CODES_FROM = date(2024, 8, 1)  # the codes in force from August 2024 (docs/domain.md section 4)


def test_the_code_table_is_every_code_any_school_census_schema_allowed(reference_dir: Path) -> None:
    lists = code_lists_by_year(reference_dir / "school_census" / "schema", "attendance-reason")
    table = {c.code: c for c in load_codes()}
    assert set(table) == frozenset().union(*lists.values())
    # Codes the 2024 schema (2024/25) added start in August 2024; codes it dropped end the day before.
    added, dropped = lists[2024] - lists[2023], lists[2023] - lists[2024]
    assert dropped == {"Y"}
    assert added >= {"C1", "C2", "J1", "K", "Q", "Y1", "Y7"}
    for code in added:
        assert table[code].valid_on(NEW_CODES_FROM), code
        assert not table[code].valid_on(date(2024, 7, 31)), code
    for code in dropped:
        assert table[code].valid_on(date(2024, 7, 31)), code
        assert not table[code].valid_on(NEW_CODES_FROM), code
