"""What the web service writes to its log: one line per refused or missing page.

A 403 is the role check working, not a fault: Django logs it with the exception's traceback,
which buries real errors; :class:`WithoutRefusalTraceback` keeps the line and drops the traceback.
"""

from __future__ import annotations

import logging

REFUSED = 403


class WithoutRefusalTraceback(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == REFUSED:
            record.exc_info = None
            record.exc_text = None
        return True
