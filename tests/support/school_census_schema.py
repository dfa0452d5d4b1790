"""Code lists read from the school census schemas (``reference/school_census/schema``), so that
the readers' and the generator's lists are checked against the published ones, never against
copies of themselves.

The schemas are YAML: ``school_census_schema_2015.yml`` in full, then a ``.diff.yml`` per year
whose entries replace a column's definition. A code list is an anchored block (``&exclusion-reason``)
of ``- code: "XX"`` lines; the list in force in a year is the one last defined in that year's or
an earlier file.
"""

from __future__ import annotations

import re
from pathlib import Path

_FILE = re.compile(r"school_census_schema_(\d{4})(?:\.diff)?\.yml$")
# - code: "XX"   (double-quoted YAML: "\\" is one backslash; a comment may follow)
_CODE = re.compile(r'^\s*-\s*code:\s*(?:"((?:[^"\\]|\\.)*)"|([^"\s#]+))\s*(?:#.*)?$')


def _anchored_lists(text: str, anchor: str) -> list[frozenset[str]]:
    lists: list[frozenset[str]] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() != f"&{anchor}":
            continue
        codes: set[str] = set()
        for follow in lines[i + 1 :]:
            stripped = follow.strip()
            match = _CODE.match(follow)
            if match:
                quoted, bare = match.groups()
                codes.add(re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare)
            elif stripped in ("category:", "") or stripped.startswith("name:"):
                continue
            else:
                break
        lists.append(frozenset(codes))
    return lists


def code_lists_by_year(schema_dir: Path, anchor: str) -> dict[int, frozenset[str]]:
    """The list anchored ``anchor`` in force in each schema year (the census year's autumn)."""
    files = sorted((int(m.group(1)), p) for p in schema_dir.iterdir() if (m := _FILE.search(p.name)))
    assert files, f"no school census schemas in {schema_dir}"
    in_force: dict[int, frozenset[str]] = {}
    current: frozenset[str] = frozenset()
    for year, path in files:
        found = _anchored_lists(path.read_text(encoding="utf-8"), anchor)
        if found:
            assert len(set(found)) == 1, f"{path.name} defines {anchor} differently"
            current = found[0]
        in_force[year] = current
    return in_force
