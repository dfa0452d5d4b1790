"""How large a request body each view accepts, refused before the body is parsed.

waitress, in front, buffers at most :data:`MAX_REQUEST_BODY` (its ``max_request_body_size``) and
answers 413 to a larger declared length without reading it. Behind it, each request may send only
what its view takes: a view that accepts a file says so with :func:`accepts_upload`; every other
view, and every request from someone not signed in (the sign-in form included), takes a small form
at most. So an anonymous caller cannot make the service parse an upload-sized body.

The data manager's imports take far larger files (``EVER6_UPLOAD_MAX_MB``, 512 MB by default):
waitress's limit is the largest any view accepts (:func:`largest_body`), and the import view
streams its files to disk as they arrive (:mod:`ever6.web.datamgmt.uploads`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

View = TypeVar("View", bound=Callable[..., HttpResponse])

# A sign-in or other form, never a file: generous for a form of a few thousand fields.
FORM_BODY = 1024 * 1024
# The largest document upload (a signed agreement, 5 MB) with room for the form around it.
MAX_REQUEST_BODY = 6 * 1024 * 1024
ANONYMOUS_BODY = 64 * 1024
FORM_MARGIN = 64 * 1024


def accepts_upload(max_bytes: int | Callable[[], int]) -> Callable[[View], View]:
    """Mark a view as taking uploaded files of at most ``max_bytes`` (from a signed-in user): a
    number of bytes up to :data:`MAX_REQUEST_BODY`, or a function giving the limit a setting says
    (read at each request)."""
    if isinstance(max_bytes, int) and max_bytes > MAX_REQUEST_BODY:
        raise ValueError(f"an upload limit above MAX_REQUEST_BODY ({MAX_REQUEST_BODY} bytes) would never be reached")

    def decorate(view: View) -> View:
        view.ever6_max_body = max_bytes  # type: ignore[attr-defined]
        return view

    return decorate


def upload_limit(view: Callable[..., Any]) -> int:
    """The upload limit a view declared (0: it takes no file)."""
    limit = getattr(view, "ever6_max_body", 0)
    return int(limit() if callable(limit) else limit)


def largest_body() -> int:
    """The largest request body any view accepts: waitress's limit (``max_request_body_size``)."""
    return max(MAX_REQUEST_BODY, 2 * settings.EVER6_UPLOAD_MAX_BYTES + FORM_MARGIN)


def allowed_body(request: HttpRequest, view: Callable[..., Any]) -> int:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ANONYMOUS_BODY
    upload = upload_limit(view)
    # Up to twice the file's limit is read, so that a file a little too large gets the form's own
    # message beside the field; anything larger is refused unread.
    return min(largest_body(), max(FORM_BODY, 2 * upload + FORM_MARGIN))


class RequestBodyLimitMiddleware:
    """413 for a body larger than the view (and the caller) allows, judged by its declared length."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponse("Bad Content-Length.", status=400, content_type="text/plain")
        if length > allowed_body(request, view):
            upload = upload_limit(view)
            context = {"limit_mb": upload // (1024 * 1024) if request.user.is_authenticated else 0}
            return render(request, "errors/too_large.html", context, status=413)
        return None
