"""Staff reads of a person's health data, recorded with django-auditlog's access log.

Each record says who (the staff account), whom (the owner's id), what (which kind of record, by id) and when. It
holds ids only, never an answer or a result, so the audit trail is not a second copy of the health data.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime

from auditlog.models import LogEntry
from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class HealthDataAccess:
    viewed_at: datetime
    object_pk: str
    what: str
    record_date: date | None  # the day of the record that was viewed (a check's day), so the person can tell which


def health_data_access_record(
    *, request: HttpRequest, instance: models.Model, owner_id: int, what: str, record_date: date
) -> LogEntry:
    """Record that the staff member behind `request` has just been shown `instance`, which belongs to `owner_id`."""
    return LogEntry.objects.log_create(
        instance,
        force_log=True,
        action=LogEntry.Action.ACCESS,
        actor=request.user,
        actor_email=request.user.email,
        remote_addr=request.META.get("REMOTE_ADDR"),
        additional_data={"owner_id": owner_id, "what": what, "record_date": record_date.isoformat()},
    )


def health_data_access_list(*, owner_id: int) -> list[HealthDataAccess]:
    """Every staff read of this person's health data, newest first."""
    entries = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, additional_data__owner_id=owner_id).order_by(
        "-timestamp"
    )
    return [
        HealthDataAccess(
            viewed_at=e.timestamp,
            object_pk=e.object_pk,
            what=what_in_words((e.additional_data or {}).get("what", "")),
            record_date=_parse_date((e.additional_data or {}).get("record_date")),
        )
        for e in entries
    ]


_NAMED = re.compile(r"^(?P<name>\S+) answers and score$")


def what_in_words(what: str) -> str:
    """What was viewed, stored in English by the admin ("answers and result", "PHQ-9 answers and score"), in the
    reader's language; anything else as stored."""
    if what == "answers and result":
        return _("answers and result")
    named = _NAMED.match(what)
    if named:
        return _("%(name)s answers and score") % {"name": named["name"]}
    return what


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


class HealthDataAdminMixin(admin.ModelAdmin):
    """The admin's rule for a person's health data: read-only, shown only on one record's page to staff with
    `health_data_permission`, each such view recorded for the owner; lists, filters and search never touch it.

    A subclass names the permission, the fields its page hides without it (`health_data_fields`), the model fields
    no URL may filter on (`health_data_lookups`) and, in `health_data_what`, what the owner is told was viewed.
    """

    health_data_permission: str = ""
    health_data_fields: tuple[str, ...] = ()
    health_data_lookups: tuple[str, ...] = ()

    def health_data_what(self, obj) -> str:
        raise NotImplementedError

    def get_fields(self, request: HttpRequest, obj=None):
        if request.user.has_perm(self.health_data_permission):
            return self.fields
        return [name for name in self.fields if name not in self.health_data_fields]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.get_fields(request, obj)

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # Django allows any lookup on a local field from the URL (?risk_band=high, ?answers__age=34); refused here,
        # so a list filtered by a hand-made URL cannot say whose band or answer is what.
        if lookup.split("__", 1)[0] in self.health_data_lookups:
            return False
        return super().lookup_allowed(lookup, value, request)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200 and request.user.has_perm(self.health_data_permission):
            obj = self.get_object(request, object_id)
            if obj is not None:
                health_data_access_record(
                    request=request,
                    instance=obj,
                    owner_id=obj.owner_id,
                    what=self.health_data_what(obj),
                    record_date=obj.created_at.date(),
                )
        return response

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Health data leaves only with its owner's account deletion.
        return False
