"""The training programme (partnership roles), one module per feature: courses, sessions,
registrations, feedback, coverage of schools with Ever6 CWSW pupils, and bulk import.

Every list downloads as CSV and Excel.
"""
