"""Request-wide behaviour: pages are never cached, and shared macros can see the request."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

_current: ContextVar[HttpRequest | None] = ContextVar("ever6_request", default=None)


def current_request() -> HttpRequest | None:
    """The request being answered: for shared template macros, which Jinja imports without context."""
    return _current.get()


class NoStoreMiddleware:
    """Pages of a signed-in user are never stored by the browser or a proxy: they may show pupils."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current.set(request)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            response["Cache-Control"] = "no-store"
        return response
