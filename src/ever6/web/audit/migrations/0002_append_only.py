"""The database itself refuses to change or delete audit events (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from ever6.web.audit import triggers


def forwards(apps: Any, schema_editor: Any) -> None:
    triggers.install(schema_editor.connection)


def backwards(apps: Any, schema_editor: Any) -> None:
    triggers.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
