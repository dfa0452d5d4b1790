"""The four counts every page and the command line show, defined once.

A child with a social worker can be counted several ways, and the pages used to count each their
own way ("2,410 not linked" on one page, "2,803 in the cohort and 2,101 linked" on the next). Each
count here has one name, one definition and one computation, made once per refresh from the
published run and stored in the web snapshot; every page and ``ever6 cohort counts`` read it there.

A leaf beside :mod:`ever6.publish.layout`: it imports nothing of ever6, so the web service can read
the names and definitions without loading the analytics.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa


@dataclass(frozen=True)
class CountName:
    key: str
    label: str  # the same words on every page and in the CLI
    definition: str


COUNT_NAMES: dict[str, CountName] = {
    c.key: c
    for c in (
        CountName(
            "cohort",
            "Cohort",
            "Children of any age in the Ever6 CWSW cohort at the reference date of the latest refresh: "
            "a social worker now or in the last six years.",
        ),
        CountName(
            "linked",
            "Linked",
            "Cohort children the linkage of that refresh matched to at least one school record.",
        ),
        CountName(
            "not_linked", "Not linked", "Cohort children matched to no school record: the cohort less the linked."
        ),
        CountName(
            "on_roll",
            "On roll",
            "Linked cohort children on roll at a school on the reference date, each counted once.",
        ),
    )
}

# The table the snapshot keeps them in, one row.
COUNTS_TABLE = "cohort_counts"


@dataclass(frozen=True)
class CohortCounts:
    run_id: int
    as_at: date
    cohort: int
    linked: int
    not_linked: int
    on_roll: int

    def items(self) -> list[tuple[CountName, int]]:
        """Each count with its name, in the order pages show them."""
        return [(name, int(getattr(self, key))) for key, name in COUNT_NAMES.items()]

    def to_row(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "as_at": self.as_at,
            **{key: int(getattr(self, key)) for key in COUNT_NAMES},
        }


def count_cohort(run_id: int, as_at: date, cohort: pa.Table, links: pa.Table, on_roll: pa.Table) -> CohortCounts:
    """The counts of one run, from its published cohort (``la_child_id``, ``cwsw``), its links
    (``la_child_id``) and its linked cohort children on roll (``la_child_id``)."""
    flags = cohort.column("cwsw").to_pylist()
    children = {c for c, cwsw in zip(cohort.column("la_child_id").to_pylist(), flags, strict=True) if cwsw}
    linked = children & set(links.column("la_child_id").to_pylist())
    roll = children & set(on_roll.column("la_child_id").to_pylist())
    return CohortCounts(
        run_id=run_id,
        as_at=as_at,
        cohort=len(children),
        linked=len(linked),
        not_linked=len(children) - len(linked),
        on_roll=len(roll),
    )
