"""The data and information return to the DfE and its research partner (the guidance, para 62):
one Excel workbook and CSV files in the DfE's open-data format for Explore Education Statistics
(EES), each with its ``.meta.csv`` (docs/grant.md, "The data and information return").

Always suppressed: every figure about pupils is read through the access layer's suppressed
publication (:meth:`ever6.access.Snapshot.metrics` with ``suppressed=True``), exactly as
published, symbols included (``c``, ``z``, ``x``, ``low``). Activity counts count schools,
sessions, professionals and enquiries, never children; spend is money.

The EES conventions followed here: tidy data (one row per observation, one column per
variable); the time columns ``time_period`` (six digits for an academic or financial year, e.g.
``202425``) and ``time_identifier`` (``Academic year`` or ``Financial year``, never mixed in one
file); the geography columns ``geographic_level``, ``country_code``, ``country_name`` and, for a
local authority, ``old_la_code``, ``new_la_code``, ``la_name``; then filters, each with a
``Total``; then indicators; and a metadata file naming each filter and indicator.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ever6.access import MetricQuery, Snapshot, Viewer
from ever6.exports import safe_cell

COUNTRY = {"country_code": "E92000001", "country_name": "England"}
OBSERVATION = (
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "old_la_code",
    "new_la_code",
    "la_name",
)
META_COLUMNS = (
    "col_name",
    "col_type",
    "label",
    "indicator_grouping",
    "indicator_unit",
    "indicator_dp",
    "filter_hint",
    "filter_grouping_column",
)
TOTAL = "Total"
# The pupil groups of the return, as the published measures name them.
GROUPS = {
    "cwsw": "Ever6 CWSW",
    "cin": "Child in need (excluding CPP and CLA)",
    "cpp": "Child protection plan",
    "not_cwsw": "Never CWSW",
    "all_pupils": "Total",  # every pupil: the aggregate row, which the standards call Total
}
# Cohort by status: every group the measures publish a head count for.
STATUS_GROUPS = {
    "cwsw": "Ever6 CWSW",
    "cpp": "Child protection plan",
    "cin": "Child in need (excluding CPP and CLA)",
    "cinp": "Child in need plan",
    "cin_other": "Other child in need",
    "ever6_previous": "Had a social worker in the previous 6 years, not now",
    "cla": "Looked after",
}
# Outcome measures: (the published measure, the indicator's column, its label, grouping, unit).
OUTCOMES = (
    ("overall_absence_rate", "overall_absence_percent", "Overall absence rate", "Attendance", "%"),
    ("persistent_absence_rate", "persistent_absence_percent", "Persistent absence rate", "Attendance", "%"),
    ("severe_absence_rate", "severe_absence_percent", "Severe absence rate", "Attendance", "%"),
    ("suspension_rate", "suspension_percent", "Suspensions per 100 pupils", "Suspensions and exclusions", ""),
    (
        "one_plus_suspension_rate",
        "one_plus_suspension_percent",
        "Pupils with one or more suspensions",
        "Suspensions and exclusions",
        "%",
    ),
    (
        "permanent_exclusion_rate",
        "permanent_exclusion_percent",
        "Permanent exclusion rate",
        "Suspensions and exclusions",
        "%",
    ),
    ("eyfs_gld_rate", "eyfs_gld_percent", "Good level of development (EYFS)", "Attainment", "%"),
    (
        "ks2_rwm_expected_rate",
        "ks2_rwm_expected_percent",
        "Expected standard in reading, writing and maths (KS2)",
        "Attainment",
        "%",
    ),
    ("attainment8_average", "attainment8_average", "Average Attainment 8 score", "Attainment", ""),
    ("em_grade4_rate", "em_grade4_percent", "Grade 4 or above in English and maths", "Attainment", "%"),
    ("em_grade5_rate", "em_grade5_percent", "Grade 5 or above in English and maths", "Attainment", "%"),
)


@dataclass
class DataFile:
    """One EES data file: its name (lower case, no extension), columns, rows and metadata rows."""

    name: str
    title: str
    columns: list[str]
    rows: list[dict[str, Any]]
    meta: list[dict[str, str]] = field(default_factory=list)

    def csv_text(self) -> str:
        return _csv(self.columns, self.rows)

    def meta_text(self) -> str:
        return _csv(list(META_COLUMNS), self.meta)


def _csv(columns: list[str], rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(c, "")) for c in columns])
    return out.getvalue()


def _filter(name: str, label: str, hint: str = "", grouping: str = "") -> dict[str, str]:
    return {
        "col_name": name,
        "col_type": "Filter",
        "label": label,
        "filter_hint": hint,
        "filter_grouping_column": grouping,
    }


def _indicator(name: str, label: str, grouping: str = "", unit: str = "", dp: int | None = None) -> dict[str, str]:
    return {
        "col_name": name,
        "col_type": "Indicator",
        "label": label,
        "indicator_grouping": grouping,
        "indicator_unit": unit,
        "indicator_dp": "" if dp is None else str(dp),
    }


@dataclass(frozen=True)
class Authority:
    old_la_code: str  # the DfE's three-digit LA number
    new_la_code: str  # the ONS nine-character code; blank when not configured
    la_name: str

    def row(self) -> dict[str, str]:
        return {"geographic_level": "Local authority", **COUNTRY, **self.__dict__}


def time_period(academic_year: str) -> str:
    """``2024/25`` → ``202425``: six digits, two consecutive years."""
    start = int(academic_year[:4])
    return f"{start}{(start + 1) % 100:02d}"


def academic_bounds(academic_year: str) -> tuple[date, date]:
    start = int(academic_year[:4])
    return date(start, 9, 1), date(start + 1, 8, 31)


# --- pupils: always the suppressed publication ---------------------------------------------------


def cohort_file(snapshot: Snapshot, viewer: Viewer, year: str, la: Authority) -> DataFile:
    rows_by_group = {
        r["group"]: r
        for r in snapshot.metrics(
            viewer, MetricQuery(year, "year", ("pupils",), tuple(STATUS_GROUPS), "all"), suppressed=True
        )
    }
    rows = [
        {
            "time_period": time_period(year),
            "time_identifier": "Academic year",
            **la.row(),
            "social_worker_status": label,
            "pupils_count": rows_by_group[g]["value"] if g in rows_by_group else "x",
        }
        for g, label in STATUS_GROUPS.items()
    ]
    # The groups overlap (a child can be in several), so their Total is the Ever6 CWSW cohort.
    rows.insert(0, {**rows[0], "social_worker_status": TOTAL})
    return DataFile(
        "cohort_by_status",
        "The cohort by social worker status",
        [*OBSERVATION, "social_worker_status", "pupils_count"],
        rows,
        [
            _filter("social_worker_status", "Social worker status", "Filter by social worker status"),
            _indicator("pupils_count", "Number of pupils", dp=0),
        ],
    )


def outcomes_file(snapshot: Snapshot, viewer: Viewer, year: str, la: Authority) -> DataFile:
    from ever6.metrics.gaps import national_figures

    measures = tuple(m for m, *_ in OUTCOMES)
    found = {
        (r["measure"], r["group"]): r["value"]
        for r in snapshot.metrics(viewer, MetricQuery(year, "year", measures, tuple(GROUPS), "all"), suppressed=True)
    }
    rows: list[dict[str, Any]] = []
    for group, label in GROUPS.items():
        row: dict[str, Any] = {
            "time_period": time_period(year),
            "time_identifier": "Academic year",
            **la.row(),
            "pupil_group": label,
        }
        for measure, column, *_ in OUTCOMES:
            value = found.get((measure, group))
            row[column] = "x" if value is None or value == "" else value
        rows.append(row)
    # National figures, each in its own academic year: the DfE's published figures ever6 holds
    # (src/ever6/data/national_figures.csv), for the same groups.
    national: dict[tuple[str, str], dict[str, Any]] = {}
    for fig in national_figures():
        if fig.group not in GROUPS:
            continue
        key = (fig.academic_year, fig.group)
        row = national.setdefault(
            key,
            {
                "time_period": time_period(fig.academic_year),
                "time_identifier": "Academic year",
                "geographic_level": "National",
                **COUNTRY,
                "old_la_code": "",
                "new_la_code": "",
                "la_name": "",
                "pupil_group": GROUPS[fig.group],
                **{column: "x" for _, column, *_ in OUTCOMES},
            },
        )
        for measure, column, *_ in OUTCOMES:
            if measure == fig.measure:
                row[column] = f"{fig.value:g}"
    rows += [national[k] for k in sorted(national)]
    return DataFile(
        "outcomes_by_pupil_group",
        "Attendance, suspensions, exclusions and attainment by pupil group",
        [*OBSERVATION, "pupil_group", *(c for _, c, *_ in OUTCOMES)],
        rows,
        [
            _filter("pupil_group", "Pupil group", "Filter by pupil group"),
            *(_indicator(c, label, grouping, unit, 1) for _, c, label, grouping, unit in OUTCOMES),
        ],
    )


# --- activity: the partnership records (schools, sessions, professionals, enquiries) -----------


def _activity_counts(start: date, end: date) -> list[tuple[str, str, int]]:
    from django.utils import timezone

    from ever6.web.schools.models import Contact, ContactRole, DataSharingAgreement, School, Tier, TierDecision
    from ever6.web.support.models import Category as EnquiryCategory
    from ever6.web.support.models import Clinic, Enquiry, Partner
    from ever6.web.training.models import Attendance, Audience, Registration, Session

    out: list[tuple[str, str, int]] = []

    def add(activity: str, labels: dict[str, str], counts: Counter[str], total: int | None = None) -> None:
        out.append((activity, TOTAL, sum(counts.values()) if total is None else total))
        out.extend((activity, label, counts.get(value, 0)) for value, label in labels.items())

    tiers: Counter[str] = Counter()
    for urn in School.objects.values_list("urn", flat=True):
        decision = (
            TierDecision.objects.filter(school_id=urn, decided_at__date__lte=end).order_by("-decided_at", "-id").first()
        )
        if decision is not None:
            tiers[decision.tier] += 1
    add("Schools by tier", dict(Tier.choices), tiers)

    agreements: Counter[str] = Counter()
    for urn in School.objects.values_list("urn", flat=True):
        latest = (
            DataSharingAgreement.objects.filter(school_id=urn, recorded_at__date__lte=end)
            .order_by("-recorded_at", "-id")
            .first()
        )
        agreements["signed" if latest is not None and latest.in_force_on(end) else "not"] += 1
    add(
        "Data sharing agreements",
        {"signed": "Signed and in force", "not": "Not in force"},
        agreements,
    )

    leads: Counter[str] = Counter()
    for contact in Contact.objects.all():
        if contact.current_on(end):
            leads[contact.role] += 1
    add("Named leads", dict(ContactRole.choices), leads)

    sessions = Session.objects.filter(date__gte=start, date__lte=end).select_related("course")
    add("Training sessions", dict(Audience.choices), Counter(s.course.audience for s in sessions))
    attended = Registration.objects.filter(
        session__date__gte=start, session__date__lte=end, attendance=Attendance.ATTENDED
    ).select_related("session__course")
    add("Training attendees", dict(Audience.choices), Counter(r.session.course.audience for r in attended))

    enquiries = Enquiry.objects.filter(received_on__gte=start, received_on__lte=end)
    add("Advice-line enquiries", dict(EnquiryCategory.choices), Counter(e.category for e in enquiries))

    begin = timezone.make_aware(datetime.combine(start, time.min))
    finish = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))
    clinics = Clinic.objects.filter(starts_at__gte=begin, starts_at__lt=finish)
    add("Clinics and consultations", dict(Partner.choices), Counter(c.partner for c in clinics))
    return out


def activity_file(year: str, la: Authority) -> DataFile:
    start, end = academic_bounds(year)
    rows = [
        {
            "time_period": time_period(year),
            "time_identifier": "Academic year",
            **la.row(),
            "activity": activity,
            "breakdown": breakdown,
            "activity_count": count,
        }
        for activity, breakdown, count in _activity_counts(start, end)
    ]
    return DataFile(
        "virtual_school_activity",
        "The Virtual School's activity",
        [*OBSERVATION, "activity", "breakdown", "activity_count"],
        rows,
        [
            _filter("breakdown", "Breakdown", "Filter by tier, role, audience, theme or partner", "activity"),
            _indicator("activity_count", "Number", dp=0),
        ],
    )


# --- spend: the grant ledger ----------------------------------------------------------------------


def spend_file(year: str, la: Authority) -> DataFile | None:
    """Spend by strand in the financial year that begins in the academic year's first April
    (2024/25: April 2024 to March 2025); ``None`` when the ledger has no such year."""
    from ever6.web.grant.ledger import position
    from ever6.web.grant.models import GrantYear, year_bounds

    start_year = int(year[:4])
    grant = GrantYear.objects.filter(start_year=start_year).first()
    if grant is None:
        return None
    from django.utils import timezone

    # A year still running: actual to date and the forecast for the months to come.
    content = position(grant, min(timezone.localdate(), year_bounds(start_year)[1]))
    period = f"{start_year}{(start_year + 1) % 100:02d}"
    base = {"time_period": period, "time_identifier": "Financial year", **la.row()}
    rows = [
        {**base, "strand": TOTAL, "spend_actual": content["total"]["outturn"], "allocation": content["allocation"]},
        *({**base, "strand": s["label"], "spend_actual": s["outturn"], "allocation": "z"} for s in content["strands"]),
    ]
    for row in rows:
        row["spend_actual"] = str(Decimal(row["spend_actual"]))
    return DataFile(
        "grant_spend_by_strand",
        "The grant's spend by strand",
        [*OBSERVATION, "strand", "spend_actual", "allocation"],
        rows,
        [
            _filter("strand", "Strand of the role", "Filter by the strand of the role"),
            _indicator("spend_actual", "Spend (actual and, for months still to come, forecast)", unit="£", dp=2),
            _indicator("allocation", "Grant allocation", unit="£", dp=2),
        ],
    )


def build(snapshot: Snapshot, viewer: Viewer, year: str, la: Authority) -> list[DataFile]:
    files = [
        cohort_file(snapshot, viewer, year, la),
        outcomes_file(snapshot, viewer, year, la),
        activity_file(year, la),
    ]
    spend = spend_file(year, la)
    if spend is not None:
        files.append(spend)
    return files


def workbook(files: list[DataFile]) -> bytes:
    """One Excel workbook: a contents sheet, then each file's rows (figures as published text,
    formula-safe; numbers stay numbers)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    contents = wb.active
    contents.title = "Contents"
    contents.append(["Virtual School Head: data and information return"])
    contents["A1"].font = Font(bold=True)
    contents.append(
        ["Symbols: c confidential (suppressed), z not applicable, x not available, low rounds to 0 but is not 0"]
    )
    for f in files:
        contents.append([f.name, f.title])
        ws = wb.create_sheet(f.name[:31])
        ws.append(f.columns)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in f.rows:
            ws.append([_cell(row.get(c, "")) for c in f.columns])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    try:
        return int(text) if text.isdigit() else float(text) if text.replace(".", "", 1).isdigit() else safe_cell(text)
    except ValueError:
        return safe_cell(text)


def write(files: list[DataFile], out: Path) -> list[Path]:
    """Each file's ``.csv`` and ``.meta.csv``, and the workbook, into the folder ``out``."""
    from ever6.private import private_dir

    private_dir(out)
    written = []
    for f in files:
        for path, text in ((out / f"{f.name}.csv", f.csv_text()), (out / f"{f.name}.meta.csv", f.meta_text())):
            path.write_text(text, encoding="utf-8")
            written.append(path)
    book = out / "dfe_return.xlsx"
    book.write_bytes(workbook(files))
    written.append(book)
    return written


def authority(snapshot: Snapshot) -> Authority:
    """The authority's codes: the DfE LA number and name from the snapshot, the ONS code from the
    settings (``[authority] ons_code``), blank when not set."""
    from ever6.config import load_settings

    old, name = snapshot.home_authority()
    return Authority(old, load_settings().authority.ons_code or "", name)
