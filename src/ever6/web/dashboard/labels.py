"""What the dashboard calls each group, breakdown, period and measure, in plain English."""

from __future__ import annotations

from ever6.dates import years_since_bands
from ever6.metrics.measures import BY_NAME, MEASURES

GROUP_LABELS = {
    "cwsw": "Ever6 CWSW",
    "cpp": "Child protection plan",
    "cin": "Child in need (excluding CPP and CLA)",
    "cinp": "Child in need plan",
    "cin_other": "Other child in need",
    "ever6_previous": "Previously (in the last six years)",
    "cla": "Looked after",
    "not_cwsw": "Never CWSW",
    "all_pupils": "All pupils",
    "kinship": "Kinship care",
    "early_help": "Early help",
}

BREAKDOWN_LABELS = {
    "all": "None (the whole authority)",
    "school": "School",
    "phase": "Phase",
    "ncyear": "Year group",
    "sex": "Sex",
    "fsm": "Free school meals (Ever6)",
    "sen": "Special educational needs",
    "ethnicity": "Ethnicity",
    "primary_need": "Primary need (children in need)",
    "in_la": "In or out of the authority",
    "years_since": "Years since social work ended",
    "locality": "Locality where the child lives",
    "school_locality": "Locality of the school",
}

PERIOD_LABELS = {"year": "Whole year", "autumn": "Autumn term", "spring": "Spring term", "summer": "Summer term"}
PERIOD_ORDER = ("autumn", "spring", "summer", "year")  # terms in date order, then the year

THEME_LABELS = {
    "attendance": "Attendance",
    "exclusions": "Suspensions and exclusions",
    "provision": "Alternative provision",
    "attainment": "Attainment",
}

MEASURE_LABELS = {
    "pupils": "Pupils",
    "overall_absence_rate": "Overall absence (%)",
    "authorised_absence_rate": "Authorised absence (%)",
    "unauthorised_absence_rate": "Unauthorised absence (%)",
    "persistent_absence_rate": "Persistent absence (%)",
    "severe_absence_rate": "Severe absence (%)",
    "c2_per_1000_sessions": "Part-time timetable (C2) per 1,000 sessions",
    "k_per_1000_sessions": "LA-arranged provision (K) per 1,000 sessions",
    "b_per_1000_sessions": "Other approved off-site (B) per 1,000 sessions",
    "suspension_rate": "Suspension rate (%)",
    "one_plus_suspension_rate": "One or more suspensions (%)",
    "permanent_exclusion_rate": "Permanent exclusions (%)",
    "alternative_provision_share": "In alternative provision (%)",
    "eyfs_gld_rate": "EYFS good level of development (%)",
    "ks2_rwm_expected_rate": "KS2 expected standard in RWM (%)",
    "attainment8_average": "Attainment 8 (average score)",
    "em_grade4_rate": "KS4 English and maths grade 4+ (%)",
    "em_grade5_rate": "KS4 English and maths grade 5+ (%)",
}


def measure_label(name: str) -> str:
    """A measure's short heading; a measure added to the registry without one shows its name."""
    return MEASURE_LABELS.get(name, name.replace("_", " ").capitalize())


def measure_description(name: str) -> str:
    measure = BY_NAME.get(name)
    return measure.description if measure else ""


def theme_measures(theme: str) -> tuple[str, ...]:
    """The registry's measures of a theme, in registry order (``pupils`` is the cohort size, shown
    on attendance)."""
    return tuple(m.name for m in MEASURES if m.theme == theme)


def breakdown_sort_key(breakdown: str, value: str) -> tuple[int, float, str]:
    """Year groups in school order (R, 1 ... 13), years since social work ended from open to
    longest ago; everything else alphabetically."""
    if breakdown == "years_since":
        order = [v.split("–")[0] for v in years_since_bands()]  # the last band's end is the window's
        head = value.split("–")[0]
        return (0, float(order.index(head)), value) if head in order else (1, 0.0, value)
    if breakdown == "ncyear":
        if value == "R":
            return (0, 0.0, value)
        try:
            return (1, float(value), value)
        except ValueError:
            return (2, 0.0, value)
    return (0, 0.0, value.lower())
