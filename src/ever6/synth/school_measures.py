"""The generator's own headline figures, by DfE methodology, in plain numpy.

Computed from the simulation's records (the per-enrolment session tallies taken as the marks were
written, the exclusion events, the results), never from ever6's measures, so that a test can
compare ever6's figures with these. The rules:

- attendance: the unit is the enrolment; an enrolment counts when it has at least one possible
  session; pupils aged 5-15 on 31 August before the academic year; possible sessions are all but
  the not-possible codes; absence is authorised plus unauthorised (approved activity counts as
  attending); persistent absence is missing 10% or more of one's own possible sessions, severe
  absence 50% or more;
- exclusions: pupils are the distinct pupils on roll in the year (all ages); suspension rate is
  suspensions per 100 pupils; one-or-more and permanent exclusion rates are shares of pupils;
- attainment: share reaching the standard, and the mean Attainment 8 score;
- groups: ``cwsw`` is the Ever6 CWSW cohort at 2026-03-31 (default rule) except the looked
  after, who are reported beside it (``CLA``); ``not_in_cohort`` is everyone else; each status
  is a group too. The same 2026-03-31 cohort defines the groups for every year's figures.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ever6.synth.school_pupils import STATUSES, Kids, is_cwsw

MEASURE_COLUMNS = ("group", "academic_year", "measure", "numerator", "denominator", "value")
EPOCH = 719163  # date(1970, 1, 1).toordinal()


@dataclass(frozen=True)
class Figure:
    group: str
    year: str
    measure: str
    numerator: float
    denominator: float
    value: float


def groups(status: np.ndarray) -> dict[str, np.ndarray]:
    out = {"all_pupils": np.ones(len(status), dtype=bool), "cwsw": is_cwsw(status), "not_in_cohort": status == 0}
    for i, name in enumerate(STATUSES):
        if name:
            out[name] = status == i
    return out


def age_on(dob: np.ndarray, year: int, month: int, day: int) -> np.ndarray:
    """Age in whole years on a date, from date ordinals."""
    d = (dob - EPOCH).astype("datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dd = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    not_yet = (m > month) | ((m == month) & (dd > day))
    age: np.ndarray = year - y - not_yet
    return age


def _rate(group: str, year: str, measure: str, num: float, den: float, scale: float = 100.0) -> Figure:
    return Figure(group, year, measure, num, den, round(scale * num / den, 4) if den else float("nan"))


def attendance_figures(
    year: str,
    start_year: int,
    kids: Kids,
    kid: np.ndarray,
    possible: np.ndarray,
    auth: np.ndarray,
    unauth: np.ndarray,
    c2: np.ndarray | None = None,
) -> list[Figure]:
    """Figures from per-enrolment totals (``kid`` is each enrolment's pupil)."""
    age = age_on(kids.dob[kid], start_year, 8, 31)
    counted = (possible > 0) & (age >= 5) & (age <= 15)
    absent = auth + unauth
    persistent = 10 * absent >= possible
    severe = 2 * absent >= possible
    out: list[Figure] = []
    for name, mask in groups(kids.status[kid]).items():
        m = mask & counted
        pos = float(possible[m].sum())
        n = float(m.sum())
        out.append(Figure(name, year, "enrolments", n, n, n))
        out.append(_rate(name, year, "overall_absence_rate", float(absent[m].sum()), pos))
        out.append(_rate(name, year, "authorised_absence_rate", float(auth[m].sum()), pos))
        out.append(_rate(name, year, "unauthorised_absence_rate", float(unauth[m].sum()), pos))
        out.append(_rate(name, year, "persistent_absence_rate", float(persistent[m].sum()), n))
        out.append(_rate(name, year, "severe_absence_rate", float(severe[m].sum()), n))
        if c2 is not None:
            out.append(_rate(name, year, "part_time_c2_per_1000", float(c2[m].sum()), pos, 1000.0))
    return out


def exclusion_figures(
    year: str, kids: Kids, pupils: np.ndarray, susp_kid: np.ndarray, perm_kid: np.ndarray
) -> list[Figure]:
    """``pupils``: kid indices on roll in the year; ``susp_kid`` / ``perm_kid``: one entry per event."""
    n_susp = np.bincount(susp_kid, minlength=kids.n)
    n_perm = np.bincount(perm_kid, minlength=kids.n)
    out: list[Figure] = []
    for name, mask in groups(kids.status).items():
        p = pupils[mask[pupils]]
        n = float(len(p))
        out.append(Figure(name, year, "pupils", n, n, n))
        out.append(_rate(name, year, "suspension_rate", float(n_susp[p].sum()), n))
        out.append(_rate(name, year, "one_plus_suspension_rate", float((n_susp[p] > 0).sum()), n))
        out.append(_rate(name, year, "permanent_exclusion_rate", float(n_perm[p].sum()), n))
    return out


def attainment_figures(
    year: str, kids: Kids, kid: np.ndarray, measure: np.ndarray, value: np.ndarray, names: tuple[str, ...]
) -> list[Figure]:
    out: list[Figure] = []
    for name, mask in groups(kids.status).items():
        for i, m_name in enumerate(names):
            sel = (measure == i) & mask[kid]
            total, n = float(value[sel].sum()), float(sel.sum())
            if m_name == "ks4_attainment8":
                out.append(Figure(name, year, m_name, round(total, 1), n, round(total / n, 4) if n else float("nan")))
            else:
                out.append(_rate(name, year, m_name, total, n))
    return out


def write_measures(path: Path, figures: list[Figure]) -> int:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(MEASURE_COLUMNS)
        for f in figures:
            num = int(f.numerator) if float(f.numerator).is_integer() else f.numerator
            den = int(f.denominator) if float(f.denominator).is_integer() else f.denominator
            w.writerow((f.group, f.year, f.measure, num, den, "" if np.isnan(f.value) else f.value))
    return len(figures)


def calibration(figures: list[Figure]) -> dict[str, float]:
    """The all-pupil and CWSW figures for the manifest, keyed ``year.group.measure``."""
    return {
        f"{f.year}.{f.group}.{f.measure}": round(f.value, 2)
        for f in figures
        if f.group in ("all_pupils", "cwsw") and not np.isnan(f.value)
    }
