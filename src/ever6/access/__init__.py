"""The permission-checked interface between the web service and the data.

The web layer may import this package and nothing below it that holds pupil data (an
import-linter contract enforces it): figures and pupil lists come from :class:`Snapshot`, data
management from :mod:`ever6.access.operations`, each checking the viewer's role first and
recording pupil-level access through the caller's audit recorder.
"""

from ever6.access.roles import CAPABILITIES, ROLE_LABELS, Capability, Role, can
from ever6.access.snapshot import MetricQuery, NotPublished, RefreshNeeded, RunInfo, Snapshot
from ever6.access.viewer import AccessDenied, AuditEntry, AuditRecorder, Viewer

__all__ = [
    "CAPABILITIES",
    "ROLE_LABELS",
    "AccessDenied",
    "AuditEntry",
    "AuditRecorder",
    "Capability",
    "MetricQuery",
    "NotPublished",
    "RefreshNeeded",
    "Role",
    "RunInfo",
    "Snapshot",
    "Viewer",
    "can",
]
