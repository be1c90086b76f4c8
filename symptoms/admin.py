import json

from django.contrib import admin
from django.utils.html import format_html

from core.audit import HealthDataAdminMixin
from symptoms.models import SymptomCheck

HEALTH_DATA_PERMISSION = "symptoms.view_health_data"


@admin.register(SymptomCheck)
class SymptomCheckAdmin(HealthDataAdminMixin):
    """Staff see that checks exist and how many (counted by instrument and date); answers, totals and bands follow
    the questionnaire answers' rule: only on one check's page, only with view_health_data, each read recorded for
    its owner to see. Lists, filters and search never touch them."""

    list_display = ["created_at", "owner", "instrument"]
    list_filter = ["instrument", "created_at"]
    search_fields = ["owner__email", "=id"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    fields = ["id", "owner", "instrument", "created_at", "total", "band", "safety_flag", "answers_display"]
    health_data_permission = HEALTH_DATA_PERMISSION
    health_data_fields = ("total", "band", "safety_flag", "answers_display")
    health_data_lookups = tuple(SymptomCheck.HEALTH_DATA_FIELDS)

    def health_data_what(self, obj: SymptomCheck) -> str:
        return f"{obj.definition.name} answers and score"

    @admin.display(description="answers")
    def answers_display(self, obj: SymptomCheck):
        return format_html("<pre>{}</pre>", json.dumps(obj.answers, indent=2, sort_keys=True))
