"""The suggested tier of the Virtual School's offer to a school: the one rule, shared by the
dashboard's schools page and the partnership register.

The offer is tiered (docs/domain.md, section 7): *standard* for every school, *enhanced* for schools
with a high proportion of children with a social worker, *targeted* (clinics, case consultations)
for the highest. A school meets a tier when its Ever6 CWSW share **or** its count reaches that
tier's threshold; it is suggested the highest tier it meets. Thresholds are configuration
(``settings.EVER6_TIERS``), so an authority changes them without a code change.
"""

from __future__ import annotations

from collections.abc import Mapping

STANDARD = "standard"
ENHANCED = "enhanced"
TARGETED = "targeted"
TIERS = (STANDARD, ENHANCED, TARGETED)  # lowest first

TIER_LABELS = {STANDARD: "Standard", ENHANCED: "Enhanced", TARGETED: "Targeted"}

Thresholds = Mapping[str, Mapping[str, float]]  # {"enhanced": {"share": 10, "count": 15}, ...}


def _meets(count: float | None, share: float | None, threshold: Mapping[str, float]) -> bool:
    return (count is not None and count >= threshold["count"]) or (share is not None and share >= threshold["share"])


def suggest_tier(count: float | None, share: float | None, thresholds: Thresholds) -> str | None:
    """The highest tier whose share (percent) or count threshold the school reaches.

    ``None`` for a figure means it is not known (suppressed). If a higher tier could still be met
    by an unknown figure, the suggestion cannot be made and ``None`` is returned: a suggestion is
    never lower than the school's true figures would give.
    """
    met = STANDARD
    for tier in TIERS[1:]:
        if _meets(count, share, thresholds[tier]):
            met = tier
    if (count is None or share is None) and met != TIERS[-1]:
        return None
    return met


def describe_rule(thresholds: Thresholds) -> list[str]:
    """The rule in words, one sentence per tier, for the page that shows the suggestions."""
    lines = []
    for tier in reversed(TIERS[1:]):
        t = thresholds[tier]
        lines.append(
            f"{TIER_LABELS[tier]}: Ever6 CWSW pupils are {_num(t['share'])}% or more of the school's pupils, "
            f"or there are {_num(t['count'])} or more of them."
        )
    lines.append(f"{TIER_LABELS[STANDARD]}: every other school.")
    return lines


def _num(value: float) -> str:
    return f"{int(value)}" if float(value).is_integer() else f"{value:g}"
