"""Headless Chromium (Debian's, driven by Playwright) and the axe accessibility check."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

AXE = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "ever6"
    / "web"
    / "frontend"
    / "node_modules"
    / "axe-core"
    / "axe.min.js"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# What axe must not find on any page: any violation, whatever its impact (a "moderate" one such as
# content outside every landmark still leaves screen-reader users lost).
BLOCKING_IMPACTS = ("minor", "moderate", "serious", "critical")


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium is missing: `make test` installs it (apt-get install chromium)")
    return path


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page; return its violations, of every impact, described."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `make install` (npm ci)")
    # Evaluated rather than added as a <script>: the page's Content-Security-Policy refuses inline
    # scripts, and evaluation from the test is not subject to it.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(f"() => {{ {AXE.read_text()}\n; window.axe = axe; }}")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:5]],
        }
        for v in result["violations"]
        if v["impact"] in BLOCKING_IMPACTS
    ]
