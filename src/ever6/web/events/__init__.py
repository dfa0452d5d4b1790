"""Telling the social worker (docs/notifications.md): events for children with an open plan, from
the data at each refresh and from schools in the portal; an email to the allocated worker with no
detail of the child; the worker's view and acknowledgement; the Virtual School's cohort-level record.
"""
