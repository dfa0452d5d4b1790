"""What a round-up says, to whom.

- **News**: written in Markdown by the Virtual School; any HTML typed into it is removed (nh3), then
  it is rendered by markdown-it (raw HTML off) and sanitised again by nh3 to a short list of tags,
  so nothing the writer types can run or restyle the email.
- **Recipients**: every school's current named CWSW lead (the DSL / CWSW lead contact), who always
  gets it; and the school's other current contacts unless they opted out.
- **Figures**: each recipient gets their own school's figures, suppressed as in the governors'
  pack (:mod:`ever6.web.documents.governors`), for the latest published year.
"""

from __future__ import annotations

import html as html_lib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import nh3
from markdown_it import MarkdownIt

from ever6.access import Snapshot, Viewer
from ever6.web.dashboard.labels import measure_label
from ever6.web.documents import governors
from ever6.web.tables import Figure, shown

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h2", "h3", "h4", "blockquote", "code", "hr"}
COLUMNS = governors.COLUMNS[:3]  # the school's Ever6 CWSW and other pupils, the authority's Ever6 CWSW
KIND = "roundup"


def plain_news(markdown: str) -> str:
    """The Markdown as written, without any HTML typed into it (a script's content goes too): the
    plain-text email shows this, and the HTML is rendered from it."""
    return html_lib.unescape(nh3.clean(markdown, tags=set()))


def news_html(markdown: str) -> str:
    html = MarkdownIt("commonmark", {"html": False}).render(plain_news(markdown))
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"https", "http", "mailto"},
        link_rel="noopener noreferrer",
    )


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    urn: str
    school: str
    lead: bool


def recipients(today: date) -> list[Recipient]:
    """Every school's current named CWSW lead, and its other current contacts who have not opted out."""
    from ever6.web.roundup.models import OptOut
    from ever6.web.schools.models import Contact, ContactRole

    opted_out = {e.lower() for e in OptOut.objects.values_list("email", flat=True)}
    contacts = [
        c for c in Contact.objects.select_related("school").order_by("school__name", "school_id") if c.current_on(today)
    ]
    with_lead = {c.school_id for c in contacts if c.role == ContactRole.DSL}
    chosen: dict[tuple[str, str], Recipient] = {}
    for c in contacts:
        lead = c.role == ContactRole.DSL
        if c.school_id not in with_lead or (not lead and c.email.lower() in opted_out):
            continue
        key = (c.email.lower(), c.school_id)
        if key not in chosen or lead:
            chosen[key] = Recipient(c.email.lower(), c.name, c.school_id, c.school.name, lead)
    return sorted(chosen.values(), key=lambda r: (r.school.lower(), r.urn, not r.lead, r.email))


def school_figures(snap: Snapshot, viewer: Viewer, urns: Sequence[str]) -> tuple[str, dict[str, list[dict[str, Any]]]]:
    """The latest published year and, per school, its suppressed figures as rows of (measure, cells)."""
    published = snap.academic_years()
    if not published:
        return "", {}
    year = published[-1]
    cells = governors.gather(snap, viewer, list(urns), [year])
    rows = {
        urn: [
            {"measure": measure_label(m), **{k: cells[urn].get((year, m, k), Figure("x")) for k, *_ in COLUMNS}}
            for m in governors.MEASURES
        ]
        for urn in urns
    }
    return year, rows


def reference(roundup_id: int, urn: str) -> str:
    return f"{KIND}:{roundup_id}:{urn}"


def text_body(
    *,
    recipient: Recipient,
    news: str,
    year: str,
    figures: list[dict[str, Any]],
    sessions: Iterable[str],
    clinics: Iterable[str],
    optout_link: str = "",
) -> str:
    """The plain-text email (the Markdown as written is already readable as text)."""
    lines = [f"Dear {recipient.name},", "", plain_news(news).strip(), ""]
    sessions, clinics = list(sessions), list(clinics)
    if sessions:
        lines += ["Coming up: training", *(f"- {s}" for s in sessions), ""]
    if clinics:
        lines += ["Coming up: consultations and clinics", *(f"- {c}" for c in clinics), ""]
    if figures:
        lines += [f"{recipient.school} (URN {recipient.urn}): your figures for {year}", ""]
        headings = [h for _, h, *_ in COLUMNS]
        for row in figures:
            cells = "; ".join(f"{h}: {shown(row[k])}" for (k, *_), h in zip(COLUMNS, headings, strict=True))
            lines.append(f"- {row['measure']}: {cells}")
        lines += ["", governors.SUPPRESSION_NOTE, ""]
    if not recipient.lead:
        lines += [f"You get this as a named contact of your school. To stop getting it: {optout_link}", ""]
    return "\n".join(lines)
