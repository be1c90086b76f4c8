import pytest
from django.urls import reverse

from reminders.models import Reminder

pytestmark = pytest.mark.django_db


def test_staff_find_a_failed_reminder_by_status_and_cannot_edit_it(client, staff, member):
    reminder = Reminder.objects.create(person=member, due_on="2026-12-07", status=Reminder.Status.FAILED, attempts=4)
    client.force_login(staff)

    listing = client.get(reverse("admin:reminders_reminder_changelist"), {"status__exact": "failed"})
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1
    assert member.email not in listing.content.decode()

    page = client.get(reverse("admin:reminders_reminder_change", args=[reminder.pk]))
    assert page.status_code == 200
    assert b'name="status"' not in page.content  # read-only
    change = reverse("admin:reminders_reminder_change", args=[reminder.pk])
    assert client.post(change, {"status": "sent"}).status_code == 403
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.FAILED
