"""An import batch's provenance: what was imported, from which files, when and by whom, and
whether it has been rolled back.

The warehouse records it (:mod:`ever6.warehouse.store`), and the data manager's pages show it as it
is (:mod:`ever6.access.operations`). A leaf, so that the web service can name it without loading
the warehouse.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path


@dataclass(frozen=True)
class Batch:
    batch_id: int
    format: str
    source_file: str
    source_files: tuple[str, ...]
    sha256: str
    year: int | None
    reference_date: date | None
    row_counts: dict[str, int]
    warning_count: int
    imported_at: datetime
    imported_by: str
    status: str
    rolled_back_at: datetime | None
    rolled_back_by: str | None

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def files(self) -> tuple[str, ...]:
        """The files' names: where they were read from says nothing useful on a page."""
        return tuple(Path(f).name for f in self.source_files)

    @property
    def sha256_short(self) -> str:
        return self.sha256[:12]

    @property
    def rows(self) -> int:
        return sum(self.row_counts.values())


def file_sha256(paths: Sequence[Path]) -> str:
    """One digest for the content of a source, independent of file names and order."""
    digests = []
    for path in paths:
        h = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        digests.append(h.hexdigest())
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256("".join(sorted(digests)).encode()).hexdigest()
