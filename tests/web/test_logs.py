"""What the server logs for refused and missing pages: one line each, however the server has set
up logging (waitress gives the root logger a handler of its own), and no traceback for a 403 (a
refusal is the role check working, not a fault)."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator

import pytest
from django.test import Client


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    """Everything written to the service's console handler and to a root handler as waitress adds."""
    text = io.StringIO()
    console = next(h for h in logging.getLogger("django").handlers if isinstance(h, logging.StreamHandler))
    before = console.setStream(text)
    root = logging.StreamHandler(text)
    root.setFormatter(logging.Formatter(logging.BASIC_FORMAT))
    logging.getLogger().addHandler(root)
    yield text
    logging.getLogger().removeHandler(root)
    console.setStream(before)  # type: ignore[arg-type]


def test_a_refused_page_is_one_line_without_a_traceback(client_for: Callable[[str], Client], log: io.StringIO) -> None:
    assert client_for("school_dsl").get("/data/").status_code == 403
    lines = log.getvalue().splitlines()
    assert lines == ["Forbidden (Permission denied): /data/"]


def test_a_missing_page_is_logged_once(client_for: Callable[[str], Client], log: io.StringIO) -> None:
    client = client_for("data_manager")
    for path in ("/data/imports/999999/", "/no-such-page/", "/static/ever6/no-such-file.css"):
        assert client.get(path).status_code == 404
    assert log.getvalue().splitlines() == [
        "Not Found: /data/imports/999999/",
        "Not Found: /no-such-page/",
        "Not Found: /static/ever6/no-such-file.css",
    ]


def test_a_fault_keeps_its_traceback(log: io.StringIO) -> None:
    logger = logging.getLogger("django.request")
    try:
        raise RuntimeError("a fault")
    except RuntimeError:
        logger.error("Internal Server Error: /x/", exc_info=True, extra={"status_code": 500})
    assert "Traceback" in log.getvalue()
    assert log.getvalue().count("Internal Server Error: /x/") == 1
