"""Children's social care, simulated child by child from 2012 to the reference date.

The simulation produces the *true history*: every CIN episode (referral, assessments, section
47 enquiries, CIN and CP plans, closure) and every period of care as SSDA903 rows. What each
year's file shows of that history is decided later (``census_view``), so that files overlap
the way real ones do, and the ground truth is computed from what the files say.

Dates are ``date.toordinal()`` integers throughout: the loops do a lot of date arithmetic and
ints are several times faster than ``date`` objects. Events after the reference date are
simulated too and then cut off, so that an episode open at the reference date simply has no
closure yet.

Rates are calibrated (see ``tests/synth``) to roughly: 3% of children in need at a time, 0.45%
on a CP plan, 0.7% looked after, and about 1 pupil in 10 with a qualifying episode in the last
six years.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from ever6.dates import birthday
from ever6.synth.names import postcode_units
from ever6.synth.population import Population
from ever6.synth.rand import Draws, WeightedTable
from ever6.synth.scales import NEIGHBOURS, ONS_CODES, REFERENCE_DATE, SIM_START

END = REFERENCE_DATE.toordinal()
RC9_FROM = date(2022, 4, 1).toordinal()  # RC9 (closed, referred to early help) from 2022-23
SOURCE_5D_FROM = date(2022, 4, 1).toordinal()  # referral source 5D (early help) from 2022-23
SPLIT_FACTORS_FROM = date(2020, 4, 1).toordinal()  # 18A/19A split into 18B/18C/19B/19C
FACTOR_24A_FROM = date(2021, 4, 1).toordinal()  # child criminal exploitation factor
YEAR = 365.25
NO_FACTORS = ("21",)  # "21 No factors identified": the case closes after assessment (DfE 8873Q)


def weekday(day: int) -> int:
    """The day, or the Monday after it when it falls at a weekend (conferences are held on
    working days: DfE rule 8875)."""
    wd = (day + 6) % 7  # date.fromordinal(1) is a Monday
    return day + (7 - wd if wd >= 5 else 0)


def census_year_end(day: int) -> int:
    """The last day (31 March) of the census year holding ``day``."""
    d = date.fromordinal(day)
    return date(d.year + 1 if d.month >= 4 else d.year, 3, 31).toordinal()


@dataclass
class Assessment:
    start: int
    review: int | None
    auth: int | None
    factors: tuple[str, ...]


@dataclass
class CinPlan:
    start: int
    end: int | None
    # True when the plan ended but the system never recorded an end date: the file then shows
    # no end date even after the episode closed (a known data-quality pattern).
    end_unrecorded: bool = False


@dataclass
class Section47:
    start: int
    target: int
    icpc: int | None
    not_required: bool


@dataclass
class CpPlan:
    start: int
    end: int | None
    initial_category: str
    latest_category: str
    previous: int
    reviews: list[int]
    end_unrecorded: bool = False


@dataclass
class EarlyVersion:
    """What the files up to ``until_year`` showed before the authority corrected the record."""

    until_year: int
    closure: int | None
    reason: str | None
    nfa: bool


@dataclass
class Episode:
    referral: int
    source: str
    need: str | None
    nfa: bool
    closure: int | None = None
    reason: str | None = None
    assessments: list[Assessment] = field(default_factory=list)
    cin_plans: list[CinPlan] = field(default_factory=list)
    s47s: list[Section47] = field(default_factory=list)
    cp_plans: list[CpPlan] = field(default_factory=list)
    early: EarlyVersion | None = None


@dataclass
class CareRow:
    """One SSDA903 episodes row (a period of care is split into rows at each change)."""

    decom: int
    rne: str
    ls: str
    cin: str
    place: str
    provider: str
    dec: int | None
    rec: str | None
    reason_place_change: str | None
    home_post: str
    pl_post: str
    urn: str


@dataclass
class ScChild:
    """A child known to children's social care."""

    person: int
    la_child_id: str
    dob: int
    male: bool
    ethnicity: str
    disabilities: tuple[str, ...]
    death: int | None = None
    expected_dob: int | None = None  # set when referred before birth
    episodes: list[Episode] = field(default_factory=list)
    care: list[CareRow] = field(default_factory=list)
    in_cin: bool = True  # False for a looked-after child the CIN census omits
    # How the authority records the child's UPN: ok / missing / stale / mistyped / none.
    upn_recording: str = "none"
    recorded_upn: str = ""
    edge_case: str = ""
    cp_count: int = 0


# --- code tables (weights approximate the national CIN statistics) -----------------------------

SOURCES = WeightedTable(
    [
        ("1A", 3.0),
        ("1B", 1.0),
        ("1C", 0.8),
        ("1D", 0.5),
        ("2A", 11.0),
        ("2B", 5.0),
        ("3A", 2.5),
        ("3B", 2.0),
        ("3C", 0.8),
        ("3D", 1.5),
        ("3E", 3.5),
        ("3F", 3.0),
        ("4", 1.0),
        ("5A", 3.0),
        ("5B", 3.0),
        ("5C", 4.5),
        ("6", 29.0),
        ("7", 2.0),
        ("8", 6.0),
        ("9", 1.0),
        ("10", 1.5),
    ]
)
NEEDS = WeightedTable(
    [
        ("N1", 56.0),
        ("N2", 9.0),
        ("N3", 4.0),
        ("N4", 9.0),
        ("N5", 14.0),
        ("N6", 3.0),
        ("N8", 5.0),
    ]
)
CATEGORIES = WeightedTable([("NEG", 48.0), ("EMO", 37.0), ("PHY", 7.0), ("SAB", 4.0), ("MUL", 4.0)])
DISABILITIES = WeightedTable(
    [
        ("AUT", 30.0),
        ("LD", 20.0),
        ("COMM", 15.0),
        ("BEH", 12.0),
        ("MOB", 8.0),
        ("HEAR", 3.0),
        ("VIS", 3.0),
        ("PC", 3.0),
        ("HAND", 2.0),
        ("INC", 2.0),
        ("CON", 1.0),
        ("DDA", 1.0),
    ]
)
# Per-assessment chances of each factor. Domestic abuse, parental mental health and substance
# misuse (the "toxic trio") are the commonest; about 62% of assessments have one of them.
FACTOR_P: tuple[tuple[str, float], ...] = (
    ("3A", 0.10),
    ("3B", 0.20),
    ("3C", 0.02),
    ("4A", 0.10),
    ("4B", 0.19),
    ("4C", 0.03),
    ("1A", 0.015),
    ("1B", 0.08),
    ("1C", 0.015),
    ("2A", 0.03),
    ("2B", 0.09),
    ("2C", 0.015),
    ("5A", 0.03),
    ("5B", 0.03),
    ("6A", 0.05),
    ("6B", 0.05),
    ("7A", 0.02),
    ("9A", 0.005),
    ("10A", 0.03),
    ("11A", 0.02),
    ("13A", 0.02),
    ("14A", 0.05),
    ("15A", 0.05),
    ("16A", 0.18),
    ("17A", 0.20),
    ("18*", 0.10),
    ("19*", 0.04),
    ("22A", 0.002),
    ("23A", 0.002),
    ("24A", 0.03),
    ("20", 0.08),
)
REASONS_CHANGE = WeightedTable(
    [
        ("CARPL", 25.0),
        ("LAREQ", 20.0),
        ("PLACE", 15.0),
        ("CHILD", 10.0),
        ("APPRR", 8.0),
        ("CREQB", 6.0),
        ("CREQO", 6.0),
        ("ALLEG", 3.0),
        ("STAND", 3.0),
        ("OTHER", 4.0),
    ]
)
_FOSTER = WeightedTable([("U4", 30.0), ("U5", 25.0), ("U6", 10.0), ("U1", 12.0), ("U2", 6.0), ("U3", 5.0)])
# Placements DfE 1015 exempts from "own provision is in the authority".
_FOSTER_OR_ADOPTION = frozenset({"A3", "A4", "A5", "A6", "U1", "U2", "U3", "U4", "U5", "U6"})
_TEEN = WeightedTable(
    [
        ("U4", 22.0),
        ("U5", 16.0),
        ("U6", 8.0),
        ("U1", 6.0),
        ("K2", 28.0),
        ("R1", 4.0),
        ("P1", 5.0),
        ("S1", 2.0),
        ("U3", 5.0),
    ]
)


@dataclass
class Params:
    """Tunable rates; defaults are the calibrated ones."""

    involved_base: float = -2.05  # logit of the chance a child is ever involved, at mean deprivation
    involved_slope: float = 0.75
    rate_median: float = 0.28  # referrals a year for an involved child (median of a lognormal)
    rate_sigma: float = 0.8
    nfa: float = 0.07
    after_assessment_nfa: float = 0.33
    cp_route: float = 0.15
    cin_plan_route: float = 0.25
    cla_direct: float = 0.02
    long_assessed: float = 0.15
    death: float = 0.0015
    cla_after_cp: float = 0.17
    not_in_cin: float = 0.015  # looked-after children the CIN census omits (e.g. some UASC)


class _Sim:
    def __init__(self, pop: Population, rng: np.random.Generator, params: Params) -> None:
        self.pop = pop
        self.d = Draws(rng)
        self.p = params
        # Placements out of the area: real units of the neighbouring authorities.
        self.away_posts = [pc for la, _ in NEIGHBOURS for pc in postcode_units(ONS_CODES[la])]

    # --- helpers ---------------------------------------------------------------------------

    def factors(self, start: int) -> tuple[str, ...]:
        d = self.d
        chosen: list[str] = []
        for code, p in FACTOR_P:
            if d.u() >= p:
                continue
            if code == "18*":
                code = ("18B" if d.chance(0.3) else "18C") if start >= SPLIT_FACTORS_FROM else "18A"
            elif code == "19*":
                code = ("19B" if d.chance(0.3) else "19C") if start >= SPLIT_FACTORS_FROM else "19A"
            elif code == "24A" and start < FACTOR_24A_FROM:
                continue
            chosen.append(code)
        return tuple(chosen) if chosen else NO_FACTORS

    def some_factor(self, start: int) -> tuple[str, ...]:
        """Factors for an assessment after which services continue: at least one identified."""
        while True:
            chosen = self.factors(start)
            if chosen != NO_FACTORS:
                return chosen

    def assessment(self, day: int) -> Assessment:
        start = day + int(self.d.exp(4.0))
        auth = start + self.d.int(8, 62)
        review = start + self.d.int(5, max(6, auth - start - 1)) if self.d.chance(0.12) else None
        if review is not None and review >= auth:
            review = None
        return Assessment(start, review, auth, self.factors(start))

    def close_reason_after_assessment(self, day: int) -> str:
        if day >= RC9_FROM and self.d.chance(0.4):
            return "RC9"
        return "RC8"

    def cp_plan(self, child: ScChild, start: int) -> CpPlan:
        d = self.d
        length = max(40, int(d.lognormal(255.0, 0.6)))
        initial = d.weighted(CATEGORIES)
        latest = initial if d.chance(0.9) else d.weighted(CATEGORIES)
        reviews: list[int] = []
        r = start + 90
        while r < start + length:
            reviews.append(r)
            r += 182
        plan = CpPlan(start, start + length, initial, latest, child.cp_count, reviews)
        child.cp_count += 1
        return plan

    # --- care (SSDA903) -----------------------------------------------------------------------

    def care_period(self, child: ScChild, start: int, need: str) -> tuple[int, str]:
        """Append the rows of a period of care from ``start``; returns its end and REC."""
        d = self.d
        age = (start - child.dob) / YEAR
        b18 = birthday(date.fromordinal(child.dob), 18).toordinal()
        if age < 5:
            outcome = d.weighted(
                WeightedTable(
                    [
                        ("E11", 30.0),
                        ("E45", 12.0),
                        ("E46", 8.0),
                        ("E4A", 25.0),
                        ("E47", 5.0),
                        ("LONG", 20.0),
                    ]
                )
            )
        elif age < 13:
            outcome = d.weighted(
                WeightedTable(
                    [
                        ("E4A", 35.0),
                        ("E45", 7.0),
                        ("E46", 5.0),
                        ("E47", 8.0),
                        ("E13", 5.0),
                        ("LONG", 40.0),
                    ]
                )
            )
        else:
            outcome = d.weighted(WeightedTable([("E4A", 33.0), ("E13", 12.0), ("E3", 3.0), ("LONG", 52.0)]))
        durations = {
            "E11": (700.0, 0.35),
            "E45": (520.0, 0.4),
            "E46": (480.0, 0.4),
            "E47": (400.0, 0.5),
            "E4A": (150.0, 0.9),
            "E13": (220.0, 0.7),
            "E3": (200.0, 0.6),
            "LONG": (2500.0, 0.5),
        }
        med, sig = durations[outcome]
        end = start + max(3, int(d.lognormal(med, sig)))
        rec = outcome
        if outcome == "LONG" or end >= b18:
            end, rec = b18, ("E17" if d.chance(0.3) else "E8" if d.chance(0.6) else "E7")
        # Legal status path: short-term orders lead to an interim then a full care order;
        # adoption goes via a placement order.
        if age >= 13:
            ls = "V2" if d.chance(0.6) else "C1" if d.chance(0.7) else "L1"
        elif age < 1:
            ls = "C1" if d.chance(0.6) else "V2" if d.chance(0.5) else "L2"
        else:
            ls = "C1" if d.chance(0.5) else "V2" if d.chance(0.75) else "L1"
        changes: list[tuple[int, str]] = []  # (day, kind) with kind L (legal) or P (placement)
        t = start
        if ls in ("L1", "L2"):
            # Police protection lasts at most 72 hours (DfE 361); an emergency order a few days.
            t = start + (d.int(1, 3) if ls == "L1" else d.int(1, 8))
            changes.append((t, "L:C1"))
        if ls in ("C1",) or (ls in ("L1", "L2")):
            changes.append((t + d.int(120, 300), "L:C2"))
        adoption = end
        if rec == "E11":
            if end - start < 3:
                rec = "E13"
            else:
                # The placement order and the placement for adoption on one day (a new episode
                # with both changed, RNE T: DfE 217, 408); nothing changes after it (390).
                adoption = start + max(1, int((end - start) * 0.45))
                changes.append((adoption, "L:E1"))
                changes.append((adoption, "P:A"))
        p = start + int(d.exp(420.0))
        while p < end:
            changes.append((p, "P"))
            p += int(d.exp(420.0)) + 14
        changes = sorted(c for c in changes if start < c[0] < end and (c[0] < adoption or c[1] in ("L:E1", "P:A")))
        home = str(self.pop.postcode[child.person])
        placement = self.placement(age, ls, home)
        rows: list[CareRow] = []
        current_ls = ls
        row_start = start
        rne = "S"
        merged: dict[int, set[str]] = {}
        for day, kind in changes:
            merged.setdefault(day, set()).add(kind)
        for day in sorted(merged):
            kinds = merged[day]
            new_ls = current_ls
            new_place = placement
            legal = sorted(k for k in kinds if k.startswith("L:"))
            if legal:
                new_ls = legal[-1][2:]
            if "P:A" in kinds:
                # With the adopters where the child was placed, unless that was at home (P1).
                post = placement[3] if placement[0] != "P1" else self.placement(age, new_ls, home)[3]
                new_place = (d.pick(("A5", "A6")), "PR1", "XXXXXXX", post)
            elif "P" in kinds:
                new_place = self.placement((day - child.dob) / YEAR, new_ls, home)
            placement_changed = new_place != placement
            if not placement_changed and new_ls == current_ls:
                continue  # nothing changed: no new episode (DfE 434)
            rows.append(
                self.row(
                    child,
                    row_start,
                    rne,
                    current_ls,
                    need,
                    placement,
                    day,
                    "X1",
                    d.weighted(REASONS_CHANGE) if placement_changed else None,
                    home,
                )
            )
            # U: legal status and placement changed together; P: placement only; L: legal status only.
            rne = "U" if placement_changed and new_ls != current_ls else "P" if placement_changed else "L"
            current_ls, placement, row_start = new_ls, new_place, day
        if rec in ("E45", "E46") and not placement[0].startswith("U"):
            rec = "E41"  # orders to former foster carers need a foster placement (DfE 516)
        rows.append(self.row(child, row_start, rne, current_ls, need, placement, end, rec, None, home))
        child.care.extend(rows)
        return end, rec

    def placement(self, age: float, ls: str, home: str) -> tuple[str, str, str, str]:
        """(PLACE, PLACE_PROVIDER, URN, PL_POST) for a new placement under legal status ``ls`` of a
        child whose home postcode is ``home``."""
        d = self.d
        place = d.weighted(_TEEN) if age >= 12 else d.weighted(_FOSTER)
        if place == "P1" and ls == "V2":
            place = "U4"  # not placed with parents under a single period of accommodation (DfE 378)
        if place in ("U1", "U2", "U3"):
            provider = "PR1"
        elif place in ("U4", "U5", "U6"):
            provider = "PR1" if d.chance(0.6) else "PR4"
        elif place == "K2":
            provider = "PR4" if d.chance(0.7) else "PR1"
        elif place == "P1":
            provider = "PR0"
        else:
            provider = "PR3" if place == "R1" else "PR5"
        # An Ofsted URN for a registered setting; XXXXXXX for foster and adoptive placements
        # (DfE 242); none for other placements (DfE 222).
        if (provider in ("PR4", "PR5") or place in ("K2", "S1")) and place != "R1":
            urn = f"SC{d.int(0, 999999):06d}"
        else:
            urn = "XXXXXXX" if place[0] in ("A", "U") else ""
        # The authority's own provision other than foster care and adoption (its children's homes)
        # is in the authority (DfE 1015); other placements are out of the area one time in four.
        own_in_area = provider == "PR1" and place not in _FOSTER_OR_ADOPTION
        away = not own_in_area and d.chance(0.25)
        post = d.pick(self.away_posts) if away else str(self.pop.postcode[d.int(0, self.pop.n - 1)])
        if place == "P1":
            post = home  # placed with parents: at home
        while post == home and place != "P1":
            # Only a placement with parents is at the child's home address (DfE 392d).
            post = str(self.pop.postcode[d.int(0, self.pop.n - 1)])
        return place, provider, urn, post

    def row(
        self,
        child: ScChild,
        start: int,
        rne: str,
        ls: str,
        need: str,
        placement: tuple[str, str, str, str],
        end: int,
        rec: str,
        rpc: str | None,
        home: str,
    ) -> CareRow:
        return CareRow(
            start, rne, ls, need, placement[0], placement[1], end, rec, rpc, home, placement[3], placement[2]
        )

    # --- CIN episodes -------------------------------------------------------------------------

    def episode(self, child: ScChild, day: int, b18: int) -> Episode:
        d = self.d
        p = self.p
        source = d.weighted(SOURCES)
        if source == "5C" and day >= SOURCE_5D_FROM and d.chance(0.5):
            source = "5D"
        if d.chance(p.nfa):
            # Decided within a day or two, and within the census year (a referral from before the
            # year cannot be NFA in the next year's return); closed as "services ceased" (RC7), as
            # RC8/RC9 mean "after assessment" (DfE query 8825Q).
            closure = min(day + d.int(0, 2), census_year_end(day))
            return Episode(day, source, None if d.chance(0.6) else "N9", True, closure, "RC7")
        need = d.weighted(NEEDS)
        if need == "N2" and day < child.dob + 365:
            need = "N1"
        ep = Episode(day, source, need, False)
        a = self.assessment(day)
        ep.assessments.append(a)
        self.route(child, ep, a, b18)
        if a.factors == NO_FACTORS and ep.reason not in ("RC8", "RC9"):
            a.factors = self.some_factor(a.start)
        return ep

    def route(self, child: ScChild, ep: Episode, a: Assessment, b18: int) -> None:
        """What follows the assessment: closure, a CIN plan, a CP plan or care."""
        d = self.d
        p = self.p
        day = ep.referral
        need = ep.need
        auth = a.auth if a.auth is not None else a.start + 30
        r = d.u()
        if need == "N2":
            # Disabled children's services: long assessed involvement, usually no plan.
            if r < 0.6:
                ep.closure = auth + int(d.lognormal(900.0, 0.5))
                ep.reason = "RC7" if d.chance(0.8) else "RC6"
            elif r < 0.9:
                self.cin_plan_route(child, ep, auth + d.int(0, 21), b18)
            else:
                ep.closure, ep.reason = auth + d.int(0, 14), self.close_reason_after_assessment(auth)
            return
        cut = p.after_assessment_nfa
        if r < cut:
            ep.closure = auth + d.int(0, 12)
            ep.reason = self.close_reason_after_assessment(ep.closure)
            return
        cut += p.cp_route
        if r < cut:
            self.cp_route(child, ep, a.start + d.int(0, 10), b18)
            return
        cut += p.cin_plan_route
        if r < cut:
            self.cin_plan_route(child, ep, auth + d.int(0, 21), b18)
            return
        cut += p.cla_direct
        if r < cut:
            self.enter_care(child, ep, max(day, auth - d.int(0, 30)), b18)
            return
        # Assessed as in need, services without a plan, then closed (or long-running).
        if d.chance(p.long_assessed):
            ep.closure = auth + int(d.lognormal(220.0, 0.6))
        else:
            ep.closure = auth + int(d.exp(45.0)) + 5
        ep.reason = "RC7"

    def cp_route(self, child: ScChild, ep: Episode, s47_day: int, b18: int) -> None:
        d = self.d
        s47_day = weekday(s47_day)  # and so its conference target, 21 days on (query 8896Q)
        target = s47_day + 21
        if d.chance(0.15):
            # Enquiry found no need for a conference: CIN plan or close.
            ep.s47s.append(Section47(s47_day, target, None, True))
            if d.chance(0.5):
                self.cin_plan_route(child, ep, s47_day + d.int(10, 30), b18)
            else:
                ep.closure, ep.reason = s47_day + d.int(10, 40), "RC7"
            return
        icpc = weekday(s47_day + d.int(8, 21))
        for cin_plan in ep.cin_plans:  # a CIN plan ends when a CP plan starts (DfE 4017)
            if cin_plan.end is None or cin_plan.end > icpc:
                cin_plan.end = icpc
        ep.s47s.append(Section47(s47_day, target, icpc, False))
        plan = self.cp_plan(child, icpc)
        ep.cp_plans.append(plan)
        end = plan.end if plan.end is not None else icpc + 300
        r = d.u()
        if r < self.p.cla_after_cp:
            self.enter_care(child, ep, end, b18)
        elif r < 0.72:
            self.cin_plan_route(child, ep, end, b18)
        else:
            ep.closure, ep.reason = end + d.int(0, 30), "RC7"
            if d.chance(0.04):
                plan.end_unrecorded = True

    def cin_plan_route(self, child: ScChild, ep: Episode, start: int, b18: int) -> None:
        d = self.d
        end = start + max(30, int(d.lognormal(200.0, 0.7)))
        plan = CinPlan(start, end)
        ep.cin_plans.append(plan)
        r = d.u()
        if r < 0.05 and len(ep.cp_plans) < 2:
            self.cp_route(child, ep, end - d.int(0, 10), b18)
            return
        if r < 0.07:
            self.enter_care(child, ep, end, b18)
            return
        ep.closure, ep.reason = end + d.int(0, 30), "RC7"
        if d.chance(0.06):
            plan.end_unrecorded = True

    def enter_care(self, child: ScChild, ep: Episode, start: int, b18: int) -> None:
        start = max(start, child.dob)  # care starts at birth at the earliest (DfE 302)
        if start >= b18 - 30:
            ep.closure, ep.reason = b18 - 1, "RC7"
            return
        end, rec = self.care_period(child, start, ep.need or "N1")
        mapped = {
            "E11": "RC1",
            "E12": "RC1",
            "E45": "RC4",
            "E46": "RC4",
            "E47": "RC3",
            "E41": "RC3",
            "E3": "RC5",
            "E2": "RC2",
        }
        if rec in mapped:
            ep.closure, ep.reason = end, mapped[rec]
        elif rec in ("E4A", "E13") and self.d.chance(0.5):
            self.cin_plan_route(child, ep, end, b18)
        elif rec in ("E17", "E8", "E7"):
            ep.closure, ep.reason = end - 1, "RC6" if self.d.chance(0.3) else "RC7"
        else:
            ep.closure, ep.reason = end + self.d.int(0, 40), "RC7"

    # --- one child ----------------------------------------------------------------------------

    def child(self, person: int, la_child_id: str, rate: float) -> ScChild:
        d = self.d
        pop = self.pop
        dob = int(pop.dob[person])
        disabled = d.chance(0.08)
        disabilities = tuple(sorted({d.weighted(DISABILITIES) for _ in range(d.int(1, 2))})) if disabled else ()
        child = ScChild(person, la_child_id, dob, bool(pop.male[person]), str(pop.ethnicity[person]), disabilities)
        b18 = birthday(date.fromordinal(dob), 18).toordinal()
        first = max(SIM_START.toordinal(), dob - 150)
        last = min(END + 400, b18 - 1)  # simulate past R, then cut: open episodes stay open
        t = first
        next_day: int | None = None
        while True:
            if next_day is None:
                age = (t - dob) / YEAR
                factor = 2.0 if age < 1 else 0.9 if age < 10 else 1.25 if age < 16 else 0.9
                t += int(d.exp(YEAR / (rate * factor))) + 1
            else:
                t = next_day
            if t > last:
                break
            ep = self.episode(child, t, b18)
            if ep.need == "N2" and not child.disabilities:
                child.disabilities = (d.weighted(DISABILITIES),)
            child.episodes.append(ep)
            if any(row.rec in ("E11", "E12") for row in child.care):
                # An adopted child has a new identity: anything later is another child's record,
                # never this one's (DfE 199, "previously adopted from care").
                break
            closure = ep.closure if ep.closure is not None else t + 200
            t = max(closure, t) + 1
            # Re-referral within a year is common (about one in five).
            next_day = t + d.int(20, 365) if d.chance(0.2) else None
        if child.episodes and child.episodes[0].referral < dob:
            child.expected_dob = dob + d.int(-10, 14)
        if d.chance(self.p.death) and child.episodes:
            child.death = self.death_day(child)
        return child

    def death_day(self, child: ScChild) -> int:
        ep = child.episodes[-1]
        start = max(ep.referral, child.dob) + 1
        stop = ep.closure if ep.closure is not None else END + 200
        return start + self.d.int(0, max(0, stop - start))


def _cap(child: ScChild, limit: int, reason: str, care_reason: str) -> None:
    """End everything at ``limit`` (death, or the 18th birthday): close what is open, drop what
    started after it."""
    kept: list[Episode] = []
    for ep in child.episodes:
        if ep.referral > limit:
            continue
        # An assessment unfinished at the end is dropped: a closed episode cannot hold one (DfE 8867).
        ep.assessments = [a for a in ep.assessments if a.auth is None or a.auth <= limit]
        ep.cin_plans = [p for p in ep.cin_plans if p.start <= limit]
        for p in ep.cin_plans:
            if p.end is None or p.end > limit:
                p.end = limit
        ep.s47s = [s for s in ep.s47s if s.start <= limit]
        ep.cp_plans = [p for p in ep.cp_plans if p.start <= limit]
        for c in ep.cp_plans:
            if c.end is None or c.end > limit:
                c.end = limit
                c.reviews = [r for r in c.reviews if r <= limit]
        if ep.closure is None or ep.closure > limit:
            ep.closure, ep.reason = limit, reason
        kept.append(ep)
    child.episodes = kept
    rows: list[CareRow] = []
    for row in child.care:
        if row.decom > limit:
            continue
        if row.dec is None or row.dec > limit:
            row.dec, row.rec, row.reason_place_change = limit, care_reason, None
        rows.append(row)
    child.care = rows


def truncate(child: ScChild, end: int = END) -> None:
    """Forget the future: nothing after ``end`` exists; what ends after it is still open."""
    kept: list[Episode] = []
    for ep in child.episodes:
        if ep.referral > end:
            continue
        ep.assessments = [a for a in ep.assessments if a.start <= end]
        for a in ep.assessments:
            if a.auth is not None and a.auth > end:
                a.auth = None
            if a.review is not None and a.review > end:
                a.review = None
        ep.cin_plans = [p for p in ep.cin_plans if p.start <= end]
        for p in ep.cin_plans:
            if p.end is not None and p.end > end:
                p.end, p.end_unrecorded = None, False
        ep.s47s = [s for s in ep.s47s if s.start <= end]
        for s in ep.s47s:
            if s.icpc is not None and s.icpc > end:
                s.icpc = None
        ep.cp_plans = [c for c in ep.cp_plans if c.start <= end]
        for c in ep.cp_plans:
            c.reviews = [r for r in c.reviews if r <= end]
            if c.end is not None and c.end > end:
                c.end, c.end_unrecorded = None, False
        if ep.closure is not None and ep.closure > end:
            ep.closure, ep.reason = None, None
        kept.append(ep)
    child.episodes = kept
    rows: list[CareRow] = []
    for row in child.care:
        if row.decom > end:
            continue
        if row.dec is not None and row.dec > end:
            row.dec, row.rec, row.reason_place_change = None, None, None
        rows.append(row)
    child.care = rows
    if child.death is not None and child.death > end:
        child.death = None


def _no_activity_after_closure(child: ScChild) -> None:
    """A closed episode holds nothing dated after its closure (DfE 8565): an assessment still
    running when the episode closed is authorised on the closure day, a plan open then ends on
    it, and a conference not held by then is not held (nor the plan it would have started)."""
    for ep in child.episodes:
        if ep.closure is None:
            continue
        closure = ep.closure
        for s47 in ep.s47s:
            if s47.icpc is not None and s47.icpc > closure:
                s47.icpc, s47.not_required = None, True
        ep.s47s = [s47 for s47 in ep.s47s if s47.start <= closure]
        # A plan cannot start and end on one day.
        ep.cp_plans = [c for c in ep.cp_plans if c.start < closure]
        ep.cin_plans = [p for p in ep.cin_plans if p.start < closure]
        for cp in ep.cp_plans:
            if cp.end is None or cp.end > closure:
                cp.end = closure
        for cin in ep.cin_plans:
            if cin.end is None or cin.end > closure:
                cin.end = closure
        for c in ep.cp_plans:
            c.reviews = [r for r in c.reviews if r <= closure]
        ep.assessments = [a for a in ep.assessments if a.start <= ep.closure]
        for a in ep.assessments:
            # Unauthorised here too when the authorisation fell after the reference date and was
            # forgotten (truncate) though the episode closed before it (DfE 8867).
            if a.auth is None or a.auth > ep.closure:
                a.auth = ep.closure
            if a.review is not None and a.auth is not None and a.review >= a.auth:
                a.review = None


def _finish_plans(child: ScChild) -> None:
    """Plans whose end was never recorded: hide the end (the view shows none). Only on the child's
    last episode: a later plan would overlap one with no end (DfE 4014, 4017)."""
    for ep in child.episodes[-1:]:
        if ep.closure is None:
            continue  # only a closed episode shows that a plan's end went unrecorded
        for p in ep.cin_plans:
            if p.end_unrecorded:
                p.end = None
        for c in ep.cp_plans:
            if c.end_unrecorded:
                c.end = None


def simulate(pop: Population, rng: np.random.Generator, ids: list[str], params: Params | None = None) -> list[ScChild]:
    """Simulate every involved child; ``ids`` supplies unique LA child ids in order of use."""
    params = params or Params()
    sim = _Sim(pop, rng, params)
    logit = params.involved_base + params.involved_slope * pop.deprivation
    involved = rng.random(pop.n) < 1.0 / (1.0 + np.exp(-logit))
    rates = params.rate_median * np.exp(params.rate_sigma * rng.standard_normal(pop.n))
    children: list[ScChild] = []
    next_id = 0
    for person in np.flatnonzero(involved):
        child = sim.child(int(person), ids[next_id], float(rates[person]))
        if not child.episodes:
            continue
        next_id += 1
        b18 = birthday(date.fromordinal(child.dob), 18).toordinal()
        _cap(child, b18, "RC6" if child.disabilities else "RC7", "E8")
        if child.death is not None:
            _cap(child, child.death, "RC2", "E2")
        truncate(child)
        _no_activity_after_closure(child)
        _finish_plans(child)
        if not child.episodes:
            continue
        if child.care and sim.d.chance(params.not_in_cin) and (END - child.dob) / YEAR > 10:
            child.in_cin = False
        children.append(child)
    return children
