"""The email outbox: every email ever6 sends is a row here first, delivered by a worker with retries.

One row per recipient, idempotent on (kind, reference, to), so a message is queued once however
often the code that raises it runs; :func:`ever6.web.outbox.service.deliver_due` sends what is due.
"""
