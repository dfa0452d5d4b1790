"""The data manager's pages: overview, imports and rollback, data quality, the clerical review
queue and refreshes. Every view needs the ``data_pages`` capability; pupil-level rows (the review
queue, the records to fix) need ``pupil_rows`` too and are recorded in the audit log by the access
layer (:mod:`ever6.access.operations`) before they are shown or downloaded.

The warehouse may be held for minutes by an import or a refresh: every page says so (503, with
``Retry-After``) instead of failing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.timezone import localtime
from django.views.decorators.http import require_http_methods

from ever6.access import Capability
from ever6.access.counts import latest_counts
from ever6.access.operations import (
    IDENTITY_FIELDS,
    ImportProblem,
    ImportRecord,
    NotFound,
    NoWarehouse,
    OperationRefused,
    Operations,
    QualityReport,
    WarehouseBusy,
)
from ever6.web.datamgmt import jobs
from ever6.web.datamgmt.forms import DecisionForm, RefreshForm
from ever6.web.datamgmt.models import RefreshJob
from ever6.web.guard import audit_recorder, require, snapshot, viewer
from ever6.web.tables import Table, download, requested_download, requested_format

View = TypeVar("View", bound=Callable[..., HttpResponse])

QUEUE_PAGE_SIZE = 20
RETRY_AFTER_SECONDS = 120


def operations() -> Operations:
    return Operations(settings.EVER6_WAREHOUSE)


def handles_warehouse(view: View) -> View:
    """A busy warehouse is a 503 page saying so; no warehouse yet is a page saying what to do."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except WarehouseBusy as exc:
            response = render(
                request, "datamgmt/busy.html", {"title": "The warehouse is busy", "message": str(exc)}, status=503
            )
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        except NoWarehouse as exc:
            return render(request, "datamgmt/no_data.html", {"title": "No data imported yet", "message": str(exc)})
        except NotFound as exc:
            raise Http404(str(exc)) from exc

    return wrapped  # type: ignore[return-value]


def _when(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d %b %Y %H:%M")
    return value.strftime("%d %b %Y")


# --- overview ------------------------------------------------------------------------------------


@require(Capability.DATA_PAGES)
@handles_warehouse
def index(request: HttpRequest) -> HttpResponse:
    overview = operations().overview(viewer(request))
    job = RefreshJob.objects.first()
    counts = latest_counts(snapshot(), viewer(request))
    context = {"title": "Data management", "overview": overview, "job": job, "when": _when, "counts": counts}
    return render(request, "datamgmt/index.html", context)


# --- imports -------------------------------------------------------------------------------------

IMPORT_COLUMNS = (
    ("batch_id", "Import"),
    ("format", "Format"),
    ("files", "Files"),
    ("sha256", "SHA-256"),
    ("reference_date", "Reference date"),
    ("rows", "Rows"),
    ("row_counts", "Rows per table"),
    ("warning_count", "Warnings"),
    ("imported_by", "Imported by"),
    ("imported_at", "Imported at"),
    ("status", "Status"),
)


def _import_row(r: ImportRecord, *, full: bool) -> dict[str, Any]:
    status = "Active" if r.active else f"Rolled back {_when(r.rolled_back_at)} by {r.rolled_back_by}"
    return {
        "batch_id": r.batch_id,
        "format": r.format,
        "files": ", ".join(r.files),
        "sha256": r.sha256 if full else r.sha256_short,
        "reference_date": r.reference_date.isoformat() if full and r.reference_date else _when(r.reference_date),
        "rows": r.rows,
        "row_counts": "; ".join(f"{k}: {v:,}" for k, v in sorted(r.row_counts.items())),
        "warning_count": r.warning_count,
        "imported_by": r.imported_by,
        "imported_at": r.imported_at.isoformat(timespec="seconds") if full else _when(r.imported_at),
        "status": status,
    }


@require(Capability.DATA_PAGES)
@handles_warehouse
def imports(request: HttpRequest) -> HttpResponse:
    ops = operations()
    everything = ops.imports(viewer(request))
    formats = sorted({r.format for r in everything})
    chosen = request.GET.get("format_filter", "")
    records = [r for r in everything if r.format == chosen] if chosen in formats else everything
    caption = f"Imports: {chosen}" if chosen in formats else "Imports"
    numeric = frozenset({"batch_id", "rows", "warning_count"})
    full = Table(caption, IMPORT_COLUMNS, [_import_row(r, full=True) for r in records], numeric)
    if response := requested_download(request, {"imports": full}, "ever6-imports"):
        return response
    return render(
        request,
        "datamgmt/imports.html",
        {
            "title": "Imports",
            "records": records,
            "formats": formats,
            "chosen": chosen if chosen in formats else "",
            "when": _when,
        },
    )


PROBLEM_COLUMNS = (
    ("file", "File"),
    ("line", "Line"),
    ("field", "Field"),
    ("severity", "Severity"),
    ("message", "Problem"),
)


def _batch_id(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise Http404("no such import") from exc


PROBLEM_PAGE_SIZE = 100


def problem_summary(caption: str, problems: list[ImportProblem]) -> Table:
    """How many problems of each kind: by severity, field and DfE rule, the most frequent first
    (an import's, or files' checked before an import)."""
    counts = Counter((p.severity, p.field or "", p.rule or "") for p in problems)
    rows = [
        {"severity": severity, "field": field, "rule": rule, "problems": n}
        for (severity, field, rule), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return Table(
        caption,
        (("severity", "Severity"), ("field", "Field"), ("rule", "DfE rule"), ("problems", "Problems")),
        rows,
        frozenset({"problems"}),
    )


@require(Capability.DATA_PAGES)
@handles_warehouse
def import_detail(request: HttpRequest, batch_id: str) -> HttpResponse:
    record, problems = operations().import_detail(viewer(request), _batch_id(batch_id))
    rows = [
        {"file": p.file, "line": p.line, "field": p.field, "severity": p.severity, "message": p.message}
        for p in problems
    ]
    caption = f"Problems the reader recovered from in import {record.batch_id}"
    problem_table = Table(caption, PROBLEM_COLUMNS, rows, frozenset({"line"}))
    # A page at a time: a batch can hold thousands (the download has them all).
    page = Paginator(rows, PROBLEM_PAGE_SIZE).get_page(request.GET.get("page"))
    shown = Table(
        f"{caption}: {page.start_index():,} to {page.end_index():,} of {len(rows):,}" if rows else caption,
        PROBLEM_COLUMNS,
        list(page.object_list),
        frozenset({"line"}),
    )
    summary = problem_summary(f"Problems in import {record.batch_id}, by field and rule", problems)
    tables_table = Table(
        f"Rows import {record.batch_id} brought in, by table",
        (("table", "Table"), ("rows", "Rows")),
        [{"table": k, "rows": v} for k, v in sorted(record.row_counts.items())],
        frozenset({"rows"}),
    )
    downloads = {"problems": problem_table, "tables": tables_table, "summary": summary}
    if response := requested_download(request, downloads, f"ever6-import-{record.batch_id}"):
        return response
    return render(
        request,
        "datamgmt/import_detail.html",
        {
            "title": f"Import {record.batch_id}: {record.format}",
            "record": record,
            "problems": shown,
            "problem_page": page,
            "summary": summary,
            "tables": tables_table,
            "when": _when,
        },
    )


@require(Capability.DATA_PAGES)
@require_http_methods(["GET", "POST"])
@handles_warehouse
def rollback(request: HttpRequest, batch_id: str) -> HttpResponse:
    """A confirmation page (GET) and the rollback itself (POST)."""
    ops = operations()
    who = viewer(request)
    record, _ = ops.import_detail(who, _batch_id(batch_id))
    error = None
    if request.method == "POST":
        try:
            done = ops.rollback(who, record.batch_id, audit=audit_recorder(request))
        except OperationRefused as exc:
            error = str(exc)
        else:
            messages.success(
                request,
                f"Import {done.batch_id} has been rolled back: its {done.rows:,} rows are out of the warehouse. "
                "Start a refresh to update the published figures.",
            )
            return redirect("datamgmt:import_detail", batch_id=done.batch_id)
    if not record.active and error is None:
        error = f"Import {record.batch_id} has already been rolled back."
    return render(
        request,
        "datamgmt/rollback.html",
        {
            "title": f"Roll back import {record.batch_id}",
            "record": record,
            "error": error,
            "page_error": bool(error),
            "when": _when,
        },
        status=409 if error and request.method == "POST" else 200,
    )


# --- data quality --------------------------------------------------------------------------------


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def _quality_tables(report: QualityReport) -> dict[str, Table]:
    count = frozenset({"problems", "batches", "issues", "children", "without_upn", "linked"})
    rate = report.match_rate
    return {
        "problems": Table(
            "Problems the readers recovered from, by format and severity (active imports)",
            (("format", "Format"), ("severity", "Severity"), ("batches", "Imports"), ("problems", "Problems")),
            report.problems_by_format,
            count,
            note="Warnings: the reader kept the record and dropped or normalised the value.",
        ),
        "dfe": Table(
            "DfE validation rules: issues by rule (active CIN census and SSDA903 imports)",
            (
                ("format", "Format"),
                ("rule", "Rule"),
                ("message", "Message"),
                ("batches", "Imports"),
                ("issues", "Issues"),
                ("children", "Children"),
            ),
            report.dfe_rules,
            count,
            note="The year's DfE rules, run by Data to Insight's validators on each import. They warn and "
            "never refuse: fix them at source before the return is submitted. Codes ending in Q are queries.",
        ),
        "fields": Table(
            "Problems by field",
            (("format", "Format"), ("field", "Field"), ("problems", "Problems")),
            report.problems_by_field,
            count,
        ),
        "match": Table(
            "Linkage: match rate of the children the latest refresh looked for",
            (("group", "Children"), ("children", "Looked for"), ("linked", "Linked now"), ("rate", "Match rate")),
            [
                {
                    "group": "All ages",
                    "children": rate["children"],
                    "linked": rate["linked"],
                    "rate": _rate(rate["rate"]),
                },
                {
                    "group": "School age",
                    "children": rate["school_age_children"],
                    "linked": rate["school_age_linked"],
                    "rate": _rate(rate["school_age_rate"]),
                },
            ]
            if rate
            else [],
            count | {"rate"},
            note="Not the cohort counts above, by definition: the linkage looks for the cohort and for "
            'children looked after at the reference date who are not in it, and "linked now" includes the '
            "review decisions made since the refresh. The cohort counts change only at the next refresh.",
        ),
        "methods": Table(
            "Linkage: children linked, by method",
            (("method", "Method"), ("children", "Children")),
            report.linked_by_method,
            count,
            note="Each child counts once, under the first method that linked them.",
        ),
        "unmatched": Table(
            "Linkage: school-age children not linked, by reason",
            (("reason", "Reason"), ("children", "Children")),
            report.unmatched_by_reason,
            count,
        ),
        "issues": Table(
            "Linkage: records with data-quality issues, by kind",
            (("kind", "Issue"), ("source_table", "Where"), ("issues", "Records")),
            report.linkage_issues,
            count,
        ),
        "upn": Table(
            "Cohort children without a UPN, by status (latest published cohort)",
            (("status", "Status"), ("children", "Children"), ("without_upn", "Without a UPN")),
            report.cohort_upn,
            count,
            note="Without a UPN a child can be linked only by name, date of birth, sex and postcode.",
        ),
        "unregistered": Table(
            "Enrolments at schools missing from the schools register (GIAS)",
            (("schools", "Schools"), ("enrolments", "Pupil enrolments")),
            [report.enrolments_without_school],
            frozenset({"schools", "enrolments"}),
            note="Import the latest GIAS extract to add them; meanwhile their pupils are in no school breakdown.",
        ),
        "stale": Table(
            "Imports rolled back since the latest refresh used them",
            (("batch_id", "Import"), ("format", "Format"), ("rolled_back_at", "Rolled back"), ("rolled_back_by", "By")),
            [{**r, "rolled_back_at": _when(r["rolled_back_at"])} for r in report.stale_batches],
            frozenset({"batch_id"}),
            note="The published figures still include these imports' rows: start a refresh.",
        ),
    }


@require(Capability.DATA_PAGES)
@handles_warehouse
def quality(request: HttpRequest) -> HttpResponse:
    report = operations().quality(viewer(request))
    tables = _quality_tables(report)
    counts = latest_counts(snapshot(), viewer(request))
    if response := requested_download(request, tables, "ever6-data-quality"):
        return response
    return render(
        request,
        "datamgmt/quality.html",
        {"title": "Data quality", "report": report, "tables": tables, "when": _when, "counts": counts},
    )


ISSUE_COLUMNS = (
    ("kind", "Issue"),
    ("source_table", "Where"),
    ("la_child_id", "Child id"),
    ("urn", "URN"),
    ("field", "Field"),
    ("value", "Value"),
    ("problem", "Problem"),
)


@require(Capability.DATA_PAGES)
@handles_warehouse
def quality_issues(request: HttpRequest) -> HttpResponse:
    """The linkage's records to fix at source, one per row (pupil-level: audited)."""
    fmt = requested_format(request)
    rows = operations().linkage_issue_rows(
        viewer(request), audit=audit_recorder(request), purpose="download" if fmt else "view"
    )
    table = Table("Records with data-quality issues", ISSUE_COLUMNS, rows)
    if fmt:
        return download(table, fmt, "ever6-linkage-issues")
    return render(request, "datamgmt/quality_issues.html", {"title": "Records to fix at source", "table": table})


# --- the clerical review queue -------------------------------------------------------------------

QUEUE_COLUMNS = (
    ("la_child_id", "Child id"),
    ("upn", "Pupil UPN"),
    ("urn", "URN"),
    ("school", "School"),
    ("match_probability", "Match probability"),
    ("rank", "Candidate"),
    ("candidate", "Found by"),
    *((f"child_{f}", f"Child: {label.lower()}") for f, label in IDENTITY_FIELDS),
    *((f"pupil_{f}", f"Pupil: {label.lower()}") for f, label in IDENTITY_FIELDS),
    ("matching", "Fields that agree"),
    ("evidence", "Evidence (field, level, match weight)"),
)


def _probability(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


@require(Capability.DATA_PAGES)
@require_http_methods(["GET", "POST"])
@handles_warehouse
def linkage(request: HttpRequest) -> HttpResponse:
    """The queue, a page at a time (each page view audited), with accept and reject per pair."""
    ops = operations()
    who = viewer(request)
    audit = audit_recorder(request)
    errors: list[dict[str, str]] = []
    failed: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        form = DecisionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                made = ops.decide(who, data["la_child_id"], data["upn"], data["decision"], data["reason"], audit=audit)
            except (OperationRefused, NotFound) as exc:
                # NotFound: decided meanwhile by a colleague, or a crafted form; said on the page.
                form.add_error("reason", str(exc))
            else:
                verb = (
                    "accepted: they are now linked, and the child's other candidates rejected"
                    if made["decision"] == "accept"
                    else "rejected: never proposed again"
                )
                messages.success(request, f"Child {made['la_child_id']} and pupil {made['upn']}: {verb}.")
                return redirect(f"{reverse('datamgmt:linkage')}?page={request.POST.get('page', '1')}")
        key = f"{request.POST.get('la_child_id', '')}|{request.POST.get('upn', '')}"
        failed = {"key": key, "reason": request.POST.get("reason", ""), "errors": form.errors}
        status = 400

    fmt = requested_format(request) if request.method == "GET" else None
    if fmt:
        rows, total = ops.review_queue(who, audit=audit, purpose="download")
        table = Table("Clerical review queue", QUEUE_COLUMNS, [_queue_row(r) for r in rows])
        return download(table, fmt, "ever6-linkage-review")

    # Count first (cheaply, without rows) to know the page; then fetch and audit only that page.
    page_number = _page_number(request.POST.get("page") if request.method == "POST" else request.GET.get("page"))
    rows, total = ops.review_queue(who, audit=audit, offset=(page_number - 1) * QUEUE_PAGE_SIZE, limit=QUEUE_PAGE_SIZE)
    paginator = Paginator(range(total), QUEUE_PAGE_SIZE)
    page = paginator.get_page(page_number)
    if total and not rows and page_number > 1:
        # Past the end (the queue shrank as pairs were decided): show the last page.
        return redirect(f"{reverse('datamgmt:linkage')}?page={paginator.num_pages}")
    pairs = []
    for i, r in enumerate(rows):
        key = f"{r['la_child_id']}|{r['upn']}"
        pair_id = f"pair-{page.start_index() + i}"
        pair_errors = failed.get("errors") if failed.get("key") == key else None
        if pair_errors:
            for messages_ in pair_errors.values():
                errors.extend({"text": str(m), "href": f"#{pair_id}-reason"} for m in messages_)
        pairs.append(
            {
                **r,
                "id": pair_id,
                "probability": _probability(r["match_probability"]),
                "error": " ".join(str(m) for ms in pair_errors.values() for m in ms) if pair_errors else None,
                "reason_value": failed.get("reason", "") if pair_errors else "",
            }
        )
    if failed and not errors:
        # The pair is no longer in the queue (decided meanwhile, or a crafted form).
        errors.append({"text": "That pair is no longer awaiting review", "href": "#main-content"})
    return render(
        request,
        "datamgmt/linkage.html",
        {
            "title": "Clerical review queue",
            "pairs": pairs,
            "total": total,
            "page": page,
            "errors": errors,
            "page_error": bool(errors),
            "identity_fields": IDENTITY_FIELDS,
        },
        status=status,
    )


def _page_number(text: str | None) -> int:
    try:
        return max(1, int(text or "1"))
    except ValueError:
        return 1


def _queue_row(r: dict[str, Any]) -> dict[str, Any]:
    row = {k: r.get(k) for k, _ in QUEUE_COLUMNS if k not in ("matching", "evidence")}
    row["match_probability"] = _probability(r["match_probability"])
    for f, _ in IDENTITY_FIELDS:
        for side in ("child", "pupil"):
            value = row.get(f"{side}_{f}")
            row[f"{side}_{f}"] = value.isoformat() if isinstance(value, date) else value
    row["matching"] = ", ".join(r["matching_fields"])
    row["evidence"] = ", ".join(f"{e['label']} {e['level']} {e['weight']}" for e in r.get("evidence_rows", []))
    return row


# --- refresh -------------------------------------------------------------------------------------

JOB_COLUMNS = (
    ("as_at", "As at"),
    ("requested_by", "Started by"),
    ("started_at", "Started"),
    ("finished_at", "Finished"),
    ("status", "Status"),
    ("run_id", "Run"),
    ("outcome", "Outcome"),
)


@require(Capability.DATA_PAGES)
@require_http_methods(["GET", "POST"])
def refresh(request: HttpRequest) -> HttpResponse:
    """Start a refresh (POST) and follow it (GET: the page reloads itself while it runs)."""
    form = RefreshForm(request.POST or None)
    status = 200
    refused = None
    if request.method == "POST" and form.is_valid():
        try:
            jobs.start(viewer(request), form.cleaned_data["as_at"], settings.EVER6_WAREHOUSE)
        except jobs.RefreshRefused as exc:
            refused = str(exc)
            status = 409
        else:
            return redirect("datamgmt:refresh")
    elif request.method == "POST":
        status = 400
    current = jobs.running_job()
    latest = current or RefreshJob.objects.first()
    recent = [
        {
            "as_at": _when(j.as_at),
            "requested_by": j.requested_by,
            "started_at": _when(j.started_at and localtime(j.started_at)),
            "finished_at": _when(j.finished_at and localtime(j.finished_at)),
            "status": j.status_label,
            "run_id": j.run_id,
            "outcome": j.error or j.message,
        }
        for j in RefreshJob.objects.all()[:10]
    ]
    errors = error_list(form) if request.method == "POST" and form.errors else []
    if refused:
        errors.append({"text": refused, "href": "#refresh-status"})
    return render(
        request,
        "datamgmt/refresh.html",
        {
            "title": "Refresh the figures",
            "form": form,
            "current": current,
            "latest": latest,
            "auto_reload": current is not None and request.GET.get("reload") != "off",
            "recent": Table("Recent refreshes", JOB_COLUMNS, recent, frozenset({"run_id"})),
            "census_date": census_date(date.today()),
            "errors": errors,
            "page_error": bool(errors),
            "when": _when,
        },
        status=status,
    )


def census_date(today: date) -> str:
    """The latest CIN census reference date (31 March) on or before ``today``, as a hint shows it."""
    year = today.year if (today.month, today.day) >= (3, 31) else today.year - 1
    return f"31 March {year}"


def error_list(form: RefreshForm) -> list[dict[str, str]]:
    """The error summary's list, each error linked to the date input's part it is about."""
    return [{"text": str(e), "href": f"#id_{name}"} for name, es in form.errors.items() for e in es]
