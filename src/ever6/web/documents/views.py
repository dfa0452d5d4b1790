"""Downloading a governors' pack: a school's DSL their own school's (the portal), the Virtual
School any school's (the school page). Every download is written to the audit log.

The pack holds suppressed figures only, whoever downloads it: it is made to leave the Virtual
School. The figures go through the access layer as the downloader (a school user gets only its
own schools' rows, whatever the URL says).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from ever6.access import AuditEntry, Capability, NotPublished
from ever6.web.documents import governors
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
