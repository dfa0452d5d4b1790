"""The data manager's pages: who may use them, rollback, the clerical review queue (audited),
a busy warehouse, and a refresh run from the web to the next published snapshot."""

from __future__ import annotations

import csv as _csv
import io
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from tests.web.conftest import Published

PAGES = [
    "/data/",
    "/data/imports/",
    "/data/imports/?format_filter=exclusions",
    "/data/imports/20/",
    "/data/imports/20/rollback/",
    "/data/quality/",
    "/data/quality/records/",
    "/data/linkage/",
    "/data/refresh/",
]
OTHER_ROLES = ("vs_head", "vs_officer", "school_dsl", "dsl_unsigned", "auditor")
POSTS = ["/data/imports/20/rollback/", "/data/linkage/", "/data/refresh/"]


@pytest.fixture
def workspace(published: Published, tmp_path: Path) -> Iterator[Path]:
    """A copy of the published authority's workspace, for tests that write to it."""
    from ever6.web import guard

    home = tmp_path / "home"
    shutil.copytree(published.home, home, ignore=shutil.ignore_patterns("synthetic"))
    before = (django_settings.EVER6_WAREHOUSE, django_settings.EVER6_SNAPSHOT)
    django_settings.EVER6_WAREHOUSE = home / "warehouse.duckdb"
    django_settings.EVER6_SNAPSHOT = home / "published" / "web.duckdb"
    guard.snapshot.cache_clear()
    yield home
    django_settings.EVER6_WAREHOUSE, django_settings.EVER6_SNAPSHOT = before
    guard.snapshot.cache_clear()


def _events(**filters: str) -> list[object]:
    from ever6.web.audit.models import AuditEvent

    # Pupil-level access only: refused requests are recorded too (action "refused").
    return list(AuditEvent.objects.exclude(action="refused").filter(**filters))


# --- who may use the pages --------------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
def test_pages_render_for_the_data_manager(client_for: Callable[[str], Client], url: str) -> None:
    response = client_for("data_manager").get(url)
    assert response.status_code == 200, response.content[:2000]
    html = response.content.decode()
    assert '<h1 class="govuk-heading-l">' in html
    assert "<title>" in html
    assert "ever6" in html


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_are_refused(client_for: Callable[[str], Client], role: str) -> None:
    client = client_for(role)
    for url in PAGES:
        assert client.get(url).status_code == 403, url
        assert client.get(url + ("&" if "?" in url else "?") + "format=csv&table=imports").status_code == 403, url
    for url in POSTS:
        assert (
            client.post(url, {"la_child_id": "x", "upn": "y", "decision": "accept", "reason": "r"}).status_code == 403
        )


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_sign_in(published: Published) -> None:
    client = Client()
    for url in PAGES + POSTS:
        response = client.get(url) if url not in POSTS else client.post(url, {})
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login") + "?next="), url


# --- overview, imports and downloads ------------------------------------------------------------


def test_overview_shows_the_latest_run(client_for: Callable[[str], Client], published: Published) -> None:
    html = client_for("data_manager").get("/data/").content.decode()
    assert "31 Mar 2026" in html  # the demo's as-at date
    assert "active imports" in html


def test_imports_filter_and_download(client_for: Callable[[str], Client], published: Published) -> None:
    from ever6.warehouse import Warehouse

    client = client_for("data_manager")
    html = client.get("/data/imports/?format_filter=exclusions").content.decode()
    assert "exclusions.csv" in html
    assert "cin_census_2020.xml" not in html
    csv = client.get("/data/imports/?format=csv&table=imports").content.decode()
    header, *rows = csv.strip().splitlines()
    assert header.startswith("Import,Format,Files,SHA-256")
    with Warehouse(published.home / "warehouse.duckdb", read_only=True) as wh:
        assert len(rows) == len(wh.batches()) >= 21  # every import the demo made, rolled back or not
    assert len(rows[0].split(",")[3]) == 64  # the full digest in the download
    # The problems download lists exactly the problems the import recorded (the demo's synthetic
    # files pass the DfE rules and the readers' code lists, so it may be none).
    warnings = {r["Import"]: int(r["Warnings"]) for r in _csv.DictReader(io.StringIO(csv))}
    detail = client.get("/data/imports/20/?format=csv&table=problems").content.decode()
    problem_header, *problems = detail.strip().splitlines()
    assert problem_header == "File,Line,Field,Severity,Problem"
    assert len(problems) == warnings["20"]
    assert client.get("/data/imports/20/?format=csv&table=nonsense").status_code == 404
    assert client.get("/data/imports/999/").status_code == 404
    assert client.get("/data/imports/abc/").status_code == 404


def test_quality_report_and_download(client_for: Callable[[str], Client]) -> None:
    client = client_for("data_manager")
    html = client.get("/data/quality/").content.decode()
    assert "Problems the readers recovered from" in html
    assert "Linkage: children linked, by method" in html
    csv = client.get("/data/quality/?format=csv&table=methods").content.decode()
    assert csv.splitlines()[0] == "Method,Children"
    assert "upn," in csv
    assert not _events(what="linkage_issues")  # the counts are not pupil-level: not audited


def test_dfe_rule_issues_are_summarised_by_rule_without_children(
    client_for: Callable[[str], Client], published: Published
) -> None:
    from ever6.formats.problems import Problem, Severity
    from ever6.warehouse import Warehouse

    path = published.home / "warehouse.duckdb"
    with Warehouse(path) as wh:
        batch = next(b for b in wh.batches() if b.format == "cin-census" and b.active)
        before = wh.batch(batch.batch_id).warning_count

        def issue(rule: str, child: str, message: str) -> Problem:
            return Problem(batch.source_file, None, "CINPlanEndDate", message, Severity.WARNING, "dfe", rule, child)

        plan = "CIN plan end date must fall within the census year"
        wh.record_rule_problems(
            batch.batch_id,
            [
                issue("4013", "CHILDX1", plan),
                issue("4013", "CHILDX1", plan),
                issue("4013", "CHILDX2", plan),
                issue("8873Q", "CHILDX3", "Please check: a CIN plan ..."),
            ],
        )
    try:
        client = client_for("data_manager")
        html = client.get("/data/quality/").content.decode()
        assert "DfE validation rules: issues by rule" in html
        assert plan in html
        assert "CHILDX" not in html  # counts, not children
        csv = client.get("/data/quality/?format=csv&table=dfe").content.decode().splitlines()
        assert csv[0] == "Format,Rule,Message,Imports,Issues,Children"
        assert csv[1] == f"cin-census,4013,{plan},1,3,2"
        assert csv[2].startswith("cin-census,8873Q,")
        assert csv[2].endswith(",1,1,1")
        assert "DfE rule 4013, child CHILDX1" in client.get(f"/data/imports/{batch.batch_id}/").content.decode()
    finally:
        with Warehouse(path) as wh:
            assert wh.record_rule_problems(batch.batch_id, []).warning_count == before


def test_records_to_fix_are_audited(client_for: Callable[[str], Client]) -> None:
    client = client_for("data_manager")
    assert "invalid_upn" in client.get("/data/quality/records/").content.decode()
    client.get("/data/quality/records/?format=xlsx")
    assert [(e.action, e.username) for e in _events(what="linkage_issues")] == [  # type: ignore[attr-defined]
        ("download", "data_manager"),
        ("view", "data_manager"),
    ]


# --- rollback ----------------------------------------------------------------------------------


def test_rollback_marks_the_batch_rolled_back(client_for: Callable[[str], Client], workspace: Path) -> None:
    client = client_for("data_manager")
    confirm = client.get("/data/imports/20/rollback/").content.decode()
    assert "govuk-warning-text" in confirm
    response = client.post("/data/imports/20/rollback/")
    assert response.status_code == 302
    assert response["Location"] == "/data/imports/20/"
    con = duckdb.connect(str(workspace / "warehouse.duckdb"), read_only=True)
    try:
        status = con.execute("SELECT status, rolled_back_by FROM import_batch WHERE batch_id = 20").fetchall()
        left = con.execute("SELECT count(*) FROM exclusion WHERE batch_id = 20").fetchall()
    finally:
        con.close()
    assert status == [("rolled_back", "data_manager")]
    assert left == [(0,)]
    assert "Rolled back" in client.get("/data/imports/20/").content.decode()
    again = client.post("/data/imports/20/rollback/")
    assert again.status_code == 409
    assert "already rolled back" in again.content.decode()


# --- the clerical review queue ------------------------------------------------------------------


def _queue_a_pair(home: Path) -> tuple[str, str]:
    """Put one unlinked child and a pupil in the review queue (the tiny authority has none)."""
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    try:
        (child,) = con.execute(
            "SELECT la_child_id FROM link_status WHERE status = 'unmatched' ORDER BY la_child_id LIMIT 1"
        ).fetchone()
        (upn, urn) = con.execute(
            "SELECT upn, urn FROM pupil_enrolment WHERE upn NOT IN (SELECT upn FROM link) ORDER BY upn LIMIT 1"
        ).fetchone()
        con.execute(
            "INSERT INTO link_review (la_child_id, upn, urn, match_probability, reason) "
            "VALUES (?, ?, ?, 0.91, 'probabilistic')",
            [child, upn, urn],
        )
    finally:
        con.close()
    return child, upn


def test_viewing_the_queue_is_audited(client_for: Callable[[str], Client]) -> None:
    response = client_for("data_manager").get("/data/linkage/")
    assert "No pairs are awaiting review" in response.content.decode()
    assert [(e.action, e.username) for e in _events(what="linkage_review")] == [  # type: ignore[attr-defined]
        ("view", "data_manager")
    ]


def test_a_decision_is_stored_and_audited(client_for: Callable[[str], Client], workspace: Path) -> None:
    child, upn = _queue_a_pair(workspace)
    client = client_for("data_manager")
    html = client.get("/data/linkage/").content.decode()
    assert f"Child {child} and pupil {upn}" in html
    assert "0.910" in html

    missing = client.post("/data/linkage/", {"la_child_id": child, "upn": upn, "decision": "accept", "reason": ""})
    assert missing.status_code == 400
    assert 'href="#pair-1-reason"' in missing.content.decode()  # the error summary links to the field
    crafted = client.post(
        "/data/linkage/", {"la_child_id": child, "upn": "Z999999999999", "decision": "accept", "reason": "x"}
    )
    assert crafted.status_code == 400
    assert "no longer awaiting review" in crafted.content.decode()
    assert not _events(action="decision")

    done = client.post(
        "/data/linkage/", {"la_child_id": child, "upn": upn, "decision": "accept", "reason": "same child"}
    )
    assert done.status_code == 302
    con = duckdb.connect(str(workspace / "warehouse.duckdb"), read_only=True)
    try:
        decision = con.execute("SELECT decision, reason, decided_by FROM link_decision WHERE la_child_id = ?", [child])
        stored = decision.fetchall()
        linked = con.execute("SELECT method FROM link WHERE la_child_id = ? AND upn = ?", [child, upn]).fetchall()
    finally:
        con.close()
    assert stored == [("accept", "same child", "data_manager")]
    assert linked
    assert {m for (m,) in linked} == {"clerical"}
    events = _events(action="decision", what="linkage_review")
    assert [(e.object_id, e.detail["upn"], e.detail["decision"]) for e in events] == [  # type: ignore[attr-defined]
        (child, upn, "accept")
    ]
    assert "No pairs are awaiting review" in client.get("/data/linkage/").content.decode()


def test_queue_download_is_audited(client_for: Callable[[str], Client], workspace: Path) -> None:
    child, upn = _queue_a_pair(workspace)
    csv = client_for("data_manager").get("/data/linkage/?format=csv&table=queue").content.decode()
    assert child in csv
    assert upn in csv
    assert [(e.action, e.rows) for e in _events(what="linkage_review")] == [("download", 1)]  # type: ignore[attr-defined]


# --- a busy warehouse ---------------------------------------------------------------------------


def test_a_busy_warehouse_is_a_503_not_a_crash(client_for: Callable[[str], Client], workspace: Path) -> None:
    client = client_for("data_manager")
    holder = duckdb.connect(str(workspace / "warehouse.duckdb"))  # as an import would
    try:
        for url in ("/data/", "/data/imports/", "/data/imports/20/", "/data/quality/", "/data/linkage/"):
            response = client.get(url)
            assert response.status_code == 503, url
            assert "the warehouse is busy: an import or refresh is running" in response.content.decode().lower()
            assert response["Retry-After"]
    finally:
        holder.close()
    assert client.get("/data/").status_code == 200


def test_another_process_holding_the_warehouse_refuses_a_rollback(
    client_for: Callable[[str], Client], workspace: Path
) -> None:
    script = "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.read()"
    path = str(workspace / "warehouse.duckdb")
    holder = subprocess.Popen(
        [sys.executable, "-c", script, path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        response = client_for("data_manager").post("/data/imports/20/rollback/")
        assert response.status_code == 503
    finally:
        holder.communicate("", timeout=30)
    con = duckdb.connect(path, read_only=True)
    try:
        assert con.execute("SELECT status FROM import_batch WHERE batch_id = 20").fetchall() == [("active",)]
    finally:
        con.close()


def _published_run_id(snapshot: Path) -> int:
    """The snapshot file's run, read by another process: DuckDB hands this process its open
    instance of the old file (see the report on ever6.access.snapshot)."""
    script = (
        "import duckdb, sys; "
        "print(duckdb.connect(sys.argv[1], read_only=True).execute('SELECT run_id FROM run').fetchall()[0][0])"
    )
    out = subprocess.run([sys.executable, "-c", script, str(snapshot)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    return int(out.stdout.strip())


# --- refresh ------------------------------------------------------------------------------------


def test_refresh_form_checks_the_date(client_for: Callable[[str], Client]) -> None:
    client = client_for("data_manager")
    page = client.get("/data/refresh/").content.decode()
    today = date.today()
    assert f'value="{today.year}"' in page  # today by default
    future = client.post("/data/refresh/", {"as_at_day": "1", "as_at_month": "1", "as_at_year": str(today.year + 1)})
    assert future.status_code == 400
    assert "today or in the past" in future.content.decode()
    assert 'href="#id_as_at_day"' in future.content.decode()
    nonsense = client.post("/data/refresh/", {"as_at_day": "31", "as_at_month": "2", "as_at_year": "2026"})
    assert nonsense.status_code == 400
    assert "a real date" in nonsense.content.decode()
    from ever6.web.datamgmt.models import RefreshJob

    assert not RefreshJob.objects.exists()


def test_a_refresh_that_died_with_its_process_does_not_block_the_next(client_for: Callable[[str], Client]) -> None:
    from ever6.web.datamgmt.models import JobStatus, RefreshJob

    job = RefreshJob.objects.create(
        as_at=date(2026, 3, 31), requested_by="data_manager", status=JobStatus.RUNNING, pid=os.getpid()
    )
    html = client_for("data_manager").get("/data/refresh/").content.decode()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "restarted" in job.error
    assert "Start the refresh" in html


@pytest.mark.django_db(transaction=True)
def test_a_refresh_runs_in_the_background_and_publishes(client_for: Callable[[str], Client], workspace: Path) -> None:
    from ever6.web import guard
    from ever6.web.datamgmt import jobs
    from ever6.web.datamgmt.models import JobStatus, RefreshJob
    from ever6.web.schools.models import School

    before = guard.snapshot().run().run_id
    client = client_for("data_manager")
    form = {"as_at_day": "31", "as_at_month": "3", "as_at_year": "2026"}
    response = client.post("/data/refresh/", form)
    assert response.status_code == 302
    job = RefreshJob.objects.get()
    assert job.requested_by == "data_manager"

    # One at a time: a second refresh while this one runs is refused, and the page follows progress.
    second = client.post("/data/refresh/", form)
    assert second.status_code == 409
    assert "already running" in second.content.decode()
    following = client.get("/data/refresh/").content.decode()
    assert '<meta http-equiv="refresh" content="3">' in following
    assert 'aria-live="polite"' in following
    assert "% complete" in following
    assert '<meta http-equiv="refresh"' not in client.get("/data/refresh/?reload=off").content.decode()

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        jobs.wait(job.pk, 5)
        job.refresh_from_db()
        if not job.unfinished:
            break
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.progress == 1.0
    assert job.finished_at is not None
    assert job.run_id == before + 1
    assert _published_run_id(workspace / "published" / "web.duckdb") == before + 1
    assert School.objects.exists()  # the register was synced after the refresh
    done = client.get("/data/refresh/").content.decode()
    assert '<meta http-equiv="refresh"' not in done
    assert "succeeded" in done


def test_an_import_with_many_problems_is_summarised_and_paged(
    client_for: Callable[[str], Client], workspace: Path
) -> None:
    """A batch with 250 problems: a summary by field and rule, 100 a page, all 250 in the download;
    the SHA-256 row shows the digest, not markup."""
    con = duckdb.connect(str(workspace / "warehouse.duckdb"))
    try:
        (batch, sha) = con.execute("SELECT batch_id, sha256 FROM import_batch ORDER BY batch_id LIMIT 1").fetchone()
        con.execute(
            "INSERT INTO import_problem (batch_id, file, line, field, severity, source, message, rule, child) "
            "SELECT ?, 'f.csv', i, CASE WHEN i % 5 = 0 THEN 'UPN' ELSE 'Postcode' END, 'warning', 'reader', "
            "'problem ' || i, NULL, NULL FROM range(1, 251) t(i)",
            [batch],
        )
        con.execute("DELETE FROM import_problem WHERE batch_id = ? AND message NOT LIKE 'problem %'", [batch])
    finally:
        con.close()
    client = client_for("data_manager")
    html = client.get(f"/data/imports/{batch}/").content.decode()
    assert "&lt;code" not in html
    assert f'<code class="ever6-break">{sha}</code>' in html
    assert "1 to 100 of 250" in html
    assert html.count(">problem ") == 100
    assert f"/data/imports/{batch}/?page=2" in html
    summary = client.get(f"/data/imports/{batch}/?format=csv&table=summary").content.decode().splitlines()
    assert summary == ["Severity,Field,DfE rule,Problems", "warning,Postcode,,200", "warning,UPN,,50"]
    last = client.get(f"/data/imports/{batch}/?page=3").content.decode()
    assert "201 to 250 of 250" in last
    assert "problem 250<" in last
    problems = client.get(f"/data/imports/{batch}/?format=csv&table=problems").content.decode().strip().splitlines()
    assert len(problems) == 251


def test_the_refresh_hint_names_the_census_date_as_a_date(client_for: Callable[[str], Client]) -> None:
    from ever6.web.datamgmt.views import census_date

    html = client_for("data_manager").get("/data/refresh/").content.decode()
    today = date.today()
    year = today.year if (today.month, today.day) >= (3, 31) else today.year - 1
    assert f"the latest census date, 31 March {year}." in html
    assert " 31 3 " not in html
    assert census_date(date(2026, 3, 30)) == "31 March 2025"
    assert census_date(date(2026, 3, 31)) == "31 March 2026"
    assert census_date(date(2027, 1, 5)) == "31 March 2026"
