"""Settings files: the [engine] section, and mistakes reported rather than ignored."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ever6.cli import app
from ever6.config import ConfigError, load_settings


def test_the_engine_defaults_to_duckdb(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.engine.name == "duckdb"
    assert settings.engine.staging is None  # then $EVER6_HOME/spark-staging


def test_an_engine_section_is_read(tmp_path: Path) -> None:
    (tmp_path / "ever6.toml").write_text(
        '[engine]\nname = "spark"\nspark_remote = "sc://spark.example:15002"\nstaging = "/shared/stage"\n'
        'spark_conf = { "spark.executor.memory" = "8g", "spark.sql.shuffle.partitions" = 200 }\n'
    )
    engine = load_settings(tmp_path).engine
    assert engine.name == "spark"
    assert engine.spark_remote == "sc://spark.example:15002"
    assert engine.staging == Path("/shared/stage")
    assert dict(engine.spark_conf) == {"spark.executor.memory": "8g", "spark.sql.shuffle.partitions": "200"}


@pytest.mark.parametrize(
    ("text", "message"),
    [('[engine]\nname = "polars"\n', "must be one of duckdb, spark"), ("[engine]\nmaster = 1\n", "unknown settings")],
)
def test_a_wrong_engine_setting_is_an_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "ever6.toml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path)


def test_refresh_refuses_an_unknown_engine(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["--home", str(tmp_path), "refresh", "--as-at", "2026-03-31", "--engine", "polars"]
    )
    assert result.exit_code != 0
    assert "engine must be one of duckdb, spark" in result.output


def test_the_authority_section_is_read(tmp_path: Path) -> None:
    (tmp_path / "ever6.toml").write_text('[authority]\nla_code = 886\nons_code = "E10000016"\n')
    settings = load_settings(tmp_path)
    assert settings.authority.la_code == "886"
    assert settings.authority.ons_code == "E10000016"
    assert settings.linkage.la_code == "886"  # linkage takes the authority's LA number
    assert load_settings(tmp_path / "none").authority.ons_code is None


def test_the_protection_width_is_read_and_checked(tmp_path: Path) -> None:
    assert load_settings(tmp_path).disclosure.protection_width == 3  # protected unless switched off
    (tmp_path / "ever6.toml").write_text("[disclosure]\nprotection_width = 0\n")
    assert load_settings(tmp_path).disclosure.protection_width == 0
    for bad in ("-1", "2.5", '"3"'):
        (tmp_path / "ever6.toml").write_text(f"[disclosure]\nprotection_width = {bad}\n")
        with pytest.raises(ConfigError, match="protection_width"):
            load_settings(tmp_path)


def test_localities_are_read_and_their_mistakes_reported_with_the_file(tmp_path: Path) -> None:
    config = tmp_path / "ever6.toml"
    config.write_text('[localities]\nareas = { Canterbury = ["CT1", "CT2 7"], Swanley = ["BR8"] }\n')
    places = load_settings(tmp_path).localities.load(tmp_path)
    assert places.locality_of("CT2 7AA") == "Canterbury"
    config.write_text('[localities]\nareas = { North = ["CT1"], South = ["ct1"] }\n')
    with pytest.raises(ConfigError, match=r"ever6\.toml: \[localities\] areas: CT1 is in both North and South"):
        load_settings(tmp_path)
    (tmp_path / "wards.csv").write_text("postcode,locality\nCT1 1AA,Westgate\nXX,Westgate\n")
    config.write_text('[localities]\nlookup = "wards.csv"\n')
    with pytest.raises(ConfigError, match=r"wards\.csv, line 3, postcode: 'XX' is not a UK postcode"):
        load_settings(tmp_path)
