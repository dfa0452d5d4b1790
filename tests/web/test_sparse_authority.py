"""The web pages on a degenerate authority: one school, no child's name, nobody linked.

The authority is written as real files (tests/support/files.py, independent of ever6.synth),
imported and refreshed with the ``ever6`` command as the named cases of tests/test_any_warehouse.py
are; then every page a user of each role reaches is walked: none may fail, and each says what it
has instead of showing zeros or empty charts as if they were figures.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from tests.test_any_warehouse import SCHOOL, _ever6, _import, build_world
from tests.web.conftest import PASSWORD, ROLES
from tests.web.test_authorization import MATRIX


@dataclass(frozen=True)
class Sparse:
    home: Path
    snapshot: Path
    urn: str


@pytest.fixture(scope="module")
def sparse() -> Iterator[Sparse]:
    # No case-management extract: the CIN census and SSDA903 carry no names. No child is on the
    # one school's roll, so nothing links and no school has an Ever6 CWSW pupil.
    world = build_world({"cin", "903", *SCHOOL}, children=8, strangers=8, matched="none", schools=1)
    with tempfile.TemporaryDirectory() as tmp:
        home, folder = Path(tmp) / "home", Path(tmp) / "files"
        folder.mkdir()
        _import(home, folder, world)
        refreshed = _ever6(home, "refresh", "--as-at", f"{world.years[-1]}-03-31")
        assert refreshed.exit_code == 0, refreshed.output
        snapshot = home / "published" / "web.duckdb"
        con = duckdb.connect(str(snapshot), read_only=True)
        try:
            assert con.execute("SELECT count(*) FROM school_pupil").fetchone() == (0,)
            assert con.execute("SELECT count(*) FROM school").fetchone() == (1,)
        finally:
            con.close()
        yield Sparse(home, snapshot, world.urns[0])


@pytest.fixture
def on_sparse(sparse: Sparse) -> Iterator[Sparse]:
    from ever6.web import guard

    before = (django_settings.EVER6_SNAPSHOT, django_settings.EVER6_WAREHOUSE)
    django_settings.EVER6_SNAPSHOT = sparse.snapshot
    django_settings.EVER6_WAREHOUSE = sparse.home / "warehouse.duckdb"
    guard.snapshot.cache_clear()
    yield sparse
    django_settings.EVER6_SNAPSHOT, django_settings.EVER6_WAREHOUSE = before
    guard.snapshot.cache_clear()


@pytest.fixture
def clients(db: None, on_sparse: Sparse) -> dict[str, Client]:
    from ever6.web.accounts.models import User
    from ever6.web.schools.models import AgreementStatus, DataSharingAgreement
    from ever6.web.schools.sync import sync_schools

    sync_schools()
    made: dict[str, Client] = {}
    for role in ROLES:
        user = User.objects.create_user(role, f"{role}@example.org", PASSWORD, role=role)
        if role == "school_dsl":
            user.schools.set([on_sparse.urn])
        client = Client()
        client.force_login(user)
        made[role] = client
    today = date.today()
    DataSharingAgreement.objects.create(
        school_id=on_sparse.urn,
        status=AgreementStatus.SIGNED,
        version="2026.1",
        signed_on=today - timedelta(days=20),
        expires_on=today + timedelta(days=345),
        recorded_by="vs_officer",
    )
    return made


# The pages the issue names, with the URL arguments the degenerate authority gives them.
PAGES: dict[str, Callable[[Sparse], dict[str, str]]] = {
    "home": lambda s: {},
    "dashboard:index": lambda s: {},
    "dashboard:schools": lambda s: {},
    "dashboard:flow": lambda s: {},
    "dashboard:theme": lambda s: {"theme": "attendance"},
    "schools:index": lambda s: {},
    "schools:school": lambda s: {"urn": s.urn},
    "portal:index": lambda s: {},
    "portal:school": lambda s: {"urn": s.urn},
    "portal:pupils": lambda s: {"urn": s.urn},
    "datamgmt:index": lambda s: {},
    "datamgmt:quality": lambda s: {},
    "outcomes:index": lambda s: {},
    "events:record": lambda s: {},
}


def _get(client: Client, url: str) -> tuple[int, str]:
    response = client.get(url, follow=True)
    return response.status_code, response.content.decode()


def test_every_page_answers_each_role_on_a_degenerate_authority(clients: dict[str, Client], on_sparse: Sparse) -> None:
    for name, kwargs in PAGES.items():
        url = reverse(name, kwargs=kwargs(on_sparse))
        # As each role allowed the page (tests/web/test_authorization.py checks the refusals).
        for role in sorted(MATRIX[name].allowed):
            status, html = _get(clients[role], url)
            assert status == 200, f"{name} as {role}: {status}"
            assert "Sorry, there is a problem with the service" not in html, f"{name} as {role}"


def test_each_page_says_what_it_has_instead_of_figures(clients: dict[str, Client], on_sparse: Sparse) -> None:
    con = duckdb.connect(str(on_sparse.snapshot), read_only=True)
    try:
        (cohort,) = con.execute("SELECT count(*) FROM cohort_counts WHERE linked = 0").fetchone() or (0,)
        (in_cohort,) = con.execute("SELECT cohort FROM cohort_counts").fetchone() or (0,)
    finally:
        con.close()
    assert cohort == 1, "nothing is linked"
    assert in_cohort > 0, "the degenerate authority has a cohort"
    # The dashboard says why every Ever6 CWSW figure is z, and what "never CWSW" then holds.
    _, html = _get(clients["vs_head"], reverse("dashboard:index"))
    notice = html.split('id="no-cwsw-pupils"')[1].split("</div>")[0]
    assert f"None of the {in_cohort} children in the cohort is linked to a school record" in " ".join(notice.split())
    # The authority's one school is in the authority (no [authority] la_code: GIAS's most common).
    _, html = _get(clients["vs_head"], reverse("schools:school", kwargs={"urn": on_sparse.urn}))
    assert re.search(r"In this authority\s*</dt>\s*<dd[^>]*>\s*Yes", html)
    # and so it is in the Schools ranking's filter for the authority's own schools.
    _, html = _get(clients["vs_head"], reverse("dashboard:schools") + "?in_la=In")
    assert f"/schools/{on_sparse.urn}/" in html
    # The school's DSL: no pupils on the list, and the page's two counts both say 0.
    _, html = _get(clients["school_dsl"], reverse("portal:pupils", kwargs={"urn": on_sparse.urn}))
    assert "The Virtual School found no Ever6 CWSW pupils on your roll on that date." in html
    _, html = _get(clients["school_dsl"], reverse("portal:school", kwargs={"urn": on_sparse.urn}))
    assert "Your pupil list has <strong>0</strong>" in html.split('id="counts"')[1]
    _, html = _get(clients["vs_head"], reverse("events:record"))
    assert "No events yet." in html


def test_governors_packs_for_an_authority_without_its_la_code(db: None, on_sparse: Sparse, tmp_path: Path) -> None:
    """``ever6 packs governors`` with no ``[authority] la_code`` (this authority sets none): the
    authority is GIAS's most common LA, as the schools register takes it, so its one school gets
    its pack rather than none."""
    from ever6.access import Role, Viewer
    from ever6.web.documents.batch import write_governors_packs

    written = write_governors_packs(Viewer("test", Role.VS_OFFICER), tmp_path, jobs=1)
    assert [p.name for p in written.packs] == [f"governors-pack-{on_sparse.urn}-{written.year.replace('/', '-')}.pdf"]
    assert written.packs[0].read_bytes().startswith(b"%PDF")
