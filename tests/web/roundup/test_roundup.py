"""The half-termly round-up, sent through the outbox to a real SMTP server (aiosmtpd): who gets it,
each recipient's own school's suppressed figures (and no other figure), the opt-out, the news
sanitised, a retry after the server was down, and a refused address reported."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from email.message import Message as EmailMessage
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.test import Client
from django.utils import timezone

from tests.web.conftest import Published
from tests.web.smtp import Mailbox, free_port, smtp_server, use_server

pytestmark = pytest.mark.django_db

FIGURE_LINE = re.compile(r"^- (?P<measure>[^:]+): (?P<cells>.*)$", re.MULTILINE)


def _published(snapshot: Path, urn: str) -> dict[str, set[str]]:
    """Every published text of the school's and the authority's cells, latest year, by measure."""
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        year = con.execute("SELECT max(academic_year) FROM metric").fetchone()[0]  # type: ignore[index]
        rows = con.execute(
            """SELECT measure, value, figure FROM metric_suppressed
               WHERE period = 'year' AND academic_year = ?
                 AND ((breakdown = 'school' AND breakdown_value = ? AND "group" IN ('cwsw', 'not_cwsw'))
                      OR (breakdown = 'all' AND "group" = 'cwsw'))""",
            [year, urn],
        ).fetchall()
    finally:
        con.close()
    out: dict[str, set[str]] = {}
    for measure, value, figure in rows:
        text = f"{int(figure):,}" if measure == "pupils" and figure is not None else value
        out.setdefault(measure, set()).add(text)
    return out


def _text(message: EmailMessage) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload: Any = part.get_payload(decode=True)
            return str(payload.decode(part.get_content_charset() or "utf-8")).replace("\r\n", "\n")
    raise AssertionError("no plain-text part")


def _html(message: EmailMessage) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload: Any = part.get_payload(decode=True)
            return str(payload.decode(part.get_content_charset() or "utf-8")).replace("\r\n", "\n")
    raise AssertionError("no HTML part")


@pytest.fixture
def contacts(accounts: dict[str, object], published: Published) -> dict[str, str]:
    from ever6.web.roundup.models import OptOut
    from ever6.web.schools.models import Contact, School

    def add(urn: str, role: str, email: str, **extra: Any) -> None:
        Contact.objects.create(school_id=urn, name=email.split("@")[0].title(), role=role, email=email, **extra)

    add(published.urn, "dsl", "lead.a@a.sch.uk")
    add(published.urn, "senco", "senco.a@a.sch.uk")
    add(published.urn, "designated_teacher", "dt.a@a.sch.uk")  # opts out below
    add(published.urn, "dsl", "old.lead@a.sch.uk", to_date=timezone.localdate() - timedelta(days=30))  # left
    add(published.other_urn, "dsl", "lead.b@b.sch.uk")
    add(published.unsigned_urn, "dsl", "nobody@c.sch.uk")  # the server refuses this one
    # A school with no named lead gets nothing, even for its other contacts.
    no_lead = School.objects.exclude(urn__in=[published.urn, published.other_urn, published.unsigned_urn]).first()
    assert no_lead is not None
    add(no_lead.urn, "senco", "senco.d@d.sch.uk")
    OptOut.objects.create(email="dt.a@a.sch.uk")
    OptOut.objects.create(email="lead.b@b.sch.uk")  # a named lead cannot opt out
    return {
        "lead.a@a.sch.uk": published.urn,
        "senco.a@a.sch.uk": published.urn,
        "lead.b@b.sch.uk": published.other_urn,
        "nobody@c.sch.uk": published.unsigned_urn,
    }


def test_the_round_up_reaches_each_recipient_with_their_own_figures(
    client_for: Callable[[str], Client], contacts: dict[str, str], published: Published, settings: Any
) -> None:
    from ever6.web.outbox.models import Message
    from ever6.web.outbox.service import deliver_due
    from ever6.web.roundup.models import RoundUp

    officer = client_for("vs_officer")
    response = officer.post(
        "/roundups/new/",
        {"subject": "Spring round-up", "news": "**Welcome** back.\n\n<script>alert(1)</script>\n\n- DSL forum soon"},
    )
    assert response.status_code == 302
    roundup = RoundUp.objects.get()
    preview = officer.get(f"/roundups/{roundup.pk}/")
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Send to all 4 recipients" in page
    assert "<strong>Welcome</strong>" in page
    assert "alert(1)" not in page

    assert officer.post(f"/roundups/{roundup.pk}/").status_code == 302
    assert officer.post(f"/roundups/{roundup.pk}/").status_code == 302  # a second send queues nothing more
    assert sorted(Message.objects.values_list("to", flat=True)) == sorted(contacts)

    port = free_port()
    use_server(settings, port)
    now = timezone.now()
    # The server is down: nothing is lost, nothing is marked sent.
    down = deliver_due(now=now)
    assert down.sent == 0
    assert down.retrying >= 1
    assert Message.objects.filter(state="pending").count() == len(contacts)

    mailbox = Mailbox(refuse={"nobody@c.sch.uk"})
    with smtp_server(port, mailbox):
        up = deliver_due(now=now + timedelta(days=1))
    assert up.sent == 3
    assert up.invalid == 1
    got = {r.envelope_to[0]: r.message for r in mailbox.received}
    assert sorted(got) == sorted(a for a in contacts if a != "nobody@c.sch.uk")

    for address, message in got.items():
        urn = contacts[address]
        body = _text(message)
        assert f"URN {urn}" in body
        other = {u for u in contacts.values() if u != urn}
        assert not any(f"URN {u}" in body for u in other)
        published_cells = _published(published.snapshot, urn)
        lines = [
            m for m in FIGURE_LINE.finditer(body) if ": " in m.group("cells") and "This school" in m.group("cells")
        ]
        assert len(lines) == 7
        for line in lines:
            shown = [cell.rsplit(": ", 1)[1] for cell in line.group("cells").split("; ")]
            measure = {
                "Pupils": "pupils",
                "Overall absence (%)": "overall_absence_rate",
                "Persistent absence (%)": "persistent_absence_rate",
                "Severe absence (%)": "severe_absence_rate",
                "Part-time timetable (C2) per 1,000 sessions": "c2_per_1000_sessions",
                "Suspension rate (%)": "suspension_rate",
                "One or more suspensions (%)": "one_plus_suspension_rate",
            }[line.group("measure")]
            # Every figure sent is one the suppressed publication holds for this school or the authority.
            assert set(shown) <= published_cells[measure] | {"x"}, (address, measure, shown)
        assert "alert(1)" not in _html(message)
        assert "alert(1)" not in body
        assert "<strong>Welcome</strong> back." in _html(message)
        assert ("To stop, reply" in body) == (address == "senco.a@a.sch.uk")

    # What was sent to whom, with the refused address reported.
    record = officer.get(f"/roundups/{roundup.pk}/").content.decode()
    assert "1 addresses could not be reached" in record
    assert "nobody@c.sch.uk" in record
    assert Message.objects.get(to="nobody@c.sch.uk").state == "invalid"


def test_an_opt_out_is_recorded_once(client_for: Callable[[str], Client], accounts: dict[str, object]) -> None:
    from ever6.web.roundup.models import OptOut

    officer = client_for("vs_officer")
    assert officer.post("/roundups/opt-outs/", {"email": "Someone@School.sch.uk"}).status_code == 302
    again = officer.post("/roundups/opt-outs/", {"email": "someone@school.sch.uk"})
    assert again.status_code == 200
    assert "already opted out" in again.content.decode()
    bad = officer.post("/roundups/opt-outs/", {"email": "not an address"})
    assert "correct format" in bad.content.decode()
    assert list(OptOut.objects.values_list("email", flat=True)) == ["someone@school.sch.uk"]
