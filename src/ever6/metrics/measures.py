"""The published measures: one row each, saying what is counted over what (DfE methodology).

Every measure is a ratio of two sums of per-unit components computed by
:mod:`ever6.metrics.rules` (a count has no denominator). Disclosure control needs to know which
sums count people (1 to 5 people identify a child) and which count sessions or points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["count", "rate", "per_1000", "average"]
Theme = Literal["attendance", "exclusions", "provision", "attainment"]

# The columns of the measures table, as computed, stored in a run and published in the snapshot.
METRIC_COLUMNS = (
    "academic_year",
    "period",
    "measure",
    "group",
    "breakdown",
    "breakdown_value",
    "numerator",
    "denominator",
    "value",
)
# Those naming one figure: one row each.
METRIC_KEY = METRIC_COLUMNS[:6]


@dataclass(frozen=True)
class Measure:
    name: str
    theme: Theme
    kind: Kind
    numerator: str  # the component summed over units
    denominator: str | None
    people_numerator: bool
    people_denominator: bool
    description: str

    @property
    def scale(self) -> int:
        return {"count": 1, "rate": 100, "per_1000": 1000, "average": 1}[self.kind]


def _m(
    name: str, theme: Theme, kind: Kind, num: str, den: str | None, people_num: bool, people_den: bool, description: str
) -> Measure:
    return Measure(name, theme, kind, num, den, people_num, people_den, description)


MEASURES: tuple[Measure, ...] = (
    _m(
        "pupils",
        "attendance",
        "count",
        "pupils",
        None,
        True,
        False,
        "Enrolments with at least one possible session (the unit of attendance measures)",
    ),
    _m(
        "overall_absence_rate",
        "attendance",
        "rate",
        "absence",
        "possible",
        False,
        False,
        "Authorised and unauthorised absence sessions as a percentage of possible sessions",
    ),
    _m(
        "authorised_absence_rate",
        "attendance",
        "rate",
        "authorised",
        "possible",
        False,
        False,
        "Authorised absence sessions as a percentage of possible sessions",
    ),
    _m(
        "unauthorised_absence_rate",
        "attendance",
        "rate",
        "unauthorised",
        "possible",
        False,
        False,
        "Unauthorised absence sessions as a percentage of possible sessions",
    ),
    _m(
        "persistent_absence_rate",
        "attendance",
        "rate",
        "persistent",
        "pupils",
        True,
        True,
        "Enrolments missing 10% or more of their own possible sessions, as a percentage of enrolments",
    ),
    _m(
        "severe_absence_rate",
        "attendance",
        "rate",
        "severe",
        "pupils",
        True,
        True,
        "Enrolments missing 50% or more of their own possible sessions, as a percentage of enrolments",
    ),
    _m(
        "c2_per_1000_sessions",
        "attendance",
        "per_1000",
        "c2",
        "coded_possible",
        False,
        False,
        "Sessions on a part-time timetable (C2) per 1,000 possible sessions",
    ),
    _m(
        "k_per_1000_sessions",
        "attendance",
        "per_1000",
        "k",
        "coded_possible",
        False,
        False,
        "Sessions at provision arranged by the local authority (K) per 1,000 possible sessions",
    ),
    _m(
        "b_per_1000_sessions",
        "attendance",
        "per_1000",
        "b",
        "coded_possible",
        False,
        False,
        "Sessions at other approved off-site education (B) per 1,000 possible sessions",
    ),
    _m(
        "suspension_rate",
        "exclusions",
        "rate",
        "suspensions",
        "roll",
        True,
        True,
        "Suspensions as a percentage of pupils on roll",
    ),
    _m(
        "one_plus_suspension_rate",
        "exclusions",
        "rate",
        "one_plus",
        "roll",
        True,
        True,
        "Pupils with one or more suspensions as a percentage of pupils on roll",
    ),
    _m(
        "permanent_exclusion_rate",
        "exclusions",
        "rate",
        "permanent",
        "roll",
        True,
        True,
        "Permanent exclusions as a percentage of pupils on roll",
    ),
    _m(
        "alternative_provision_share",
        "provision",
        "rate",
        "in_ap",
        "roll",
        True,
        True,
        "Pupils on roll at state-funded alternative provision as a percentage of pupils on roll",
    ),
    _m(
        "eyfs_gld_rate",
        "attainment",
        "rate",
        "gld_yes",
        "gld_n",
        True,
        True,
        "Reception pupils reaching a good level of development",
    ),
    _m(
        "ks2_rwm_expected_rate",
        "attainment",
        "rate",
        "ks2_yes",
        "ks2_n",
        True,
        True,
        "Key stage 2 pupils reaching the expected standard in reading, writing and maths",
    ),
    _m(
        "attainment8_average",
        "attainment",
        "average",
        "a8_sum",
        "a8_n",
        False,
        True,
        "Average Attainment 8 score of key stage 4 pupils",
    ),
    _m(
        "em_grade4_rate",
        "attainment",
        "rate",
        "em4_yes",
        "em4_n",
        True,
        True,
        "Key stage 4 pupils with grade 4 or above in English and maths",
    ),
    _m(
        "em_grade5_rate",
        "attainment",
        "rate",
        "em5_yes",
        "em5_n",
        True,
        True,
        "Key stage 4 pupils with grade 5 or above in English and maths",
    ),
)

BY_NAME: dict[str, Measure] = {m.name: m for m in MEASURES}

# The published groups; the last two only when switched on (``[cohort] kinship``, ``early_help``).
GROUPS = (
    "cwsw",
    "cpp",
    "cin",
    "cinp",
    "cin_other",
    "ever6_previous",
    "cla",
    "not_cwsw",
    "all_pupils",
    "kinship",
    "early_help",
)
BREAKDOWNS = (
    "all",
    "school",
    "phase",
    "ncyear",
    "sex",
    "fsm",
    "sen",
    "ethnicity",
    "primary_need",
    "in_la",
    "years_since",
    "locality",
    "school_locality",
)
PERIODS = ("year", "autumn", "spring", "summer")

# GIAS establishment types that are state-funded alternative provision: pupil referral units,
# alternative provision academies and free schools.
ALTERNATIVE_PROVISION_TYPES = frozenset({"14", "38", "42", "43"})


def value_of(measure: Measure, numerator: float | None, denominator: float | None) -> float | None:
    """The published figure, rounded to one decimal place; None when it cannot be computed."""
    if numerator is None:
        return None
    if measure.kind == "count":
        return float(numerator)
    if not denominator:
        return None
    return round(numerator / denominator * measure.scale, 1)


def values_of(measure: Measure, numerators: Any, denominators: Any | None) -> list[float | None]:
    """:func:`value_of` of each (numerator, denominator) of two float arrays, column at a time:
    the same figures to the last bit, at a twentieth of the cost of a call per figure (half a
    million figures at ``la``: issue 22). The arithmetic is IEEE's in numpy as in Python, in the
    same order; ``round(x, 1)`` rounds the exact ``x * 10`` to an integer k and gives the double
    nearest k / 10, which ``rint(x * 10) / 10`` gives too unless the product's own rounding moved
    it across a half (or ``x * 10`` has no fraction bits): those few figures call :func:`value_of`."""
    import numpy as np

    nums = np.asarray(numerators, dtype=np.float64)
    if measure.kind == "count":
        return [float(v) for v in nums.tolist()]
    if denominators is None:
        return [None] * len(nums)
    dens = np.asarray(denominators, dtype=np.float64)
    computed = ~(dens == 0)  # ``not denominator``: a NaN is computed, as in value_of
    with np.errstate(divide="ignore", invalid="ignore"):
        tenths = nums / np.where(computed, dens, 1.0) * measure.scale * 10.0
        near_half = np.abs(np.abs(tenths - np.floor(tenths)) - 0.5) <= 4 * np.abs(np.spacing(tenths))
        rounded = np.rint(tenths) / 10.0
    exact = ~near_half & ~(np.abs(tenths) >= 2.0**52)
    out: list[float | None] = rounded.tolist()
    # No denominator: no figure (value_of's ``not denominator``), without a call per cell (most
    # cells of a term or a small group at ``la``).
    for i in np.flatnonzero(~computed).tolist():
        out[i] = None
    for i in np.flatnonzero(computed & ~exact).tolist():
        out[i] = value_of(measure, float(nums[i]), float(dens[i]))
    return out
