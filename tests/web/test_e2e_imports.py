"""The data manager imports files in a real browser, axe on each kind of page (tests/web/browser.py):
every format uploaded (the public samples read in place where a format has one, a few lines
written here otherwise), checked, imported through the import worker, and seen as a batch; a
refused file changes nothing; an import is rolled back with a confirmation.

One browser session; the worker's function runs here, in the test, rather than in a thread."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.web.browser import axe_violations
from tests.web.datamgmt.test_datamgmt import workspace
from tests.web.test_e2e import browser, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
__all__ = ["browser", "workspace"]

UPN = "A123456789012"
# Formats without a public sample: a few lines each, as docs/importing.md lays them out.
WRITTEN = {
    "case-management": [
        (
            "extract.csv",
            "la_child_id,forename,surname,birth_date,sex,postcode,upn\n"
            f"C900001,Ada,Lovelace,2014-05-01,F,ME14 1XX,{UPN}\n",
        )
    ],
    "attendance": [
        ("marks.csv", f"urn,upn,date,session,code\n100001,{UPN},2025-10-06,AM,/\n100001,{UPN},2025-10-06,PM,N\n")
    ],
    "attendance-termly": [
        (
            "termly.csv",
            "urn,upn,academic_year,term,sessions_possible,sessions_authorised,sessions_unauthorised\n"
            f"100001,{UPN},2024/25,autumn,140,4,2\n",
        )
    ],
    "exclusions": [
        ("exclusions.csv", f"urn,upn,start_date,category,sessions,reason\n100001,{UPN},2025-10-06,SUSP,2,PA\n")
    ],
    "attainment": [
        ("attainment.csv", f"upn,urn,academic_year,measure,value\n{UPN},100001,2024/25,ks2_rwm_expected,1\n")
    ],
    "kinship-register": [
        (
            "kinship.csv",
            "la_child_id,upn,forename,surname,birth_date,arrangement,start_date,end_date\n"
            f"K900001,{UPN},Ada,Lovelace,2014-05-01,SGO,2023-01-10,\n",
        )
    ],
    "early-help": [
        (
            "early_help.csv",
            "la_child_id,upn,forename,surname,birth_date,start_date,end_date\n"
            f"E900001,{UPN},Ada,Lovelace,2014-05-01,2024-02-01,\n",
        )
    ],
    "pupils": [
        (
            "pupils.csv",
            "urn,upn,former_upn,forename,surname,dob,sex,postcode,ncyear,entry_date,leaving_date,fsm_ever6,sen,ethnicity\n"
            f"100001,{UPN},,Ada,Lovelace,2014-05-01,F,ME14 1XX,6,2021-09-01,,N,N,WBRI\n",
        )
    ],
}


def _samples(reference: Path) -> dict[str, list[Path]]:
    census = reference / "school_census" / "samples"
    return {
        "cin-census": [reference / "cin_census" / "samples" / "csc-validator-be-cin_CIN_Census_2024.xml"],
        "ssda903": [reference / "ssda903" / "csv" / "header.csv", reference / "ssda903" / "csv" / "episodes.csv"],
        "schools": [reference / "gias" / "register-trainee-teachers_gias_edubasealldata_2rows.csv"],
        # The term's smaller files (its leavers): one term's census, read as one batch.
        "school-census": [
            *sorted(census.glob("2025_spring_*offroll.csv")),
            census / "2025_spring_pupilnolongeronroll.csv",
        ],
    }


def _no_violations(page: Any) -> None:
    violations = axe_violations(page)
    assert not violations, f"accessibility problems on {page.url}: {violations}"


def _warehouse(home: Path) -> tuple[int, int]:
    """The batch count and the suspensions table's rows: what a refused file must not change."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        (batches,) = con.execute("SELECT count(*) FROM import_batch").fetchone() or (0,)
        (rows,) = con.execute("SELECT count(*) FROM exclusion").fetchone() or (0,)
    finally:
        con.close()
    return int(batches), int(rows)


def _upload(page: Any, base: str, fmt: str, files: list[Any], *, check: bool = False) -> None:
    page.goto(f"{base}/data/imports/new/")
    if check:
        _no_violations(page)
    page.locator(f"input[name='format'][value='{fmt}']").check()
    page.set_input_files("#files", files)
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_load_state()


def test_the_data_manager_imports_every_format_in_the_browser(
    browser: Any,
    live_server: Any,
    accounts: dict[str, object],
    workspace: Path,
    reference_dir: Path,
    settings: Any,
    tmp_path: Path,
) -> None:
    from ever6.formats import FORMATS
    from ever6.web.datamgmt import importjobs

    settings.EVER6_UPLOAD_DIR = tmp_path / "uploads"
    base = live_server.url
    page = sign_in(browser, base, "data_manager")  # scripts on, for axe; the pages need none (no script of their own)
    page.goto(f"{base}/data/imports/")
    page.get_by_role("button", name="Import files").click()  # a link styled as a button
    assert page.url.endswith("/data/imports/new/")
    files = {
        **{
            fmt: [{"name": n, "mimeType": "text/csv", "buffer": text.encode()} for n, text in made]
            for fmt, made in WRITTEN.items()
        },
        **{fmt: [str(p) for p in paths] for fmt, paths in _samples(reference_dir).items()},
    }
    assert set(files) == set(FORMATS), "every format in the registry is uploaded"
    imported: dict[str, list[str]] = {}
    for i, fmt in enumerate(FORMATS):
        _upload(page, base, fmt, files[fmt], check=i == 0)
        assert page.locator("h1").inner_text() == "Check the files before you import them", (fmt, page.content()[:3000])
        if i == 0:
            _no_violations(page)
        page.get_by_role("button", name="Import these files").click()
        page.wait_for_load_state()
        assert page.locator("meta[http-equiv='refresh']").count() == 1  # follows the job without a script
        if i == 0:  # the same page, not reloading itself while axe reads it
            page.goto(page.url + "?reload=off")
            assert "Queued" in page.locator("#job-status").inner_text()
            _no_violations(page)
        (job,) = importjobs.run_pending()
        assert job.state == "done", (fmt, job.error)
        page.reload()
        assert page.locator("h1").inner_text() == "Import complete"
        assert page.locator("meta[http-equiv='refresh']").count() == 0
        if i == 0:
            _no_violations(page)
        imported[fmt] = [str(b) for b in job.batch_ids]
    # A batch, from its job's page.
    page.get_by_role("link", name=f"See import {imported['pupils'][0]}").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith(f"Import {imported['pupils'][0]}: pupils")
    _no_violations(page)

    # A refused file: its errors with file, line and field, no import button, nothing changed.
    before = _warehouse(workspace)
    bad = "urn,upn,start_date,category,sessions,reason\n100001,A123456789012,2025-10-06,NOPE,2,PA\n"
    _upload(page, base, "exclusions", [{"name": "bad.csv", "mimeType": "text/csv", "buffer": bad.encode()}])
    assert page.locator("h1").inner_text() == "Files not imported: they have errors"
    assert page.get_by_role("button", name="Import these files").count() == 0
    problems = page.locator("#upload-problems-caption").locator("..").inner_text()
    assert "bad.csv" in problems
    assert "NOPE" in problems
    _no_violations(page)
    page.get_by_role("button", name="Cancel and delete the uploaded files").click()
    page.wait_for_load_state()
    assert importjobs.run_pending() == []
    assert _warehouse(workspace) == before

    # Roll back the exclusions just imported: a confirmation, then the rows are gone.
    batch = imported["exclusions"][0]
    page.goto(f"{base}/data/imports/{batch}/")
    page.get_by_role("button", name="Roll back this import").click()
    page.wait_for_load_state()
    assert "Are you sure" in page.locator("h1").inner_text()
    _no_violations(page)
    page.get_by_role("button", name=f"Roll back import {batch}").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/data/imports/{batch}/")
    assert "has been rolled back" in page.content()
    assert _warehouse(workspace) == (before[0], before[1] - 1)
    from ever6.web.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="rollback", what="import_batch", object_id=batch).count() == 1
    page.context.close()
