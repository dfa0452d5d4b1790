"""The Content-Security-Policy header: scripts, styles, images and fonts from this service only.

No inline script runs. The one inline script on every page is GOV.UK Frontend's template line
that marks the page as having JavaScript (``js-enabled``); it is allowed by its SHA-256 hash,
computed here from the installed template, so a changed or injected inline script is refused.
A hash rather than a per-request nonce because figure pages are cached whole between refreshes
(:mod:`ever6.web.pagecache`) and a nonce would be replayed.

Vega compiles a chart's expressions with ``Function`` (its interpreter is an ES module that
cannot be loaded without an inline import map), so pages that draw a chart, and only those, also
allow ``'unsafe-eval'``; they show aggregate figures, never pupils' rows.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from functools import lru_cache
from importlib.resources import files

from django.http import HttpRequest, HttpResponse

CHART_MARKER = b"data-ever6-chart="


@lru_cache(maxsize=1)
def govuk_inline_script_hash() -> str:
    """``'sha256-…'`` of the inline script in GOV.UK Frontend's page template, as rendered."""
    template = files("govuk_frontend_jinja").joinpath("templates", "template.html").read_text()
    found = re.search(r"<script[^>]*>(.*?)</script>", template, re.S)
    if found is None:  # pragma: no cover (a template without it needs no hash)
        return ""
    digest = hashlib.sha256(found.group(1).encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def policy(*, charts: bool) -> str:
    script = ["'self'", govuk_inline_script_hash()]
    if charts:
        script.append("'unsafe-eval'")
    directives = {
        "default-src": "'none'",
        "script-src": " ".join(s for s in script if s),
        "style-src": "'self'",
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": "'self'",
        "manifest-src": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
        "base-uri": "'none'",
        "object-src": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    """Adds the policy to every response that does not set its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            charts = (
                not response.streaming
                and response.get("Content-Type", "").startswith("text/html")
                and CHART_MARKER in response.content
            )
            response["Content-Security-Policy"] = policy(charts=charts)
        return response
