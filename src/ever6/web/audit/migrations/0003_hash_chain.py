"""Chain each audit event to the one before by an HMAC (ever6.web.audit.chain).

Entries already in the log are chained here, in id order: the append-only triggers are lifted
for that and put back (SQLite drops them anyway when it rebuilds the table for the new column).
"""

from __future__ import annotations

from typing import Any

import django.utils.timezone
from django.db import migrations, models

from ever6.web.audit import chain, triggers


def chain_existing(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    event_model = apps.get_model("audit", "AuditEvent")
    triggers.remove(connection)
    events = event_model.objects.using(connection.alias).order_by("id")
    if events.exists():
        secret, previous, last = chain.key(), "", None
        for event in events.iterator(chunk_size=2000):
            previous = chain.link(secret, previous, event)
            event_model.objects.using(connection.alias).filter(pk=event.pk).update(chain_hash=previous)
            last = event.pk
        if last is not None:
            chain.write_head(last, previous)
    triggers.install(connection)


def unchain(apps: Any, schema_editor: Any) -> None:
    triggers.remove(schema_editor.connection)  # so the column can go; 0002 backwards is a no-op then


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]
    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="chain_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False),
        ),
        migrations.RunPython(chain_existing, unchain),
    ]
