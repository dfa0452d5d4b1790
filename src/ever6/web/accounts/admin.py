from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from ever6.access import AuditEntry
from ever6.web.accounts.models import User


def _audit(request: HttpRequest, what: str, obj: Any, message: Any) -> None:
    """Account changes a superuser makes in Django's admin go to the audit log too."""
    from ever6.web.audit.models import record
    from ever6.web.guard import viewer

    detail = {"admin": str(message)} if message else {}
    record(request, viewer(request), AuditEntry("account", what, obj.get_username(), detail=detail))


@admin.register(User)
class Ever6UserAdmin(UserAdmin):
    list_display = ("username", "email", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    fieldsets = (*UserAdmin.fieldsets, ("ever6", {"fields": ("role", "schools")}))
    filter_horizontal = ("schools",)

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        _audit(request, "account_created", obj, message)
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        _audit(request, "account_changed_in_admin", obj, message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            _audit(request, "account_deleted", obj, None)
        return super().log_deletions(request, queryset)
