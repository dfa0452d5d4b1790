"""The documentation says what the code does: these fail when one changes without the other."""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import fields
from pathlib import Path

import pytest
from typer.main import get_command

from ever6.cli import app
from ever6.cohort import COHORT_COLUMNS, Status
from ever6.config import (
    AuthoritySettings,
    CinCensusSettings,
    CohortSettings,
    DisclosureSettings,
    EngineSettings,
    ImportSettings,
    LinkageSettings,
    MeasureSettings,
    load_settings,
)
from ever6.formats import FORMATS, Format

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
COHORT_DOC = (ROOT / "docs" / "cohort.md").read_text()
IMPORTING_DOC = (ROOT / "docs" / "importing.md").read_text()


def test_cohort_doc_lists_exactly_the_output_columns() -> None:
    section = COHORT_DOC.split("## Output columns", 1)[1]
    listed = re.search(r"`(la_child_id,[^`]+)`", section, re.S)
    assert listed is not None
    assert [c.strip() for c in listed.group(1).split(",")] == list(COHORT_COLUMNS)


def test_cohort_doc_describes_every_status() -> None:
    rows = re.findall(r"^\| `([A-Z_0-9]+)` \|", COHORT_DOC, re.M)
    assert rows == [s.value for s in Status]


SECTIONS = {
    "cohort": CohortSettings,
    "cin_census": CinCensusSettings,
    "authority": AuthoritySettings,
    "measures": MeasureSettings,
    "disclosure": DisclosureSettings,
    "linkage": LinkageSettings,
    "engine": EngineSettings,
    "imports": ImportSettings,
}
# Sections whose every setting a local authority is expected to know about.
FULLY_DOCUMENTED = ("cohort", "cin_census", "authority", "measures", "disclosure")


def test_documented_settings_exist_and_are_loadable(tmp_path: Path) -> None:
    blocks = re.findall(r"```toml\n(.*?)```", IMPORTING_DOC, re.S)
    settings_block = next(b for b in blocks if "[cohort]" in b)
    documented = tomllib.loads(settings_block)
    assert set(documented) == set(SECTIONS)
    for section, cls in SECTIONS.items():
        names = {f.name for f in fields(cls)}
        assert set(documented[section]) <= names, section
        if section in FULLY_DOCUMENTED:
            assert set(documented[section]) == names, section
    assert documented["cohort"] == {f.name: f.default for f in fields(CohortSettings)}
    assert documented["measures"] == {f.name: f.default for f in fields(MeasureSettings)}
    assert documented["disclosure"] == {f.name: f.default for f in fields(DisclosureSettings)}
    # The documented file is a valid settings file.
    (tmp_path / "ever6.toml").write_text(settings_block)
    loaded = load_settings(tmp_path)
    assert loaded.authority.la_code == documented["authority"]["la_code"]
    assert loaded.linkage.la_code == documented["authority"]["la_code"]  # linkage follows the authority
    assert loaded.engine.name == documented["engine"]["name"]
    assert dict(loaded.engine.spark_conf) == documented["engine"]["spark_conf"]
    assert loaded.imports.limit("pupils") == 3_000_000_000


def test_importing_doc_gives_the_size_limits_in_force() -> None:
    from ever6.config import DEFAULT_MAX_BYTES

    table = IMPORTING_DOC.split("## Size limits", 1)[1].split("\n## ", 1)[0]
    documented: dict[str, int] = {}
    for formats, limit in re.findall(r"^\| (`.+?) \| (\d+) GB \|$", table, re.M):
        for fmt in re.findall(r"`([a-z0-9-]+)`", formats):
            documented[fmt] = int(limit) * 1000**3
    assert documented == DEFAULT_MAX_BYTES


def test_importing_doc_lists_exactly_the_registered_formats() -> None:
    """The extension point: the documented formats, in order, are the registry's, with their
    tables, kinds and batching."""
    section = IMPORTING_DOC.split("## The formats, and adding one", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| (.+?) \| (.+?) \| (.+?) \|$", section, re.M)
    documented = [
        (name, tuple(re.findall(r"`([a-z_0-9]+)`", tables)), kind, batches) for name, tables, kind, batches in rows
    ]

    def batches(f: Format) -> str:
        return ("one per return" if f.one_batch else "one per file") + (", streamed" if f.streamed else "")

    assert documented == [(f.name, f.tables, f.kind.value, batches(f)) for f in FORMATS.values()]


def test_readme_names_every_setting_a_local_authority_changes() -> None:
    for section in ("cohort", "measures"):
        for f in fields(SECTIONS[section]):
            assert f"[{section}] {f.name}" in README, f"[{section}] {f.name}"


def _commands() -> set[tuple[str, ...]]:
    root = get_command(app)
    found: set[tuple[str, ...]] = set()

    def walk(cmd: object, path: tuple[str, ...]) -> None:
        sub = getattr(cmd, "commands", None)
        if not sub or getattr(cmd, "invoke_without_command", False):
            found.add(path)  # a command, or a group that also runs on its own (`ever6 link`)
        if not sub:
            return
        for name, child in sub.items():
            walk(child, (*path, name))

    walk(root, ())
    return found


@pytest.mark.parametrize(
    "doc",
    [
        "README.md",
        "docs/importing.md",
        "docs/measures.md",
        "docs/linkage.md",
        "docs/web.md",
        "docs/operations.md",
        "docs/grant.md",
    ],
)
def test_every_documented_command_exists(doc: str) -> None:
    text = (ROOT / doc).read_text()
    commands = _commands()
    lines = [line for block in re.findall(r"```sh\n(.*?)```", text, re.S) for line in block.splitlines()]
    used = 0
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line.startswith("ever6 "):
            continue
        words = [w for w in shlex.split(line)[1:] if not w.startswith("-")]
        assert any(tuple(words[: len(c)]) == c for c in commands), f"{doc}: no such command: {line}"
        used += 1
    assert used > 0


def test_web_doc_role_table_is_the_capability_table() -> None:
    from ever6.access import CAPABILITIES, Capability, Role

    doc = (ROOT / "docs" / "web.md").read_text()
    header = re.search(r"^\| capability \|(.*)\|$", doc, re.M)
    assert header is not None
    roles = [c.strip() for c in header.group(1).split("|")]
    assert roles == [r.value for r in Role]
    documented = {}
    for line in doc.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and cells[0] in Capability._value2member_map_:
            granted = [Role(r) for r, cell in zip(roles, cells[1:], strict=True) if cell == "yes"]
            documented[Capability(cells[0])] = frozenset(granted)
    assert documented == CAPABILITIES


def test_web_doc_names_every_environment_setting() -> None:
    web = ROOT / "src" / "ever6" / "web"
    settings_source = (web / "settings.py").read_text() + (web / "settings_production.py").read_text()
    doc = (ROOT / "docs" / "web.md").read_text()
    for name in sorted(set(re.findall(r"\"(EVER6_[A-Z_]+)\"", settings_source))):
        assert name in doc, name


def _tracked_text_files() -> list[Path]:
    import subprocess

    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    suffixes = {".py", ".md", ".toml", ".html", ".txt", ".cfg", ".yml", ".yaml", ".js", ".css"}
    paths = [ROOT / p for p in listed.splitlines()]
    return [p for p in paths if p.is_file() and (p.suffix in suffixes or p.name in {"Makefile", "run"})]


# A citation someone who clones the project cannot follow: the domain reference outside the
# repository, the source documents it was written from, or a developers' guide it does not hold.
OUTSIDE = re.compile(r"(?<!\w)domain\.md|shared/seeds|DEVELOPERS\.md")


def test_no_file_cites_a_path_outside_the_repository() -> None:
    cited = {
        f"{path.relative_to(ROOT)}:{number}"
        for path in _tracked_text_files()
        if path != Path(__file__)
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if OUTSIDE.search(line.replace("docs/domain.md", ""))
    }
    assert not cited, sorted(cited)


def test_the_domain_reference_cites_sections_that_exist() -> None:
    domain = (ROOT / "docs" / "domain.md").read_text()
    sections = {int(n) for n in re.findall(r"^## (\d+)\. ", domain, re.M)}
    for path in _tracked_text_files():
        for number in re.findall(r"docs/domain\.md`*,? (?:section |§)(\d+)", path.read_text(errors="replace")):
            assert int(number) in sections, f"{path.relative_to(ROOT)} cites docs/domain.md section {number}"
