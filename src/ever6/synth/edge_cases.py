"""Hand-made children at the edges of the cohort rule, with their expected outcome.

Each case is built explicitly (not drawn at random) so the truth files certainly contain it, and
carries the status expected by reading ``docs/domain.md`` directly: ``None`` = not in the output.
The tests check the truth against these expectations, which guards the truth implementation
itself. Keys of ``expect``: (reference date, mode).

Besides these, ``add_revisions`` turns a few simulated episodes into records the authority
corrected between two files (closure reason or NFA flag changed), where only the later file's
version gives the right answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from ever6.synth.rand import Draws
from ever6.synth.scales import PREVIOUS_REFERENCE_DATE as RP
from ever6.synth.scales import REFERENCE_DATE as R
from ever6.synth.social_care import (
    Assessment,
    CareRow,
    CinPlan,
    CpPlan,
    EarlyVersion,
    Episode,
    ScChild,
    Section47,
)

Expect = dict[tuple[date, str], tuple[str, str] | None]  # -> (status, last_qualifying_date) or None


def o(text: str) -> int:
    return date.fromisoformat(text).toordinal()


def _assessed(
    ref: str, auth: str, *, need: str = "N1", closure: str | None = None, reason: str | None = None, nfa: bool = False
) -> Episode:
    ep = Episode(o(ref), "6", need, nfa, o(closure) if closure else None, reason)
    ep.assessments.append(Assessment(o(ref) + 1, None, o(auth), ("3B", "4B")))
    return ep


def _cp(ep: Episode, start: str, end: str | None, previous: int = 0) -> Episode:
    ep.s47s.append(Section47(o(start) - 14, o(start) + 7, o(start), False))
    ep.cp_plans.append(
        CpPlan(
            o(start),
            o(end) if end else None,
            "NEG",
            "NEG",
            previous,
            [o(start) + 90] if not end or o(end) > o(start) + 90 else [],
        )
    )
    return ep


def _cin(ep: Episode, start: str, end: str | None) -> Episode:
    ep.cin_plans.append(CinPlan(o(start), o(end) if end else None))
    return ep


@dataclass
class EdgeCase:
    tag: str
    dob: str
    build: Callable[[ScChild], None]
    expect: Expect = field(default_factory=dict)
    expected_dob: str | None = None
    death: str | None = None
    in_cin: bool = True
    disabilities: tuple[str, ...] = ()


def _eps(*episodes: Episode) -> Callable[[ScChild], None]:
    def build(child: ScChild) -> None:
        child.episodes.extend(episodes)

    return build


def _care(decom: str, dec: str | None, rec: str | None) -> Callable[[ScChild], None]:
    def build(child: ScChild) -> None:
        child.care.append(
            CareRow(
                o(decom),
                "S",
                "V2",
                "N1",
                "U4",
                "PR1",
                o(dec) if dec else None,
                rec,
                None,
                "CT1 2AB",
                "ME4 6RT",
                "XXXXXXX",
            )
        )

    return build


D, S = "default", "strict"


def edge_cases() -> list[EdgeCase]:
    """The deliberate edge cases at R = 2026-03-31 (and some at the earlier R, 2025-03-31)."""
    return [
        EdgeCase(
            "closed_on_window_start",
            "2012-05-10",
            _eps(
                _cp(
                    _assessed("2019-11-04", "2019-12-10", closure="2020-03-31", reason="RC7"),
                    "2019-12-20",
                    "2020-03-31",
                )
            ),
            {
                (R, D): None,
                (R, S): None,
                (RP, D): ("EVER6_PREVIOUS", "2020-03-31"),
                (RP, S): ("EVER6_PREVIOUS", "2020-03-31"),
            },
        ),
        EdgeCase(
            "closed_day_after_window_start",
            "2012-06-11",
            _eps(
                _cp(
                    _assessed("2019-11-04", "2019-12-10", closure="2020-04-01", reason="RC7"),
                    "2019-12-20",
                    "2020-04-01",
                )
            ),
            {(R, D): ("EVER6_PREVIOUS", "2020-04-01"), (R, S): ("EVER6_PREVIOUS", "2020-04-01")},
        ),
        EdgeCase(
            "cin_plan_no_end_on_closed_episode",
            "2014-02-03",
            _eps(_cin(_assessed("2023-05-02", "2023-06-08", closure="2024-02-10", reason="RC7"), "2023-06-20", None)),
            {(R, D): ("EVER6_PREVIOUS", "2024-02-10"), (R, S): ("EVER6_PREVIOUS", "2024-02-10")},
        ),
        EdgeCase(
            "cp_plan_no_end_on_closed_episode",
            "2016-08-23",
            _eps(_cp(_assessed("2023-06-05", "2023-06-30", closure="2025-09-15", reason="RC7"), "2023-07-03", None)),
            {
                (R, D): ("EVER6_PREVIOUS", "2025-09-15"),
                (R, S): ("EVER6_PREVIOUS", "2025-09-15"),
                (RP, D): ("CPP", "2025-03-31"),
                (RP, S): ("CPP", "2025-03-31"),
            },
        ),
        EdgeCase(
            "cp_plan_ends_on_R",
            "2015-10-02",
            _eps(_cp(_assessed("2025-06-02", "2025-06-25"), "2025-07-01", "2026-03-31")),
            {(R, D): ("CPP", "2026-03-31"), (R, S): ("CPP", "2026-03-31"), (RP, D): None},
        ),
        EdgeCase(
            "nfa_referral",
            "2016-06-06",
            _eps(Episode(o("2025-10-01"), "2A", None, True, o("2025-10-01"), "RC7")),
            {(R, D): None, (R, S): None},
        ),
        EdgeCase(
            "unborn_with_cp_plan",
            "2026-05-20",
            _eps(_cp(_assessed("2026-01-12", "2026-02-10"), "2026-02-20", None)),
            {(R, D): None, (R, S): None},
            expected_dob="2026-05-20",
        ),
        EdgeCase(
            "unborn_at_previous_R",
            "2025-06-15",
            _eps(
                _cp(
                    _assessed("2025-02-10", "2025-03-05", closure="2026-01-15", reason="RC7"),
                    "2025-03-10",
                    "2025-12-01",
                )
            ),
            {
                (RP, D): None,
                (RP, S): None,
                (R, D): ("EVER6_PREVIOUS", "2026-01-15"),
                (R, S): ("EVER6_PREVIOUS", "2025-12-01"),
            },
            expected_dob="2025-06-20",
        ),
        EdgeCase(
            "died_between_reference_dates",
            "2015-09-09",
            _eps(
                _cp(
                    _assessed("2024-06-03", "2024-07-01", closure="2025-08-20", reason="RC2"),
                    "2024-07-15",
                    "2025-08-20",
                )
            ),
            {(R, D): None, (R, S): None, (RP, D): ("CPP", "2025-03-31")},
            death="2025-08-20",
        ),
        EdgeCase(
            "died_on_R",
            "2019-01-01",
            _eps(
                _cin(
                    _assessed("2025-11-03", "2025-12-01", closure="2026-03-31", reason="RC2"),
                    "2025-12-10",
                    "2026-03-31",
                )
            ),
            {(R, D): None, (R, S): None},
            death="2026-03-31",
        ),
        EdgeCase(
            "eighteen_on_R",
            "2008-03-31",
            _eps(
                _assessed("2023-01-10", "2023-02-01", closure="2023-05-01", reason="RC7"),
                _cin(_assessed("2025-06-02", "2025-06-30"), "2025-07-15", None),
            ),
            {(R, D): None, (R, S): None, (RP, D): ("EVER6_PREVIOUS", "2023-05-01")},
        ),
        EdgeCase(
            "eighteen_day_after_R",
            "2008-04-01",
            _eps(_cin(_assessed("2025-06-02", "2025-06-30"), "2025-07-15", None)),
            {(R, D): ("CINP", "2026-03-31"), (R, S): ("CINP", "2026-03-31"), (RP, D): None},
        ),
        EdgeCase(
            "born_29_february_2008",
            "2008-02-29",
            _eps(
                _cin(
                    _assessed("2024-09-02", "2024-10-01", closure="2025-07-01", reason="RC7"),
                    "2024-10-10",
                    "2025-06-01",
                )
            ),
            {(R, D): None, (R, S): None, (RP, D): ("CINP", "2025-03-31"), (RP, S): ("CINP", "2025-03-31")},
        ),
        EdgeCase(
            "born_29_february_2012",
            "2012-02-29",
            _eps(_assessed("2025-09-01", "2025-10-06")),
            {(R, D): ("CIN_OTHER", "2026-03-31"), (R, S): None},
        ),
        EdgeCase(
            "eighteen_on_previous_R",
            "2007-03-31",
            _eps(
                _cin(
                    _assessed("2024-02-01", "2024-03-01", closure="2025-03-20", reason="RC7"),
                    "2024-03-05",
                    "2025-03-01",
                )
            ),
            {(RP, D): None, (RP, S): None, (R, D): None},
        ),
        EdgeCase(
            "eighteen_day_after_previous_R",
            "2007-04-01",
            _eps(
                _cin(
                    _assessed("2024-02-01", "2024-03-01", closure="2025-03-20", reason="RC7"),
                    "2024-03-05",
                    "2025-03-01",
                )
            ),
            {(RP, D): ("EVER6_PREVIOUS", "2025-03-20"), (RP, S): ("EVER6_PREVIOUS", "2025-03-01"), (R, D): None},
        ),
        EdgeCase(
            "closed_rc8_after_assessment",
            "2013-03-03",
            _eps(_assessed("2024-04-02", "2024-05-01", closure="2024-05-10", reason="RC8")),
            {(R, D): None, (R, S): None},
        ),
        EdgeCase(
            "closed_rc9_after_assessment",
            "2017-12-12",
            _eps(_assessed("2024-10-14", "2024-11-11", closure="2024-11-20", reason="RC9")),
            {(R, D): None, (R, S): None},
        ),
        EdgeCase(
            "closed_rc8_after_previous_R",
            "2014-07-21",
            _eps(_assessed("2025-02-10", "2025-03-12", closure="2025-05-06", reason="RC8")),
            {(RP, D): ("CIN_OTHER", "2025-03-31"), (RP, S): None, (R, D): None},
        ),
        EdgeCase(
            "cin_other_disabled_children",
            "2011-07-07",
            _eps(_assessed("2023-09-01", "2023-10-15", need="N2")),
            {(R, D): ("CIN_OTHER", "2026-03-31"), (R, S): None, (RP, D): ("CIN_OTHER", "2025-03-31")},
            disabilities=("AUT",),
        ),
        EdgeCase(
            "looked_after_not_in_cin_census",
            "2009-05-05",
            _care("2024-08-01", None, None),
            {(R, D): ("CLA", ""), (R, S): ("CLA", ""), (RP, D): ("CLA", "")},
            in_cin=False,
        ),
        EdgeCase(
            "care_ended_on_R",
            "2010-11-30",
            _care("2025-04-10", "2026-03-31", "E13"),
            {(R, D): ("CLA", ""), (R, S): ("CLA", ""), (RP, D): None},
            in_cin=False,
        ),
        EdgeCase(
            "care_ended_day_before_R",
            "2010-12-01",
            _care("2025-01-10", "2026-03-30", "E13"),
            {(R, D): None, (R, S): None, (RP, D): ("CLA", "")},
            in_cin=False,
        ),
        EdgeCase(
            "assessment_authorised_after_previous_R",
            "2013-11-11",
            _eps(_cp(_assessed("2025-03-20", "2025-04-02"), "2025-04-10", None)),
            {(RP, D): None, (RP, S): None, (R, D): ("CPP", "2026-03-31"), (R, S): ("CPP", "2026-03-31")},
        ),
    ]


def build_edge_children(cases: list[EdgeCase], persons: list[int], ids: list[str]) -> list[ScChild]:
    children: list[ScChild] = []
    for case, person, la_child_id in zip(cases, persons, ids, strict=True):
        child = ScChild(person, la_child_id, o(case.dob), person % 2 == 0, "WBRI", case.disabilities)
        child.edge_case = case.tag
        child.in_cin = case.in_cin
        child.death = o(case.death) if case.death else None
        child.expected_dob = o(case.expected_dob) if case.expected_dob else None
        case.build(child)
        child.cp_count = sum(len(ep.cp_plans) for ep in child.episodes)
        children.append(child)
    return children


def add_revisions(d: Draws, children: list[ScChild], per_kind: int) -> dict[str, int]:
    """Correct a few records between files, the way authorities do when they clean data.

    Each correction is one a later, DfE-valid return can show: the episode is in both files.

    - ``closure_reason_rc8_to_rc7``: file Y showed the episode closed RC8; file Y+1 shows it
      ran on and closed RC7 (qualifying).
    - ``closure_reason_rc7_to_rc8``: the reverse (no longer qualifying).
    - ``nfa_corrected``: file Y showed a referral closed as NFA on the day; file Y+1 shows it
      assessed (the assessment authorised after the year end) and open into the next year.
    """
    made = {"closure_reason_rc8_to_rc7": 0, "closure_reason_rc7_to_rc8": 0, "nfa_corrected": 0}
    for child in children:
        if child.edge_case or child.care:
            continue
        for ep in child.episodes:
            if ep.early is not None or ep.closure is None or ep.nfa:
                continue
            if ep.cin_plans or ep.cp_plans or ep.s47s or not ep.assessments or ep.reason != "RC7":
                continue
            auth = ep.assessments[0].auth
            ref = date.fromordinal(ep.referral)
            ref_year = ref.year + 1 if ref.month >= 4 else ref.year  # the census year of the referral
            year_ref = date(ref_year, 3, 31).toordinal()
            if (
                made["nfa_corrected"] < per_kind
                and 2021 <= ref_year <= 2025
                and auth is not None
                and year_ref < auth <= ep.closure
                and ep.referral < year_ref - 1
                and d.chance(0.5)
            ):
                ep.early = EarlyVersion(ref_year, ep.referral, "RC7", True)
                child.edge_case = "revision_nfa_corrected"
                made["nfa_corrected"] += 1
                break
            closed = date.fromordinal(ep.closure)
            y = closed.year
            if not (4 <= closed.month <= 7 and 2021 <= y <= 2025):
                continue
            year_first = date(y - 1, 4, 1).toordinal()
            year_ref = date(y, 3, 31).toordinal()
            if auth is None or auth >= year_ref - 5 or ep.referral < year_first:
                continue
            early_closure = d.int(max(auth, year_first) + 1, year_ref - 1)
            kind = d.pick(("closure_reason_rc8_to_rc7", "closure_reason_rc7_to_rc8"))
            if made[kind] >= per_kind:
                continue
            if kind == "closure_reason_rc8_to_rc7":
                ep.early = EarlyVersion(y, early_closure, "RC8", False)
            else:
                ep.reason = "RC8"
                ep.early = EarlyVersion(y, early_closure, "RC7", False)
            child.edge_case = f"revision_{kind}"
            made[kind] += 1
            break
    return made
