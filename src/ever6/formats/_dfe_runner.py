"""Run Data to Insight's DfE validators on a return: files in, JSON issues out.

This script runs in the validators' own environment (``.venv-validators``: pandas < 2 and
numpy < 1.25, which ever6's stack cannot share), called by :mod:`ever6.formats.dfe_rules` as a
subprocess. It must not import ever6, and it neither copies nor changes the validators' rules:
it picks the ruleset, runs it, and turns the validators' issue tables into plain JSON.

    python -I _dfe_runner.py cin FILE.xml [--year 2025]
    python -I _dfe_runner.py ssda903 --year 2025 header.csv episodes.csv ... [--la E10000000]

The JSON on stdout: ``{"kind", "requested_year", "ruleset", "ruleset_year", "available_years",
"failed_rules", "issues": [{"rule", "message", "child", "field", "severity", "table", "row"}]}``.
Anything the validators print goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import math
import pkgutil
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

# A ruleset module is named for its collection year: cin2024_25 holds the rules of the 2024/25
# census (reference date 31 March 2025), lac2024_25 those of the 2024/25 SSDA903 return.
_RULESET = re.compile(r"^(cin|lac)(\d{4})_(\d{2})$")


def available_years(package: str) -> dict[int, str]:
    """Collection year (the year of the 31 March ending it) -> ruleset module name."""
    module = importlib.import_module(package)
    years: dict[int, str] = {}
    for info in pkgutil.iter_modules(module.__path__):
        match = _RULESET.match(info.name)
        if match:
            years[int(match.group(2)) + 1] = info.name
    return years


def nearest(years: Iterable[int], wanted: int) -> int:
    """The available year closest to ``wanted``; on a tie, the later one."""
    return min(years, key=lambda y: (abs(y - wanted), -y))


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text if text and text.lower() not in {"nan", "none", "<na>", "nat"} else None


def _row(value: Any) -> int | None:
    text = _text(value)
    try:
        return int(float(text)) if text is not None else None
    except ValueError:
        return None


def _issues(records: Iterable[dict[str, Any]], severity_of: dict[str, str]) -> list[dict[str, Any]]:
    """One issue per failing location (rule, table, row), its affected columns joined as the field."""
    grouped: dict[tuple[str, str | None, int | None, str | None], list[str]] = {}
    messages: dict[str, str] = {}
    for rec in records:
        rule = str(rec["rule_code"])
        messages[rule] = _text(rec.get("rule_description")) or ""
        key = (rule, _text(rec.get("tables_affected")), _row(rec.get("row_id")), _text(rec.get("child_id")))
        columns = grouped.setdefault(key, [])
        column = _text(rec.get("columns_affected"))
        if column is not None and column not in columns:
            columns.append(column)
    return [
        {
            "rule": rule,
            "message": messages[rule],
            "child": child,
            "field": ", ".join(columns) or None,
            "severity": severity_of.get(rule, "error"),
            "table": table,
            "row": row,
        }
        for (rule, table, row, child), columns in grouped.items()
    ]


def _choose(package: str, wanted: int) -> tuple[int, str, list[int]]:
    years = available_years(package)
    if not years:
        raise SystemExit(f"no rulesets found in {package}")
    chosen = nearest(years, wanted)
    return chosen, years[chosen], sorted(years)


def run_cin(path: Path, year: int | None) -> dict[str, Any]:
    import xml.etree.ElementTree as ET

    from cin_validator import cin_validator

    root = ET.parse(path).getroot()  # noqa: S314 - the file was parsed safely by ever6's reader first
    raw = cin_validator.convert_data(root)
    if year is None:
        header = raw["Header"]
        reference = _text(header["ReferenceDate"].iloc[0]) if len(header) else None
        if reference is None:
            raise SystemExit(f"{path}: no ReferenceDate in the header, and no year given")
        year = int(reference[:4])
    chosen, name, years = _choose("cin_validator.rules", year)
    registry = importlib.import_module(f"cin_validator.rules.{name}").registry
    data = cin_validator.process_data(raw)
    validator = cin_validator.CinValidator(data, registry)
    severity_of = {str(code): str(rule.rule_type.value).lower() for code, rule in registry.items()}
    issues = _issues(validator.full_issue_df.to_dict("records"), severity_of)
    # Header and return-level issues (no child, no row): one each.
    seen: set[str] = set()
    for rec in validator.multichild_issues.to_dict("records"):
        rule = str(rec["rule_code"])
        if rule in seen:
            continue
        seen.add(rule)
        issues.append(
            {
                "rule": rule,
                "message": _text(rec.get("rule_description")) or "",
                "child": None,
                "field": None,
                "severity": severity_of.get(rule, "error"),
                "table": None,
                "row": None,
            }
        )
    return {
        "kind": "cin",
        "requested_year": year,
        "ruleset": name,
        "ruleset_year": chosen,
        "available_years": years,
        "failed_rules": [],
        "issues": issues,
    }


def run_ssda903(paths: Sequence[Path], year: int, la: str | None) -> dict[str, Any]:
    from lac_validator import lac_validator
    from lac_validator.report import Report
    from lac_validator.utils import process_uploaded_files

    chosen, name, years = _choose("lac_validator.rules", year)
    registry = importlib.import_module(f"lac_validator.rules.{name}").registry
    files = process_uploaded_files({"This year": [str(p) for p in paths]})
    # The return's own year, not the ruleset's: the rules date their windows from it (collection
    # start and end, "of school age at the start of the year"), and a 2021 return checked with the
    # nearest (2023) rules must be judged against 2020/21, not 2022/23.
    metadata = {"collectionYear": str(year), "localAuthority": la or ""}
    validator = lac_validator.LacValidator(metadata=metadata, files=files, registry=registry)
    report = Report(validator.ds_results, registry)
    has_errors = any(c.startswith("ERR_") for c in report.report.columns)
    records = lac_validator.create_issue_df(report.report, report.error_report).to_dict("records") if has_errors else []
    # The SSDA903 rules have no error/query type; a code ending in Q is a query, as in the CIN rules.
    severity_of = {str(code): ("query" if str(code).endswith("Q") else "error") for code in registry}
    return {
        "kind": "ssda903",
        "requested_year": year,
        "ruleset": name,
        "ruleset_year": chosen,
        "available_years": years,
        "failed_rules": sorted(str(code) for code in validator.fails),
        "issues": _issues(records, severity_of),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="kind", required=True)
    cin = sub.add_parser("cin")
    cin.add_argument("file", type=Path)
    cin.add_argument("--year", type=int)
    lac = sub.add_parser("ssda903")
    lac.add_argument("files", type=Path, nargs="+")
    lac.add_argument("--year", type=int, required=True)
    lac.add_argument("--la", help="the authority's ONS code (E06..., E10...), for placement-location rules")
    args = parser.parse_args(argv)
    stdout = sys.stdout
    # The validators print and log as they go; only the JSON result goes to stdout.
    with contextlib.redirect_stdout(sys.stderr):
        result = run_cin(args.file, args.year) if args.kind == "cin" else run_ssda903(args.files, args.year, args.la)
    json.dump(result, stdout)
    stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
