"""The Virtual School's cohort dashboard: figures equal the published snapshot's, filters and the
suppression toggle change what is shown and downloaded, and only Virtual School roles get in."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable
from datetime import date, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import duckdb
import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from ever6.web.dashboard.flow import EVENT_LABELS as FLOW_LABELS
from ever6.web.dashboard.tiers import suggest_tier
from tests.web.conftest import Published

URLS = (
    "/dashboard/",
    "/dashboard/attendance/",
    "/dashboard/exclusions/",
    "/dashboard/provision/",
    "/dashboard/attainment/",
    "/dashboard/schools/",
    "/dashboard/flow/",
    "/dashboard/profile/",
)
DOWNLOADS = (
    "/dashboard/?format=csv&table=headline",
    "/dashboard/attendance/?format=csv&table=breakdown&breakdown=school",
    "/dashboard/attendance/?format=xlsx&table=trends",
    "/dashboard/schools/?format=csv&table=schools",
    "/dashboard/flow/?format=csv&table=flow",
    "/dashboard/profile/?format=csv&table=age_band",
)
THRESHOLDS = {"enhanced": {"share": 10.0, "count": 15.0}, "targeted": {"share": 20.0, "count": 30.0}}


# --- helpers ----------------------------------------------------------------------------------------


def _sql(published: Published, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(published.snapshot), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _latest_year(published: Published) -> str:
    return str(_sql(published, "SELECT max(academic_year) FROM metric")[0][0])


class _Tables(HTMLParser):
    """Each <table> on a page, by its caption: header texts and rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption: str | None = None
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._rows, self._caption = [], ""
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None and self._rows is not None:
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table" and self._rows is not None:
            self.tables[(self._caption or "").strip()] = self._rows
            self._rows = None

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self._caption = (self._caption or "") + data
        elif self._cell is not None:
            self._cell.append(data)


def _page_table(html: str, caption_start: str) -> list[list[str]]:
    parser = _Tables()
    parser.feed(html)
    matches = [rows for caption, rows in parser.tables.items() if caption.startswith(caption_start)]
    assert matches, f"no table captioned {caption_start!r} in {list(parser.tables)}"
    return matches[0]


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def _tile(html: str, tile_id: str) -> str:
    start = html.index(f'id="tile-{tile_id}"')
    marker = "data-tile-value>"
    at = html.index(marker, start) + len(marker)
    return html[at : html.index("<", at)].strip().replace(",", "")


def _number_text(value: str) -> str | float:
    """A page, CSV or Excel cell as a number where it is one (Excel reads 0.0 back as 0)."""
    try:
        return float(value.replace(",", ""))
    except ValueError:
        return value


# --- who may see the dashboard ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", URLS + DOWNLOADS)
def test_anonymous_users_are_sent_to_sign_in(published: Published, url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("username", ["school_dsl", "dsl_unsigned", "auditor"])
def test_school_users_and_the_auditor_are_refused(client_for: Callable[[str], Client], username: str) -> None:
    client = client_for(username)
    for url in URLS + DOWNLOADS:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Content-Disposition" not in response, url


@pytest.mark.parametrize("username", ["vs_head", "vs_officer", "data_manager"])
def test_virtual_school_roles_see_every_page(client_for: Callable[[str], Client], username: str) -> None:
    client = client_for(username)
    for url in URLS:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"Unsuppressed: for use inside the Virtual School only" in response.content, url


def test_unknown_theme_is_not_found(client_for: Callable[[str], Client]) -> None:
    assert client_for("vs_head").get("/dashboard/finance/").status_code == 404


# --- the headline dashboard -------------------------------------------------------------------------


def test_headline_tiles_equal_the_snapshot(published: Published, client_for: Callable[[str], Client]) -> None:
    year = _latest_year(published)
    html = client_for("vs_head").get("/dashboard/").content.decode()
    figures = {
        (m, g): v
        for m, g, v in _sql(
            published,
            """SELECT measure, "group", value FROM metric
               WHERE academic_year = ? AND period = 'year' AND breakdown = 'all'""",
            [year],
        )
    }
    assert _tile(html, "pupils-cwsw") == str(int(figures["pupils", "cwsw"]))
    assert _tile(html, "pupils-cpp") == str(int(figures["pupils", "cpp"]))
    assert _tile(html, "pupils-ever6_previous") == str(int(figures["pupils", "ever6_previous"]))
    assert _tile(html, "overall_absence_rate") == f"{figures['overall_absence_rate', 'cwsw']:.1f}"
    assert _tile(html, "suspension_rate") == f"{figures['suspension_rate', 'cwsw']:.1f}"
    # The table beside the tiles carries the same figures, and the peer groups.
    table = _page_table(html, "Headline figures")
    absence = next(r for r in table if r[0] == "Overall absence (%)")
    assert absence[2] == f"{figures['overall_absence_rate', 'cwsw']:.1f}"
    assert absence[3] == f"{figures['overall_absence_rate', 'not_cwsw']:.1f}"
    assert absence[5] == f"{figures['overall_absence_rate', 'all_pupils']:.1f}"
    gap = round(float(absence[2]) - float(absence[3]), 1)
    assert float(absence[4]) == pytest.approx(gap)
    assert "figures as at" in html.lower()


def test_headline_names_the_national_figure_and_its_source(client_for: Callable[[str], Client]) -> None:
    html = client_for("vs_head").get("/dashboard/").content.decode()
    table = _page_table(html, "Headline figures")
    absence = next(r for r in table if r[0] == "Overall absence (%)")
    # The latest national overall absence figure for a CWSW-type group is CiN excluding CPP and CLA, 2022/23.
    assert absence[6:9] == ["CiN excluding CPP and CLA", "2022/23", "17.6"]
    # Sources are footnotes, not a column.
    assert len(absence) == 12
    assert "Outcomes for children in need" in html.split('id="headline-sources"')[1]


def test_attainment_falls_back_to_the_latest_year_published(
    published: Published, client_for: Callable[[str], Client]
) -> None:
    years = [r[0] for r in _sql(published, "SELECT DISTINCT academic_year FROM metric ORDER BY 1")]
    with_a8 = [
        r[0]
        for r in _sql(
            published,
            """SELECT DISTINCT academic_year FROM metric WHERE measure = 'attainment8_average'
               AND "group" = 'cwsw' AND breakdown = 'all' AND period = 'year' ORDER BY 1""",
        )
    ]
    assert with_a8, "the synthetic authority should publish Attainment 8"
    html = client_for("vs_head").get("/dashboard/", {"year": years[-1]}).content.decode()
    row = next(r for r in _page_table(html, "Headline figures") if r[0] == "Attainment 8 (average score)")
    assert row[1] == with_a8[-1]


def test_headline_download_has_the_page_rows(client_for: Callable[[str], Client]) -> None:
    client = client_for("vs_head")
    page = _page_table(client.get("/dashboard/").content.decode(), "Headline figures")
    rows = _csv(client.get("/dashboard/", {"format": "csv", "table": "headline"}))
    assert [[_number_text(c) for c in r] for r in rows[1:]] == [[_number_text(c) for c in r] for r in page[1:]]


def test_nothing_published_is_a_helpful_page(client_for: Callable[[str], Client], tmp_path: Any, settings: Any) -> None:
    from ever6.web import guard

    client = client_for("vs_head")
    settings.EVER6_SNAPSHOT = tmp_path / "published" / "web.duckdb"
    guard.snapshot.cache_clear()
    try:
        for url in URLS:
            response = client.get(url)
            assert response.status_code == 200, url
            assert b"data manager" in response.content
    finally:
        guard.snapshot.cache_clear()


def test_a_snapshot_from_an_earlier_version_asks_for_a_refresh(
    published: Published, client_for: Callable[[str], Client], tmp_path: Any, settings: Any
) -> None:
    """A snapshot without the figures' numbers (written before they were kept) is not misread."""
    import shutil

    from ever6.web import guard

    client = client_for("vs_head")
    old = tmp_path / "web.duckdb"
    shutil.copy(published.snapshot, old)
    con = duckdb.connect(str(old))
    con.execute("DROP INDEX metric_suppressed_lookup")
    con.execute("ALTER TABLE metric_suppressed DROP COLUMN figure")
    con.close()
    settings.EVER6_SNAPSHOT = old
    guard.snapshot.cache_clear()
    try:
        for url in ("/dashboard/", "/dashboard/schools/"):
            response = client.get(url)
            assert response.status_code == 200, url
            assert b"A refresh is needed" in response.content, url
    finally:
        guard.snapshot.cache_clear()


# --- theme pages --------------------------------------------------------------------------------------


def test_breakdown_filter_changes_the_table(published: Published, client_for: Callable[[str], Client]) -> None:
    client = client_for("vs_officer")
    year = _latest_year(published)
    for breakdown in ("sex", "phase", "in_la"):
        html = client.get("/dashboard/attendance/", {"breakdown": breakdown, "year": year}).content.decode()
        rows = _page_table(html, "Attendance by")
        expected = {
            r[0]
            for r in _sql(
                published,
                """SELECT DISTINCT breakdown_value FROM metric WHERE breakdown = ? AND academic_year = ?
                   AND period = 'year' AND measure = 'overall_absence_rate'""",
                [breakdown, year],
            )
        }
        assert {r[0] for r in rows[1:]} == expected


def test_theme_table_figures_equal_the_snapshot(published: Published, client_for: Callable[[str], Client]) -> None:
    year = _latest_year(published)
    params = {"year": year, "period": "autumn", "breakdown": "sex", "groups": ["cwsw", "cpp"]}
    html = client_for("vs_head").get("/dashboard/attendance/", params).content.decode()
    rows = _page_table(html, "Attendance by sex")
    head = rows[0]
    assert head[0] == "Sex"
    assert "Overall absence (%): Child protection plan" in head
    assert not any("All pupils" in h for h in head), "only the groups ticked are shown"
    col = head.index("Overall absence (%): Ever6 CWSW")
    for row in rows[1:]:
        (value,) = _sql(
            published,
            """SELECT value FROM metric WHERE academic_year = ? AND period = 'autumn' AND breakdown = 'sex'
               AND breakdown_value = ? AND measure = 'overall_absence_rate' AND "group" = 'cwsw'""",
            [year, row[0]],
        )[0]
        assert row[col] == f"{value:.1f}"


def test_trends_cover_every_published_year_and_term(published: Published, client_for: Callable[[str], Client]) -> None:
    html = client_for("vs_head").get("/dashboard/exclusions/").content.decode()
    rows = _page_table(html, "Suspensions and exclusions over time")
    published_periods = _sql(
        published,
        """SELECT DISTINCT academic_year, period FROM metric WHERE measure = 'suspension_rate'
           AND breakdown = 'all' AND "group" = 'cwsw'""",
    )
    assert len(rows) - 1 == len(published_periods)
    assert rows[0][:2] == ["Academic year", "Period"]
    assert "Suspension rate (%): Ever6 CWSW" in rows[0]
    assert "Suspension rate (%): Never CWSW" in rows[0]
    assert '"$schema"' in html  # the line chart's spec is on the page
    assert "strokeDash" in html


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_downloads_have_the_page_rows_with_its_filters(client_for: Callable[[str], Client], fmt: str) -> None:
    client = client_for("vs_head")
    params = {"breakdown": "ncyear", "period": "spring", "groups": ["cwsw", "not_cwsw"]}
    page = _page_table(client.get("/dashboard/attendance/", params).content.decode(), "Attendance by year group")
    response = client.get("/dashboard/attendance/", {**params, "format": fmt, "table": "breakdown"})
    assert response.status_code == 200
    assert "unsuppressed-internal-only" in response["Content-Disposition"]
    assert "spring-ncyear" in response["Content-Disposition"]
    if fmt == "csv":
        rows = _csv(response)
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        cells = [["" if c is None else str(c) for c in r] for r in sheet.iter_rows(values_only=True)]
        assert cells[0][0].startswith("Attendance by year group")
        assert cells[1][0].startswith("Unsuppressed: for use inside the Virtual School only")
        rows = cells[2:]
        assert isinstance(sheet.cell(row=4, column=2).value, (int, float)), "figures stay numbers in Excel"
    assert [[_number_text(c) for c in r] for r in rows] == [[_number_text(c) for c in r] for r in page]


def test_downloads_are_formula_safe(
    published: Published, client_for: Callable[[str], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A school name from GIAS that looks like a formula is written as text, never as a formula."""
    from ever6.access import Snapshot

    original = Snapshot.schools

    def schools(self: Snapshot, viewer: Any) -> list[dict[str, Any]]:
        return [
            {**s, "name": '=HYPERLINK("http://example.org","x")'} if s["urn"] == published.urn else s
            for s in original(self, viewer)
        ]

    monkeypatch.setattr(Snapshot, "schools", schools)
    client = client_for("vs_head")
    rows = _csv(client.get("/dashboard/schools/", {"format": "csv", "table": "schools"}))
    names = [r[0] for r in rows if r[1] == published.urn]
    assert names == ['\'=HYPERLINK("http://example.org","x")']
    response = client.get("/dashboard/attendance/", {"breakdown": "school", "format": "xlsx", "table": "breakdown"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [c for r in sheet.iter_rows(values_only=True) for c in r if isinstance(c, str)]
    assert not any(c.startswith("=") for c in cells)
    assert '\'=HYPERLINK("http://example.org","x")' in cells


def test_unknown_table_download_is_not_found(client_for: Callable[[str], Client]) -> None:
    response = client_for("vs_head").get("/dashboard/attendance/", {"format": "csv", "table": "pupils"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("url", "params", "message"),
    [
        ("/dashboard/", {"year": "1999/00"}, "Select an academic year that has been published"),
        ("/dashboard/attendance/", {"period": "winter"}, "Select a period"),
        ("/dashboard/attendance/", {"breakdown": "postcode"}, "Select a breakdown from the list"),
        ("/dashboard/attendance/", {"groups": ["cwsw", "everyone"]}, "Select groups from the list"),
        ("/dashboard/exclusions/", {"measures": ["overall_absence_rate"]}, "Select measures from the list"),
        ("/dashboard/schools/", {"sort": "name; DROP TABLE metric"}, "Select a sort order from the list"),
        ("/dashboard/schools/", {"suppressed": "maybe"}, "Choose whether to show suppressed figures"),
        ("/dashboard/attendance/", {"breakdown": "nope", "format": "csv", "table": "breakdown"}, "Select a breakdown"),
    ],
)
def test_invalid_parameters_give_an_error_message(
    client_for: Callable[[str], Client], url: str, params: dict[str, Any], message: str
) -> None:
    response = client_for("vs_head").get(url, params)
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert message in html
    assert 'href="#id_' in html  # the error summary links to the field
    assert "<table" not in html  # no figures for a request the page could not understand


# --- the suppression toggle ---------------------------------------------------------------------------


def test_suppressed_toggle_gives_c_where_the_suppressed_table_has_c(
    published: Published, client_for: Callable[[str], Client]
) -> None:
    year = _latest_year(published)
    hits = _sql(
        published,
        """SELECT s.breakdown_value, s.value, m.value FROM metric_suppressed s JOIN metric m
           USING (academic_year, period, measure, "group", breakdown, breakdown_value)
           WHERE academic_year = ? AND period = 'year' AND breakdown = 'school'
             AND measure = 'overall_absence_rate' AND "group" = 'cwsw' AND s.value = 'c' AND m.value IS NOT NULL
           ORDER BY 1""",
        [year],
    )
    assert hits, "the tiny authority should have a suppressed school figure"
    urn, _, unsuppressed = hits[0]
    params: dict[str, Any] = {
        "year": year,
        "breakdown": "school",
        "groups": ["cwsw"],
        "measures": ["overall_absence_rate"],
    }
    client = client_for("vs_head")

    html = client.get("/dashboard/attendance/", {**params, "suppressed": "1"}).content.decode()
    assert "Suppressed: figures as shared outside the Virtual School" in html
    assert "Unsuppressed: for use inside" not in html
    row = next(r for r in _page_table(html, "Attendance by school") if r[0] == urn)
    assert row[2] == "c"
    response = client.get(
        "/dashboard/attendance/", {**params, "suppressed": "1", "format": "csv", "table": "breakdown"}
    )
    assert "-suppressed" in response["Content-Disposition"]
    assert "unsuppressed" not in response["Content-Disposition"]
    assert next(r for r in _csv(response) if r[0] == urn)[2] == "c"
    xlsx = client.get("/dashboard/attendance/", {**params, "suppressed": "1", "format": "xlsx", "table": "breakdown"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert str(sheet["A2"].value).startswith("Suppressed: these figures are as shared outside the Virtual School")

    html = client.get("/dashboard/attendance/", params).content.decode()
    row = next(r for r in _page_table(html, "Attendance by school") if r[0] == urn)
    assert row[2] == f"{unsuppressed:.1f}"


def test_suppressed_headline_matches_the_suppressed_table(
    published: Published, client_for: Callable[[str], Client]
) -> None:
    year = _latest_year(published)
    expected = dict(
        _sql(
            published,
            """SELECT "group", value FROM metric_suppressed WHERE academic_year = ? AND period = 'year'
               AND breakdown = 'all' AND measure = 'pupils'""",
            [year],
        )
    )
    html = client_for("vs_head").get("/dashboard/", {"suppressed": "1"}).content.decode()
    for group in ("cwsw", "cpp", "cinp", "cin_other", "ever6_previous", "cla"):
        assert _tile(html, f"pupils-{group}") == expected[group], group


# --- the schools page ---------------------------------------------------------------------------------


def test_schools_page_ranks_by_count_and_suggests_tiers(
    published: Published, client_for: Callable[[str], Client]
) -> None:
    year = _latest_year(published)
    client = client_for("vs_head")
    html = client.get("/dashboard/schools/").content.decode()
    assert "share <strong>or</strong> its count" in html
    assert "Enhanced: Ever6 CWSW pupils are 10% or more" in html
    rows = _csv(client.get("/dashboard/schools/", {"format": "csv", "table": "schools"}))
    head, body = rows[0], rows[1:]
    figures = {
        (urn, g): v
        for urn, g, v in _sql(
            published,
            """SELECT breakdown_value, "group", value FROM metric WHERE academic_year = ? AND period = 'year'
               AND breakdown = 'school' AND measure = 'pupils'""",
            [year],
        )
    }
    counts = [float(r[head.index("Ever6 CWSW pupils")]) for r in body]
    assert counts == sorted(counts, reverse=True)
    for r in body:
        urn = r[head.index("URN")]
        count, total = figures[urn, "cwsw"], figures[urn, "all_pupils"]
        assert float(r[head.index("Ever6 CWSW pupils")]) == count
        share = round(count / total * 100, 1)
        assert float(r[head.index("Share Ever6 CWSW (%)")]) == pytest.approx(share)
        assert r[head.index("Suggested tier")] == (suggest_tier(count, share, THRESHOLDS) or "").capitalize()


@pytest.mark.parametrize("sort", ["share", "absence_gap", "suspension_gap"])
def test_schools_sort_orders(client_for: Callable[[str], Client], sort: str) -> None:
    column = {
        "share": "Share Ever6 CWSW (%)",
        "absence_gap": "Absence gap (points)",
        "suspension_gap": "Suspension gap (points)",
    }
    rows = _csv(
        client_for("vs_officer").get("/dashboard/schools/", {"sort": sort, "format": "csv", "table": "schools"})
    )
    i = rows[0].index(column[sort])
    numbers: list[float] = []
    for r in rows[1:]:
        try:
            numbers.append(float(r[i]))
        except ValueError:
            break  # suppressed or not applicable figures come last
    assert len(numbers) > 1
    assert numbers == sorted(numbers, reverse=True)


def test_schools_suppressed_never_shows_small_counts(published: Published, client_for: Callable[[str], Client]) -> None:
    year = _latest_year(published)
    suppressed = {
        urn
        for (urn,) in _sql(
            published,
            """SELECT breakdown_value FROM metric_suppressed WHERE academic_year = ? AND period = 'year'
               AND breakdown = 'school' AND measure = 'pupils' AND "group" = 'cwsw' AND value = 'c'""",
            [year],
        )
    }
    assert suppressed
    rows = _csv(
        client_for("vs_head").get("/dashboard/schools/", {"suppressed": "1", "format": "csv", "table": "schools"})
    )
    head = rows[0]
    for r in rows[1:]:
        if r[head.index("URN")] in suppressed:
            assert r[head.index("Ever6 CWSW pupils")] == "c"
            assert r[head.index("Share Ever6 CWSW (%)")] == "c"
            assert r[head.index("Suggested tier")] == "Not shown: figures suppressed"


# --- the tier rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "share", "tier"),
    [
        (0, 0.0, "standard"),
        (14, 9.9, "standard"),
        (15, 0.5, "enhanced"),  # the count alone reaches enhanced
        (1, 10.0, "enhanced"),  # the share alone reaches enhanced
        (29, 19.9, "enhanced"),
        (30, 1.0, "targeted"),  # the count alone reaches targeted
        (2, 20.0, "targeted"),  # the share alone reaches targeted
        (300, 80.0, "targeted"),
        (None, 25.0, "targeted"),  # a suppressed count cannot lower a tier the share already reaches
        (None, 5.0, None),  # unknown count might reach a tier: no suggestion
        (16, None, None),  # unknown share might reach targeted
        (40, None, "targeted"),
    ],
)
def test_suggest_tier_boundaries(count: float | None, share: float | None, tier: str | None) -> None:
    assert suggest_tier(count, share, THRESHOLDS) == tier


@pytest.mark.parametrize(
    ("theme", "measures"),
    [
        ("attainment", ("ks2_rwm_expected_rate", "attainment8_average", "em_grade4_rate")),
        ("attendance", ("overall_absence_rate", "persistent_absence_rate", "severe_absence_rate")),
    ],
)
def test_a_theme_opens_on_the_latest_year_with_its_figures(
    client_for: Callable[[str], Client], published: Published, theme: str, measures: tuple[str, ...]
) -> None:
    """Attainment is published a year behind attendance: its page opens on a year that has figures."""
    con = duckdb.connect(str(published.snapshot), read_only=True)
    try:
        placeholders = ", ".join("?" for _ in measures)
        (latest,) = con.execute(
            f"SELECT max(academic_year) FROM metric WHERE breakdown = 'all' AND period = 'year' "
            f"AND value IS NOT NULL AND measure IN ({placeholders})",
            list(measures),
        ).fetchone() or (None,)
        (newest,) = con.execute("SELECT max(academic_year) FROM metric").fetchone() or (None,)
    finally:
        con.close()
    assert latest is not None
    if theme == "attainment":
        assert latest < newest  # the case the page must handle
    html = client_for("vs_head").get(f"/dashboard/{theme}/").content.decode()
    assert f'<option value="{latest}" selected>' in html


# --- flow into and out of social care -----------------------------------------------------------


def test_flow_table_equals_the_snapshot_month_by_month(
    published: Published, client_for: Callable[[str], Client]
) -> None:
    client = client_for("vs_officer")
    for status in ("", "CPP"):
        where = "WHERE locality IS NULL" + (" AND status = ?" if status else "")
        params = [status] if status else []
        expected: dict[tuple[str, str], int] = {}
        for month, event, count in _sql(
            published, f"SELECT month, event, sum(count) FROM flow {where} GROUP BY month, event", params
        ):
            expected[(f"{month:%b %Y}", event)] = int(count)
        assert expected, "the demo authority has referrals in the 24 months to its date"
        response = client.get("/dashboard/flow/", {"status": status, "format": "csv", "table": "flow"})
        assert response.status_code == 200
        assert "unsuppressed-internal-only" in response["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        shown = {(r["Month"], e): int(r[label]) for r in rows for e, label in FLOW_LABELS.items()}
        assert {k: v for k, v in shown.items() if v} == {k: v for k, v in expected.items() if v}
        assert {r["Locality"] for r in rows} == {"All localities"}  # the demo defines localities
        # one row a month, in order and without a gap, including any month with nothing
        months = [datetime.strptime(r["Month"], "%b %Y").date() for r in rows]
        assert all((b.year * 12 + b.month) - (a.year * 12 + a.month) == 1 for a, b in itertools.pairwise(months))
    html = client.get("/dashboard/flow/").content.decode()
    assert "Unsuppressed: for use inside the Virtual School only" in html
    assert 'data-ever6-chart="flow-spec"' in html


def test_flow_for_a_locality_shows_that_localitys_counts(
    published: Published, client_for: Callable[[str], Client]
) -> None:
    # Each locality's rows add up to the all-localities rows.
    by_locality = "SELECT month, event, status, sum(count) FROM flow WHERE locality IS NOT NULL GROUP BY ALL"
    every = "SELECT month, event, status, count FROM flow WHERE locality IS NULL"
    assert sorted(_sql(published, by_locality)) == sorted(_sql(published, every))
    ((place,),) = _sql(
        published,
        "SELECT locality FROM flow WHERE locality NOT IN ('unknown') AND event = 'referrals'"
        " GROUP BY locality ORDER BY sum(count) DESC, locality LIMIT 1",
    )
    expected = {
        (f"{month:%b %Y}", event): int(count)
        for month, event, count in _sql(
            published, "SELECT month, event, sum(count) FROM flow WHERE locality = ? GROUP BY ALL", [place]
        )
    }
    client = client_for("vs_officer")
    response = client.get("/dashboard/flow/", {"locality": place, "format": "csv", "table": "flow"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {r["Locality"] for r in rows} == {place}
    shown = {(r["Month"], e): int(r[label]) for r in rows for e, label in FLOW_LABELS.items()}
    assert {k: v for k, v in shown.items() if v} == {k: v for k, v in expected.items() if v}
    all_rows = client.get("/dashboard/flow/", {"format": "csv", "table": "flow"}).content.decode("utf-8-sig")
    assert shown != {
        (r["Month"], e): int(r[label])
        for r in csv.DictReader(io.StringIO(all_rows))
        for e, label in FLOW_LABELS.items()
    }
    response = client.get("/dashboard/flow/", {"locality": place})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<option value="{place}" selected>' in html
    assert f"Flow into and out of social care per month: all children, {place}" in html
    # The localities page links to each locality's flow.
    html = client.get("/dashboard/localities/").content.decode()
    assert f'href="/dashboard/flow/?{urlencode({"locality": place})}"' in html
    response = client.get("/dashboard/flow/", {"locality": "Atlantis"})
    assert response.status_code == 400
    assert "Select a locality from the list" in response.content.decode()


def test_flow_refuses_an_unknown_status(client_for: Callable[[str], Client]) -> None:
    response = client_for("vs_head").get("/dashboard/flow/", {"status": "nobody"})
    assert response.status_code == 400
    assert "Select which children to show from the list" in response.content.decode()


# --- the cohort's profile -----------------------------------------------------------------------


def _profile_csv(client: Client, **params: str) -> tuple[str, list[dict[str, str]]]:
    response = client.get("/dashboard/profile/", {"format": "csv", **params})
    assert response.status_code == 200
    return response["Content-Disposition"], list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_profile_tables_equal_the_cohort_counted_from_the_snapshot(
    published: Published, client_for: Callable[[str], Client]
) -> None:
    """The exact profile at the run's date against the cohort the refresh published in the
    warehouse, counted here with SQL (another route than the analytics' Ibis)."""
    client = client_for("vs_officer")
    (as_at,) = _sql(published, "SELECT max(as_at) FROM profile")[0]
    (run_id,) = _sql(published, "SELECT run_id FROM run")[0]
    day = date.fromisoformat(as_at)
    heading = f"Children, {day.day} {day:%B %Y}"
    con = duckdb.connect(str(published.home / "warehouse.duckdb"), read_only=True)
    try:
        by_sex = con.execute(
            "SELECT coalesce(sex, 'not known'), count(*) FROM published_cohort "
            "WHERE run_id = ? AND status <> 'CLA' GROUP BY ALL",
            [run_id],
        ).fetchall()
        by_category = con.execute(
            "SELECT CASE WHEN cp_plans > 0 THEN coalesce(latest_category_of_abuse, 'not known') "
            "ELSE 'no child protection plan' END, count(*) FROM published_cohort WHERE run_id = ? GROUP BY ALL",
            [run_id],
        ).fetchall()
    finally:
        con.close()
    name, rows = _profile_csv(client, table="sex", group="cwsw")
    assert "unsuppressed-internal-only" in name
    assert {r["Sex"]: int(r[heading].replace(",", "")) for r in rows if r[heading] != "0"} == dict(by_sex)
    _, rows = _profile_csv(client, table="category_of_abuse", group="all_children")
    labels = {"NEG": "Neglect", "EMO": "Emotional abuse", "PHY": "Physical abuse", "SAB": "Sexual abuse"}
    labels |= {"MUL": "Multiple", "no child protection plan": "No child protection plan", "not known": "Not known"}
    expected = {labels[k]: n for k, n in by_category}
    shown = {r["Latest category of abuse (child protection plans)"]: int(r[heading]) for r in rows}
    assert {k: v for k, v in shown.items() if v} == expected
    # every characteristic adds up to the group, at every date, for every group
    bad = _sql(
        published,
        """
        SELECT p.as_at, p."group", p.breakdown FROM profile p
        JOIN profile t ON t.as_at = p.as_at AND t."group" = p."group" AND t.breakdown = 'all'
        WHERE p.breakdown <> 'all' GROUP BY ALL HAVING sum(p.numerator) <> any_value(t.numerator)
        """,
    )
    assert bad == []
    html = client.get("/dashboard/profile/").content.decode()
    for key in (
        "status",
        "age_band",
        "ethnicity",
        "disability",
        "primary_need",
        "category_of_abuse",
        "sen",
        "fsm",
        "factors",
    ):
        assert f'data-ever6-chart="profile-{key}-spec"' in html, key
    assert "Unsuppressed: for use inside the Virtual School only" in html
    assert "Domestic abuse" in html


def test_profile_as_shared_hides_every_small_count(published: Published, client_for: Callable[[str], Client]) -> None:
    client = client_for("vs_head")
    (as_at,) = _sql(published, "SELECT max(as_at) FROM profile")[0]
    day = date.fromisoformat(as_at)
    heading = f"Children, {day.day} {day:%B %Y}"
    exact = {
        (b, v): int(n)
        for b, v, n in _sql(
            published,
            "SELECT breakdown, breakdown_value, numerator FROM profile WHERE as_at = ? AND \"group\" = 'cpp'",
            [as_at],
        )
    }
    assert any(1 <= n <= 5 for n in exact.values()), "the tiny authority has small counts to hide"
    name, rows = _profile_csv(client, table="ethnicity", group="cpp", suppressed="1")
    assert name.endswith('suppressed.csv"')
    assert "unsuppressed" not in name
    for r in rows:
        n = exact[("ethnicity", r["Ethnicity"])]
        if 1 <= n <= 5:
            assert r[heading] == "c"
        elif r[heading] != "c":
            assert int(r[heading].replace(",", "")) == n
    hidden = [r for r in rows if r[heading] == "c"]
    assert len(hidden) != 1, "one hidden category would be its group's total less the others"


def test_the_profile_page_reads_the_breakdowns_the_analytics_publish() -> None:
    """The page keeps the snapshot's names itself (the web loads no Ibis): they must agree."""
    from ever6.metrics import profile as analytics
    from ever6.web.dashboard import profile as page

    assert (page.FACTOR_PREFIX, page.DISABILITY_PREFIX, page.RECORDED) == (
        analytics.FACTOR_PREFIX,
        analytics.DISABILITY_PREFIX,
        analytics.RECORDED,
    )
    assert [s.key for s in page.SECTIONS] == list(analytics.SINGLE_BREAKDOWNS)
    assert set(page.PROFILE_GROUPS) == set(analytics.published_groups(cla_in_cwsw=False))
    ages = next(s for s in page.SECTIONS if s.key == "age_band").values
    assert list(ages or ()) == [band for band, _ in analytics.AGE_BANDS]


def test_profile_refuses_an_unknown_group(client_for: Callable[[str], Client]) -> None:
    response = client_for("vs_head").get("/dashboard/profile/", {"group": "everyone"})
    assert response.status_code == 400
    assert "Select which children to show from the list" in response.content.decode()


# --- localities ----------------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["locality", "school_locality"])
def test_localities_table_equals_the_published_breakdown(
    published: Published, client_for: Callable[[str], Client], by: str
) -> None:
    year = _latest_year(published)
    expected = {
        (str(v), str(g)): int(n)
        for v, g, n in _sql(
            published,
            "SELECT breakdown_value, \"group\", numerator FROM metric WHERE academic_year = ? AND period = 'year' "
            "AND measure = 'pupils' AND breakdown = ? AND \"group\" IN ('cwsw', 'not_cwsw')",
            [year, by],
        )
    }
    assert len({v for v, _ in expected}) >= 2, "the demo defines localities"
    response = client_for("vs_officer").get(
        "/dashboard/localities/", {"by": by, "year": year, "format": "csv", "table": "localities"}
    )
    assert response.status_code == 200
    assert "unsuppressed-internal-only" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    first = next(iter(rows[0]))
    shown = {
        (r[first], g): int(r[f"Pupils: {label}"].replace(",", ""))
        for r in rows
        for g, label in (("cwsw", "Ever6 CWSW"), ("not_cwsw", "Never CWSW"))
    }
    assert shown == expected
    html = client_for("vs_officer").get("/dashboard/localities/", {"by": by}).content.decode()
    assert 'data-ever6-chart="localities-spec"' in html


def test_localities_as_shared_are_the_suppressed_figures(
    published: Published, client_for: Callable[[str], Client]
) -> None:
    year = _latest_year(published)
    expected = {
        str(v): str(t)
        for v, t in _sql(
            published,
            "SELECT breakdown_value, value FROM metric_suppressed WHERE academic_year = ? AND period = 'year' "
            "AND measure = 'pupils' AND breakdown = 'locality' AND \"group\" = 'cwsw'",
            [year],
        )
    }
    response = client_for("vs_head").get(
        "/dashboard/localities/", {"year": year, "suppressed": "1", "format": "csv", "table": "localities"}
    )
    assert response["Content-Disposition"].endswith('suppressed.csv"')
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    first = next(iter(rows[0]))
    assert {r[first]: r["Pupils: Ever6 CWSW"].replace(",", "") for r in rows} == expected


def test_localities_refuses_an_unknown_choice(client_for: Callable[[str], Client]) -> None:
    response = client_for("vs_head").get("/dashboard/localities/", {"by": "county"})
    assert response.status_code == 400
    assert "Select where to place each pupil from the list" in response.content.decode()
