"""Feedback: recording one registration's feedback, and the summary of scores by course.

Every change is a POST by a partnership role; a form with errors is shown again with a GOV.UK
error summary (status 400) and nothing is saved.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Avg, Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from ever6.access import Capability
from ever6.web.charts import Point, bar_chart
from ever6.web.guard import require, viewer
from ever6.web.tables import Table, download, requested_format
from ever6.web.training.forms import FeedbackForm
from ever6.web.training.models import Course, Registration
from ever6.web.training.views.common import AUDIENCE_LABELS

FEEDBACK_COLUMNS = (
    ("title", "Course"),
    ("audience", "For"),
    ("registered", "Registered"),
    ("attended", "Attended"),
    ("responses", "Feedback responses"),
    ("mean", "Mean score (1 to 5)"),
)


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def feedback(request: HttpRequest, registration_id: int) -> HttpResponse:
    reg = get_object_or_404(Registration.objects.select_related("session__course", "school"), pk=registration_id)
    if request.method == "POST":
        form = FeedbackForm(request.POST, attended=reg.attended)
        if form.is_valid():
            reg.feedback_score = form.cleaned_data["score"]
            reg.feedback_comment = form.cleaned_data["comment"]
            reg.feedback_recorded_by = viewer(request).username
            reg.feedback_recorded_at = timezone.now()
            reg.save(
                update_fields=["feedback_score", "feedback_comment", "feedback_recorded_by", "feedback_recorded_at"]
            )
            messages.success(request, f"Recorded feedback from {reg.attendee_name}.")
            return redirect("training:session", session_id=reg.session_id)
    else:
        initial = {"score": str(reg.feedback_score) if reg.feedback_score else "", "comment": reg.feedback_comment}
        form = FeedbackForm(attended=reg.attended, initial=initial)
    return render(
        request,
        "training/feedback_form.html",
        {
            "title": f"Feedback from {reg.attendee_name}",
            "reg": reg,
            "form": form,
            "score_items": [
                {"value": str(n), "text": f"{n} – {label}", "checked": str(form["score"].value() or "") == str(n)}
                for n, label in SCORE_LABELS.items()
            ],
            "page_error": bool(form.errors),
        },
        status=400 if form.errors else 200,
    )


SCORE_LABELS = {1: "very poor", 2: "poor", 3: "satisfactory", 4: "good", 5: "excellent"}


@require(Capability.PARTNERSHIP)
def feedback_summary(request: HttpRequest) -> HttpResponse:
    courses = Course.objects.annotate(
        n_registered=Count("sessions__registrations"),
        n_attended=Count("sessions__registrations", filter=Q(sessions__registrations__attendance="attended")),
        n_responses=Count("sessions__registrations__feedback_score"),
        mean=Avg("sessions__registrations__feedback_score"),
    ).order_by("title")
    rows = [
        {
            "title": c.title,
            "audience": AUDIENCE_LABELS[c.audience],
            "registered": c.n_registered,
            "attended": c.n_attended,
            "responses": c.n_responses,
            "mean": f"{c.mean:.2f}" if c.mean is not None else "x",
        }
        for c in courses
        if c.n_registered
    ]
    overall = Registration.objects.aggregate(mean=Avg("feedback_score"), n=Count("feedback_score"))
    table = Table(
        "Feedback by course: mean score from 1 (very poor) to 5 (excellent)",
        FEEDBACK_COLUMNS,
        rows,
        frozenset({"registered", "attended", "responses", "mean"}),
        "Only people who attended give feedback. x: no feedback recorded yet.",
    )
    if fmt := requested_format(request):
        return download(table, fmt, "ever6-training-feedback")
    scored = [r for r in rows if r["mean"] != "x"]
    spec = bar_chart(
        [Point(category=r["title"], series="Mean score", value=float(r["mean"])) for r in scored],
        title="Mean feedback score by course (1 to 5)",
        category_title="Course",
        value_title="Mean score (1 to 5)",
        categories=[r["title"] for r in scored],
        series=["Mean score"],
    )
    return render(
        request,
        "training/feedback.html",
        {
            "title": "Training feedback",
            "table": table,
            "spec": spec,
            "overall_mean": f"{overall['mean']:.2f}" if overall["mean"] is not None else None,
            "overall_n": overall["n"],
        },
    )
