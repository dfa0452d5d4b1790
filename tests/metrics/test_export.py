"""The measures as files: the long CSV other tools read, and the Excel workbook."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from openpyxl import load_workbook

from ever6.metrics.export import EXPORT_COLUMNS, select, write_metrics_csv, write_metrics_xlsx
from ever6.metrics.rules import metrics_table
from ever6.warehouse import Warehouse
from ever6.warehouse.published import Published


def sample() -> pa.Table:
    def row(
        measure: str,
        value: float | None,
        num: float,
        den: float | None,
        period: str = "year",
        year: str = "2024/25",
        bvalue: str = "all",
    ) -> dict[str, object]:
        return {
            "academic_year": year,
            "period": period,
            "measure": measure,
            "group": "cwsw",
            "breakdown": "all" if bvalue == "all" else "school",
            "breakdown_value": bvalue,
            "numerator": num,
            "denominator": den,
            "value": value,
        }

    return metrics_table(
        [
            row("pupils", 120.0, 120.0, None),
            row("overall_absence_rate", 14.2, 3408.0, 24000.0),
            row("attainment8_average", 21.4, 642.5, 30.0),
            row("eyfs_gld_rate", None, 0.0, 0.0),
            row("suspension_rate", 9.0, 9.0, 100.0, bvalue="=cmd|' /C calc'!A0"),
            row("pupils", 99.0, 99.0, None, period="autumn"),
            row("pupils", 80.0, 80.0, None, year="2023/24"),
        ]
    )


def test_csv_has_the_contract_header_and_plain_figures(tmp_path: Path) -> None:
    out = tmp_path / "m.csv"
    n = write_metrics_csv(select(sample(), "2024/25"), out)
    with out.open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == list(EXPORT_COLUMNS)
    assert n == 5  # the year's rows only: not the autumn term, not 2023/24
    by_measure = {r[0]: r for r in rows[1:]}
    assert by_measure["pupils"][4:] == ["120", "", "120"]
    assert by_measure["overall_absence_rate"][4:] == ["3408", "24000", "14.2"]
    assert by_measure["attainment8_average"][4:] == ["642.5", "30", "21.4"]
    assert by_measure["eyfs_gld_rate"][6] == "z"  # nothing to divide by: not applicable
    assert by_measure["suspension_rate"][3].startswith("'=")  # formula injection neutralised


def test_xlsx_has_a_sheet_per_theme_with_numbers_as_numbers(tmp_path: Path) -> None:
    out = tmp_path / "m.xlsx"
    write_metrics_xlsx(select(sample(), "2024/25"), out, title="Ever6 CWSW 2024/25", suppressed=True)
    wb = load_workbook(out)
    assert wb.sheetnames == ["About", "Attendance", "Suspensions and exclusions", "Alternative provision", "Attainment"]
    assert "Suppressed" in wb["About"]["A4"].value
    att = list(wb["Attendance"].iter_rows(values_only=True))
    assert list(att[0][:7]) == list(EXPORT_COLUMNS)
    pupils = next(r for r in att if r[0] == "pupils")
    assert pupils[4] == 120
    assert isinstance(pupils[6], int)
    exclusions = list(wb["Suspensions and exclusions"].iter_rows(values_only=True))
    assert exclusions[1][3].startswith("'=")


def test_published_runs_are_atomic_and_kept(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    pub = Published(wh)
    outputs = {
        "cohort": pa.table({"la_child_id": ["a"], "status": ["CPP"]}),
        "link": pa.table({"la_child_id": ["a"], "upn": ["U1"]}),
        "metric": sample(),
    }
    first = pub.publish(
        as_at=date(2025, 3, 31),
        strict=False,
        settings={"x": 1},
        outputs=outputs,
        started_at=datetime(2025, 4, 1),
        run_by="t",
    )
    second = pub.publish(
        as_at=date(2026, 3, 31), strict=True, settings={}, outputs=outputs, started_at=datetime(2026, 4, 1), run_by="t"
    )
    assert [r.run_id for r in pub.runs()] == [first.run_id, second.run_id]
    latest = pub.latest()
    assert latest is not None
    assert latest.as_at == date(2026, 3, 31)
    assert pub.output("metric", first.run_id).num_rows == sample().num_rows
    assert first.row_counts == {"cohort": 1, "link": 1, "metric": 7}

    before = [r.run_id for r in pub.runs()]
    with pytest.raises(ValueError, match="exactly"):
        pub.publish(
            as_at=date(2026, 3, 31),
            strict=False,
            settings={},
            outputs={"cohort": outputs["cohort"]},
            started_at=datetime(2026, 4, 1),
            run_by="t",
        )
    broken = {**outputs, "metric": pa.table({"unexpected": [1]})}
    with pytest.raises(duckdb.Error):
        pub.publish(
            as_at=date(2026, 3, 31),
            strict=False,
            settings={},
            outputs=broken,
            started_at=datetime(2026, 4, 1),
            run_by="t",
        )
    assert [r.run_id for r in pub.runs()] == before
    assert pub.output("cohort", second.run_id + 1).num_rows == 0  # the failed run left no rows


def test_suppressed_export_of_computed_measures_shows_no_small_counts(tmp_path: Path) -> None:
    """The real measures table through disclosure control: no count of 1 to 5 people is shown."""
    from ever6.metrics.measures import BY_NAME
    from ever6.metrics.publication import suppress_metrics
    from tests.metrics.test_rules import Fixture, build, metrics
    from tests.support.engines import OnEngine

    figures = metrics(OnEngine("duckdb"), Fixture(build(tmp_path)), "export")()
    table = metrics_table([{k: v for k, v in r.items()} | {"academic_year": "2024/25"} for r in figures.values()])
    published = suppress_metrics(select(table, "2024/25"))
    assert published.num_rows == select(table, "2024/25").num_rows
    shown = 0
    for row in published.to_pylist():
        measure = BY_NAME[row["measure"]]
        for part, people in (("numerator", measure.people_numerator), ("denominator", measure.people_denominator)):
            n = row[part]
            if people and n is not None and 1 <= float(n) <= 5:
                raise AssertionError(f"a count of {n} is shown: {row}")
        if row["value"] != "c":
            shown += 1
        else:
            assert row["suppression_reason"]
    assert shown > 0  # zeros and larger cells are still published
    out = tmp_path / "s.csv"
    write_metrics_csv(published, out, (*EXPORT_COLUMNS, "suppression_reason"))
    assert "c" in out.read_text()
