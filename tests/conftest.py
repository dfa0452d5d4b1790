"""Shared fixtures: the public reference samples live beside the project, never copied in."""

from __future__ import annotations

from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.fail(f"the shared reference samples are missing: expected them at {REFERENCE}")
    return REFERENCE
