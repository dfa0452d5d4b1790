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
        # Only a contact other than the named lead gets a link to opt out.
        assert ("/roundups/opt-out/" in body) == (address == "senco.a@a.sch.uk")

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


LINK = re.compile(r"https?://[^/\s]+(/roundups/opt-out/[^/\s\"]+/)")


def test_a_contact_opts_out_by_the_link_in_the_email_and_the_next_round_up_skips_them(
    client_for: Callable[[str], Client], contacts: dict[str, str], settings: Any
) -> None:
    from ever6.web.audit.models import AuditEvent
    from ever6.web.outbox.models import Message
    from ever6.web.outbox.service import deliver_due
    from ever6.web.roundup.models import OptOut, RoundUp
    from ever6.web.roundup.optout import token

    officer = client_for("vs_officer")
    assert officer.post("/roundups/new/", {"subject": "Autumn", "news": "News"}).status_code == 302
    first = RoundUp.objects.get()
    assert officer.post(f"/roundups/{first.pk}/").status_code == 302
    port = free_port()
    use_server(settings, port)
    mailbox = Mailbox()
    with smtp_server(port, mailbox):
        deliver_due(now=timezone.now())
    got = {r.envelope_to[0]: r.message for r in mailbox.received}
    email = got["senco.a@a.sch.uk"]
    text_link = LINK.search(_text(email))
    html_link = LINK.search(_html(email))
    assert text_link
    assert html_link
    path = text_link.group(1)
    assert html_link.group(1) == path

    visitor = Client()  # not signed in: the link is enough
    page = visitor.get(path)
    assert page.status_code == 200
    assert "senco.a@a.sch.uk" in page.content.decode()
    assert not OptOut.objects.filter(email="senco.a@a.sch.uk").exists()  # a GET changes nothing
    # A changed token, or one for another address made up by hand, is refused.
    for bad in (path[:-3] + "xx/", path.replace("opt-out/", "opt-out/A")):
        refused = visitor.post(bad)
        assert refused.status_code == 400
        assert "not valid" in refused.content.decode()
    before = AuditEvent.objects.filter(action="roundup_optout").count()
    done = visitor.post(path)
    assert done.status_code == 200
    assert "You will not get the round-up" in done.content.decode()
    assert OptOut.objects.filter(email="senco.a@a.sch.uk").exists()
    entries = AuditEvent.objects.filter(action="roundup_optout").order_by("id")
    assert entries.count() == before + 1
    assert entries.last().object_id == "senco.a@a.sch.uk"  # type: ignore[union-attr]

    # The named lead is told why they cannot opt out, and still gets it.
    lead = visitor.post(f"/roundups/opt-out/{token('lead.a@a.sch.uk')}/")
    assert "You cannot opt out" in lead.content.decode()
    assert not OptOut.objects.filter(email="lead.a@a.sch.uk").exists()

    assert officer.post("/roundups/new/", {"subject": "Spring", "news": "More news"}).status_code == 302
    second = RoundUp.objects.exclude(pk=first.pk).get()
    assert officer.post(f"/roundups/{second.pk}/").status_code == 302
    to = set(Message.objects.filter(reference__startswith=f"roundup:{second.pk}:").values_list("to", flat=True))
    assert "senco.a@a.sch.uk" not in to
    assert {"lead.a@a.sch.uk", "lead.b@b.sch.uk"} <= to


def _dsn(recipient: str, quoted_headers: str, *, status: str = "5.1.1") -> bytes:
    """A delivery status notification as a mail server writes one (RFC 3464)."""
    quoted = f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n{quoted_headers}\r\n" if quoted_headers else ""
    return (
        "From: MAILER-DAEMON@mx.example.org\r\nTo: virtual.school@example.org\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; 550 {status} <{recipient}>: Recipient address rejected\r\n\r\n"
        f"{quoted}--B--\r\n"
    ).encode()


def test_a_bounce_after_sending_is_marked_and_reported_on_the_round_up(
    client_for: Callable[[str], Client], contacts: dict[str, str], settings: Any, tmp_path: Path
) -> None:
    import mailbox

    from ever6.web.outbox.bounces import record_bounces
    from ever6.web.outbox.models import Message
    from ever6.web.outbox.service import deliver_due
    from ever6.web.roundup.models import RoundUp

    officer = client_for("vs_officer")
    assert officer.post("/roundups/new/", {"subject": "Summer", "news": "News"}).status_code == 302
    roundup = RoundUp.objects.get()
    assert officer.post(f"/roundups/{roundup.pk}/").status_code == 302
    port = free_port()
    use_server(settings, port)
    received = Mailbox()
    with smtp_server(port, received):
        deliver_due(now=timezone.now())
    assert Message.objects.filter(state="sent").count() == 4
    sent_to_senco = next(r.message for r in received.received if r.envelope_to == ["senco.a@a.sch.uk"])
    headers = "".join(f"{k}: {v}\r\n" for k, v in sent_to_senco.items())

    box = mailbox.mbox(tmp_path / "bounces.mbox")
    box.add(_dsn("senco.a@a.sch.uk", headers))  # quotes the email's headers
    box.add(_dsn("Lead.B@b.sch.uk", ""))  # only the address: the latest email sent to it
    box.add(_dsn("stranger@example.org", ""))  # nothing was sent there
    box.add(b"From: someone@a.sch.uk\r\nSubject: Re: Summer\r\n\r\nThanks!\r\n")  # a reply, not a DSN
    box.flush()
    outcome = record_bounces(tmp_path / "bounces.mbox")
    assert outcome.read == 3
    assert sorted(m.to for m in outcome.marked) == ["lead.b@b.sch.uk", "senco.a@a.sch.uk"]
    assert [b.recipient for b in outcome.unmatched] == ["stranger@example.org"]
    states = dict(Message.objects.values_list("to", "state"))
    assert states == {
        "lead.a@a.sch.uk": "sent",
        "senco.a@a.sch.uk": "bounced",
        "lead.b@b.sch.uk": "bounced",
        "nobody@c.sch.uk": "sent",
    }
    page = officer.get(f"/roundups/{roundup.pk}/").content.decode()
    assert "2 addresses could not be reached" in page
    assert "Bounced after it was sent" in page
    assert "5.1.1" in page
