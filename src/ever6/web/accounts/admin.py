from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from ever6.web.accounts.models import User


@admin.register(User)
class Ever6UserAdmin(UserAdmin):
    list_display = ("username", "email", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    fieldsets = (*UserAdmin.fieldsets, ("ever6", {"fields": ("role", "schools")}))
    filter_horizontal = ("schools",)
