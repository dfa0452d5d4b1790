"""The data and information return: its CSV files pass the EES format check, every pupil figure
equals the suppressed publication, activity and spend match their records, and the command line
writes the same files."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from django.test import Client

from tests.web.conftest import Published
from tests.web.grant.ees_rules import check
from tests.web.grant.helpers import make_line, make_year

pytestmark = pytest.mark.django_db


def _published(
    published: Published, year: str, measures: tuple[str, ...], groups: tuple[str, ...]
) -> dict[tuple[str, str], str]:
    """The suppressed publication's figures, read straight from the snapshot file."""
    import duckdb

    con = duckdb.connect(str(published.snapshot), read_only=True)
    try:
        rows = con.execute(
            "SELECT measure, \"group\", value FROM metric_suppressed WHERE academic_year = ? AND period = 'year' "
            "AND breakdown = 'all'",
            [year],
        ).fetchall()
    finally:
        con.close()
    return {(m, g): str(v) for m, g, v in rows if m in measures and g in groups}


def _rows(text: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.decode("utf-8"))))


def _year(client: Client) -> str:
    page = client.get("/grant/return/").content.decode()
    import re

    chosen = re.search(r'<option value="(\d{4}/\d{2})" selected', page)
    assert chosen, "the page offers the latest published year"
    return chosen.group(1)


def test_the_return_meets_the_ees_standards_and_equals_the_suppressed_publication(
    client_for: Callable[[str], Client], published: Published, accounts: dict[str, object]
) -> None:
    from ever6.web.schools.models import Contact, TierDecision
    from ever6.web.support.models import Enquiry
    from ever6.web.training.models import Course, Registration, Session

    client = client_for("vs_head")
    year = _year(client)
    start = int(year[:4])
    # Activity in the year (and one record outside it, which must not count).
    from django.utils import timezone

    decided = timezone.make_aware(datetime(start, 10, 1, 12))
    TierDecision.objects.create(
        school_id=published.urn, tier="targeted", reason="x", decided_by="t", decided_at=decided
    )
    TierDecision.objects.create(  # decided after the year: not counted
        school_id=published.other_urn,
        tier="enhanced",
        reason="x",
        decided_by="t",
        decided_at=decided + timedelta(days=400),
    )
    Contact.objects.create(school_id=published.urn, name="A Lead", role="dsl", email="a@x.sch.uk")
    course = Course.objects.create(title="Attachment", audience="social_workers", duration_minutes=60, provider="VS")
    inside = Session.objects.create(course=course, date=date(start, 10, 1), start_time=time(9), capacity=10)
    Session.objects.create(course=course, date=date(start + 1, 9, 1), start_time=time(9), capacity=10)
    for n in range(3):
        Registration.objects.create(
            session=inside,
            attendee_name=f"P{n}",
            email=f"p{n}@x.org",
            role="social_worker",
            attendance="attended" if n else "did_not_attend",
        )
    for day in (date(start, 9, 1), date(start + 1, 8, 31), date(start + 1, 9, 1)):
        Enquiry.objects.create(
            received_on=day,
            channel="email",
            enquirer_type="school",
            enquirer_name="S",
            category="attendance",
            question="q",
        )
    grant = make_year(start=start)
    make_line(
        grant,
        "staffing",
        "partnerships",
        "Adviser",
        {date(start, 4, 1): ("1000.00", None), date(start + 1, 3, 1): (None, "200.00")},
    )
    make_line(grant, "training", "advice", "Courses", {date(start, 5, 1): ("250.50", None)})

    files = {}
    page = client.get("/grant/return/", {"year": year}).content.decode()
    for name in ("cohort_by_status", "outcomes_by_pupil_group", "virtual_school_activity", "grant_spend_by_strand"):
        assert f"{name}.csv" in page
        data = client.get("/grant/return/", {"year": year, "file": name, "kind": "csv"})
        meta = client.get("/grant/return/", {"year": year, "file": name, "kind": "meta"})
        assert data.status_code == meta.status_code == 200
        assert f'filename="{name}.csv"' in data["Content-Disposition"]
        assert f'filename="{name}.meta.csv"' in meta["Content-Disposition"]
        assert check(name, data.content, meta.content) == [], name
        files[name] = _rows(data.content)

    period = f"{start}{(start + 1) % 100:02d}"
    cohort = {r["social_worker_status"]: r for r in files["cohort_by_status"]}
    published_counts = _published(
        published, year, ("pupils",), ("cwsw", "cpp", "cin", "cinp", "cin_other", "ever6_previous", "cla")
    )
    assert published_counts, "the snapshot publishes head counts"
    labels = {"cwsw": "Ever6 CWSW", "cpp": "Child protection plan", "cin": "Child in need (excluding CPP and CLA)"}
    for group, label in labels.items():
        assert cohort[label]["pupils_count"] == published_counts[("pupils", group)]
        assert cohort[label]["time_period"] == period
        assert cohort[label]["geographic_level"] == "Local authority"
    assert cohort["Total"]["pupils_count"] == published_counts[("pupils", "cwsw")]

    measures = (
        "overall_absence_rate",
        "persistent_absence_rate",
        "severe_absence_rate",
        "suspension_rate",
        "permanent_exclusion_rate",
        "attainment8_average",
        "ks2_rwm_expected_rate",
    )
    columns = (
        "overall_absence_percent",
        "persistent_absence_percent",
        "severe_absence_percent",
        "suspension_percent",
        "permanent_exclusion_percent",
        "attainment8_average",
        "ks2_rwm_expected_percent",
    )
    figures = _published(published, year, measures, ("cwsw", "cin", "cpp", "not_cwsw", "all_pupils"))
    local = {
        r["pupil_group"]: r for r in files["outcomes_by_pupil_group"] if r["geographic_level"] == "Local authority"
    }
    group_label = {
        "cwsw": "Ever6 CWSW",
        "cin": "Child in need (excluding CPP and CLA)",
        "cpp": "Child protection plan",
        "not_cwsw": "Never CWSW",
        "all_pupils": "Total",
    }
    compared = 0
    for (measure, group), value in figures.items():
        column = columns[measures.index(measure)]
        assert local[group_label[group]][column] == (value if value not in ("", "None") else "x"), (measure, group)
        compared += 1
    assert compared >= 10
    national = [r for r in files["outcomes_by_pupil_group"] if r["geographic_level"] == "National"]
    assert any(
        r["pupil_group"] == "Ever6 CWSW" and r["time_period"] == "201819" and r["overall_absence_percent"] == "10.7"
        for r in national
    )
    assert all(r["la_name"] == "" for r in national)

    activity = {(r["activity"], r["breakdown"]): int(r["activity_count"]) for r in files["virtual_school_activity"]}
    assert activity[("Training sessions", "Total")] == 1
    assert activity[("Training attendees", "Total")] == 2
    assert activity[("Advice-line enquiries", "Total")] == 2
    assert activity[("Schools by tier", "Targeted")] == 1
    assert activity[("Schools by tier", "Enhanced")] == 0
    assert activity[("Named leads", "Total")] == 1

    spend = {r["strand"]: r for r in files["grant_spend_by_strand"]}
    assert spend["Total"]["time_identifier"] == "Financial year"
    # The financial year is over: March's forecast no longer counts, its (missing) actual does.
    assert float(spend["Total"]["spend_actual"]) == pytest.approx(1250.50)
    assert float(spend["Strategic partnerships"]["spend_actual"]) == pytest.approx(1000.00)
    assert spend["Advice, support and training"]["allocation"] == "z"
    assert float(spend["Total"]["allocation"]) == pytest.approx(120000)

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get("/grant/return/", {"year": year, "kind": "xlsx"}).content))
    assert {"cohort_by_status", "outcomes_by_pupil_group", "virtual_school_activity", "grant_spend_by_strand"} <= set(
        book.sheetnames
    )


def test_the_format_check_finds_what_breaks_the_standards() -> None:
    meta = (
        b"col_name,col_type,label,indicator_grouping,indicator_unit,indicator_dp,filter_hint,filter_grouping_column\n"
        b"group,Filter,Group,,,,,\n"
        b"pupils_count,Indicator,Pupils,,,0,,\n"
    )
    good = (
        "time_period,time_identifier,geographic_level,country_code,country_name,group,pupils_count\n"
        "202425,Academic year,National,E92000001,England,Total,10\n"
        "202425,Academic year,National,E92000001,England,A,c\n"
    )
    assert check("good", good.encode(), meta) == []
    for broken, words in (
        (
            good.replace(
                "202425,Academic year,National,E92000001,England,A",
                "2024/25,Academic year,National,E92000001,England,A",
            ),
            "time_period",
        ),
        (good.replace("202425,Academic", "202426,Academic", 1), "consecutive"),
        (good.replace(",c\n", ",n/a\n"), "neither a number nor a symbol"),
        (good.replace("Total", "All"), "Total"),
        (good.replace("National,E92000001,England,A", "Local authority,E92000001,England,A"), "old_la_code"),
        (
            good.replace("Academic year,National,E92000001,England,A", "Calendar year,National,E92000001,England,A"),
            "mixed",
        ),
    ):
        assert any(words in p for p in check("good", broken.encode(), meta)), words
    assert check("Bad Name", good.encode(), meta)


def test_the_command_line_writes_the_same_files(
    client_for: Callable[[str], Client], published: Published, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from ever6.cli import app
    from ever6.web import commands

    year = _year(client_for("vs_head"))
    monkeypatch.setattr(commands, "setup_django", lambda home: None)  # the test database is set up
    result = CliRunner().invoke(
        app, ["--home", str(tmp_path / "home"), "returns", "dfe", "--year", year, "--out", str(tmp_path / "ret")]
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "ret").iterdir())
    assert "cohort_by_status.csv" in names
    assert "cohort_by_status.meta.csv" in names
    assert "dfe_return.xlsx" in names
    for stem in ("cohort_by_status", "outcomes_by_pupil_group", "virtual_school_activity"):
        data = (tmp_path / "ret" / f"{stem}.csv").read_bytes()
        assert check(stem, data, (tmp_path / "ret" / f"{stem}.meta.csv").read_bytes()) == []
        web = client_for("vs_head").get("/grant/return/", {"year": year, "file": stem, "kind": "csv"}).content
        assert data == web
    bad = CliRunner().invoke(
        app, ["--home", str(tmp_path / "home"), "returns", "dfe", "--year", "2024-25", "--out", str(tmp_path / "x")]
    )
    assert bad.exit_code == 2
