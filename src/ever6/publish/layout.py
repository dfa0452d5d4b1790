"""The web snapshot's layout: what the writer (:mod:`ever6.publish.snapshot`) and the reader
(:mod:`ever6.access.snapshot`) agree on. A leaf: it imports nothing of ever6, so the web service
can read it without loading the analytics.
"""

from __future__ import annotations

# Bands a school sees instead of the social-care status: enough to know how to support the pupil,
# no more. Keyed by cohort status; CLA pupils are the Virtual School's looked-after cohort and are
# known to schools through their personal education plans, not through this list.
STATUS_BANDS = {
    "CPP": "Current: child protection plan",
    "CINP": "Current: child in need plan",
    "CIN_OTHER": "Current: child in need",
    "EVER6_PREVIOUS": "Previously, in the last six years",
}

SCHOOL_PUPIL_COLUMNS = (
    "urn",
    "upn",
    "forename",
    "surname",
    "birth_date",
    "ncyear",
    "status",
    "band",
    "la_child_id",
)

# Each listed pupil's attendance and suspensions in the academic year of the run's date
# (ever6.publish.pupil_attendance), by (urn, upn) of ``school_pupil``: pupil-level, like that list.
PUPIL_ATTENDANCE_TABLE = "pupil_attendance"
PUPIL_ATTENDANCE_COLUMNS = (
    "urn",
    "upn",
    "academic_year",
    "possible",
    "missed",
    "attendance",
    "persistent",
    "suspensions",
)

# The allocated worker and team of each child in the case-management extract, whether a plan is
# open at the run's date, and the batch it came from; and the events found in the data
# (ever6.cohort.safeguarding). Pupil-level: read only through the access layer's checks.
ALLOCATION_TABLE = "allocation"
EVENT_TABLE = "safeguarding_event"

# Each published figure is kept twice in ``metric_suppressed``: ``value``, the text the DfE shows
# ("12.3", or a symbol: c, z, x, low), and ``figure``, the number that text shows (NULL when it is
# a symbol), so that no reader parses text back into numbers.
FIGURE_COLUMN = "figure"

# Columns a reader needs that snapshots written by earlier versions lack: such a snapshot is
# replaced by the next refresh, and until then the web says a refresh is needed.
REQUIRED_COLUMNS = {"metric_suppressed": (FIGURE_COLUMN,)}

# The cohort's profile (ever6.metrics.profile): counts of children by status and characteristic at
# the run's date and the same day of each earlier year the measures hold; exact, and as shared
# outside the Virtual School (suppressed, with ``figure`` beside ``value`` as above).
PROFILE_TABLE = "profile"
PROFILE_SUPPRESSED_TABLE = "profile_suppressed"
