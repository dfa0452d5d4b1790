"""The CIN census assessment factors (``AssessmentFactors``), grouped for the cohort's profile.

The codes and their meanings are the DfE's (the CIN census schema's ``assessmentfactorstype``,
every year from 2017 to 2026): a letter says whose the concern is (A the child, B the parent or
carer, C another person in the household). The three the guidance names first, domestic abuse,
mental health and substance misuse (alcohol or drugs), are groups of their own; every other code
is grouped by its heading in the schema. ``tests/test_assessment_factors.py`` checks every code of
every schema year falls in exactly one group.
"""

from __future__ import annotations

FACTOR_GROUPS: dict[str, tuple[str, ...]] = {
    "Domestic abuse": ("3A", "3B", "3C"),
    "Mental health": ("4A", "4B", "4C"),
    "Substance misuse (alcohol or drugs)": ("1A", "1B", "1C", "2A", "2B", "2C"),
    "Learning disability": ("5A", "5B", "5C"),
    "Physical disability or illness": ("6A", "6B", "6C"),
    "Young carer": ("7A",),
    "Privately fostered": ("8B", "8C", "8D", "8E", "8F"),
    "Unaccompanied asylum-seeking child": ("9A",),
    "Going or being missing": ("10A",),
    "Child sexual exploitation": ("11A",),
    "Trafficking": ("12A",),
    "Gangs": ("13A",),
    "Socially unacceptable behaviour": ("14A",),
    "Self-harm": ("15A",),
    "Neglect": ("16A",),
    "Emotional abuse": ("17A",),
    "Physical abuse": ("18A", "18B", "18C"),
    "Sexual abuse": ("19A", "19B", "19C"),
    "Female genital mutilation": ("22A",),
    "Abuse linked to faith or belief": ("23A",),
    "Child criminal exploitation": ("24A",),
    "Other": ("20",),
    "No factors identified": ("21",),
}

GROUP_OF: dict[str, str] = {code: group for group, codes in FACTOR_GROUPS.items() for code in codes}


def factor_groups(codes: list[str] | tuple[str, ...] | None) -> list[str]:
    """The groups a child's recorded factors fall in, in :data:`FACTOR_GROUPS` order; a code the
    schemas do not know is ``Other``."""
    found = {GROUP_OF.get(str(c).strip().upper(), "Other") for c in codes or () if str(c).strip()}
    return [g for g in FACTOR_GROUPS if g in found]
