"""One UPN rule for every reader and for linkage: each problem named, ``extra_la_codes`` honoured."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ever6.cli import app
from ever6.upn import UpnProblem, check_upn, la_codes, recorded_upn
from ever6.warehouse import Warehouse

# Check letters worked out by hand from the rule in docs/domain.md section 3 (sum of position x value
# over characters 2-13, mod 23, over ABCDEFGHJKLMNPQRTUVWXYZ), not by the code under test.
VALID = "A886215420254"
NEW_LA = "L999200115001"  # LA number 999 (no authority has it yet); L is its right check letter


def _hand_check_letter(body: str) -> str:
    alphabet = "ABCDEFGHJKLMNPQRTUVWXYZ"
    values = {c: i for i, c in enumerate(alphabet)} | {str(d): d for d in range(10)}
    return alphabet[sum(i * values[c] for i, c in enumerate(body, start=2)) % 23]


def test_the_fixtures_check_letters_are_right() -> None:
    assert _hand_check_letter(VALID[1:]) == VALID[0]
    assert _hand_check_letter(NEW_LA[1:]) == NEW_LA[0]


@pytest.mark.parametrize(
    ("value", "problem", "words"),
    [
        ("", UpnProblem.MISSING, "blank"),
        ("UN3", UpnProblem.UNKNOWN_CODE, "'UPN unknown' reason code"),
        ("A88621542025", UpnProblem.LENGTH, "wrong length: 12 characters, a UPN has 13"),
        ("0f3a9c1b2d4e5f60718293a4b5c6d7e8", UpnProblem.LENGTH, "wrong length: 32 characters"),
        ("A8862154X0254", UpnProblem.FORMAT, "bad characters: character 9 is 'X'"),
        ("I886215420254", UpnProblem.FORMAT, "bad characters: the first character 'I'"),
        ("A88621542025-", UpnProblem.FORMAT, "the last character '-'"),
        (NEW_LA, UpnProblem.LA_NUMBER, "LA number 999 is not recognised"),
        ("B886215420254", UpnProblem.CHECK_LETTER, "check letter is wrong (B; the other 12 characters give A)"),
    ],
)
def test_each_problem_is_named(value: str, problem: UpnProblem, words: str) -> None:
    check = check_upn(value)
    assert check.problem is problem
    assert check.message is not None
    assert words in check.message


def test_a_valid_upn_has_no_message_and_spaces_and_case_do_not_matter() -> None:
    assert check_upn(" a886 2154 20254 ").message is None


def test_extra_la_codes_make_a_new_authoritys_upns_valid() -> None:
    assert check_upn(NEW_LA, la_codes(["999"])).valid
    assert check_upn("C999200115001", la_codes(["999"])).problem is UpnProblem.CHECK_LETTER


def test_readers_keep_upns_compacted_and_drop_unknown_codes() -> None:
    assert recorded_upn(" a886 215420254") == VALID
    assert recorded_upn("un2") is None
    assert recorded_upn("   ") is None


HEADER = "urn,upn,former_upn,forename,surname,dob,sex,postcode,ncyear,entry_date,leaving_date"


def _import_pupils(home: Path, config: str | None) -> tuple[int, str]:
    if config is not None:
        (home / "ever6.toml").write_text(config)
    pupils = home / "pupils.csv"
    pupils.write_text(
        f"{HEADER}\n"
        f"100001,{NEW_LA},,Amy,Stone,2014-03-02,F,ME1 7JJ,5,2020-09-02,\n"
        f"100001,B886215420254,,Ben,Stone,2014-03-02,M,ME1 7JJ,5,2020-09-02,\n"
    )
    result = CliRunner().invoke(app, ["--home", str(home), "import", "pupils", str(pupils)])
    return result.exit_code, result.output  # lines as the terminal wraps them


def _flat(output: str) -> str:
    return " ".join(output.split())


def test_import_pupils_honours_extra_la_codes(tmp_path: Path) -> None:
    code, output = _import_pupils(tmp_path, '[linkage]\nextra_la_codes = ["999"]\n')
    assert code == 0, output
    assert "L999200115001" not in output  # valid with the setting: no warning
    assert "check letter is wrong (B; the other 12 characters give A)" in _flat(output)  # the other still warned
    with Warehouse(tmp_path / "warehouse.duckdb", read_only=True) as wh:
        [batch] = wh.batches()
        messages = [p.message for p in wh.problems(batch.batch_id)]
    assert len(messages) == 1


def test_import_pupils_without_the_setting_names_the_la_number_not_the_check_letter(tmp_path: Path) -> None:
    code, output = _import_pupils(tmp_path, None)
    assert code == 0, output
    with Warehouse(tmp_path / "warehouse.duckdb", read_only=True) as wh:
        [batch] = wh.batches()
        [message] = [p.message for p in wh.problems(batch.batch_id) if "L999200115001" in p.message]
    assert "LA number 999 is not recognised" in message
    assert "check letter" not in message
    assert "LA number 999 is not recognised" in _flat(output)
