"""``python -m ever6.web sync_schools``: bring the schools register up to date with the published GIAS list."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ever6.access import NotPublished
from ever6.web.schools.sync import sync_schools


class Command(BaseCommand):  # type: ignore[misc,unused-ignore]
    help = "Add schools new to the published GIAS list to the schools register and refresh known ones."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            added, updated = sync_schools()
        except NotPublished as exc:
            raise CommandError(f"{exc}: run `ever6 refresh` first") from exc
        self.stdout.write(f"Schools register: {added} added, {updated} updated.")
