"""The dashboard's first screen: the gap for the latest complete year, in words worked out from the
published figures, and never from a suppressed one."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client

from ever6.web.dashboard.gap import complete_year, statement
from ever6.web.tables import Figure
from tests.web.dashboard.test_dashboard import _page_table


def test_the_complete_year_is_the_latest_that_had_ended_by_the_snapshot_date() -> None:
    years = ["2023/24", "2024/25", "2025/26"]
    assert complete_year(years, date(2026, 3, 31)) == "2024/25"
    assert complete_year(years, date(2026, 8, 31)) == "2025/26"
    # A first import part-way through its only year: that year, there being no other.
    assert complete_year(["2025/26"], date(2026, 3, 31)) == "2025/26"


def test_statements_use_the_figures_as_published() -> None:
    said = statement("persistent_absence_rate", Figure("43.6", 43.6), Figure("15.1", 15.1))
    assert said is not None
    assert "2.9 times as likely to be persistently absent" in said
    assert "(43.6% against 15.1%)" in said
    said = statement("ks2_rwm_expected_rate", Figure("31.9", 31.9), Figure("64.4", 64.4))
    assert said is not None
    assert "32.5 percentage points fewer" in said
    assert "about as likely" in str(statement("one_plus_suspension_rate", Figure("2.0", 2.0), Figure("2.0", 2.0)))
    assert "more likely" in str(statement("one_plus_suspension_rate", Figure("2.0", 2.0), Figure("0.0", 0.0)))


@pytest.mark.parametrize("symbol", ["c", "z", "x", "low"])
def test_no_statement_rests_on_a_symbol(symbol: str) -> None:
    assert statement("persistent_absence_rate", Figure(symbol), Figure("15.1", 15.1)) is None
    assert statement("persistent_absence_rate", Figure("15.1", 15.1), Figure(symbol)) is None


def _number(text: str) -> float:
    return float(text.rstrip("%"))


@pytest.mark.parametrize("suppressed", [False, True])
def test_the_first_screen_leads_with_the_gap_and_its_words_match_the_table(
    client_for: Callable[[str], Client], suppressed: bool
) -> None:
    html = client_for("vs_head").get("/dashboard/", {"suppressed": "1"} if suppressed else {}).content.decode()
    # The gap comes before the controls, which sit in a collapsed panel.
    assert html.index('id="gap-heading"') < html.index('id="dashboard-controls"') < html.index("The cohort in")
    assert re.search(r'<details class="govuk-details" id="dashboard-controls">', html)
    table = _page_table(html, "The gap, 2024/25")
    assert table[0] == ["Measure", "Academic year", "Ever6 CWSW", "Never CWSW", "National, all pupils", "National year"]
    listed = html.split('id="gap-statements"')[1].split("</ul>")[0] if 'id="gap-statements"' in html else ""
    sentences = re.findall(r'<li class="govuk-body">(.*?)</li>', listed)
    persistent = next(r for r in table if r[0] == "Persistent absence (%)")
    quoted = [s for s in sentences if "persistently absent" in s]
    if persistent[2] in ("c", "x", "z") or persistent[3] in ("c", "x", "z"):
        assert not quoted, "no sentence from a suppressed figure"
    else:
        (sentence,) = quoted
        ratio = _number(persistent[2]) / _number(persistent[3])
        assert f"{ratio:.1f} times as likely" in sentence
        assert f"({persistent[2]}% against {persistent[3]}%)" in sentence
    # Sources are footnotes under the table, not a column of it.
    assert "Sources of the national figures" in html.split('id="gap-sources"')[1][:200]
