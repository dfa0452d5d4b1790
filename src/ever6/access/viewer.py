"""The person asking, as the access layer sees them, and what it records when they see pupils."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ever6.access.roles import Capability, Role, can


class AccessDenied(PermissionError):
    """The viewer's role or schools do not allow this."""


@dataclass(frozen=True)
class Viewer:
    username: str
    role: Role | None
    urns: frozenset[str] = frozenset()  # the schools a school user acts for
    email: str = ""  # a social worker's: the children allocated to this address are theirs

    def can(self, capability: Capability) -> bool:
        return can(self.role, capability)

    def require(self, capability: Capability) -> None:
        if not self.can(capability):
            raise AccessDenied(f"{self.username} ({self.role or 'no role'}) may not: {capability.value}")

    def require_school(self, urn: str) -> None:
        """School users act only for their own schools; Virtual School roles never through the portal."""
        self.require(Capability.SCHOOL_PORTAL)
        if urn not in self.urns:
            raise AccessDenied(f"{self.username} does not act for school {urn}")

    def require_allocated(self) -> str:
        """A social worker, with an email address to find their allocated children by."""
        self.require(Capability.ALLOCATED_CHILDREN)
        if not self.email:
            raise AccessDenied(f"{self.username} has no email address: no children can be allocated to them")
        return self.email.lower()


@dataclass(frozen=True)
class AuditEntry:
    """One pupil-level view, download or decision: what was seen, by whom (the recorder adds when)."""

    action: str  # "view", "download", "decision"
    what: str  # e.g. "school_pupils", "marker_csv", "linkage_review"
    object_id: str = ""  # e.g. a URN or a child id
    rows: int = 0
    detail: dict[str, Any] = field(default_factory=dict)


# The access layer calls this before it returns pupil-level rows; the web layer writes the entry to
# its append-only audit log. No recorder, no rows.
AuditRecorder = Callable[[Viewer, AuditEntry], None]
