"""Partnership activity from every app that records it, as one table per school.

Each partnership app offers ``activity_by_school(start, end) -> {urn: {kind: count}}`` in its own
``activity`` module; this is the one list of them, so a new kind of activity is one line here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import date

ActivityFunction = Callable[[date, date], dict[str, dict[str, int]]]

# The apps whose records count as the Virtual School's partnership activity.
PROVIDERS = ("ever6.web.schools.activity", "ever6.web.support.activity", "ever6.web.training.activity")


def providers() -> list[ActivityFunction]:
    found = []
    for module_name in PROVIDERS:
        module = importlib.import_module(module_name)
        found.append(module.activity_by_school)
    return found


def activity_by_school(start: date, end: date) -> tuple[list[str], dict[str, dict[str, int]]]:
    """Every kind of activity (in a stable order) and, per school URN, the count of each."""
    kinds: list[str] = []
    merged: dict[str, dict[str, int]] = {}
    for provide in providers():
        for urn, counts in provide(start, end).items():
            row = merged.setdefault(urn, {})
            for kind, n in counts.items():
                if kind not in kinds:
                    kinds.append(kind)
                row[kind] = row.get(kind, 0) + int(n)
    return kinds, merged
