"""The portal a DSL acts on: the pupil list searched, filtered, sorted and paged (checked against
the snapshot's list, read directly), suppressed figures explained and never drawn as zero, and the
page's two counts of pupils each said for what they are."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import duckdb
import pytest
from django.test import Client

from tests.web.conftest import Published


def _list(published: Published) -> list[dict[str, Any]]:
    con = duckdb.connect(str(published.snapshot), read_only=True)
    try:
        cur = con.execute(
            "SELECT upn, forename, surname, ncyear, band FROM school_pupil WHERE urn = ?", [published.urn]
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def _upns(html: str) -> list[str]:
    table = html.split('aria-label="Your Ever6 CWSW pupils')[1].split("</table>")[0]
    return re.findall(r">([A-Z]\d{11}[0-9A-Z])<", table)


def test_search_finds_a_pupil_by_surname_or_upn(published: Published, client_for: Callable[[str], Client]) -> None:
    pupils = _list(published)
    someone = pupils[len(pupils) // 2]
    client = client_for("school_dsl")
    by_name = client.get(f"/portal/{published.urn}/pupils/", {"q": str(someone["surname"]).upper()}).content.decode()
    expected = {
        p["upn"] for p in pupils if str(someone["surname"]).lower() in f"{p['forename']} {p['surname']}".lower()
    }
    assert set(_upns(by_name)) == expected
    by_upn = client.get(f"/portal/{published.urn}/pupils/", {"q": someone["upn"]}).content.decode()
    assert _upns(by_upn) == [someone["upn"]]
    nobody = client.get(f"/portal/{published.urn}/pupils/", {"q": "no such pupil zzz"}).content.decode()
    assert "No pupils on the list match your search." in nobody


def test_filters_and_sort(published: Published, client_for: Callable[[str], Client]) -> None:
    pupils = _list(published)
    client = client_for("school_dsl")
    year = sorted({str(p["ncyear"]) for p in pupils})[0]
    html = client.get(f"/portal/{published.urn}/pupils/", {"ncyear": year, "sort": "name"}).content.decode()
    wanted = sorted(
        (p for p in pupils if str(p["ncyear"]) == year),
        key=lambda p: (p["surname"].lower(), p["forename"].lower(), p["upn"]),
    )
    assert _upns(html) == [p["upn"] for p in wanted][:25]
    band = sorted({p["band"] for p in pupils})[-1]
    html = client.get(f"/portal/{published.urn}/pupils/", {"band": band}).content.decode()
    assert set(_upns(html)) <= {p["upn"] for p in pupils if p["band"] == band}
    # A value the list does not have is ignored, not an error.
    assert client.get(f"/portal/{published.urn}/pupils/", {"ncyear": "99", "sort": "nonsense"}).status_code == 200


def test_pages_cover_the_list_once(published: Published, client_for: Callable[[str], Client]) -> None:
    pupils = _list(published)
    client = client_for("school_dsl")
    seen: list[str] = []
    for number in range(1, -(-len(pupils) // 25) + 1):
        seen += _upns(
            client.get(f"/portal/{published.urn}/pupils/", {"page": number, "sort": "year_group"}).content.decode()
        )
    assert sorted(seen) == sorted(p["upn"] for p in pupils)
    if len(pupils) > 25:
        assert "Showing 1 to 25 of" in client.get(f"/portal/{published.urn}/pupils/").content.decode()


def test_a_search_is_audited_without_its_words(published: Published, client_for: Callable[[str], Client]) -> None:
    from ever6.web.audit.models import AuditEvent

    someone = _list(published)[0]
    client_for("school_dsl").get(f"/portal/{published.urn}/pupils/", {"q": someone["surname"]})
    (event,) = AuditEvent.objects.filter(what="school_pupils", action="view")
    assert event.detail == {"filters": ["q"]}
    assert someone["surname"] not in json.dumps(event.detail)


def test_suppressed_figures_are_explained_and_not_drawn(
    published: Published, client_for: Callable[[str], Client]
) -> None:
    html = client_for("school_dsl").get(f"/portal/{published.urn}/").content.decode()
    cells = re.findall(r'<td class="govuk-table__cell govuk-table__cell--numeric">\s*(\S+?)\s*</td>', html)
    if "c" not in cells:
        pytest.skip("no suppressed figure at this school in the tiny authority's latest year")
    assert "<strong>c</strong>: withheld" in html
    spec = json.loads(html.split('id="school-figures-spec">')[1].split("</script>")[0])
    drawn = spec["data"]["values"]
    assert all(v["value"] is not None for v in drawn)
    listed = html.split('id="school-figures-not-charted"')[1].split("</div>")[0]
    rates = cells[3:]  # the first row is the count of pupils, which the chart of rates leaves out
    assert listed.count("<li>") == sum(1 for c in rates if c == "c")


def test_the_two_counts_are_reconciled_on_the_page(published: Published, client_for: Callable[[str], Client]) -> None:
    html = client_for("school_dsl").get(f"/portal/{published.urn}/").content.decode()
    counts = html.split('id="counts"')[1].split("</div>")[0]
    assert f"Your pupil list has <strong>{len(_list(published))}</strong>" in counts
    assert "enrolments in" in counts


def _attendance(published: Published) -> dict[str, dict[str, Any]]:
    con = duckdb.connect(str(published.snapshot), read_only=True)
    try:
        cur = con.execute(
            "SELECT p.upn, p.surname, p.forename, a.attendance, a.missed, a.persistent, a.suspensions "
            "FROM school_pupil p LEFT JOIN pupil_attendance a USING (urn, upn) WHERE p.urn = ?",
            [published.urn],
        )
        names = [d[0] for d in cur.description]
        return {r[0]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}
    finally:
        con.close()


def _all_pages(client: Client, url: str, params: dict[str, str]) -> list[str]:
    seen: list[str] = []
    for number in range(1, 20):
        html = client.get(url, {**params, "page": str(number)}).content.decode()
        upns = _upns(html)
        if not upns or (seen and upns[0] in seen):  # past the last page, the paginator repeats it
            break
        seen += upns
    return seen


def test_each_pupil_shows_attendance_and_suspensions(published: Published, client_for: Callable[[str], Client]) -> None:
    listed = _attendance(published)
    assert any(p["attendance"] is not None for p in listed.values()), "the demo school has marks this year"
    someone = min((p for p in listed.values() if p["attendance"] is not None), key=lambda p: p["attendance"])
    html = client_for("school_dsl").get(f"/portal/{published.urn}/pupils/", {"q": someone["upn"]}).content.decode()
    table = html.split('aria-label="Your Ever6 CWSW pupils')[1].split("</table>")[0]
    heads = [" ".join(h.split()) for h in re.findall(r"<th[^>]*scope=\"col\"[^>]*>\s*(.*?)\s*</th>", table, re.S)]
    row = table.split("<tbody")[1].split("</tr>")[0]
    cells = [" ".join(c.split()) for c in re.findall(r"<t[hd][^>]*>\s*(.*?)\s*</t[hd]>", row, re.S)]
    shown = dict(zip(heads, cells, strict=True))
    assert shown["UPN"] == someone["upn"]
    assert shown["Name"] == f"{someone['surname']}, {someone['forename']}"
    assert shown["Attendance (%)"] == f"{someone['attendance']:.1f}"
    assert shown["Sessions missed"] == str(someone["missed"])
    assert shown["Persistently absent"] == ("Yes" if someone["persistent"] else "No")
    assert shown["Suspensions"] == str(someone["suspensions"])
    persistent = sum(1 for p in listed.values() if p["persistent"])
    assert f"<strong>{persistent}</strong> of the {len(listed)} pupils on your list" in html


def test_the_persistent_absence_filter_and_the_sort_by_attendance(
    published: Published, client_for: Callable[[str], Client]
) -> None:
    listed = _attendance(published)
    client = client_for("school_dsl")
    url = f"/portal/{published.urn}/pupils/"
    low = _all_pages(client, url, {"attendance": "low"})
    assert sorted(low) == sorted(u for u, p in listed.items() if p["persistent"])
    assert all(listed[u]["attendance"] <= 90 for u in low)
    by_attendance = _all_pages(client, url, {"sort": "attendance"})
    expected = sorted(
        listed.values(),
        key=lambda p: (p["attendance"] is None, p["attendance"] or 0, p["surname"].lower(), p["forename"].lower()),
    )
    assert by_attendance == [p["upn"] for p in expected]


def test_the_download_has_each_pupils_attendance(published: Published, client_for: Callable[[str], Client]) -> None:
    import csv
    import io

    listed = _attendance(published)
    response = client_for("school_dsl").get(f"/portal/{published.urn}/pupils/", {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {r["UPN"]: r["Attendance (%)"] for r in rows} == {
        u: "–" if p["attendance"] is None else f"{p['attendance']:.1f}" for u, p in listed.items()
    }
