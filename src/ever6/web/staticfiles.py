"""The static files the pages use, and none of the rest of the npm packages they come from.

``STATICFILES_DIRS`` names whole folders of GOV.UK Frontend and Vega's packages, which hold over a
thousand files: component sources, type declarations, source maps. Only a handful are ever asked
for, so only those are found and served (and collected by ``collectstatic``): nothing else of the
packages is reachable from outside, and WhiteNoise indexes about twenty files when the middleware
starts instead of 1,270.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from django.contrib.staticfiles import utils
from django.contrib.staticfiles.finders import FileSystemFinder

# Per prefix of ``STATICFILES_DIRS``, the files served (relative to its folder); the folders without
# a prefix (GOV.UK's fonts and images) and prefixes not named here are served whole.
SERVED: dict[str, tuple[str, ...]] = {
    "govuk": ("govuk-frontend.min.css", "govuk-frontend.min.js"),
    "vega": ("vega.min.js",),
    "vega-lite": ("vega-lite.min.js",),
    "vega-embed": ("vega-embed.min.js",),
}


class ServedFilesFinder(FileSystemFinder):
    """Django's finder of ``STATICFILES_DIRS``, limited to :data:`SERVED`."""

    def find_location(self, root: str, path: str, prefix: str | None = None) -> str | None:
        only = SERVED.get(prefix or "")
        if only is not None and path.startswith(f"{prefix}/") and path.removeprefix(f"{prefix}/") not in only:
            return None
        found: str | None = super().find_location(root, path, prefix)
        return found

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, Any]]:
        for prefix, root in self.locations:
            if not os.path.isdir(root):
                continue
            storage = self.storages[root]
            only = SERVED.get(prefix or "")
            if only is None:
                yield from ((path, storage) for path in utils.get_files(storage, ignore_patterns))
            else:  # only those files: the folder is not walked
                yield from ((name, storage) for name in only if storage.exists(name))
