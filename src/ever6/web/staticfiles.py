"""The static files the pages use, and none of the rest of the npm packages they come from.

``STATICFILES_DIRS`` names whole folders of GOV.UK Frontend and Vega's packages, which hold over a
thousand files: component sources, type declarations, source maps. Only a handful are ever asked
for, so only those are found and served (and collected by ``collectstatic``): nothing else of the
packages is reachable from outside, and WhiteNoise indexes about twenty files when the middleware
starts instead of 1,270.
"""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import PurePosixPath
from typing import Any

from django.contrib.staticfiles.finders import FileSystemFinder

# Per prefix of ``STATICFILES_DIRS``, the files served (patterns relative to its folder); the
# folders without a prefix (GOV.UK's fonts and images) and prefixes not named here are served whole.
SERVED: dict[str, tuple[str, ...]] = {
    "govuk": ("govuk-frontend.min.css", "govuk-frontend.min.js"),
    "vega": ("vega.min.js",),
    "vega-lite": ("vega-lite.min.js",),
    "vega-embed": ("vega-embed.min.js",),
}


def served(prefix: str | None, path: str) -> bool:
    """Whether ``path`` (relative to the folder of ``prefix``) is one of the files served."""
    patterns = SERVED.get(prefix or "")
    return patterns is None or any(fnmatch(PurePosixPath(path).as_posix(), p) for p in patterns)


class ServedFilesFinder(FileSystemFinder):
    """Django's finder of ``STATICFILES_DIRS``, limited to :data:`SERVED`."""

    def find_location(self, root: str, path: str, prefix: str | None = None) -> str | None:
        if prefix and path.startswith(f"{prefix}/") and not served(prefix, path.removeprefix(f"{prefix}/")):
            return None
        found: str | None = super().find_location(root, path, prefix)
        return found

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, Any]]:
        for path, storage in super().list(ignore_patterns):
            if served(getattr(storage, "prefix", None), path):
                yield path, storage
