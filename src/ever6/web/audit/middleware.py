"""Refused requests (403) go to the audit log too, at most a few a minute from any one source.

A flood of refused requests (a script trying every URL) must not fill the log or slow the
service: each source (user and address) has a small allowance a minute, all sources together a
larger one; what is over it is counted and the count written with the next entry recorded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ever6.access import AuditEntry

PER_SOURCE_PER_MINUTE = 10
ALL_PER_MINUTE = 100


class RefusalLimiter:
    """Fixed one-minute windows, per source and overall; thread-safe, in this process."""

    def __init__(
        self,
        per_source: int = PER_SOURCE_PER_MINUTE,
        overall: int = ALL_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_source, self.overall, self.clock = per_source, overall, clock
        self._lock = threading.Lock()
        self._window = -1
        self._counts: dict[str, int] = {}
        self._total = 0
        self.dropped = 0

    def allow(self, source: str, now: float | None = None) -> tuple[bool, int]:
        """Whether to record this one, and how many were dropped since the last recorded."""
        window = int((self.clock() if now is None else now) // 60)
        with self._lock:
            if window != self._window:
                self._window, self._counts, self._total = window, {}, 0
            count = self._counts.get(source, 0)
            if count >= self.per_source or self._total >= self.overall:
                self.dropped += 1
                return False, 0
            self._counts[source] = count + 1
            self._total += 1
            dropped, self.dropped = self.dropped, 0
            return True, dropped


limiter = RefusalLimiter()


class RefusedRequestsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 403:
            self._record(request)
        return response

    def _record(self, request: HttpRequest) -> None:
        from ever6.web.audit.models import record
        from ever6.web.guard import viewer

        who = viewer(request)
        allowed, dropped = limiter.allow(f"{who.username}|{request.META.get('REMOTE_ADDR', '')}")
        if not allowed:
            return
        detail: dict[str, object] = {"method": request.method or ""}
        if dropped:
            detail["not_recorded_before"] = dropped  # refusals over the allowance since the last entry
        record(request, who, AuditEntry("refused", "forbidden", detail=detail))
