"""Composing each recipient's round-up and queuing it in the shared outbox (``ever6.web.outbox``),
which sends it over SMTP with retries; the outbox's rows are the record of what went to whom."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.template.loader import render_to_string
from django.utils import timezone

from ever6.access import Role, Viewer
from ever6.web.documents.governors import SUPPRESSION_NOTE
from ever6.web.guard import snapshot
from ever6.web.roundup.content import (
    COLUMNS,
    KIND,
    Recipient,
    news_html,
    recipients,
    reference,
    school_figures,
    text_body,
)
from ever6.web.roundup.models import RoundUp
from ever6.web.roundup.optout import link as optout_link


@dataclass(frozen=True)
class Email:
    recipient: Recipient
    reference: str
    subject: str
    body: str
    html: str


def _sessions(roundup: RoundUp) -> list[str]:
    return [f"{s.course.title}, {s.date:%-d %B %Y}" for s in roundup.sessions.select_related("course").order_by("date")]


def _clinics(roundup: RoundUp) -> list[str]:
    return [
        f"{c.get_partner_display()}: {c.topic}, {timezone.localtime(c.starts_at):%-d %B %Y}"
        for c in roundup.clinics.order_by("starts_at")
    ]


def compose(roundup: RoundUp, *, today: date | None = None, only: list[Recipient] | None = None) -> list[Email]:
    """Every recipient's email (or ``only`` those given), each with its own school's figures."""
    chosen = only if only is not None else recipients(today or timezone.localdate())
    # The figures leave the Virtual School: suppressed, read as a Virtual School role would for sharing.
    viewer = Viewer("system:roundup", Role.VS_OFFICER)
    year, figures = school_figures(snapshot(), viewer, sorted({r.urn for r in chosen}))
    news = news_html(roundup.news)
    sessions, clinics = _sessions(roundup), _clinics(roundup)
    emails = []
    for r in chosen:
        rows = figures.get(r.urn, [])
        # The named lead always gets it: only the school's other contacts get a link to opt out.
        link = "" if r.lead else optout_link(r.email)
        body = text_body(
            recipient=r,
            news=roundup.news,
            year=year,
            figures=rows,
            sessions=sessions,
            clinics=clinics,
            optout_link=link,
        )
        html = render_to_string(
            "roundup/email.html",
            {
                "recipient": r,
                "subject": roundup.subject,
                "news": news,
                "sessions": sessions,
                "clinics": clinics,
                "year": year,
                "rows": rows,
                "columns": [(key, heading) for key, heading, *_ in COLUMNS],
                "note": SUPPRESSION_NOTE,
                "optout_link": link,
            },
        )
        emails.append(Email(r, reference(roundup.pk, r.urn), roundup.subject, body, html))
    return emails


def send_all(roundup: RoundUp, *, by: str) -> int:
    """Queue the round-up for every recipient (once each: the outbox ignores a second queuing)."""
    from ever6.web.outbox.service import enqueue

    emails = compose(roundup)
    for e in emails:
        enqueue(kind=KIND, reference=e.reference, to=e.recipient.email, subject=e.subject, body=e.body, html=e.html)
    RoundUp.objects.filter(pk=roundup.pk, sent_at=None).update(sent_at=timezone.now(), sent_by=by)
    return len(emails)
