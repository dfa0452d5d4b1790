"""Registrations: registering people from a school for a session (within its places), and withdrawing.

Every change is a POST by a partnership role; a form with errors is shown again with a GOV.UK
error summary (status 400) and nothing is saved.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from ever6.access import Capability
from ever6.web.guard import require, viewer
from ever6.web.training.forms import RegistrationForm
from ever6.web.training.models import Attendance, Registration, Session


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, session_id: int) -> HttpResponse:
    record = get_object_or_404(Session.objects.select_related("course"), pk=session_id)
    if request.method == "POST":
        form = RegistrationForm(request.POST, session=record)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    # Check the places again, holding the session's row, in the transaction that
                    # takes one: two people cannot take the last place at once.
                    Session.objects.select_for_update().filter(pk=record.pk).first()
                    taken = Registration.objects.filter(session=record).count()
                    if record.capacity is not None and taken >= record.capacity:
                        raise _Full
                    Registration.objects.create(
                        session=record,
                        attendee_name=data["attendee_name"],
                        email=data["email"],
                        role=data["role"],
                        school=data.get("school"),
                        registered_by=viewer(request).username,
                    )
            except _Full:
                form.add_error(None, f"This session is full: all {record.capacity} places are taken")
            except IntegrityError:
                form.add_error("email", "This email address is already registered for this session")
            else:
                messages.success(request, f"Registered {data['attendee_name']} for this session.")
                return redirect("training:session", session_id=record.pk)
    else:
        form = RegistrationForm(session=record)
    taken = record.registrations.count()
    return render(
        request,
        "training/register.html",
        {
            "title": f"Register someone: {record}",
            "session": record,
            "form": form,
            "full": record.capacity is not None and taken >= record.capacity,
            "school_items": [
                {"value": value, "text": label, "selected": str(form["school"].value() or "") == value}
                for value, label in form.fields["school"].choices
            ],
            "page_error": bool(form.errors),
        },
        status=400 if form.errors else 200,
    )


class _Full(Exception):
    """The last place went while the form was being filled in."""


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, registration_id: int) -> HttpResponse:
    """Take someone off a session (frees the place). Refused once their attendance is recorded."""
    reg = get_object_or_404(Registration.objects.select_related("session__course"), pk=registration_id)
    recorded = reg.attendance != Attendance.NOT_RECORDED
    if request.method == "POST" and not recorded:
        name, session_id = reg.attendee_name, reg.session_id
        reg.delete()
        messages.success(request, f"Withdrew {name} from this session.")
        return redirect("training:session", session_id=session_id)
    return render(
        request,
        "training/withdraw.html",
        {"title": f"Withdraw {reg.attendee_name}", "reg": reg, "recorded": recorded, "page_error": recorded},
        status=400 if recorded and request.method == "POST" else 200,
    )
