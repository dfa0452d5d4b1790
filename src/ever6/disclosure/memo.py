"""Reuse of a component's interval protection when everything it reads is unchanged.

Interval protection (:mod:`ever6.disclosure.linked`) protects each connected component of the
relations on its own, and its decisions are a function of what it reads: the component (its
relations, slack, truth, costs, which sums are hidden, its primaries and cells), the width, and
what each ``hide(k, reason)`` call returns, which is decided by the rows that show the
component's sums (which sums each shows, its measure and place, whether it is hidden) and the
measures that follow others. A digest of all that (:func:`component_key`) names the protection;
what it did is recorded as the ``hide`` calls in order and its counters (:class:`Entry`). A later
run that meets the same digest replays those calls through the real ``hide`` (so what they
suppress in rows of other components happens as it did) instead of solving: the same input, the
same calls, the same suppressed rows. The figures of a new day of marks change the attendance
components of the current year; the exclusions', alternative provision's and attainment's are
replayed.

The caller keeps the entries (:class:`Memo`: ``previous`` in, ``kept`` out: the entries this run
used or made, so unused ones are dropped); nothing here reads or writes a file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

# Part of every digest: change it with any change to what a component's protection does or reads
# (``linked.protect_component`` and what it calls), so that no entry from older code is replayed.
VERSION = "4"


@dataclass(frozen=True)
class Entry:
    """What one component's protection did: the ``hide(k, reason)`` calls in order, its counters
    (``Protection``'s primary, programs, unprotectable, free, cubes) and the CPU seconds it took."""

    hides: tuple[tuple[int, str], ...]
    counts: tuple[int, int, int, int, int]
    seconds: float = 0.0

    def encode(self) -> str:
        reasons = sorted({r for _, r in self.hides})
        at = {r: i for i, r in enumerate(reasons)}
        return json.dumps(
            {
                "reasons": reasons,
                "hides": [[k, at[r]] for k, r in self.hides],
                "counts": list(self.counts),
                "seconds": round(self.seconds, 4),
            },
            separators=(",", ":"),
        )

    @staticmethod
    def decode(text: str) -> Entry:
        data = json.loads(text)
        reasons = [str(r) for r in data["reasons"]]
        hides = tuple((int(k), reasons[int(r)]) for k, r in data["hides"])
        counts = tuple(int(x) for x in data["counts"])
        if len(counts) != 5:
            raise ValueError("an entry has five counts")
        return Entry(hides, (counts[0], counts[1], counts[2], counts[3], counts[4]), float(data["seconds"]))


@dataclass
class Memo:
    """Components' protections from an earlier run (``previous``: digest -> encoded :class:`Entry`),
    and those this run used or made (``kept``): what the caller keeps for the next run.

    ``hits`` and ``misses`` count components replayed and solved; ``reused_seconds`` is what the
    replayed ones took when they were solved, ``solved_seconds`` what the solved ones took now.
    """

    previous: Mapping[str, str] = field(default_factory=dict)
    kept: dict[str, str] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0
    reused_seconds: float = 0.0
    solved_seconds: float = 0.0

    def find(self, key: str) -> Entry | None:
        """The entry recorded under ``key`` (kept for the next run), or None."""
        text = self.kept.get(key) or self.previous.get(key)
        if text is None:
            return None
        try:
            entry = Entry.decode(text)
        except (ValueError, KeyError, TypeError, IndexError):
            return None  # unreadable: solved again, as if never seen
        self.kept[key] = text
        self.hits += 1
        self.reused_seconds += entry.seconds
        return entry

    def record(self, key: str, entry: Entry) -> None:
        self.kept[key] = entry.encode()
        self.misses += 1
        self.solved_seconds += entry.seconds


@dataclass(frozen=True)
class RowView:
    """A row that shows one of a component's sums, as its protection sees it: where it is published
    (by content, never by row number), whether it is hidden, and for each of its sums the
    component's own number of it (-1 for a sum of another component)."""

    place: tuple[str, ...]  # publication set, period, measure, group, breakdown, value
    hidden: bool
    sums: tuple[tuple[str, int], ...]


def component_key(
    arrays: Iterable[tuple[str, np.ndarray]],
    cells: Iterable[object],
    todo: Iterable[int],
    rows: Iterable[RowView],
    followers: Mapping[str, Iterable[str]],
    width: int,
    settings: Mapping[str, object],
) -> str:
    """The digest of everything one component's protection reads: ``arrays`` (name, array: the
    relations' matrices as their parts, slack, truth, cost, hidden), its cells and primaries in the
    component's numbering, every row showing one of its sums, the followers, the width, and
    ``settings`` (the code's tunables and the solver's version)."""
    digest = hashlib.sha256()

    def text(value: object) -> None:
        data = repr(value).encode()
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)

    text(("version", VERSION, width, sorted((k, repr(v)) for k, v in settings.items())))
    for name, array in arrays:
        a = np.ascontiguousarray(array)
        text((name, a.dtype.str, a.shape))
        digest.update(a.tobytes())
    text(list(cells))
    text(list(todo))
    text(sorted((r.place, r.hidden, r.sums) for r in rows))
    text(sorted((leader, sorted(f)) for leader, f in followers.items()))
    return digest.hexdigest()
