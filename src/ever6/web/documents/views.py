"""Downloading the documents. A governors' pack: a school's DSL their own school's (the portal), the
Virtual School any school's (the school page). The annual report: the Virtual School Head. Every
download is written to the audit log.

The pack holds suppressed figures only, whoever downloads it: it is made to leave the Virtual
School. The figures go through the access layer as the downloader (a school user gets only its
own schools' rows, whatever the URL says).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from ever6.access import AuditEntry, Capability, NotPublished
from ever6.web.documents import annual, governors
from ever6.web.guard import audit_recorder, require, snapshot, viewer
from ever6.web.schools.models import School


def _pack(request: HttpRequest, urn: str) -> HttpResponse:
    who = viewer(request)
    snap = snapshot()
    try:
        published = snap.academic_years()
    except NotPublished as exc:
        raise Http404("nothing has been published yet") from exc
    year = request.GET.get("year", "")
    if year not in published:
        year = published[-1] if published else ""
    if not year:
        raise Http404("nothing has been published yet")
    years = governors.pack_years(snap, year)
    cells = governors.gather(snap, who, [urn], years)[urn]
    today = timezone.localdate()
    ctx = governors.context(
        urn, cells, years, governors.details(urn, today=today), as_at=snap.run().as_at, made_on=today
    )
    pdf = governors.render(ctx)
    audit_recorder(request)(
        who, AuditEntry(action="download", what="governors_pack", object_id=urn, detail={"year": year})
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{governors.filename(urn, year)}"'
    response["Cache-Control"] = "no-store"
    return response


@require(Capability.SCHOOL_PORTAL)
def portal_pack(request: HttpRequest, urn: str) -> HttpResponse:
    viewer(request).require_school(urn)  # before anything is read
    return _pack(request, urn)


@require(Capability.PARTNERSHIP)
def school_pack(request: HttpRequest, urn: str) -> HttpResponse:
    get_object_or_404(School, urn=urn)
    return _pack(request, urn)


# --- the annual report -----------------------------------------------------------------------------

FORMATS = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@require(Capability.ANNUAL_REPORT)
def annual_report(request: HttpRequest) -> HttpResponse:
    """The annual report for the Director of Children's Services: a page to choose the year and
    whether the figures are shared (disclosure control applied, the default) or internal, and the
    downloads (``?format=pdf`` the report, ``?format=xlsx`` its tables), each written to the audit
    log as the command line's are."""
    who = viewer(request)
    snap = snapshot()
    may_internal = who.can(Capability.UNSUPPRESSED_FIGURES)
    try:
        published = snap.academic_years()
    except NotPublished:
        published = []
    year = request.GET.get("year", "")
    if year not in published:
        year = published[-1] if published else ""
    internal = request.GET.get("figures") == "internal"
    if internal and not may_internal:
        raise PermissionDenied("figures without disclosure control are for the Virtual School only")
    fmt = request.GET.get("format", "")
    if fmt in FORMATS and year:
        with snap.pinned():
            ctx = annual.build(snap, who, year, internal=internal, today=timezone.localdate())
        body = annual.render(ctx) if fmt == "pdf" else annual.tables_workbook(ctx)
        audit_recorder(request)(
            who,
            AuditEntry(
                action="download",
                what="annual_report",
                object_id=year,
                detail={"internal": internal, "format": fmt},
            ),
        )
        response = HttpResponse(body, content_type=FORMATS[fmt])
        response["Content-Disposition"] = f'attachment; filename="{annual.filename(year, fmt)}"'
        response["Cache-Control"] = "no-store"
        return response
    return render(
        request,
        "documents/annual_page.html",
        {
            "title": "Annual report",
            "year": year,
            "year_items": [{"value": y, "text": y, "selected": y == year} for y in reversed(published)],
            "may_internal": may_internal,
            "internal": internal,
        },
    )
