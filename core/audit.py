"""Staff reads of a person's health data, recorded with django-auditlog's access log.

Each record says who (the staff account), whom (the owner's id), what (which kind of record, by id) and when. It
holds ids only, never an answer or a result, so the audit trail is not a second copy of the health data.
"""

from dataclasses import dataclass
from datetime import date, datetime

from auditlog.models import LogEntry
from django.db import models
from django.http import HttpRequest


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
            what=(e.additional_data or {}).get("what", ""),
            record_date=_parse_date((e.additional_data or {}).get("record_date")),
        )
        for e in entries
    ]


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
