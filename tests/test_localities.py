"""Localities from the config's postcode districts and sectors, or from an authority's CSV lookup,
and the errors in them, named by where they are (``src/ever6/localities.py``). The postcodes are
real units of Kent (``src/ever6/data/postcode_units.csv``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ever6.localities import UNKNOWN, LocalityError, from_areas, from_lookup


def test_a_postcode_takes_its_sectors_locality_else_its_districts() -> None:
    places = from_areas({"Canterbury": ["CT1", "ct2 7"], "Swanley": ["BR8"], "Orpington fringe": ["BR6 7"]})
    assert places.locality_of("CT1 1AA") == "Canterbury"
    assert places.locality_of("ct27 ..") == UNKNOWN  # not a postcode
    assert places.locality_of("BR8 7AA") == "Swanley"
    assert places.locality_of("br87aa") == "Swanley"  # spacing and case do not matter
    assert places.locality_of("BR6 7NZ") == "Orpington fringe"
    assert places.locality_of("BR6 8AA") == UNKNOWN  # another sector of the district: not listed
    assert places.locality_of("CT10 1AA") == UNKNOWN  # CT10 is its own district, not CT1
    assert places.locality_of(None) == UNKNOWN
    assert places.names() == ["Canterbury", "Orpington fringe", "Swanley"]


def test_overlapping_and_malformed_areas_are_all_reported_by_locality_and_entry() -> None:
    with pytest.raises(LocalityError) as caught:
        from_areas({"North": ["CT1", "BR8 7", "Kent"], "South": ["CT1", "BR8"], "East": "CT9"})
    problems = caught.value.problems
    assert "[localities] areas.North: 'Kent' is not a postcode district (CT1) or sector (CT2 7)" in problems
    assert "[localities] areas: CT1 is in both North and South" in problems
    assert "[localities] areas: sector BR8 7 (North) lies in district BR8 (South)" in problems
    assert "[localities] areas.East: expected a list of postcode districts or sectors" in problems
    assert len(problems) == 4


def test_a_lookup_csv_gives_each_postcode_its_ward(tmp_path: Path) -> None:
    lookup = tmp_path / "wards.csv"
    lookup.write_text("Postcode,Locality\nCT1 1AA,Westgate\nct11ab,Westgate\nBR8 7AA,Swanley Christchurch\n")
    places = from_lookup(lookup)
    assert places.locality_of("CT1 1AB") == "Westgate"
    assert places.locality_of("BR87AA") == "Swanley Christchurch"
    assert places.locality_of("BR8 7AB") == UNKNOWN  # the lookup lists whole postcodes only


def test_lookup_errors_name_the_file_line_and_field(tmp_path: Path) -> None:
    lookup = tmp_path / "wards.csv"
    lookup.write_text("postcode,locality\nCT1 1AA,Westgate\nNOT A CODE,Westgate\nBR8 7AA,\nct1 1aa,Northgate\n")
    with pytest.raises(LocalityError) as caught:
        from_lookup(lookup)
    assert caught.value.problems == (
        f"{lookup}, line 3, postcode: 'NOT A CODE' is not a UK postcode",
        f"{lookup}, line 4, locality: empty",
        f"{lookup}, line 5, locality: CT1 1AA is 'Westgate' on line 2 and 'Northgate' here",
    )
    headerless = tmp_path / "headerless.csv"
    headerless.write_text("CT1 1AA,Westgate\n")
    with pytest.raises(LocalityError, match=r"line 1: missing column postcode, locality"):
        from_lookup(headerless)
