"""End to end through the command line: a synthetic authority, refreshed, linked and exported."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import CliDemo
from tests.test_cli import ever6


@pytest.fixture(scope="module")
def home(cli_demo: CliDemo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's `ever6 demo` (tests/conftest.py), copied: these tests change its settings."""
    assert "EVER6_PREVIOUS" in cli_demo.stdout
    home = tmp_path_factory.mktemp("tiny-authority") / "home"
    shutil.copytree(cli_demo.home, home, symlinks=True)
    return home


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_metrics_export_contract(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.csv"
    result = ever6(home, "metrics", "export", "--year", "2025/26", "--out", out)
    assert result.returncode == 0, result.stderr
    with out.open() as fh:
        assert fh.readline().strip() == "measure,group,breakdown,breakdown_value,numerator,denominator,value"
    figures = rows(out)
    names = {r["measure"] for r in figures}
    assert {
        "pupils",
        "overall_absence_rate",
        "persistent_absence_rate",
        "severe_absence_rate",
        "c2_per_1000_sessions",
        "suspension_rate",
        "one_plus_suspension_rate",
        "permanent_exclusion_rate",
        "alternative_provision_share",
    } <= names
    assert {r["group"] for r in figures} >= {
        "cwsw",
        "cpp",
        "cinp",
        "cin_other",
        "ever6_previous",
        "cla",
        "not_cwsw",
        "all_pupils",
    }
    assert {r["breakdown"] for r in figures} == {
        "all",
        "school",
        "phase",
        "ncyear",
        "sex",
        "fsm",
        "sen",
        "ethnicity",
        "primary_need",
        "in_la",
        "years_since",
        "locality",  # the demo defines [localities]
        "school_locality",
    }
    headline = next(
        r
        for r in figures
        if (r["measure"], r["group"], r["breakdown"]) == ("overall_absence_rate", "all_pupils", "all")
    )
    assert float(headline["value"]) == round(float(headline["numerator"]) / float(headline["denominator"]) * 100, 1)

    last_year = tmp_path / "a.csv"
    assert ever6(home, "metrics", "export", "--year", "2024/25", "--out", last_year).returncode == 0
    assert "attainment8_average" in {r["measure"] for r in rows(last_year)}


def test_suppressed_export_hides_small_counts(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    assert ever6(home, "metrics", "export", "--year", "2025/26", "--out", out, "--suppress").returncode == 0
    figures = rows(out)
    suppressed = [r for r in figures if r["value"] == "c"]
    assert suppressed
    assert all(r["suppression_reason"] and r["numerator"] == "" for r in suppressed)
    for r in figures:
        if r["measure"] == "pupils" and r["value"] not in ("c", "z"):
            assert not 1 <= int(r["value"]) <= 5


def test_a_suppressed_export_is_what_the_web_shows_and_what_protecting_again_gives(home: Path, tmp_path: Path) -> None:
    """The export takes the snapshot's protection (the figures the web service shows) when its run,
    figures and rules are the export's; without the snapshot it protects the year itself, the same."""
    export = ("metrics", "export", "--year", "2025/26", "--period", "autumn", "--suppress", "--out")
    shown, protected = tmp_path / "shown.csv", tmp_path / "protected.csv"
    assert ever6(home, *export, shown).returncode == 0
    snapshot = home / "published" / "web.duckdb"
    aside = tmp_path / "web.duckdb"
    shutil.move(snapshot, aside)
    try:
        result = ever6(home, *export, protected)
    finally:
        shutil.move(aside, snapshot)
    assert result.returncode == 0, result.stderr
    assert shown.read_bytes() == protected.read_bytes()
    assert any(r["value"] == "c" for r in rows(shown))


def test_the_protection_width_setting_widens_the_suppressed_export(home: Path, tmp_path: Path) -> None:
    """``[disclosure] protection_width`` reaches the export (3 by default): a term suppressed with
    its year hides more than with the protection switched off."""
    plain, protected = tmp_path / "plain.csv", tmp_path / "protected.csv"
    export = ("metrics", "export", "--year", "2025/26", "--period", "autumn", "--suppress", "--out")
    assert ever6(home, *export, protected).returncode == 0
    settings = home / "ever6.toml"
    before = settings.read_text() if settings.exists() else ""
    assert "[disclosure]" not in before
    settings.write_text(before + "\n[disclosure]\nprotection_width = 0\n")
    try:
        result = ever6(home, *export, plain)
    finally:
        settings.write_text(before)
    assert result.returncode == 0, result.stderr
    hidden = {
        (r["measure"], r["group"], r["breakdown"], r["breakdown_value"]) for r in rows(plain) if r["value"] == "c"
    }
    more = {
        (r["measure"], r["group"], r["breakdown"], r["breakdown_value"]) for r in rows(protected) if r["value"] == "c"
    }
    assert hidden < more  # everything hidden before, and more


def test_school_export_shows_only_that_school(home: Path, tmp_path: Path) -> None:
    schools = rows(home / "synthetic" / "schools.csv")
    urn = schools[0]["URN"]
    out = tmp_path / "school.csv"
    result = ever6(home, "metrics", "export", "--year", "2025/26", "--school", urn, "--out", out)
    assert result.returncode == 0, result.stderr
    figures = rows(out)
    assert {r["breakdown_value"] for r in figures if r["breakdown"] == "school"} <= {urn}
    assert all("suppression_reason" in r for r in figures)


def test_gaps_against_peers_and_national_figures(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "g.csv"
    assert ever6(home, "metrics", "gaps", "--year", "2025/26", "--out", out).returncode == 0
    line = next(
        r for r in rows(out) if (r["measure"], r["group"], r["breakdown"]) == ("overall_absence_rate", "cwsw", "all")
    )
    assert float(line["gap_vs_not_cwsw"]) == pytest.approx(
        float(line["value"]) - float(line["not_cwsw_value"]), abs=0.11
    )
    assert line["national_value"]
    assert "DfE" in line["national_source"]


def test_links_review_and_report(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "links.csv"
    assert ever6(home, "link", "export", "--out", out).returncode == 0
    with out.open() as fh:
        assert fh.readline().strip() == "la_child_id,upn,urn,method,match_probability"
    methods = {r["method"] for r in rows(out)}
    assert "upn" in methods
    assert methods <= {"upn", "former_upn", "exact_demographics", "probabilistic", "clerical"}
    assert ever6(home, "link", "review", "list").returncode == 0
    report = ever6(home, "link", "report", "--as-at", "2026-03-31")
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["overall"]["linked"] > 0
