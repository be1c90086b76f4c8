from django.contrib import admin

from reminders.models import Reminder


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """Read-only: staff look into a failed or cancelled reminder by its id; only the beat writes these rows."""

    list_display = ["id", "person_id", "due_on", "status", "attempts", "claimed_at", "finished_at"]
    list_filter = ["status", "due_on"]
    search_fields = ["=id", "=person__id"]
    ordering = ["-due_on", "-id"]
    readonly_fields = [field.name for field in Reminder._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
