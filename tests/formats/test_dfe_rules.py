"""The DfE rules on import: the shared sample files' issues, recorded with their batches, are the
validators' own findings; a missing validators' environment is a clear warning, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from ever6.formats import dfe_rules
from ever6.warehouse import Warehouse

# The validators run directly in their own environment, without ever6's runner: their issue
# tables, counted as one issue per failing location (rule, table, row, child), plus one per
# return-level rule.
_CIN_DIRECT = """
import json, sys, importlib, xml.etree.ElementTree as ET
from collections import Counter
from cin_validator import cin_validator
path, ruleset = sys.argv[1], sys.argv[2]
registry = importlib.import_module(f"cin_validator.rules.{ruleset}").registry
raw = cin_validator.convert_data(ET.parse(path).getroot())
v = cin_validator.CinValidator(cin_validator.process_data(raw), registry)
df = v.full_issue_df
locations = df[["rule_code", "tables_affected", "row_id", "child_id"]].astype(str).drop_duplicates()
counts = Counter(str(c) for c in locations["rule_code"])
for code in set(str(c) for c in v.multichild_issues["rule_code"]):
    counts[code] += 1
print(json.dumps(counts))
"""

_903_DIRECT = """
import json, sys, importlib
from collections import Counter
from lac_validator import lac_validator
from lac_validator.utils import process_uploaded_files
year, files = sys.argv[1], sys.argv[2:]
registry = importlib.import_module(f"lac_validator.rules.lac{int(year) - 1}_{year[2:]}").registry
v = lac_validator.LacValidator(
    metadata={"collectionYear": year, "localAuthority": ""},
    files=process_uploaded_files({"This year": files}),
    registry=registry,
)
counts = Counter()
for table, df in v.ds_results.items():
    if table == "metadata":
        continue
    for col in [c for c in df.columns if c.startswith("ERR_")]:
        counts[col[4:]] += int(df[col].fillna(False).astype(bool).sum())
print(json.dumps({k: n for k, n in counts.items() if n}))
"""


@pytest.fixture(scope="module")
def validators_python() -> Path:
    python = dfe_rules.validators_python()
    if python is None:
        pytest.fail("the DfE validators' environment is missing: run `make validators` (part of `make install`)")
    return python


def _direct(python: Path, script: str, *args: str | Path) -> Counter[str]:
    done = subprocess.run(
        [str(python), "-I", "-c", script, *map(str, args)], capture_output=True, text=True, check=True, timeout=600
    )
    return Counter(json.loads(done.stdout.strip().splitlines()[-1]))


def _ever6(home: Path, *args: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "EVER6_HOME": str(home), "EVER6_USER": "test-manager", "COLUMNS": "200", **env}
    environment.pop("EVER6_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "ever6", *map(str, args)], capture_output=True, text=True, env=environment, timeout=600
    )


def _recorded(home: Path, batch: int) -> tuple[Counter[str], list[str]]:
    with Warehouse(home / "warehouse.duckdb") as wh:
        problems = [p for p in wh.problems(batch) if p.source == "dfe"]
    return Counter(p.rule for p in problems if p.rule), [p.message for p in problems if p.rule is None]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sample", "ruleset"),
    [
        ("csc-validator-be-cin_fake_CIN_data.xml", "cin2022_23"),  # ReferenceDate 2022-03-31: nearest is 2023's
        ("csc-validator-be-cin_CIN_Census_2024.xml", "cin2023_24"),
    ],
)
def test_cin_census_samples_record_the_validators_own_findings(
    tmp_path: Path, reference_dir: Path, validators_python: Path, sample: str, ruleset: str
) -> None:
    path = reference_dir / "cin_census" / "samples" / sample
    done = _ever6(tmp_path, "import", "cin-census", "--dfe-rules", "wait", path)
    assert done.returncode == 0, done.stderr
    assert "DfE rules on batch 1" in done.stdout
    recorded, notes = _recorded(tmp_path, 1)
    expected = _direct(validators_python, _CIN_DIRECT, path, ruleset)
    assert recorded, "the sample breaks DfE rules; none were recorded"
    assert recorded == expected
    if ruleset == "cin2022_23":
        assert any("no CIN census ruleset for 2022; used 2023's" in n for n in notes)
    shown = _ever6(tmp_path, "imports", "problems", "1")
    assert "DfE rules, by rule" in shown.stdout
    for rule, count in recorded.items():
        cells = ([t for t in line.split() if t != "│"][:2] for line in shown.stdout.splitlines())
        assert [rule, str(count)] in cells, rule


@pytest.mark.slow
def test_ssda903_sample_records_the_validators_own_findings(
    tmp_path: Path, reference_dir: Path, validators_python: Path
) -> None:
    csv_dir = reference_dir / "ssda903" / "csv"
    header, episodes = csv_dir / "header.csv", csv_dir / "episodes.csv"
    done = _ever6(tmp_path, "import", "ssda903", "--year", "2025", "--dfe-rules", "wait", header, episodes)
    assert done.returncode == 0, done.stderr
    recorded, _ = _recorded(tmp_path, 1)
    # The validator marks each failing row once per rule; ever6 records each as one warning.
    assert recorded == _direct(validators_python, _903_DIRECT, "2025", header, episodes)
    assert sum(recorded.values()) > 1000


def test_missing_validators_is_a_warning_and_the_import_goes_on(tmp_path: Path, reference_dir: Path) -> None:
    path = reference_dir / "cin_census" / "samples" / "liia-tools_cin-2022.xml"
    missing = str(tmp_path / "no-such-env" / "bin" / "python")
    for mode in ("background", "wait"):
        home = tmp_path / mode
        done = _ever6(home, "import", "cin-census", "--dfe-rules", mode, path, EVER6_VALIDATORS_PYTHON=missing)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stdout + done.stderr
        assert "Imported" in done.stdout
        assert "DfE rules not run" in done.stderr
        assert "make validators" in done.stderr
        recorded, notes = _recorded(home, 1)
        assert not recorded
        assert len(notes) == 1
        assert "EVER6_VALIDATORS_PYTHON" in notes[0]
        with Warehouse(home / "warehouse.duckdb") as wh:
            assert wh.batch(1).active
            assert wh.batch(1).row_counts["cin_child"] > 0


def test_the_api_says_when_the_environment_is_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(dfe_rules.ENV_VAR, str(tmp_path / "nothing"))
    assert not dfe_rules.validators_available()
    with pytest.raises(dfe_rules.ValidatorsUnavailable, match="make validators"):
        dfe_rules.validate_cin_census(tmp_path / "x.xml")


def test_a_year_without_rules_uses_the_nearest(reference_dir: Path, validators_python: Path) -> None:
    path = reference_dir / "cin_census" / "samples" / "liia-tools_cin-2022.xml"
    report = dfe_rules.validate_cin_census(path, 2031)
    assert report.ruleset == "cin2026_27"
    assert report.ruleset_year == 2027
    assert report.year == 2031
    assert report.warnings
    assert "no CIN census ruleset for 2031; used 2027's" in report.warnings[0]
    assert {i.severity for i in report.issues} == {"error", "query"}
    assert all(i.rule.endswith("Q") == (i.severity == "query") for i in report.issues)


@pytest.mark.slow
def test_the_authoritys_ons_code_reaches_the_placement_location_rules(tmp_path: Path, validators_python: Path) -> None:
    """A Kent children's home run by Kent (K2, own provision PR1) is in Kent: rule 1015 holds when
    the workspace's ``[authority] ons_code`` is Kent's, and the rule, told no authority, fires."""
    header = tmp_path / "header.csv"
    episodes = tmp_path / "episodes.csv"
    header.write_text("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n1001,1,14/05/2010,WBRI,UN2,,\n")
    episodes.write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
        "1001,01/06/2024,S,C2,N1,K2,PR1,,,,CT1 2AB,CT1 2AD,SC123456\n"
    )
    without = dfe_rules.rule_problems("ssda903", [header, episodes], 2025)
    assert "1015" in {p.rule for p in without}
    home = tmp_path / "home"
    home.mkdir()
    (home / "ever6.toml").write_text('[authority]\nla_code = 886\nons_code = "E10000016"\n')
    done = _ever6(home, "import", "ssda903", "--year", "2025", "--dfe-rules", "wait", header, episodes)
    assert done.returncode == 0, done.stderr
    recorded, notes = _recorded(home, 1)
    assert not any(n.startswith("DfE rules not run") for n in notes), notes
    assert "1015" not in recorded
    assert "392c" not in recorded  # both postcodes are real units
