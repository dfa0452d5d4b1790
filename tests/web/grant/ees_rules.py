"""A format check for Explore Education Statistics (EES) data files and their metadata files,
written from the DfE's published open-data standards ("Underlying data standards" of the DfE
statistics production guidance; docs/grant.md lists the rules and where each comes from).

Independent of the code under test: it reads the CSV text only.
"""

from __future__ import annotations

import csv
import io
import re

# Time: each time_identifier with the digits of its time_period; types of year are never mixed.
TIME_IDENTIFIERS = {
    "Calendar year": 4,
    "Reporting year": 4,
    "Academic year": 6,
    "Financial year": 6,
    "Tax year": 6,
    "Autumn term": 6,
    "Spring term": 6,
    "Summer term": 6,
    "Autumn and spring term": 6,
}
# Geography: the compulsory columns, and those each level needs.
COMPULSORY = ("time_period", "time_identifier", "geographic_level", "country_code", "country_name")
LEVEL_COLUMNS = {
    "National": (),
    "Regional": ("region_code", "region_name"),
    "Local authority": ("old_la_code", "new_la_code", "la_name"),
}
GEOGRAPHY_COLUMNS = {"old_la_code", "new_la_code", "la_name", "region_code", "region_name"}
META_COLUMNS = [
    "col_name",
    "col_type",
    "label",
    "indicator_grouping",
    "indicator_unit",
    "indicator_dp",
    "filter_hint",
    "filter_grouping_column",
]
UNITS = {"", "£", "£m", "%", "pp"}
SYMBOLS = {"c", "z", "x", "low", "u"}  # the GSS symbols the standards adopt
NAME = re.compile(r"^[a-z][a-z0-9_]*$")  # snake_case, no spaces, not starting with a digit
FILE_NAME = re.compile(r"^[a-z0-9_-]+$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _read(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def check(name: str, data: bytes, meta: bytes) -> list[str]:
    """The problems with one data file and its metadata file; empty when it meets the standards."""
    problems: list[str] = []
    if not FILE_NAME.match(name):
        problems.append(f"file name {name!r}: lower case letters, digits, _ and - only")
    try:
        data_text, meta_text = data.decode("utf-8"), meta.decode("utf-8")
    except UnicodeDecodeError:
        return ["not UTF-8"]
    columns, rows = _read(data_text)
    if not rows:
        problems.append("no rows")
    for col in columns:
        if not NAME.match(col):
            problems.append(f"column {col!r} is not snake_case")
    problems += [f"missing compulsory column {c}" for c in COMPULSORY if c not in columns]
    identifiers = {r.get("time_identifier") for r in rows}
    if len(identifiers) > 1:
        problems.append(f"mixed time identifiers {sorted(map(str, identifiers))}")
    for i, r in enumerate(rows, start=2):
        ident, period = r.get("time_identifier", ""), r.get("time_period", "")
        if ident not in TIME_IDENTIFIERS:
            problems.append(f"line {i}: time_identifier {ident!r} is not allowed")
        elif not (period.isdigit() and len(period) == TIME_IDENTIFIERS[ident]):
            problems.append(f"line {i}: time_period {period!r} must be {TIME_IDENTIFIERS[ident]} digits")
        elif len(period) == 6 and (int(period[:4]) + 1) % 100 != int(period[4:]):
            problems.append(f"line {i}: time_period {period!r} is not two consecutive years")
        level = r.get("geographic_level", "")
        if level not in LEVEL_COLUMNS:
            problems.append(f"line {i}: geographic_level {level!r} is not one this check knows")
        else:
            for col in LEVEL_COLUMNS[level]:
                if col not in columns:
                    problems.append(f"{level} rows need the column {col}")
                elif col != "new_la_code" and not r[col]:  # a legacy LA may have no new code
                    problems.append(f"line {i}: {col} is empty for a {level} row")
        if not r.get("country_code") or not r.get("country_name"):
            problems.append(f"line {i}: country_code and country_name must be filled")
    meta_columns, meta_rows = _read(meta_text)
    if meta_columns != META_COLUMNS:
        problems.append(f"metadata columns {meta_columns} are not {META_COLUMNS}")
        return problems
    described = {m["col_name"] for m in meta_rows}
    grouping = {m["filter_grouping_column"] for m in meta_rows if m["filter_grouping_column"]}
    observational = set(COMPULSORY) | GEOGRAPHY_COLUMNS
    for m in meta_rows:
        col = m["col_name"]
        if col not in columns:
            problems.append(f"metadata names {col!r}, which the data file does not have")
        if col in observational:
            problems.append(f"metadata must not describe the time or geography column {col}")
        if m["col_type"] not in ("Filter", "Indicator"):
            problems.append(f"{col}: col_type {m['col_type']!r} must be Filter or Indicator")
        if not m["label"].strip():
            problems.append(f"{col}: label is empty")
        if m["col_type"] == "Indicator":
            if m["indicator_unit"] not in UNITS:
                problems.append(f"{col}: indicator_unit {m['indicator_unit']!r}")
            if m["indicator_dp"] and not m["indicator_dp"].isdigit():
                problems.append(f"{col}: indicator_dp {m['indicator_dp']!r} must be a whole number")
            if m["filter_hint"] or m["filter_grouping_column"]:
                problems.append(f"{col}: an indicator has no filter_hint or filter_grouping_column")
            for i, r in enumerate(rows, start=2):
                value = r.get(col, "")
                if not (NUMBER.match(value) or value in SYMBOLS):
                    problems.append(f"line {i}: {col} = {value!r} is neither a number nor a symbol")
        else:
            if m["indicator_grouping"] or m["indicator_unit"] or m["indicator_dp"]:
                problems.append(f"{col}: a filter has no indicator_grouping, indicator_unit or indicator_dp")
            levels = {r[col] for r in rows if col in r}
            if len(levels) < 2:
                problems.append(f"{col}: a filter with one level is left out of the metadata")
            if "Total" not in levels:
                problems.append(f"{col}: filters should have a 'Total' aggregation")
            group = m["filter_grouping_column"]
            if group and group not in columns:
                problems.append(f"{col}: filter_grouping_column {group!r} is not a column")
    for g in grouping & described:
        problems.append(f"grouping column {g} must not have its own metadata row")
    for col in columns:
        if col not in observational and col not in described and col not in grouping:
            values = {r[col] for r in rows}
            if len(values) > 1:
                problems.append(f"column {col} is neither described in the metadata nor a grouping column")
    return problems
