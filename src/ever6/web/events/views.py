"""The social worker's pages (their allocated children's events, acknowledged in one click) and a
school's page to record an event. Every view of a child's event is written to the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from ever6.access import AuditEntry, Capability, NotPublished
from ever6.web.events import service
from ever6.web.events.forms import RecordEventForm
from ever6.web.events.models import Event, Kind
from ever6.web.events.record import AUTHORITY, LABELS, MEASURES, SPECS, record_rows, shared, terms_present
from ever6.web.forms import date_items, posted
from ever6.web.guard import agreement_in_force, audit_recorder, require, snapshot, viewer
from ever6.web.schools.models import Contact, ContactRole, School
from ever6.web.tables import Figure, Table, download, requested_format


def _allocated(request: HttpRequest) -> dict[str, dict[str, Any]]:
    """The children allocated to the signed-in social worker, by child id (audited)."""
    try:
        rows = snapshot().allocated_children(viewer(request), audit=audit_recorder(request))
    except NotPublished:
        return {}
    return {str(r["la_child_id"]): r for r in rows}


def _school_names(urns: set[str]) -> dict[str, str]:
    return dict(School.objects.filter(urn__in=urns).values_list("urn", "name"))


@require(Capability.ALLOCATED_CHILDREN)
def index(request: HttpRequest) -> HttpResponse:
    children = _allocated(request)
    events = list(Event.objects.filter(la_child_id__in=list(children)).order_by("acknowledged_at", "-event_date"))
    audit_recorder(request)(viewer(request), AuditEntry(action="view", what="allocated_events", rows=len(events)))
    names = _school_names({e.urn for e in events})
    rows = [
        {
            "event": e,
            "child": children[e.la_child_id],
            "school": names.get(e.urn, f"School {e.urn}"),
        }
        for e in events
    ]
    return render(
        request,
        "events/index.html",
        {"title": "Events for children allocated to you", "rows": rows, "children": len(children)},
    )


def _named_lead(urn: str) -> list[Contact]:
    today = timezone.localdate()
    return [c for c in Contact.objects.filter(school_id=urn, role=ContactRole.DSL) if c.current_on(today)]


@require(Capability.ALLOCATED_CHILDREN)
def event(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Event, pk=pk)
    children = _allocated(request)
    if item.la_child_id not in children:
        raise PermissionDenied("this event is for a child not allocated to you")
    who, audit = viewer(request), audit_recorder(request)
    if request.method == "POST":
        service.acknowledge(item, who)
        audit(who, AuditEntry(action="decision", what="event_acknowledged", object_id=str(item.pk), rows=1))
        messages.success(request, "You have acknowledged this event.")
        return redirect("events:event", pk=item.pk)
    audit(who, AuditEntry(action="view", what="event", object_id=str(item.pk), rows=1))
    school = School.objects.filter(urn=item.urn).first()
    return render(
        request,
        "events/event.html",
        {
            "title": item.get_kind_display(),
            "item": item,
            "child": children[item.la_child_id],
            "school": school.name if school else f"School {item.urn}",
            "leads": _named_lead(item.urn),
        },
    )


@require(Capability.SCHOOL_PORTAL)
def record(request: HttpRequest, urn: str) -> HttpResponse:
    """A DSL records an event for one of their own Ever6 CWSW pupils whose plan is open now."""
    from ever6.web.portal.views import _no_agreement, _school_name

    who = viewer(request)
    who.require_school(urn)
    name = _school_name(request, urn)
    if not agreement_in_force(urn):
        return _no_agreement(request, urn, name)
    audit = audit_recorder(request)
    snap = snapshot()
    pupils = snap.portal_pupils(who, urn, audit=audit, agreement_in_force=agreement_in_force, what="event_pupils")
    allocation = snap.portal_allocations(who, urn, audit=audit, agreement_in_force=agreement_in_force)
    open_now = {p["upn"]: p for p in pupils if allocation.get(p["upn"], {}).get("plan_open")}
    choices = [(upn, f"{p['surname']}, {p['forename']} (UPN {upn})") for upn, p in open_now.items()]
    form = RecordEventForm(posted(request), pupils=choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upn = data["pupil"]
        la_child_id = str(allocation[upn]["la_child_id"])
        worker_email, team_email = service.allocation_for(la_child_id)
        agreed = {"yes": True, "no": False}.get(data["carer_agreed"])
        item, _ = service.merge(
            la_child_id=la_child_id,
            urn=urn,
            upn=upn,
            kind=data["kind"],
            event_date=data["event_date"],
            from_school=True,
            review_date=data["review_date"],
            proposed_end_date=data["proposed_end_date"],
            carer_agreed=agreed,
            removal_reason=data["removal_reason"],
            recorded_by=who.username,
            worker_email=worker_email,
            team_email=team_email,
        )
        audit(who, AuditEntry(action="decision", what="event_recorded", object_id=str(item.pk), rows=1))
        told = service.notify(item)
        messages.success(
            request,
            "Event recorded. The allocated social worker will be emailed."
            if told
            else "Event recorded. No social worker or team is known for this pupil: tell the local authority.",
        )
        return redirect("portal:school", urn=urn)
    return render(
        request,
        "events/record.html",
        {
            "title": f"Record an event: {name}",
            "urn": urn,
            "name": name,
            "form": form,
            "pupils": choices,
            "kinds": Kind.choices,
            "dates": {n: date_items(form, n) for n in ("event_date", "review_date", "proposed_end_date")},
        },
    )


def _record_table(rows: list[dict[str, Any]], year: str, term: str, names: dict[str, str], caption: str) -> Table:
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        if (r["academic_year"], r["period"]) == (year, term):
            cells[(r["breakdown_value"], r["measure"])] = r
    places = sorted({v for v, _ in cells if v != AUTHORITY}, key=lambda u: ((names.get(u) or u).lower(), u))
    table_rows = []
    for place in [AUTHORITY, *places]:
        label = "The authority" if place == AUTHORITY else f"{names.get(place, 'School')} ({place})"
        row: dict[str, Any] = {"place": label}
        for m in MEASURES:
            cell = cells.get((place, m))
            row[m] = Figure.of(_figure_row(cell), count=SPECS[m].kind == "count", missing="")
        table_rows.append(row)
    columns = [("place", "School or authority"), *((m, LABELS[m]) for m in MEASURES)]
    note = SUPPRESSED_NOTE if rows and "suppression_reason" in rows[0] else ""
    return Table(caption, columns, table_rows, frozenset(MEASURES), note)


def _figure_row(cell: dict[str, Any] | None) -> dict[str, Any] | None:
    """A record row as :class:`Figure` reads it: the published text and the number it shows."""
    if cell is None:
        return None
    value = cell["value"]
    if isinstance(value, str):  # suppressed: the published text
        number = float(value) if value.replace(".", "", 1).isdigit() else None
        return {"value": value, "figure": number}
    if value is None:
        return {"value": "", "figure": None}
    shown = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
    return {"value": shown, "figure": float(value)}


SUPPRESSED_NOTE = "As shared outside the Virtual School: c means withheld, to protect the children behind small counts."


@require(Capability.COHORT_FIGURES)
def cohort_record(request: HttpRequest) -> HttpResponse:
    """The Virtual School's record: per school and for the authority, per term; ``?shared=1`` (and
    every download of it) with disclosure control, as shared outside the Virtual School."""
    rows = record_rows()
    terms = terms_present(rows)
    chosen = request.GET.get("term", "")
    year, term = next((t for t in terms if f"{t[0]}-{t[1]}" == chosen), terms[0] if terms else ("", ""))
    is_shared = request.GET.get("shared") == "1"
    fmt = requested_format(request)
    if is_shared or fmt:
        rows = shared(rows)
    names = _school_names({r["breakdown_value"] for r in rows if r["breakdown"] == "school"})
    table = _record_table(rows, year, term, names, f"Events for children with a social worker, {year} {term} term")
    if fmt:
        return download(table, fmt, f"ever6-events-{year.replace('/', '-')}-{term}")
    return render(
        request,
        "events/record_page.html",
        {
            "title": "Telling social workers: the record",
            "table": table,
            "terms": [(f"{y}-{t}", f"{y}, {t} term") for y, t in terms],
            "chosen": f"{year}-{term}",
            "shared": is_shared,
        },
    )


def who_to_tell(request: HttpRequest, urn: str, pupils: list[dict[str, Any]]) -> list[dict[str, str]]:
    """For the portal's pupil list: whether each pupil's plan is open now (so the duties to tell the
    social worker apply) and how to reach the allocated team. Audited by the access layer."""
    allocation = snapshot().portal_allocations(
        viewer(request), urn, audit=audit_recorder(request), agreement_in_force=agreement_in_force
    )
    rows = []
    for p in pupils:
        a = allocation.get(str(p["upn"]), {})
        rows.append(
            {
                "name": f"{p['surname']}, {p['forename']}",
                "plan_open": "Yes" if a.get("plan_open") else "No",
                "worker": str(a.get("worker_name") or ""),
                "team": str(a.get("team") or ""),
                "team_email": str(a.get("team_email") or ""),
            }
        )
    return rows
