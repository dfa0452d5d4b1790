"""End to end: the ``ever6`` command as a data manager runs it, on the public sample files."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from ever6.dates import latest_birth_date_reaching
from ever6.warehouse import Warehouse


def ever6(home: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EVER6_HOME": str(home), "EVER6_USER": "test-manager", "COLUMNS": "200"}
    env.pop("EVER6_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "ever6", *map(str, args)], capture_output=True, text=True, env=env, timeout=300
    )


@pytest.fixture
def samples(reference_dir: Path) -> Path:
    return reference_dir / "cin_census" / "samples"


def test_import_list_reimport_and_rollback(tmp_path: Path, samples: Path) -> None:
    files = [samples / "liia-tools_cin-2022.xml", samples / "csc-validator-be-cin_fake_CIN_data.xml"]
    first = ever6(tmp_path, "import", "cin-census", *files)
    assert first.returncode == 0, first.stderr
    assert "as batch 1" in first.stdout
    assert "as batch 2" in first.stdout

    again = ever6(tmp_path, "import", "cin-census", files[1])
    assert again.returncode == 0
    assert "already imported as batch 2; nothing changed" in again.stdout

    listing = ever6(tmp_path, "imports", "list")
    assert "liia-tools_cin-2022.xml" in listing.stdout
    assert "test-manager" in listing.stdout

    assert ever6(tmp_path, "imports", "rollback", "2").returncode == 0
    twice = ever6(tmp_path, "imports", "rollback", "2")
    assert twice.returncode == 1
    assert "already rolled back" in twice.stderr
    with Warehouse(tmp_path / "warehouse.duckdb", read_only=True) as wh:
        assert wh.row_count("cin_child") == 1  # only the liia-tools file's one child is left
        assert [b.status for b in wh.batches()] == ["active", "rolled_back"]


def test_broken_but_recoverable_file_imports_with_warnings_on_record(tmp_path: Path, samples: Path) -> None:
    result = ever6(tmp_path, "import", "cin-census", samples / "csc-validator-be-cin_CIN_Census_2024.xml")
    assert result.returncode == 0, result.stderr
    assert "warning(s) recorded with the batch" in result.stderr
    problems = ever6(tmp_path, "imports", "problems", "1")
    assert "RB" in problems.stdout  # the invalid assessment factor, with its line


def test_refused_command_changes_nothing(tmp_path: Path, samples: Path) -> None:
    ok = ever6(tmp_path, "import", "cin-census", samples / "liia-tools_cin-2022.xml")
    assert ok.returncode == 0
    with Warehouse(tmp_path / "warehouse.duckdb", read_only=True) as wh:
        before = wh.fingerprint()

    good = samples / "liia-tools-pipeline_BAR_cin_2022.xml"
    truncated = tmp_path / "truncated.xml"
    truncated.write_bytes(good.read_bytes()[:1500])
    refused = ever6(tmp_path, "import", "cin-census", good, truncated)
    assert refused.returncode == 1
    assert "the warehouse is unchanged" in refused.stderr
    assert f"{truncated}:" in refused.stderr  # names the file (and the line after it)
    with Warehouse(tmp_path / "warehouse.duckdb", read_only=True) as wh:
        assert wh.fingerprint() == before


@pytest.mark.parametrize(
    "payload",
    [
        '<?xml version="1.0"?><!DOCTYPE Message [<!ENTITY x SYSTEM "file:///etc/passwd">]><Message>&x;</Message>',
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        "<Message>&lol2;</Message>",
    ],
    ids=["external-entity", "entity-expansion"],
)
def test_hostile_xml_is_refused(tmp_path: Path, payload: str) -> None:
    hostile = tmp_path / "hostile.xml"
    hostile.write_text(payload)
    result = ever6(tmp_path, "import", "cin-census", hostile)
    assert result.returncode == 1
    assert "DTD" in result.stderr or "entit" in result.stderr
    assert "root:" not in result.stderr + result.stdout  # nothing of /etc/passwd leaked


def test_wrong_format_is_refused_with_what_it_looks_like(tmp_path: Path, reference_dir: Path) -> None:
    result = ever6(tmp_path, "import", "cin-census", reference_dir / "ssda903" / "xml" / "fake_903.xml")
    assert result.returncode == 1
    assert "EXPSSDA903" in result.stderr


def _looked_after_on(episodes: Path, header: Path, on: date) -> set[str]:
    """Independently of ever6: children with an episode open on ``on``, born and under 18."""

    def parse(text: str) -> date | None:
        return datetime.strptime(text, "%d/%m/%Y").date() if text else None

    with header.open(newline="") as fh:
        dob = {r["CHILD"]: parse(r["DOB"]) for r in csv.DictReader(fh)}
    cutoff = latest_birth_date_reaching(18, on)
    open_children = set()
    with episodes.open(newline="") as fh:
        for r in csv.DictReader(fh):
            start, end = parse(r["DECOM"]), parse(r["DEC"])
            assert start is not None
            end_known = end if end is not None and end <= on else None
            if start <= on and (end_known is None or end_known >= on):
                open_children.add(r["CHILD"])
    return {c for c in open_children if (b := dob.get(c)) is not None and cutoff < b <= on}


def test_ssda903_sample_gives_the_looked_after_children(tmp_path: Path, reference_dir: Path) -> None:
    folder = reference_dir / "ssda903" / "csv"
    imported = ever6(tmp_path, "import", "ssda903", folder / "header.csv", folder / "episodes.csv")
    assert imported.returncode == 0, imported.stderr

    on = date(2017, 3, 31)
    out = tmp_path / "cohort.csv"
    exported = ever6(tmp_path, "cohort", "export", "--as-at", on.isoformat(), "--out", out)
    assert exported.returncode == 0, exported.stderr
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    assert {"la_child_id", "upn", "status", "last_qualifying_date"} <= set(rows[0])
    assert {r["status"] for r in rows} == {"CLA"}
    assert {r["la_child_id"] for r in rows} == _looked_after_on(folder / "episodes.csv", folder / "header.csv", on)


def test_case_management_with_a_mapping(tmp_path: Path) -> None:
    extract = tmp_path / "extract.csv"
    extract.write_text(
        "Person ID,First Name,Last Name,Date of Birth,Gender,Post Code,UPN\n"
        "C1,Zoë,O'Brien,03/02/2014,Female,sw1a1aa,a801200001001\n"
        'C2,=HYPERLINK("x"),Li,12/12/2013,Male,,\n'
    )
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[columns]\nla_child_id = "Person ID"\nforename = "First Name"\nsurname = "Last Name"\n'
        'birth_date = "Date of Birth"\nsex = "Gender"\npostcode = "Post Code"\nupn = "UPN"\n'
        '[options]\ndate_format = "%d/%m/%Y"\n'
    )
    result = ever6(tmp_path, "import", "case-management", extract, "--mapping", mapping)
    assert result.returncode == 0, result.stderr
    with Warehouse(tmp_path / "warehouse.duckdb", read_only=True) as wh:
        rows = wh.con.execute(
            "SELECT la_child_id, forename, birth_date, sex, postcode, upn FROM cm_identity ORDER BY 1"
        ).fetchall()
    assert rows[0] == ("C1", "Zoë", date(2014, 2, 3), "F", "SW1A 1AA", "A801200001001")
    assert rows[1][3] == "M"


def test_unknown_setting_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "ever6.toml").write_text("[cohort]\nstrictt = true\n")
    result = ever6(tmp_path, "imports", "list")
    assert result.returncode == 1
    assert "strictt" in result.stderr


def test_bad_date_is_a_usage_error(tmp_path: Path) -> None:
    result = ever6(tmp_path, "cohort", "export", "--as-at", "31/03/2026", "--out", tmp_path / "x.csv")
    assert result.returncode == 2
    assert "YYYY-MM-DD" in result.stderr
