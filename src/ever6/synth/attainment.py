"""2024/25 results: EYFS good level of development, KS2 RWM expected standard, KS4 Attainment 8
and English and maths at grade 4 and 5.

Each pupil has an attainment score: their own ``ability`` noise, lowered by their absence
tendency, SEN, FSM and social-care history. The standards are the top share of that score for
the year group (thresholds at national proportions, as grade boundaries partly are), so the
all-pupil figures sit on the national ones by construction and the gaps for groups come from
the model. Attainment 8 follows the same score through a curve with a floor of pupils who sat
(almost) nothing, commoner among children with a social worker.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ever6.synth.school_pupils import CLA, Kids, is_cwsw

ATTAINMENT_COLUMNS = ("upn", "urn", "academic_year", "measure", "value")
MEASURES = ("eyfs_gld", "ks2_rwm_expected", "ks4_attainment8", "ks4_em_grade4", "ks4_em_grade5")
# National shares reaching each standard (2024/25, rounded).
SHARE = {"eyfs_gld": 0.685, "ks2_rwm_expected": 0.61, "ks4_em_grade4": 0.65, "ks4_em_grade5": 0.45}
SEN_EFFECT = np.array([0.0, -0.8, -1.6])
STATUS_EFFECT = np.array([0.0, -0.45, -0.55, -0.65, -0.7, -0.8])
A8_MEAN, A8_SD = 47.0, 18.0
A8_CWSW = -8.5  # fewer entries as well as lower grades


@dataclass
class Results:
    kid: np.ndarray
    school: np.ndarray
    measure: np.ndarray  # index into MEASURES
    value: np.ndarray


# How much social-care history weighs at each stage: little for a four-year-old's EYFS profile,
# most by sixteen, when its effects on schooling have accumulated.
STAGE_WEIGHT = {"eyfs": 0.3, "ks2": 0.45, "ks4": 0.85}


def _score(kids: Kids, k: np.ndarray, stage: str) -> np.ndarray:
    early = stage == "eyfs"
    weight = STAGE_WEIGHT[stage]
    score: np.ndarray = (
        0.8 * kids.ability[k]
        - 0.35 * kids.absence[k]
        + SEN_EFFECT[kids.sen[k]] * (0.6 if early else 1.0)
        - 0.4 * kids.fsm[k]
        - 0.1 * kids.deprivation[k]
        + weight * STATUS_EFFECT[kids.status[k]]
    )
    return score


def _top(score: np.ndarray, share: float) -> np.ndarray:
    if len(score) == 0:
        return np.zeros(0, dtype=bool)
    cut = np.quantile(score, 1 - share)
    result: np.ndarray = score > cut
    return result


def results(rng: np.random.Generator, kids: Kids, school_of: np.ndarray, ncyear_then: np.ndarray) -> Results:
    """``school_of`` is each pupil's 2024/25 school (-1 if not on roll then)."""
    kid: list[np.ndarray] = []
    school: list[np.ndarray] = []
    measure: list[np.ndarray] = []
    value: list[np.ndarray] = []

    def add(k: np.ndarray, m: str, v: np.ndarray) -> None:
        kid.append(k)
        school.append(school_of[k])
        measure.append(np.full(len(k), MEASURES.index(m)))
        value.append(v.astype(np.float64))

    on_roll = school_of >= 0
    eyfs = np.flatnonzero(on_roll & (ncyear_then == 0))
    add(eyfs, "eyfs_gld", _top(_score(kids, eyfs, "eyfs") + 0.5 * rng.standard_normal(len(eyfs)), SHARE["eyfs_gld"]))
    ks2 = np.flatnonzero(on_roll & (ncyear_then == 6))
    add(
        ks2,
        "ks2_rwm_expected",
        _top(_score(kids, ks2, "ks2") + 0.4 * rng.standard_normal(len(ks2)), SHARE["ks2_rwm_expected"]),
    )
    ks4 = np.flatnonzero(on_roll & (ncyear_then == 11))
    s = _score(kids, ks4, "ks4") + 0.35 * rng.standard_normal(len(ks4))
    em4 = _top(s, SHARE["ks4_em_grade4"])
    add(ks4, "ks4_em_grade4", em4)
    # Grade 5 is the top of those with a grade 4, on a score with more of its own noise (a
    # different paper on a different day), so it is not just a higher cut of the same score.
    s5 = np.where(em4, s + 0.45 * rng.standard_normal(len(ks4)), -np.inf)
    em5 = np.zeros(len(ks4), dtype=bool)
    em5[np.argsort(-s5, kind="stable")[: round(SHARE["ks4_em_grade5"] * len(ks4))]] = True
    add(ks4, "ks4_em_grade5", em5 & em4)
    z = (s - s.mean()) / max(float(s.std()), 1e-9) if len(s) else s
    cw = is_cwsw(kids.status[ks4]) | (kids.status[ks4] == CLA)
    a8 = np.clip(A8_MEAN + A8_SD * (z + 0.3 * rng.standard_normal(len(ks4))) + A8_CWSW * cw, 0.0, 90.0)
    # A few sat almost nothing: far commoner for children with a social worker or in care.
    none = rng.random(len(ks4)) < np.where(cw, 0.1, 0.012) * np.where(z < 0, 1.6, 0.3)
    a8 = np.where(none, np.round(rng.random(len(ks4)) * 6.0, 0), a8)
    add(ks4, "ks4_attainment8", np.round(a8, 1))
    return Results(np.concatenate(kid), np.concatenate(school), np.concatenate(measure), np.concatenate(value))


def write_attainment(path: Path, res: Results, kids: Kids, urns: list[str], label: str) -> int:
    rows: list[tuple[str, str, str, str, str]] = []
    for k, s, m, v in zip(res.kid.tolist(), res.school.tolist(), res.measure.tolist(), res.value.tolist(), strict=True):
        measure = MEASURES[m]
        text = f"{v:.1f}" if measure == "ks4_attainment8" else str(int(v))
        rows.append((str(kids.upn[k]), urns[s], label, measure, text))
    rows.sort()
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(ATTAINMENT_COLUMNS)
        w.writerows(rows)
    return len(rows)
