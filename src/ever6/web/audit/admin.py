from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ever6.web.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only, even for a superuser."""

    list_display = ("at", "username", "role", "action", "what", "object_id", "rows")
    list_filter = ("action", "what", "role")
    search_fields = ("username", "object_id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
