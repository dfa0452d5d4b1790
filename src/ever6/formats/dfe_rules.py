"""The DfE validation rules, as Data to Insight's validators run them, on a CIN census or SSDA903 return.

The validators (``csc-validator-be-cin``, ``csc-validator-be-903``) need pandas < 2 and numpy <
1.25, which ever6's own stack cannot share, so they live in their own pinned environment
(``make validators`` creates ``.venv-validators``; ``validators/requirements.txt`` pins it) and
run as a subprocess: the runner script shipped beside this module (``_dfe_runner.py``) reads the
file(s) and prints JSON issues. Their rules are neither copied nor changed here.

Where the validators' python is: ``EVER6_VALIDATORS_PYTHON``, else ``.venv-validators/bin/python``
in the project (the checkout ever6 runs from), else in the current folder.

A year with no ruleset of its own is validated with the nearest year's, and the report says so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ever6.formats import FORMATS as REGISTRY
from ever6.formats.problems import Problem, Severity

ENV_VAR = "EVER6_VALIDATORS_PYTHON"
RUNNER = Path(__file__).with_name("_dfe_runner.py")
VENV = ".venv-validators"
# Generous: the validators take about a minute on a county's census (docs/importing.md).
TIMEOUT_SECONDS = 3600


class DfeRulesError(Exception):
    """The DfE rules could not be run on a file; the message says why, in one line."""


class ValidatorsUnavailable(DfeRulesError):
    """The validators' environment is missing (``make validators`` creates it)."""


@dataclass(frozen=True)
class RuleIssue:
    rule: str  # the DfE rule code, e.g. "8696" or "8873Q"
    message: str
    child: str | None  # LAchildID (CIN) or CHILD (SSDA903); None for return-level rules
    field: str | None  # the affected column(s), comma-separated
    severity: str  # "error" or "query"
    table: str | None = None  # the validator's table, e.g. "Assessments", "Episodes"
    row: int | None = None  # the row in that table (0-based, the validator's numbering)


@dataclass(frozen=True)
class RuleReport:
    ruleset: str  # the ruleset that ran, e.g. "cin2024_25"
    issues: tuple[RuleIssue, ...]
    warnings: tuple[str, ...] = ()
    year: int | None = None  # the collection year asked for (or read from the file)
    ruleset_year: int | None = None  # the collection year whose rules ran

    def counts(self) -> dict[str, int]:
        """Issues per rule code, most first."""
        return dict(Counter(issue.rule for issue in self.issues).most_common())

    @property
    def errors(self) -> tuple[RuleIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def queries(self) -> tuple[RuleIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "query")


def _project_root() -> Path:
    # src/ever6/formats/dfe_rules.py -> the checkout (for an installed wheel this is site-packages' parent).
    return Path(__file__).resolve().parents[3]


def validators_python() -> Path | None:
    """The validators' python, or None when there is none."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        path = Path(configured)
        return path if path.is_file() else None
    for base in (_project_root(), Path.cwd()):
        candidate = base / VENV / "bin" / "python"
        if candidate.is_file():
            return candidate
    return None


def validators_available() -> bool:
    return validators_python() is not None


def _missing_message() -> str:
    configured = os.environ.get(ENV_VAR)
    if configured:
        return f"the DfE validators' python {configured} ({ENV_VAR}) does not exist; run `make validators`"
    return (
        f"the DfE validators' environment is missing (no {VENV}/bin/python); "
        f"run `make validators` in the ever6 checkout, or set {ENV_VAR}"
    )


def _run(args: Sequence[str]) -> dict[str, Any]:
    python = validators_python()
    if python is None:
        raise ValidatorsUnavailable(_missing_message())
    # -I: the validators' environment only; nothing from ever6's PYTHONPATH or this folder.
    command = [str(python), "-I", str(RUNNER), *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DfeRulesError(f"the DfE validators could not run: {exc}") from exc
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit code {done.returncode}"
        raise DfeRulesError(f"the DfE validators failed on this file: {reason}")
    try:
        result: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise DfeRulesError(f"the DfE validators' output was not JSON: {exc}") from exc
    return result


def _report(result: Mapping[str, Any], what: str) -> RuleReport:
    requested = result.get("requested_year")
    chosen = result.get("ruleset_year")
    warnings: list[str] = []
    if requested is not None and chosen is not None and requested != chosen:
        warnings.append(
            f"no {what} ruleset for {requested}; used {chosen}'s ({result['ruleset']}); "
            f"rulesets exist for {', '.join(str(y) for y in result.get('available_years', []))}"
        )
    failed = result.get("failed_rules") or []
    if failed:
        warnings.append(f"{len(failed)} {what} rule(s) could not run on this file: {', '.join(failed)}")
    issues = tuple(
        RuleIssue(
            rule=str(i["rule"]),
            message=str(i["message"]),
            child=i.get("child"),
            field=i.get("field"),
            severity=str(i["severity"]),
            table=i.get("table"),
            row=i.get("row"),
        )
        for i in result["issues"]
    )
    return RuleReport(
        ruleset=str(result["ruleset"]),
        issues=issues,
        warnings=tuple(warnings),
        year=requested,
        ruleset_year=chosen,
    )


def validate_cin_census(path: Path, year: int | None = None) -> RuleReport:
    """The DfE CIN census rules of ``year`` (the census year: 2025 for 2024/25) on one XML file.

    ``year`` None: the year of the file's ReferenceDate. Raises :class:`ValidatorsUnavailable`
    when the validators' environment is missing, :class:`DfeRulesError` when they cannot run.
    """
    args = ["cin", str(Path(path).resolve())]
    if year is not None:
        args += ["--year", str(year)]
    return _report(_run(args), "CIN census")


def validate_ssda903(tables: Mapping[str, Path], year: int, *, local_authority: str | None = None) -> RuleReport:
    """The DfE SSDA903 rules of collection ``year`` on one return's CSV tables.

    ``tables``: e.g. ``{"header": ..., "episodes": ...}`` (any of the return's tables; the
    validator recognises each by its columns). ``local_authority``: the authority's ONS code,
    used by the rules on placement location; without it those rules see every placement as
    out of area.
    """
    if not tables:
        raise ValueError("validate_ssda903 needs at least one table")
    args = ["ssda903", "--year", str(year), *(str(Path(p).resolve()) for p in tables.values())]
    if local_authority:
        args += ["--la", local_authority]
    return _report(_run(args), "SSDA903")


def runner_command() -> list[str]:
    """The command that runs the runner (for tests and diagnostics)."""
    python = validators_python()
    return [str(python or sys.executable), "-I", str(RUNNER)]


def _problems(report: RuleReport, file: Path) -> list[Problem]:
    """Each DfE issue as a warning of the batch: the rules warn, they never refuse a file."""
    problems = [
        Problem(str(file), None, None, f"DfE rules: {w}", Severity.WARNING, source="dfe") for w in report.warnings
    ]
    problems += [
        Problem(str(file), None, i.field, i.message, Severity.WARNING, source="dfe", rule=i.rule, child=i.child)
        for i in report.issues
    ]
    return problems


def rule_problems(
    fmt: str, paths: Sequence[Path], year: int | None, *, local_authority: str | None = None
) -> list[Problem]:
    """The year's DfE rules on one CIN census file or one SSDA903 return, as problems to record
    with its batch. ``local_authority``: the authority's ONS code (``[authority] ons_code``), for
    the SSDA903 rules on placement location.

    When the rules cannot run (no validators' environment, a file gone, or they fail on it), one
    warning says why: the rules warn, they never stop an import.
    """
    paths = [Path(p) for p in paths]
    gone = [p for p in paths if not p.is_file()]
    if gone:
        return [_not_run(paths[0], f"{gone[0]} is no longer there")]
    try:
        if fmt == "cin-census":
            report = validate_cin_census(paths[0], year)
        elif fmt == "ssda903":
            if year is None:
                return [_not_run(paths[0], "the collection year is unknown (import with --year)")]
            report = validate_ssda903({p.stem: p for p in paths}, year, local_authority=local_authority)
        else:
            return []
    except DfeRulesError as exc:
        return [_not_run(paths[0], str(exc))]
    return _problems(report, paths[0])


FORMATS = tuple(f.name for f in REGISTRY.values() if f.dfe_rules)  # the formats the DfE rules are run on


def _not_run(file: Path, why: str) -> Problem:
    return Problem(str(file), None, None, f"DfE rules not run: {why}", Severity.WARNING, source="dfe")
