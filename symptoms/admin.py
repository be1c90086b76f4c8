import json

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from core.audit import health_data_access_record
from symptoms.models import SymptomCheck

HEALTH_DATA_PERMISSION = "symptoms.view_health_data"


@admin.register(SymptomCheck)
class SymptomCheckAdmin(admin.ModelAdmin):
    """Staff see that checks exist and how many (counted by instrument and date); answers, totals and bands follow
    the questionnaire answers' rule: only on one check's page, only with view_health_data, each read recorded for
    its owner to see. Lists, filters and search never touch them."""

    list_display = ["created_at", "owner", "instrument"]
    list_filter = ["instrument", "created_at"]
    search_fields = ["owner__email", "=id"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    fields = ["id", "owner", "instrument", "created_at", "total", "band", "safety_flag", "answers_display"]
    health_data_fields = ("total", "band", "safety_flag", "answers_display")

    def get_fields(self, request: HttpRequest, obj=None):
        if request.user.has_perm(HEALTH_DATA_PERMISSION):
            return self.fields
        return [name for name in self.fields if name not in self.health_data_fields]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.get_fields(request, obj)

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # A hand-made ?band=severe or ?answers__phq9_9=1 list would say whose answer is what: refused.
        if lookup.split("__", 1)[0] in SymptomCheck.HEALTH_DATA_FIELDS:
            return False
        return super().lookup_allowed(lookup, value, request)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200 and request.user.has_perm(HEALTH_DATA_PERMISSION):
            check = self.get_object(request, object_id)
            if check is not None:
                health_data_access_record(
                    request=request,
                    instance=check,
                    owner_id=check.owner_id,
                    what=f"{check.definition.name} answers and score",
                    record_date=check.created_at.date(),
                )
        return response

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
