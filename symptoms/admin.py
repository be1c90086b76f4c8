import json

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from symptoms.models import SymptomCheck


@admin.register(SymptomCheck)
class SymptomCheckAdmin(admin.ModelAdmin):
    """Staff see that checks exist and how many (the changelist counts them, filterable by instrument and date).
    Item answers follow the questionnaire answers' rule: read-only, shown only on a check's own page."""

    list_display = ["created_at", "owner", "instrument", "band", "total"]
    list_filter = ["instrument", "created_at"]
    search_fields = ["owner__email", "=id"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    show_full_result_count = True
    fields = ["id", "owner", "instrument", "total", "band", "safety_flag", "answers_display", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Health data leaves only with its owner's account deletion.
        return False

    @admin.display(description="answers")
    def answers_display(self, obj: SymptomCheck):
        return format_html("<pre>{}</pre>", json.dumps(obj.answers, indent=2, sort_keys=True))
