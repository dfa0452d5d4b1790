"""Issue 12: importing only the shared CIN census samples, then ``ever6 refresh``, completes.

The samples carry no names and there is no school data: linkage runs its deterministic passes
and says why the probabilistic pass was skipped, and the web snapshot is written with no measures.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from typer.testing import CliRunner

from ever6.cli import app

# The valid samples (the other csc-validator files are deliberately broken: see SOURCES.md).
VALID_SAMPLES = (
    "liia-tools_cin-2022.xml",
    "liia-tools-pipeline_BAR_cin_2022.xml",
    "csc-validator-be-cin_fake_CIN_data.xml",
    "csc-validator-be-cin_CIN2rows.xml",
)


def test_refresh_after_importing_only_the_cin_census_samples(tmp_path: Path, reference_dir: Path) -> None:
    samples = reference_dir / "cin_census" / "samples"
    runner = CliRunner()
    home = ["--home", str(tmp_path)]
    imported = runner.invoke(app, [*home, "import", "cin-census", *(str(samples / name) for name in VALID_SAMPLES)])
    assert imported.exit_code == 0, imported.output

    refreshed = runner.invoke(app, [*home, "refresh", "--as-at", "2022-03-31"])
    output = " ".join(refreshed.output.split())
    assert refreshed.exit_code == 0, refreshed.output
    assert "Published run 1 as at 2022-03-31" in output
    assert "the probabilistic pass was skipped: no pupil records to match against" in output
    assert "Traceback" not in refreshed.output

    con = duckdb.connect(str(tmp_path / "published" / "web.duckdb"), read_only=True)
    try:
        columns = [r[0] for r in con.execute("DESCRIBE metric_suppressed").fetchall()]
    finally:
        con.close()
    assert {"suppression_reason", "figure"} <= set(columns)  # an empty table, with its columns

    report = runner.invoke(app, [*home, "link", "report", "--as-at", "2022-03-31"])
    assert report.exit_code == 0, report.output
    assert "no pupil records to match against" in report.output
