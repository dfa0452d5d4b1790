"""The schools app's partnership activity per school in a period, for pages that set it beside
each school's cohort figures."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from ever6.web.schools.models import ContactChange, DataSharingAgreement, TierDecision

KEYS = ("contact_changes", "tier_decisions", "agreement_records")


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period from the start of ``start`` to the end of ``end`` (both included), local time."""
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), zone),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), zone),
    )


def activity_by_school(start: date, end: date) -> dict[str, dict[str, int]]:
    """Per school URN: contact changes (added, changed, removed, imported), tier decisions and
    agreement records made between ``start`` and ``end`` inclusive. Schools with none are left out."""
    low, high = _bounds(start, end)
    out: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(KEYS, 0))
    sources = (
        ("contact_changes", ContactChange.objects.filter(changed_at__gte=low, changed_at__lt=high)),
        ("tier_decisions", TierDecision.objects.filter(decided_at__gte=low, decided_at__lt=high)),
        ("agreement_records", DataSharingAgreement.objects.filter(recorded_at__gte=low, recorded_at__lt=high)),
    )
    for key, queryset in sources:
        for urn in queryset.values_list("school_id", flat=True):
            out[str(urn)][key] += 1
    return dict(out)
