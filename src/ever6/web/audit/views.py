"""The audit log, for the auditor: who saw which pupils' rows, downloaded them or decided a link."""

from __future__ import annotations

from datetime import date

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ever6.access import Capability
from ever6.web.audit.models import AuditEvent
from ever6.web.guard import require
from ever6.web.tables import Table, download, requested_format

COLUMNS = (
    ("at", "When"),
    ("username", "Who"),
    ("role", "Role"),
    ("action", "Action"),
    ("what", "What"),
    ("object_id", "Which"),
    ("rows", "Rows"),
    ("path", "Page"),
    ("ip_address", "Address"),
)


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@require(Capability.AUDIT_LOG)
def index(request: HttpRequest) -> HttpResponse:
    events = AuditEvent.objects.all()
    filters = {k: request.GET.get(k, "").strip() for k in ("username", "action", "what", "from", "to")}
    if filters["username"]:
        events = events.filter(username__iexact=filters["username"])
    if filters["action"]:
        events = events.filter(action=filters["action"])
    if filters["what"]:
        events = events.filter(what=filters["what"])
    if start := _day(filters["from"]):
        events = events.filter(at__date__gte=start)
    if end := _day(filters["to"]):
        events = events.filter(at__date__lte=end)

    if fmt := requested_format(request):
        rows = [{k: getattr(e, k) for k, _ in COLUMNS} for e in events[:100_000]]
        for row in rows:
            row["at"] = row["at"].isoformat(timespec="seconds")
            row["ip_address"] = row["ip_address"] or ""
        return download(Table("Audit log", COLUMNS, rows, frozenset({"rows"})), fmt, "ever6-audit-log")

    page = Paginator(events, 50).get_page(request.GET.get("page"))
    rows = [
        {
            **{k: getattr(e, k) for k, _ in COLUMNS},
            "at": e.at.strftime("%d %b %Y %H:%M:%S"),
            "ip_address": e.ip_address or "",
        }
        for e in page.object_list
    ]
    table = Table("Audit events", COLUMNS, rows, frozenset({"rows"}))
    actions = sorted(set(AuditEvent.objects.values_list("action", flat=True).distinct()))
    return render(
        request,
        "audit/index.html",
        {"title": "Audit log", "table": table, "page": page, "filters": filters, "actions": actions},
    )
