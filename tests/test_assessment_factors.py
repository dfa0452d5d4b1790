"""The assessment factor groups against the DfE's own list: every code of every CIN census schema
in the shared reference falls in exactly one group, and the groups hold no code the schemas lack."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from ever6.assessment_factors import FACTOR_GROUPS, GROUP_OF, factor_groups

XS = "{http://www.w3.org/2001/XMLSchema}"


def _schema_codes(reference_dir: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for xsd in sorted((reference_dir / "cin_census" / "xsd").rglob("CIN_schema_*.xsd")):
        for simple in ET.parse(xsd).getroot().iter(f"{XS}simpleType"):
            if simple.get("name") == "assessmentfactorstype":
                out[str(xsd.relative_to(reference_dir))] = {e.get("value", "") for e in simple.iter(f"{XS}enumeration")}
    return out


def test_every_schema_code_is_in_exactly_one_group(reference_dir: Path) -> None:
    schemas = _schema_codes(reference_dir)
    assert len(schemas) >= 8, "the reference holds the CIN census schemas of several years"
    listed = [c for codes in FACTOR_GROUPS.values() for c in codes]
    assert len(listed) == len(set(listed)), "a code in two groups"
    for name, codes in schemas.items():
        assert codes <= set(GROUP_OF), f"{name}: codes with no group: {sorted(codes - set(GROUP_OF))}"
    assert set(GROUP_OF) <= set().union(*schemas.values()), "a grouped code no schema knows"


def test_a_childs_factors_as_groups() -> None:
    assert factor_groups(["4B", "3A", "1C", "2A", "3C"]) == [
        "Domestic abuse",
        "Mental health",
        "Substance misuse (alcohol or drugs)",
    ]
    assert factor_groups(["99Z", " 21 "]) == ["Other", "No factors identified"]
    assert factor_groups(None) == []
