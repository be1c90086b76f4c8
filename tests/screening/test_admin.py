import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.urls import reverse

from billing.models import LedgerEntry
from screening.models import Screening
from screening.services import screening_fail, screening_submit
from tests.factories import enrol_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(django_user_model, password):
    """Staff who may look at users and screenings but not change them."""
    user = django_user_model.objects.create_user(email="viewer@example.com", password=password, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_user", "view_screening", "view_ledgerentry"])
    )
    enrol_second_factor(user)
    return user


def test_staff_who_can_only_view_cannot_mint_credits(client, viewer, member):
    client.force_login(viewer)
    url = reverse("admin:accounts_user_changelist")

    changelist = client.get(url).content.decode()
    client.post(
        url,
        {"action": "change_credits", ACTION_CHECKBOX_NAME: [member.pk], "apply": "1", "kind": "grant",
         "amount": "1000", "reason": "me"},
    )  # fmt: skip

    assert "change_credits" not in changelist
    assert LedgerEntry.objects.filter(wallet__user=member).count() == 1


def test_staff_who_can_only_view_cannot_retry_a_screening(client, viewer, member, answers):
    failed = screening_submit(user=member, model_key="logistic", answers=answers).screening
    screening_fail(screening_id=failed.id, message="x", reason="test")
    client.force_login(viewer)

    client.post(
        reverse("admin:screening_screening_changelist"), {"action": "retry_failed", ACTION_CHECKBOX_NAME: [failed.pk]}
    )

    assert Screening.objects.count() == 1


def test_staff_filter_screenings_and_retry_a_failed_one(client, staff, member, answers):
    failed = screening_submit(user=member, model_key="logistic", answers=answers).screening
    screening_fail(screening_id=failed.id, message="x", reason="test")
    client.force_login(staff)
    url = reverse("admin:screening_screening_changelist")

    listing = client.get(url, {"status__exact": "failed", "q": "member@"}).content.decode()
    client.post(url, {"action": "retry_failed", ACTION_CHECKBOX_NAME: [failed.pk]})

    assert str(failed.pk) in listing
    assert Screening.objects.get(retry_of=failed).owner == member
    assert client.get(reverse("admin:screening_screening_change", args=[failed.pk])).status_code == 200
    assert client.get(reverse("admin:screening_screening_delete", args=[failed.pk])).status_code == 403
