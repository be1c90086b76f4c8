from django.contrib import admin
from django.db import models

from core.models import AccountErasure, HelpResource


@admin.register(HelpResource)
class HelpResourceAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "language", "region", "phone", "text", "url", "order", "is_active"]
    list_editable = ["order", "is_active"]
    list_filter = ["is_active", "country", "language"]
    search_fields = ["name", "description", "region"]
    ordering = ["order", "name"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(AccountErasure)
class AccountErasureAdmin(admin.ModelAdmin):
    """Read-only: rows are written by the account deletion service."""

    list_display = ["erased_on", "screenings", "credits_granted", "credits_spent", "credits_forfeited"]
    date_hierarchy = "erased_on"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
