"""Errors that are about the data or the request, not faults in ever6.

The CLI shows their message in one line and exits 1, with no traceback (``ever6 --debug`` shows
it); anything else it reports as a fault to be reported.
"""

from __future__ import annotations


class Refused(Exception):
    """A user error or a data condition; the message says what is wrong or missing."""


class DataConditionError(Refused):
    """The warehouse cannot support what was asked, and the message says what is missing."""


class NothingToRefresh(DataConditionError):
    """A refresh with no social-care data: there is no cohort to compute."""


class WarehouseBusy(Refused):
    """Another ever6 process holds the warehouse (a refresh, an import); the message says which."""


class WarehouseDamaged(Refused):
    """The warehouse file cannot be read: it has to be restored from a backup."""


class TooLarge(Refused):
    """A source file is over its format's size limit; it was not read."""
