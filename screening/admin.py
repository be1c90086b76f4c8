import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from core.audit import HealthDataAdminMixin
from core.exceptions import ApplicationError
from screening.models import Screening
from screening.services import screening_retry

HEALTH_DATA_PERMISSION = "screening.view_health_data"


@admin.register(Screening)
class ScreeningAdmin(HealthDataAdminMixin):
    """Status, model and money for everyone with view_screening; answers and results only on one screening's page,
    only with the view_health_data permission, and each such page view is recorded for its owner to see.

    Lists, filters and search never touch health data: a filter on band or an answer would reveal it row by row.
    """

    list_display = ["created_at", "owner", "model_key", "status", "cost", "model_version"]
    list_filter = ["status", "model_key", "created_at"]
    search_fields = ["owner__email", "=id"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    actions = ["retry_failed"]
    fields = [
        "id", "owner", "model_key", "status", "cost", "error_message", "probability", "interval_low",
        "interval_high", "risk_band", "base_rate", "model_version", "factors_display", "answers_display",
        "created_at", "queued_at", "started_at", "finished_at", "requeue_count", "retry_of", "idempotency_key",
        "task_id",
    ]  # fmt: skip
    health_data_permission = HEALTH_DATA_PERMISSION
    health_data_fields = (
        "probability", "interval_low", "interval_high", "risk_band", "base_rate", "factors_display", "answers_display"
    )  # fmt: skip
    health_data_lookups = tuple(Screening.HEALTH_DATA_FIELDS)

    def health_data_what(self, obj: Screening) -> str:
        return "answers and result"

    @admin.display(description="factors")
    def factors_display(self, obj: Screening):
        return format_html("<pre>{}</pre>", json.dumps(obj.factors, indent=2))

    @admin.display(description="answers")
    def answers_display(self, obj: Screening):
        return format_html("<pre>{}</pre>", json.dumps(obj.answers, indent=2, sort_keys=True))

    def has_retry_permission(self, request: HttpRequest) -> bool:
        # A retry charges the person again, so viewing screenings is not enough.
        return request.user.has_perm("screening.change_screening")

    @admin.action(description="Retry the selected failed screenings (charged as new screenings)", permissions=["retry"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Screening]) -> None:
        retried = 0
        for screening in queryset.select_related("owner"):
            try:
                screening_retry(screening=screening)
                retried += 1
            except ApplicationError as error:
                self.message_user(request, f"{screening.id}: {error.message}", level=messages.WARNING)
        if retried:
            self.message_user(request, f"{retried} screening(s) queued again.", level=messages.SUCCESS)
