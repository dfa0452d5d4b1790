"""The cohort counts (cohort, linked, not linked, on roll) for the pages and the command line:
their names and definitions (:mod:`ever6.publish.counts`, the one place they are defined) and
the latest refresh's figures, read through the permission-checked :class:`Snapshot`.

Pages show them with the ``macros/counts.html`` Jinja macro, which gives each count its name and
definition, so that the same figure reads the same on every page.
"""

from __future__ import annotations

from pathlib import Path

from ever6.access.roles import Role
from ever6.access.snapshot import NotPublished, Snapshot
from ever6.access.viewer import Viewer
from ever6.publish.counts import COUNT_NAMES, CohortCounts, CountName


def latest_counts(snapshot: Snapshot, viewer: Viewer) -> CohortCounts | None:
    """The latest refresh's counts; ``None`` before the first refresh, or from a snapshot written
    before they were kept."""
    try:
        return snapshot.counts(viewer)
    except NotPublished:
        return None


def workspace_counts(snapshot_path: Path, username: str) -> CohortCounts | None:
    """The counts for the command line, which runs as the workspace's data manager."""
    return latest_counts(Snapshot(snapshot_path), Viewer(username=username, role=Role.DATA_MANAGER))


__all__ = ["COUNT_NAMES", "CohortCounts", "CountName", "latest_counts", "workspace_counts"]
