"""A test hook: stop the process dead at a named step, as a power cut or ``kill -9`` would.

Set ``EVER6_FAIL_AT=<step>`` and the process exits at once (status 75, no clean-up, no rollback)
when it reaches :func:`fault_point` with that step's name. The tests use it to show that a refresh
stopped at any step leaves the warehouse and the web snapshot agreeing, and that the next refresh
repairs it. Never set it in production. The steps of a refresh, in order, are :data:`REFRESH_STEPS`.
"""

from __future__ import annotations

import os

FAIL_AT = "EVER6_FAIL_AT"
EXIT_STATUS = 75

REFRESH_STEPS = (
    "before-publish",  # the outputs are computed; nothing is written yet
    "in-publish",  # the run's rows are written, its transaction not yet committed
    "before-snapshot",  # the run is committed, pending; the snapshot is not yet written
    "before-swap",  # the new snapshot is written beside the old one, not yet swapped in
    "before-mark",  # the new snapshot is in place; the run is not yet marked published
)


def fault_point(step: str) -> None:
    """Exit the process here if ``EVER6_FAIL_AT`` names this step."""
    if os.environ.get(FAIL_AT) == step:
        os._exit(EXIT_STATUS)
