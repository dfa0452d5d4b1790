"""Coverage: which schools with Ever6 CWSW pupils have had someone trained, and which have not."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ever6.access import Capability
from ever6.web.forms import choice
from ever6.web.guard import require, snapshot, viewer
from ever6.web.tables import requested_download
from ever6.web.training import coverage as cov
from ever6.web.training.views.common import options

SINCE_CHOICES = {"any": "At any time", "12": "In the last 12 months", "24": "In the last 2 years"}


@require(Capability.PARTNERSHIP)
def coverage(request: HttpRequest) -> HttpResponse:
    since_key = choice(request, "since", SINCE_CHOICES, "any")
    show = choice(request, "show", ("all", "uncovered"), "all")
    today = timezone.localdate()
    since: date | None = None if since_key == "any" else today - timedelta(days=round(int(since_key) * 365.25 / 12))
    period_text = SINCE_CHOICES[since_key].lower()
    found = cov.coverage(snapshot(), viewer(request), since)
    context: dict[str, Any] = {
        "title": "Training coverage of schools with Ever6 CWSW pupils",
        "since_items": options(SINCE_CHOICES, since_key),
        "show_items": options({"all": "All schools", "uncovered": "Only schools not yet covered"}, show),
        "published": found is not None,
    }
    if found is None:
        return render(request, "training/coverage.html", context)
    rows, any_suggested = found
    tiers = cov.by_tier(rows)
    tier_table = cov.tier_table(tiers, period_text)
    school_table = cov.school_table(rows, period_text, only_uncovered=show == "uncovered")
    tables = {"schools": school_table, "by-tier": tier_table}
    name = "ever6-training-coverage"
    if response := requested_download(request, tables, name, suffix=f"-{since_key}", default="by-tier"):
        return response
    total = tiers[-1]
    context.update(
        tier_table=tier_table,
        school_table=school_table,
        spec=cov.chart(tiers),
        total=total,
        any_suggested=any_suggested,
    )
    return render(request, "training/coverage.html", context)
