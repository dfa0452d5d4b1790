"""Database triggers that make the audit log append-only (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

_INSTALL = {
    "sqlite": [
        """CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_auditevent
           BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
        """CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_auditevent
           BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql""",
        "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent",
        """CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
           FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    ],
}
_REMOVE = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_event_no_update", "DROP TRIGGER IF EXISTS audit_event_no_delete"],
    "postgresql": ["DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent"],
}


def install(connection: Any) -> None:
    with connection.cursor() as cursor:
        for sql in _INSTALL.get(connection.vendor, []):
            cursor.execute(sql)


def remove(connection: Any) -> None:
    """Only for a migration backwards, and for emptying a test database between tests."""
    with connection.cursor() as cursor:
        for sql in _REMOVE.get(connection.vendor, []):
            cursor.execute(sql)
