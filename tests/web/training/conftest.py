"""Fixtures for the training tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Published
from tests.web.training.helpers import _course, _reg, _session


@pytest.fixture
def setup(accounts: dict[str, object], published: Published) -> dict[str, Any]:
    """A course with a past session (two registered) and an upcoming one with two places."""
    course = _course()
    past = _session(course, -7)
    future = _session(course, 14, capacity=2)
    a = _reg(past, "Priya Shah", "p.shah@example.sch.uk", "dsl", published.urn)
    b = _reg(past, "Tom Green", "t.green@example.org", "social_worker")
    return {"course": course, "past": past, "future": future, "a": a, "b": b}
