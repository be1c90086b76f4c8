"""Every field of the data export, against an allow-list: a new field leaves the site only on purpose.

The outside probe found staff's internal grant reason in the export, although the admin form says it is never
shown to the person.
"""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from billing.services import wallet_adjust
from privacy.services import user_export
from reminders.services import reminder_preference_set
from sharing.services import share_link_create
from symptoms.services import symptom_check_submit
from tests.factories import ScreeningFactory

pytestmark = pytest.mark.django_db

INTERNAL_REASON = "internal: goodwill after support ticket 4411"

# Every path in the export: a list's items are written "[]".
ALLOWED = {
    "format", "exported_at",
    "profile", "profile.email", "profile.display_name", "profile.country", "profile.date_joined",
    "profile.last_login",
    "balance", "balance.available", "balance.held",
    "screenings", "screenings[]", "screenings[].id", "screenings[].created_at", "screenings[].finished_at",
    "screenings[].model", "screenings[].status", "screenings[].cost", "screenings[].answers",
    "screenings[].answers.*", "screenings[].result", "screenings[].result.probability",
    "screenings[].result.risk_band", "screenings[].result.factors", "screenings[].result.factors[]",
    "screenings[].result.factors[].*", "screenings[].result.what_ifs", "screenings[].result.model_version",
    "screenings[].result.base_rate", "screenings[].result.interval_low", "screenings[].result.interval_high",
    "screenings[].error_message",
    "symptom_checks", "symptom_checks[]", "symptom_checks[].id", "symptom_checks[].created_at",
    "symptom_checks[].instrument", "symptom_checks[].answers", "symptom_checks[].answers.*",
    "symptom_checks[].total", "symptom_checks[].band", "symptom_checks[].safety_flag",
    "share_links", "share_links[]", "share_links[].id", "share_links[].created_at", "share_links[].expires_at",
    "share_links[].revoked_at", "share_links[].contents", "share_links[].language", "share_links[].show_name",
    "share_links[].openings",
    "reminders", "reminders.enabled", "reminders.cadence_weeks", "reminders.started_at", "reminders.next_due_on",
    "reminders.sent", "reminders.sent[]",
    "ledger", "ledger[]", "ledger[].created_at", "ledger[].kind", "ledger[].amount", "ledger[].available_after",
    "ledger[].held_after", "ledger[].description", "ledger[].screening_id",
}  # fmt: skip
# Free-form objects whose keys are the person's own answers or the model's explanation, not fields of ours.
OPEN = ("screenings[].answers", "screenings[].result.factors[]", "symptom_checks[].answers")


def paths(value, prefix: str = "") -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            if prefix in OPEN:
                found.add(f"{prefix}.*")
                continue
            found |= {path} | paths(item, path)
    elif isinstance(value, list):
        for item in value:
            found |= {f"{prefix}[]"} | paths(item, f"{prefix}[]")
    return found


def test_every_exported_field_is_on_the_allow_list_and_no_staff_reason_leaves(member):
    staff = get_user_model().objects.create_superuser(email="grants@example.com", password="x-long-password-1")
    wallet_adjust(user=member, amount=3, author=staff, reason=INTERNAL_REASON, description="Credits back")
    ScreeningFactory(
        owner=member, status="done", probability=0.2, risk_band="moderate", finished_at=timezone.now(),
        factors=[{"key": "age", "text": "t", "direction": "raises", "contribution": 0.1}],
    )  # fmt: skip
    symptom_check_submit(user=member, instrument_key="gad7", answers={f"gad7_{n}": 1 for n in range(1, 8)})
    share_link_create(user=member, language="en")
    reminder_preference_set(user=member, cadence_weeks=3)

    export = user_export(user=member)

    assert paths(export) - ALLOWED == set()
    assert INTERNAL_REASON not in str(export)
    assert "Credits back" in str(export)  # what the person was shown stays
