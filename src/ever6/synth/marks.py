"""Session attendance marks for 2025/26 to date, generated in vectorised chunks of enrolments.

At the ``la`` scale this is about 80 million marks, so nothing here loops per mark: a chunk of
enrolments becomes flat arrays of (enrolment, day) and then (enrolment, session), codes are
drawn for whole arrays at once, and the chunk is written with ``pyarrow.csv`` as dictionary
columns (one small dictionary of URNs, UPNs, dates and codes) before the next chunk is built.

How a mark is chosen, in increasing order of precedence:

1. the everyday draw: a pupil misses a day (or half a day) with their own persistent rate,
   higher in winter (illness) and on Mondays and Fridays; the reason depends on the pupil (the
   more a pupil misses, the more of it is unauthorised) and recent absences are often still
   ``N`` (reason not yet established); present pupils are sometimes late (``L``), on a trip
   (``V``), at sport (``P``) or other approved activity (``B``); a few have LA-arranged
   provision (``K``) one day a week; sixth formers are sometimes not required (``X``);
2. events that last several sessions: a prospective pupil not yet admitted (``Z``), phased
   Reception starts (``X``), term-time holidays next to a break (``G``), work experience
   (``W``), part-time timetables (``C2``, afternoons), custody (``Y5``), suspensions and
   permanent exclusions (``E``);
3. whole-school events: snow (``Y2``), an unexpected closure (``Y4``), dual registration
   (``D`` on the days the pupil is at the other school) and INSET days (``#``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ever6.synth.school_pupils import Enrols, Kids

CODES: tuple[str, ...] = (
    "/",
    "\\",
    "L",
    "B",
    "K",
    "P",
    "V",
    "W",
    "C",
    "C1",
    "C2",
    "E",
    "I",
    "M",
    "J1",
    "R",
    "T",
    "G",
    "N",
    "O",
    "U",
    "X",
    "Y1",
    "Y2",
    "Y3",
    "Y4",
    "Y5",
    "Y6",
    "Y7",
    "Z",
    "#",
    "Q",
    "D",
)
C = {code: i for i, code in enumerate(CODES)}
# Categories, written out here rather than read from ever6.attendance so that the generator's
# own figures are independent of the code table ever6 measures with (the tests check they agree).
PRESENT, APPROVED, AUTHORISED, UNAUTHORISED, NOT_POSSIBLE = range(5)
_CATEGORY_OF = {
    PRESENT: ("/", "\\", "L"),
    APPROVED: ("B", "K", "P", "V", "W"),
    AUTHORISED: ("C", "C1", "C2", "E", "I", "M", "J1", "R", "T"),
    UNAUTHORISED: ("G", "N", "O", "U"),
    NOT_POSSIBLE: ("X", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6", "Y7", "Z", "#", "Q", "D"),
}
CATEGORY = np.zeros(len(CODES), dtype=np.int64)
for _cat, _codes in _CATEGORY_OF.items():
    for _code in _codes:
        CATEGORY[C[_code]] = _cat
MARK_COLUMNS = ("urn", "upn", "date", "session", "code")


def _table(pairs: tuple[tuple[str, float], ...]) -> tuple[np.ndarray, np.ndarray]:
    codes = np.array([C[c] for c, _ in pairs], dtype=np.uint8)
    w = np.cumsum([p for _, p in pairs])
    return codes, w / w[-1]


# Reasons for a whole day's absence and for a single session's, authorised and not.
WHOLE_AUTH = _table((("I", 0.86), ("C", 0.05), ("M", 0.04), ("R", 0.02), ("T", 0.01), ("J1", 0.01), ("C1", 0.01)))
WHOLE_UNAUTH = _table((("O", 0.80), ("G", 0.08), ("N", 0.12)))
HALF_AUTH = _table((("M", 0.55), ("I", 0.35), ("C", 0.05), ("J1", 0.03), ("R", 0.02)))
HALF_UNAUTH = _table((("U", 0.40), ("O", 0.48), ("N", 0.12)))
# Relative illness by month (September = 9): colds and flu peak in December and January.
SEASON = {9: 0.65, 10: 0.95, 11: 1.1, 12: 1.35, 1: 1.25, 2: 1.0, 3: 0.85}
DOW = np.array([1.06, 0.96, 0.95, 0.97, 1.08])  # Monday ... Friday
CHUNK_ENROLMENTS = 12_000


@dataclass
class Events:
    """Marks lasting several sessions: enrolment, first session (2 * day index + AM/PM),
    number of sessions, step (1 every session, 2 every afternoon) and code."""

    enrol: list[np.ndarray] = field(default_factory=list)
    start: list[np.ndarray] = field(default_factory=list)
    count: list[np.ndarray] = field(default_factory=list)
    step: list[np.ndarray] = field(default_factory=list)
    code: list[np.ndarray] = field(default_factory=list)

    def add(self, enrol: np.ndarray, start: np.ndarray | int, count: np.ndarray | int, step: int, code: str) -> None:
        """Add a kind of event; kinds added later take precedence."""
        n = len(enrol)
        self.enrol.append(np.asarray(enrol, dtype=np.int64))
        self.start.append(np.broadcast_to(np.asarray(start, dtype=np.int64), (n,)).copy())
        self.count.append(np.maximum(np.broadcast_to(np.asarray(count, dtype=np.int64), (n,)), 0))
        self.step.append(np.full(n, step, dtype=np.int64))
        self.code.append(np.full(n, C[code], dtype=np.uint8))

    def arrays(self) -> tuple[np.ndarray, ...]:
        """Flat arrays in precedence order (the position in the arrays is the precedence)."""
        if not self.enrol:
            empty = np.array([], dtype=np.int64)
            return empty, empty, empty, empty, np.array([], dtype=np.uint8)
        return tuple(np.concatenate(x) for x in (self.enrol, self.start, self.count, self.step, self.code))


@dataclass
class MarkPlan:
    """Everything the chunks need, per enrolment and per school, drawn before any chunk."""

    days: np.ndarray  # school-day ordinals
    day_text: list[str]
    first: np.ndarray  # per enrolment: first and last day index on roll (last < first: none)
    last: np.ndarray
    rate: np.ndarray
    unauth_share: np.ndarray
    k_day: np.ndarray  # weekday of LA-arranged provision, or -1
    sixth: np.ndarray  # Year 12-13: sometimes not required to attend
    transport: np.ndarray  # pupils with transport provided (special schools)
    dual_from: np.ndarray  # day-index range of dual registration, and the weekdays coded D
    dual_to: np.ndarray
    dual_days: np.ndarray  # bit mask over Monday..Friday
    school_code: np.ndarray  # [school, day]: a whole-school mark (#, Y4) or 255
    snow: np.ndarray  # [school, day]: widespread travel disruption
    events: Events


@dataclass
class Tally:
    """Per enrolment session counts by category, and C2 / K / B sessions."""

    by_category: np.ndarray  # [enrolment, category]
    c2: np.ndarray
    k: np.ndarray
    b: np.ndarray
    code_counts: np.ndarray
    rows: int = 0


def _expand(first: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For items with ``count`` consecutive values from ``first``: (item index, value) flat."""
    total = int(count.sum())
    item = np.repeat(np.arange(len(count)), count)
    offset = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    return item, first[item] + offset


def write_marks(
    path: Path,
    plan: MarkPlan,
    enrols: Enrols,
    kids: Kids,
    urns: list[str],
    rng: np.random.Generator,
    chunk: int = CHUNK_ENROLMENTS,
) -> Tally:
    n_enrol = enrols.n
    days = plan.days
    nd = len(days)
    month = np.array([int(t[5:7]) for t in plan.day_text])
    season = np.array([SEASON.get(m, 1.0) for m in month])
    season = season / season.mean()
    # Illness is about half of all absence: only that half follows the seasons.
    day_factor = (0.5 + 0.5 * season) * DOW[(days + 6) % 7]
    recent = np.arange(nd) >= nd - 10  # reasons for the last fortnight's absences not yet in
    ev_enrol, ev_start, ev_count, ev_step, ev_code = plan.events.arrays()
    ev_order = np.argsort(ev_enrol, kind="stable")  # stable: precedence order kept within an enrolment
    ev_bounds = np.searchsorted(ev_enrol[ev_order], np.arange(n_enrol + 1))
    tally = Tally(
        np.zeros((n_enrol, 5), dtype=np.int64),
        np.zeros(n_enrol, dtype=np.int64),
        np.zeros(n_enrol, dtype=np.int64),
        np.zeros(n_enrol, dtype=np.int64),
        np.zeros(len(CODES), dtype=np.int64),
    )
    str_dict = pa.string()
    schema = pa.schema([(c, pa.dictionary(pa.int32(), str_dict)) for c in MARK_COLUMNS])
    urn_dict = pa.array(urns, str_dict)
    upn_dict = pa.array([str(u) for u in kids.upn], str_dict)
    date_dict = pa.array(plan.day_text, str_dict)
    session_dict = pa.array(["AM", "PM"], str_dict)
    code_dict = pa.array(list(CODES), str_dict)
    options = pacsv.WriteOptions(include_header=True, quoting_style="none", quoting_header="none")
    with pacsv.CSVWriter(str(path), schema, write_options=options) as writer:
        for lo in range(0, n_enrol, chunk):
            hi = min(n_enrol, lo + chunk)
            codes, e_local, day = _chunk_codes(plan, enrols, lo, hi, rng, day_factor, recent, nd)
            # Events of this chunk's enrolments, in precedence order.
            sel = ev_order[ev_bounds[lo] : ev_bounds[hi]]
            sel = np.sort(sel)
            if len(sel):
                _apply_events(
                    codes, plan, lo, hi, ev_enrol[sel], ev_start[sel], ev_count[sel], ev_step[sel], ev_code[sel]
                )
            e_global = lo + np.repeat(e_local, 2)
            sess_day = np.repeat(day, 2)
            school = enrols.school[e_global]
            _apply_school_marks(codes, plan, e_global, sess_day, school, rng)
            cat = CATEGORY[codes]
            n_loc = hi - lo
            tally.by_category[lo:hi] += np.bincount((e_global - lo) * 5 + cat, minlength=n_loc * 5).reshape(n_loc, 5)
            for arr, code in ((tally.c2, "C2"), (tally.k, "K"), (tally.b, "B")):
                arr[lo:hi] += np.bincount(e_global[codes == C[code]] - lo, minlength=n_loc)
            tally.code_counts += np.bincount(codes, minlength=len(CODES))
            tally.rows += len(codes)
            session = np.tile(np.array([0, 1], dtype=np.int32), len(day))
            table = pa.table(
                [
                    pa.DictionaryArray.from_arrays(pa.array(school.astype(np.int32)), urn_dict),
                    pa.DictionaryArray.from_arrays(pa.array(enrols.kid[e_global].astype(np.int32)), upn_dict),
                    pa.DictionaryArray.from_arrays(pa.array(sess_day.astype(np.int32)), date_dict),
                    pa.DictionaryArray.from_arrays(pa.array(session), session_dict),
                    pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), code_dict),
                ],
                schema=schema,
            )
            writer.write_table(table)
    return tally


def _chunk_codes(
    plan: MarkPlan,
    enrols: Enrols,
    lo: int,
    hi: int,
    rng: np.random.Generator,
    day_factor: np.ndarray,
    recent: np.ndarray,
    nd: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The everyday draw for enrolments ``lo:hi``: codes per session, enrolment and day per day."""
    first = plan.first[lo:hi]
    count = np.maximum(plan.last[lo:hi] - first + 1, 0)
    e_local, day = _expand(first, count)
    n = len(day)
    e = lo + e_local
    p = np.minimum(plan.rate[e] * day_factor[day], 0.9)
    u = rng.random((6, n))
    whole = u[0] < 0.9 * p
    half = ~whole & (u[0] < 1.1 * p)
    unauth = u[1] < plan.unauth_share[e]
    am_off = u[2] < 0.5  # which session a half-day absence is
    reason = np.empty(n, dtype=np.uint8)
    for mask_day, table_auth, table_unauth in ((whole, WHOLE_AUTH, WHOLE_UNAUTH), (half, HALF_AUTH, HALF_UNAUTH)):
        for sub, (codes_t, cum) in ((mask_day & ~unauth, table_auth), (mask_day & unauth, table_unauth)):
            idx = np.flatnonzero(sub)
            reason[idx] = codes_t[np.searchsorted(cum, u[3, idx], side="right").clip(0, len(codes_t) - 1)]
    pending = recent[day] & (whole | half) & (u[4] < np.where(unauth, 0.6, 0.25))
    reason[pending] = C["N"]
    # Present: late sometimes in the morning; approved activities now and then.
    am = np.where(u[5] < 0.02 + 0.06 * plan.rate[e], C["L"], C["/"]).astype(np.uint8)
    pm = np.full(n, C["\\"], dtype=np.uint8)
    am = np.where(whole | (half & am_off), reason, am)
    pm = np.where(whole | (half & ~am_off), reason, pm)
    codes = np.empty(2 * n, dtype=np.uint8)
    codes[0::2] = am
    codes[1::2] = pm
    w = rng.random(2 * n)
    present = CATEGORY[codes] == PRESENT
    e2 = np.repeat(e, 2)
    d2 = np.repeat(day, 2)
    codes[present & (w < 0.0035)] = C["V"]
    codes[present & (w >= 0.0035) & (w < 0.0055)] = C["P"]
    codes[present & (w >= 0.0055) & (w < 0.0065)] = C["B"]
    weekday = (plan.days[d2] + 6) % 7
    codes[present & (plan.k_day[e2] == weekday)] = C["K"]
    codes[present & plan.sixth[e2] & (w > 0.975)] = C["X"]
    # Rare "unable to attend" days: transport not provided, other unavoidable causes, access.
    rare = np.repeat(rng.random(n), 2)
    codes[plan.transport[e2] & (rare < 0.004)] = C["Y1"]
    codes[plan.transport[e2] & (rare >= 0.004) & (rare < 0.0045)] = C["Q"]
    codes[(rare > 0.9996) & (rare <= 0.9998)] = C["Y7"]
    codes[(rare > 0.99995)] = C["Y6"]
    codes[(rare > 0.9998) & (rare <= 0.99985)] = C["Y3"]
    return codes, e_local, day


def _apply_events(
    codes: np.ndarray,
    plan: MarkPlan,
    lo: int,
    hi: int,
    enrol: np.ndarray,
    start: np.ndarray,
    count: np.ndarray,
    step: np.ndarray,
    code: np.ndarray,
) -> None:
    first = plan.first[lo:hi]
    count_days = np.maximum(plan.last[lo:hi] - first + 1, 0)
    offset = 2 * (np.cumsum(count_days) - count_days)  # first session of each enrolment in ``codes``
    item, k = _expand(np.zeros(len(enrol), dtype=np.int64), count)
    sess = start[item] + k * step[item]
    e = enrol[item] - lo
    lo_s = 2 * first[e]
    hi_s = 2 * plan.last[lo + e] + 1
    ok = (sess >= lo_s) & (sess <= hi_s)
    pos = offset[e[ok]] + sess[ok] - lo_s[ok]
    # Later events win: numpy assigns repeated indices in order, so the last write stands.
    codes[pos] = code[item[ok]]


def _apply_school_marks(
    codes: np.ndarray, plan: MarkPlan, e: np.ndarray, day: np.ndarray, school: np.ndarray, rng: np.random.Generator
) -> None:
    # About a third of pupils at a school hit by snow cannot get there (a whole day).
    snow = plan.snow[school, day] & (np.repeat(rng.random(len(codes) // 2), 2) < 0.35)
    codes[snow] = C["Y2"]
    weekday = (plan.days[day] + 6) % 7
    dual = (day >= plan.dual_from[e]) & (day <= plan.dual_to[e]) & ((plan.dual_days[e] >> weekday) & 1 == 1)
    codes[dual] = C["D"]
    whole = plan.school_code[school, day]
    codes[whole != 255] = whole[whole != 255]
