"""School census reader: the LIIA "flattened" export, one CSV per XML node, a term at a time.

Files are recognised by their ``...tableid`` columns, not their names: ``pupilonroll`` and
``pupilnolongeronroll`` (the pupils; each row an enrolment), ``termlysessiondetails{on,off}roll``
and ``summerhalfterm2sessiondetails{on,off}roll`` (sessions per attendance code), and
``termlyexclusions{on,off}roll``. Detail rows name their pupil by (``NativeId``, pupil table id),
and the pupil row gives the UPN; ``NativeId`` (the school's return) is stored as the URN.

Timing. The census is named by its own term and calendar year (``2024_autumn`` is the October
2024 census), but it collects attendance one term in arrears (DfE pupil absence methodology,
section 4.1): the autumn census holds the previous summer term (its first half as ``termly``,
the second as ``summerhalfterm2``, added together here), the spring census the autumn term, and
the summer census the spring term. The rows are stored under the term the sessions belong to.

Values the census validated are trusted: codes outside this project's lists are kept or dropped
with one summary warning per file and field, not one per row (the UPNs in LIIA's extract are
hashed, so every check letter fails).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from ever6.attendance import SUMMARY_POSSIBLE
from ever6.formats import SCHOOL_CENSUS
from ever6.formats.attendance_termly import codes_in_use, parse_sessions
from ever6.formats.csv_source import SEX_CODES, CsvFile, CsvRecord, blank_to_none, parse_date, read_csv
from ever6.formats.exclusions import CATEGORIES, REASONS, parse_exclusion_sessions, split_reasons
from ever6.formats.problems import Problem, ReadResult, Severity
from ever6.formats.pupils import EARLY_YEARS, NC_YEARS, SEN_CODES, normalise_ncyear
from ever6.model import ATTENDANCE_TERMLY, EXCLUSION, PUPIL_ENROLMENT
from ever6.upn import LA_CODES, check_upn, compact

FORMAT = SCHOOL_CENSUS.name

DATE_FORMATS: tuple[str, ...] = ("%Y-%b-%d %H:%M:%S", "%Y-%m-%d", "%d/%m/%Y")
CENSUS_TERMS: tuple[str, ...] = ("autumn", "spring", "summer")
# Census term -> the term whose attendance it collects, in the academic year starting the
# calendar year before the census (autumn 2024 census -> summer 2023/24).
ATTENDANCE_TERM: dict[str, str] = {"autumn": "summer", "spring": "autumn", "summer": "spring"}
# Census day: (month, which Thursday of it). First Thursday of October, third of January and May.
CENSUS_DAY: dict[str, tuple[int, int]] = {"autumn": (10, 1), "spring": (1, 3), "summer": (5, 3)}

PUPIL_KINDS: dict[str, bool] = {"pupilonroll": True, "pupilnolongeronroll": False}  # kind -> on roll
ATTENDANCE_KINDS: tuple[str, ...] = ("termlysessiondetails", "summerhalfterm2sessiondetails")
EXCLUSION_KIND = "termlyexclusions"
MAX_LISTED = 50  # errors listed per file and rule

_PREFIX = re.compile(r"^(\d{4})_(autumn|spring|summer)(?:_|$)", re.IGNORECASE)


def census_day(year: int, term: str) -> date:
    month, nth = CENSUS_DAY[term]
    first = date(year, month, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + timedelta(weeks=nth - 1)


def attendance_period(census_year: int, census_term: str) -> tuple[int, str]:
    """(academic year, term) of the attendance a census collects."""
    return census_year - 1, ATTENDANCE_TERM[census_term]


@dataclass
class _Source:
    csv: CsvFile
    kind: str  # e.g. "pupilonroll", "termlysessiondetails", "termlyexclusions"
    on_roll: bool
    index: dict[str, int] = field(init=False)  # lower-case column name -> position (first wins)

    def __post_init__(self) -> None:
        self.index = {}
        for i, name in enumerate(self.csv.header):
            self.index.setdefault(name.strip().lower(), i)

    @property
    def file(self) -> str:
        return str(self.csv.path)

    def value(self, record: CsvRecord, name: str) -> str:
        return record.get(self.index.get(name.lower()))

    def has(self, name: str) -> bool:
        return name.lower() in self.index

    @property
    def pupil_id(self) -> str:
        return "pupilonrolltableid" if self.on_roll else "pupilnolongeronrolltableid"


@dataclass
class _Notes:
    """Problems, with per-file summaries for values the census owns and per-rule caps."""

    problems: list[Problem]
    summaries: dict[tuple[str, str, str], Counter[str]] = field(default_factory=dict)
    first_lines: dict[tuple[str, str, str], int] = field(default_factory=dict)
    listed: Counter[tuple[str, str]] = field(default_factory=Counter)

    def error(self, source: _Source, record: CsvRecord | None, column: str | None, message: str, rule: str) -> None:
        self.listed[source.file, rule] += 1
        if self.listed[source.file, rule] <= MAX_LISTED:
            self.problems.append(Problem(source.file, record.line if record else None, column, message))

    def summarise(self, source: _Source, record: CsvRecord, column: str, what: str, value: str) -> None:
        """Count ``value`` under ``what`` (a sentence such as "is not a sex code; dropped")."""
        key = (source.file, column, what)
        self.summaries.setdefault(key, Counter())[value] += 1
        self.first_lines.setdefault(key, record.line)

    def finish(self) -> None:
        for (file, rule), count in self.listed.items():
            if count > MAX_LISTED:
                self.problems.append(Problem(file, None, None, f"... and {count - MAX_LISTED} more: {rule}"))
        for (file, column, what), values in self.summaries.items():
            total = sum(values.values())
            shown = ", ".join(f"{v!r} ({n})" for v, n in values.most_common(8))
            message = f"{total} row(s) {what}: {shown} (first on line {self.first_lines[file, column, what]})"
            self.problems.append(Problem(file, None, column, message, Severity.WARNING))


def _classify(csv_file: CsvFile) -> tuple[str, bool] | None:
    """(kind, on roll) from the file's ``...tableid`` columns, or None for another node."""
    ids = [h.strip().lower()[: -len("tableid")] for h in csv_file.header if h.strip().lower().endswith("tableid")]
    ids = [i for i in ids if i != "schoolcensus"]
    own = [i for i in ids if i not in PUPIL_KINDS]
    if not own and len(ids) == 1:
        return ids[0], PUPIL_KINDS[ids[0]]
    if len(own) != 1 or not own[0].endswith(("onroll", "offroll")):
        return None
    on_roll = own[0].endswith("onroll")
    kind = own[0].removesuffix("onroll" if on_roll else "offroll")
    return kind, on_roll


def read_school_census(
    paths: Sequence[Path],
    *,
    census_year: int | None = None,
    census_term: str | None = None,
    today: date | None = None,
    codes_file: Path | None = None,
    la_codes: Iterable[str] = LA_CODES,
) -> ReadResult:
    """Read one term's flattened school census CSVs into enrolments, termly attendance and exclusions.

    The census year and term come from the file names' ``YYYY_term_`` prefix, or from
    ``census_year`` and ``census_term`` (which win). When any error is found the tables are
    empty: the import is refused, and every problem found is still reported.
    """
    paths = [Path(p) for p in paths]
    if not paths:
        raise ValueError("read_school_census needs at least one file")
    today = today or date.today()
    problems: list[Problem] = []
    notes = _Notes(problems)
    year, term = _census_term(paths, census_year, census_term, problems)
    sources: list[_Source] = []
    for path in paths:
        csv_file, csv_problems = read_csv(path)
        problems.extend(csv_problems)
        if csv_file is None:
            continue
        kind = _classify(csv_file)
        if kind is None or (kind[0] not in PUPIL_KINDS and kind[0] not in (*ATTENDANCE_KINDS, EXCLUSION_KIND)):
            what = f"a {kind[0]} table" if kind else "not a flattened school census table"
            problems.append(Problem(str(path), None, None, f"{path.name} is {what}: not read", Severity.WARNING))
            continue
        if any(s.kind == kind[0] and s.on_roll == kind[1] for s in sources):
            problems.append(Problem(str(path), None, None, f"a second {kind[0]} file: read one term at a time"))
            continue
        sources.append(_Source(csv_file, *kind))

    enrolments: list[dict[str, object]] = []
    attendance: dict[tuple[str, str, int, str, str], int] = {}
    exclusions: list[dict[str, object]] = []
    if year is not None and term is not None:
        pupils: dict[tuple[bool, str, str], tuple[str, str]] = {}  # (on roll, NativeId, table id) -> urn, upn
        for source in sorted((s for s in sources if s.kind in PUPIL_KINDS), key=lambda s: not s.on_roll):
            enrolments += _read_pupils(source, year, term, today, pupils, attendance, notes, frozenset(la_codes))
        for source in sources:
            if source.kind in PUPIL_KINDS:
                continue
            if not any(s.kind in PUPIL_KINDS and s.on_roll == source.on_roll for s in sources):
                pupil_file = "pupilonroll" if source.on_roll else "pupilnolongeronroll"
                message = f"{source.kind} rows name pupils by table id: the {pupil_file} file is needed"
                problems.append(Problem(source.file, None, None, message))
            elif source.kind == EXCLUSION_KIND:
                exclusions += _read_exclusions(source, pupils, notes)
            else:
                _read_attendance(source, year, term, pupils, attendance, notes, codes_file)
    notes.finish()

    attendance_rows = [
        {"urn": k[0], "upn": k[1], "academic_year": k[2], "term": k[3], "code": k[4], "sessions": v}
        for k, v in attendance.items()
    ]
    return ReadResult.of_rows(
        FORMAT,
        paths,
        {PUPIL_ENROLMENT.name: enrolments, ATTENDANCE_TERMLY.name: attendance_rows, EXCLUSION.name: exclusions},
        problems,
        year=year,
        reference_date=census_day(year, term) if year and term else None,
    )


def _census_term(
    paths: list[Path], census_year: int | None, census_term: str | None, problems: list[Problem]
) -> tuple[int | None, str | None]:
    if census_term is not None and census_term.casefold() not in CENSUS_TERMS:
        raise ValueError(f"census_term {census_term!r} is not one of {', '.join(CENSUS_TERMS)}")
    named = {path: _PREFIX.match(path.name) for path in paths}
    found = {(int(m.group(1)), m.group(2).casefold()) for m in named.values() if m}
    year = census_year if census_year is not None else (next(iter(found))[0] if len(found) == 1 else None)
    term = census_term.casefold() if census_term else (next(iter(found))[1] if len(found) == 1 else None)
    if len(found) > 1 and (census_year is None or census_term is None):
        names = ", ".join(sorted(f"{y}_{t}" for y, t in found))
        problems.append(Problem(str(paths[0]), None, None, f"the files are from different censuses ({names})"))
    elif year is None or term is None:
        problems.append(
            Problem(
                str(paths[0]),
                None,
                None,
                "cannot tell which census the files are from: name them YYYY_term_... "
                "(e.g. 2024_autumn_pupilonroll.csv) or give the census year and term",
            )
        )
    return year, term


def _date(source: _Source, record: CsvRecord, name: str, notes: _Notes, required: bool) -> tuple[date | None, bool]:
    """A census date, and whether it is acceptable (an unreadable date is an error)."""
    text = source.value(record, name)
    parsed = parse_date(text, DATE_FORMATS)
    if text and parsed is None:
        notes.error(source, record, name, f"{name} {text!r} is not a date (e.g. 2024-Sep-02 00:00:00)", "bad dates")
        return None, False
    if required and parsed is None:
        notes.error(source, record, name, f"{name} is blank: the enrolment has no key", "blank keys")
        return None, False
    return parsed, True


def _read_pupils(
    source: _Source,
    year: int,
    term: str,
    today: date,
    pupils: dict[tuple[bool, str, str], tuple[str, str]],
    attendance: dict[tuple[str, str, int, str, str], int],
    notes: _Notes,
    la_codes: frozenset[str],
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    first_line: dict[tuple[str, str, date], int] = {}
    attendance_year, attendance_term = attendance_period(year, term)
    # The autumn census's second half of the summer term belongs to the same (summer) term.
    possible_columns = ["termlysessionspossible"] + (["summerhalfterm2sessionspossible"] if term == "autumn" else [])
    invalid: Counter[str] = Counter()  # UPN problem -> pupils
    for record in source.csv.records:
        urn = source.value(record, "NativeId")
        upn = compact(source.value(record, "upn"))
        table_id = source.value(record, source.pupil_id)
        for name, value in (("NativeId", urn), ("upn", upn), (source.pupil_id, table_id)):
            if not value:
                notes.error(source, record, name, f"{name} is blank: the pupil cannot be identified", "blank keys")
        entry, entry_ok = _date(source, record, "entrydate", notes, required=True)
        leaving, leaving_ok = _date(source, record, "leavingdate", notes, required=False)
        if entry and leaving and leaving < entry:
            notes.error(source, record, "leavingdate", f"leaving date {leaving} is before entry date {entry}", "order")
        if not (urn and upn and table_id and entry and entry_ok and leaving_ok):
            continue
        check = check_upn(upn, la_codes)
        if not check.valid:
            invalid[check.problem.words if check.problem else ""] += 1
        known = pupils.setdefault((source.on_roll, urn, table_id), (urn, upn))
        if known[1] != upn:
            message = f"{source.pupil_id} {table_id} at {urn} is UPN {known[1]} on an earlier row and {upn} here"
            notes.error(source, record, source.pupil_id, message, "ambiguous pupils")
            continue
        for column in possible_columns:
            sessions = _sessions(source, record, column, notes)
            if sessions is not None:
                key = (urn, upn, attendance_year, attendance_term, SUMMARY_POSSIBLE)
                attendance[key] = attendance.get(key, 0) + sessions
        if (urn, upn, entry) in first_line:
            message = f"the enrolment at {urn} from {entry} is on line {first_line[urn, upn, entry]} too; row ignored"
            notes.problems.append(Problem(source.file, record.line, "entrydate", message, Severity.WARNING))
            continue
        first_line[urn, upn, entry] = record.line
        rows.append(_enrolment(source, record, urn, upn, entry, leaving, today, notes))
    if invalid:
        which = ", ".join(f"{n} {problem}" for problem, n in invalid.most_common())
        message = (
            f"{sum(invalid.values())} of {len(source.csv.records)} UPNs are not valid UPNs ({which}); "
            "hashed in LIIA extracts; kept as given"
        )
        notes.problems.append(Problem(source.file, None, "upn", message, Severity.WARNING))
    return rows


def _enrolment(
    source: _Source,
    record: CsvRecord,
    urn: str,
    upn: str,
    entry: date,
    leaving: date | None,
    today: date,
    notes: _Notes,
) -> dict[str, object]:
    birth_date = parse_date(source.value(record, "dob"), DATE_FORMATS)
    if birth_date is not None and birth_date > today:
        notes.summarise(source, record, "dob", "with a birth date in the future; dropped", str(birth_date))
        birth_date = None
    sex_text = source.value(record, "sex")
    sex = SEX_CODES.get(sex_text.casefold()) if sex_text else None
    if sex_text and sex is None:
        notes.summarise(source, record, "sex", "with a sex not M, F or U; dropped", sex_text)
    year_column = "ncyearactual" if source.on_roll else "ncyearleaving"
    year_text = source.value(record, year_column).upper()
    ncyear = year_text if year_text in EARLY_YEARS else normalise_ncyear(year_text) if year_text else None
    if year_text and ncyear is None:
        allowed = ", ".join(sorted(NC_YEARS | EARLY_YEARS))
        notes.summarise(source, record, year_column, f"with an NC year not in {allowed}; dropped", year_text)
    sen_text = source.value(record, "senprovision").upper()
    sen = SEN_CODES.get(sen_text) if sen_text else None
    if sen_text and sen is None:
        notes.summarise(
            source, record, "senprovision", "with an SEN provision not N, K, E, A, P or S; dropped", sen_text
        )
    return {
        "urn": urn,
        "upn": upn,
        "former_upn": compact(source.value(record, "formerupn")) or None,
        "forename": blank_to_none(source.value(record, "forename")),
        "surname": blank_to_none(source.value(record, "surname")),
        "birth_date": birth_date,
        "sex": sex,
        "postcode": None,  # the pupil node has none (addresses are a separate node)
        "ncyear": ncyear,
        "entry_date": entry,
        "leaving_date": leaving,
        "fsm_ever6": None,  # FSM periods are a separate node; Ever6 needs six years of them
        "sen": sen,
        "ethnicity": blank_to_none(source.value(record, "ethnicity").upper()),
    }


def _sessions(source: _Source, record: CsvRecord, column: str, notes: _Notes) -> int | None:
    text = source.value(record, column)
    if not text:
        return None
    value = parse_sessions(text)
    if value is None or value < 0:
        notes.error(source, record, column, f"{column} {text!r} is not a whole number of sessions", "bad sessions")
        return None
    return value


def _pupil(
    source: _Source, record: CsvRecord, pupils: dict[tuple[bool, str, str], tuple[str, str]], notes: _Notes
) -> tuple[str, str] | None:
    urn, table_id = source.value(record, "NativeId"), source.value(record, source.pupil_id)
    found = pupils.get((source.on_roll, urn, table_id))
    if found is None:
        message = f"no pupil with {source.pupil_id} {table_id!r} at {urn!r} in the pupil file"
        notes.error(source, record, source.pupil_id, message, "rows for unknown pupils")
    return found


def _read_attendance(
    source: _Source,
    year: int,
    term: str,
    pupils: dict[tuple[bool, str, str], tuple[str, str]],
    attendance: dict[tuple[str, str, int, str, str], int],
    notes: _Notes,
    codes_file: Path | None,
) -> None:
    if source.kind == "summerhalfterm2sessiondetails" and term != "autumn":
        message = "summer half-term 2 sessions come only with the autumn census; file not read"
        notes.problems.append(Problem(source.file, None, None, message, Severity.WARNING))
        return
    attendance_year, attendance_term = attendance_period(year, term)
    in_use = codes_in_use(attendance_year, attendance_term, codes_file)
    # "absencesessions" before 2021.
    column = "sessions" if source.has("sessions") else "absencesessions"
    for record in source.csv.records:
        pupil = _pupil(source, record, pupils, notes)
        code = source.value(record, "attendancereason").upper()
        sessions = _sessions(source, record, column, notes)
        if not code:
            notes.error(source, record, "attendancereason", "attendancereason is blank", "blank codes")
            continue
        if code not in in_use:
            what = f"with a code not in use in {attendance_term} {attendance_year}/{(attendance_year + 1) % 100:02d}"
            notes.summarise(source, record, "attendancereason", f"{what}; kept as given", code)
        if pupil is None or sessions is None:
            continue
        key = (*pupil, attendance_year, attendance_term, code)
        attendance[key] = attendance.get(key, 0) + sessions


def _read_exclusions(
    source: _Source, pupils: dict[tuple[bool, str, str], tuple[str, str]], notes: _Notes
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    first_line: dict[tuple[str, str, date, str], int] = {}
    for record in source.csv.records:
        pupil = _pupil(source, record, pupils, notes)
        start_text = source.value(record, "startdate")
        start = parse_date(start_text, DATE_FORMATS)
        if start is None:
            notes.error(source, record, "startdate", f"startdate {start_text!r} is not a date", "bad dates")
        category = source.value(record, "category").upper()
        if category not in CATEGORIES:
            message = f"category {category!r} is not one of {', '.join(sorted(CATEGORIES))}"
            notes.error(source, record, "category", message, "unknown categories")
        sessions_text = source.value(record, "sessions")
        sessions = parse_exclusion_sessions(sessions_text) if sessions_text else None
        if sessions_text and (sessions is None or sessions < 0):
            notes.error(
                source, record, "sessions", f"sessions {sessions_text!r} is not a number of sessions", "bad sessions"
            )
        reasons = split_reasons([source.value(record, name) for name in ("reason", "reason1", "reason2", "reason3")])
        for code in reasons:
            if code not in REASONS:
                notes.summarise(source, record, "reason1", "with a reason not a DfE code; kept as given", code)
        if pupil is None or start is None or category not in CATEGORIES:
            continue
        key = (*pupil, start, category)
        if key in first_line:
            # The model keys an exclusion by pupil, school, start and category: a second one the
            # same day cannot be stored, so it is counted here rather than silently overwritten.
            notes.summarise(
                source,
                record,
                "startdate",
                "repeating an earlier exclusion's pupil, start and category; ignored",
                category,
            )
            continue
        first_line[key] = record.line
        rows.append(
            {
                "urn": pupil[0],
                "upn": pupil[1],
                "start_date": start,
                "category": category,
                "sessions": sessions,
                "reasons": reasons,
            }
        )
    return rows
