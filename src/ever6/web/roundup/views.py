"""The half-termly round-up: write it (news in Markdown, upcoming training and clinics), preview
it as a recipient gets it, send it to all, and see what was sent to whom; and the opt-outs."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from ever6.access import AuditEntry, Capability, NotPublished, Viewer
from ever6.web.guard import audit_recorder, require, viewer
from ever6.web.outbox.models import Message
from ever6.web.roundup import optout
from ever6.web.roundup.content import KIND, news_html, recipients
from ever6.web.roundup.forms import OptOutForm, RoundUpForm
from ever6.web.roundup.models import OptOut, RoundUp
from ever6.web.roundup.send import compose, send_all

PROBLEM_STATES = ("invalid", "failed", "bounced")


@require(Capability.PARTNERSHIP)
def index(request: HttpRequest) -> HttpResponse:
    roundups = list(RoundUp.objects.all()[:50])
    return render(request, "roundup/index.html", {"title": "Half-termly round-ups", "roundups": roundups})


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    form = RoundUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            roundup = RoundUp.objects.create(
                subject=form.cleaned_data["subject"],
                news=form.cleaned_data["news"],
                created_by=viewer(request).username,
            )
            roundup.sessions.set(form.cleaned_data["sessions"])
            roundup.clinics.set(form.cleaned_data["clinics"])
        return redirect("roundup:detail", roundup_id=roundup.pk)
    return render(request, "roundup/form.html", {"title": "Write a round-up", "form": form})


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, roundup_id: int) -> HttpResponse:
    roundup = get_object_or_404(RoundUp, pk=roundup_id)
    who = viewer(request)
    if request.method == "POST" and roundup.sent_at is not None:
        messages.error(request, "This round-up has already been sent: nothing was sent again.")
        return redirect("roundup:detail", roundup_id=roundup.pk)
    if request.method == "POST":
        try:
            count = send_all(roundup, by=who.username)
        except NotPublished:
            messages.error(request, "Nothing has been published yet: the round-up cannot carry the figures.")
            return redirect("roundup:detail", roundup_id=roundup.pk)
        audit_recorder(request)(who, AuditEntry(action="send", what="roundup", object_id=str(roundup.pk), rows=count))
        messages.success(request, f"The round-up is queued for {count} recipients.")
        return redirect("roundup:detail", roundup_id=roundup.pk)
    sent = list(Message.objects.filter(kind=KIND, reference__startswith=f"{KIND}:{roundup.pk}:").order_by("to", "id"))
    everyone = recipients(timezone.localdate()) if roundup.sent_at is None else []
    preview = None
    if everyone:
        try:
            preview = compose(roundup, only=everyone[:1])[0]
        except NotPublished:
            preview = None
    return render(
        request,
        "roundup/detail.html",
        {
            "title": roundup.subject,
            "roundup": roundup,
            "news": news_html(roundup.news),
            "recipients": everyone,
            "preview": preview,
            "sent": sent,
            "problems": [m for m in sent if m.state in PROBLEM_STATES],
            "pending": sum(1 for m in sent if m.state == "pending"),
        },
    )


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def optouts(request: HttpRequest) -> HttpResponse:
    form = OptOutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        if not optout.opt_out(request, email, by=viewer(request), how="recorded by an officer"):
            form.add_error("email", "This address has already opted out")
        else:
            messages.success(request, f"{email} will not get the round-up, unless they are a school's named CWSW lead.")
            return redirect("roundup:optouts")
    return render(
        request, "roundup/optouts.html", {"title": "Round-up opt-outs", "form": form, "optouts": OptOut.objects.all()}
    )


@require_http_methods(["GET", "POST"])
def self_optout(request: HttpRequest, token: str) -> HttpResponse:
    """The link in a round-up email: GET asks to confirm, POST opts the address out. No sign-in:
    the signed token is the proof that the service sent the link to this address."""
    email = optout.email_of(token)
    context: dict[str, object] = {"title": "Stop getting the round-up", "email": email, "state": "confirm"}
    if email is None:
        context["state"] = "invalid"
        return render(request, "roundup/self_optout.html", context, status=400)
    if optout.is_named_lead(email, timezone.localdate()):
        context["state"] = "lead"
    elif OptOut.objects.filter(email=email).exists():
        context["state"] = "done"
    elif request.method == "POST":
        who = Viewer(f"self: {email}", None)
        optout.opt_out(request, email, by=who, how="the link in the round-up")
        context["state"] = "done"
    return render(request, "roundup/self_optout.html", context)
