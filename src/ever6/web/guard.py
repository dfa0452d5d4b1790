"""Every view's gate: who is asking (a :class:`~ever6.access.Viewer`), what they may do, and the
audit recorder for what they see. Views name a capability; the table in :mod:`ever6.access.roles`
decides."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from ever6.access import AccessDenied, AuditEntry, AuditRecorder, Capability, Role, Snapshot, Viewer

View = TypeVar("View", bound=Callable[..., HttpResponse])


def viewer(request: HttpRequest) -> Viewer:
    """The signed-in user as the access layer sees them (cached on the request)."""
    cached = getattr(request, "_ever6_viewer", None)
    if cached is not None:
        return cached
    user: Any = request.user
    if not user.is_authenticated or not user.is_active:
        result = Viewer(username="anonymous", role=None)
    else:
        role = Role(user.role) if user.role in Role._value2member_map_ else None
        urns = frozenset(user.schools.values_list("urn", flat=True)) if role is Role.SCHOOL_DSL else frozenset()
        email = (user.email or "") if role is Role.SOCIAL_WORKER else ""
        result = Viewer(username=user.get_username(), role=role, urns=urns, email=email)
    request._ever6_viewer = result
    return result


def require(*capabilities: Capability) -> Callable[[View], View]:
    """Sign-in, then any one of ``capabilities``; otherwise 403. An :class:`AccessDenied` raised by
    the access layer inside the view is a 403 too."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            who = viewer(request)
            if not any(who.can(c) for c in capabilities):
                raise PermissionDenied
            try:
                return view(request, *args, **kwargs)
            except AccessDenied as exc:
                raise PermissionDenied(str(exc)) from exc

        return wrapped

    return decorate


@lru_cache(maxsize=1)
def snapshot() -> Snapshot:
    """The one snapshot reader of this process (it reopens the file after each refresh)."""
    return Snapshot(settings.EVER6_SNAPSHOT)


def audit_recorder(request: HttpRequest) -> AuditRecorder:
    """Writes each pupil-level access to the append-only audit log, with the request's path."""
    from ever6.web.audit.models import record

    def recorder(who: Viewer, entry: AuditEntry) -> None:
        record(request, who, entry)

    return recorder


def agreement_in_force(urn: str) -> bool:
    from ever6.web.schools.models import DataSharingAgreement

    return DataSharingAgreement.in_force(urn)


def one_snapshot_per_request(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[..., HttpResponse]:
    """Middleware: every read of a request comes from one snapshot, even when a refresh swaps in a
    new one meanwhile (ever6.access.Snapshot.pinned), so a page never mixes two runs."""

    def middleware(request: HttpRequest) -> HttpResponse:
        with snapshot().pinned():
            return get_response(request)

    return middleware
