"""The ever6 web service: a Django project styled with the GOV.UK Design System.

It reads figures and pupil lists only through :mod:`ever6.access` (permission-checked, audited),
from the snapshot each ``ever6 refresh`` publishes; it never recomputes the cohort per request.
"""
