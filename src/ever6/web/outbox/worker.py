"""The delivery loop: ``ever6 web notify --loop`` runs it in the foreground, ``ever6 web serve`` in a thread."""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections

from ever6.web.outbox.service import Delivery, deliver_due

log = logging.getLogger("ever6.outbox")


def deliver_once() -> Delivery:
    """One pass, with fresh database connections (a long-running loop must not hold a stale one)."""
    close_old_connections()
    try:
        return deliver_due()
    finally:
        close_old_connections()


def run(interval: float, stop: threading.Event) -> None:
    """Deliver what is due every ``interval`` seconds until ``stop`` is set; an error waits for the next pass."""
    while not stop.is_set():
        try:
            deliver_once()
        except Exception:
            log.exception("email delivery pass failed")
        stop.wait(interval)


def start_thread(interval: float) -> threading.Event:
    """Start the loop in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=run, args=(interval, stop), name="ever6-outbox", daemon=True).start()
    return stop
