import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from billing.models import LedgerEntry

pytestmark = pytest.mark.django_db


def test_staff_grant_credits_with_a_reason_through_the_action(client, staff, member):
    client.force_login(staff)
    url = reverse("admin:accounts_user_changelist")

    form_page = client.post(url, {"action": "change_credits", ACTION_CHECKBOX_NAME: [member.pk]})
    assert "Grant or adjust credits" in form_page.content.decode()

    client.post(
        url,
        {
            "action": "change_credits",
            ACTION_CHECKBOX_NAME: [member.pk],
            "apply": "1",
            "kind": "grant",
            "amount": "5",
            "reason": "Thanks for the bug report",
        },
    )

    entry = LedgerEntry.objects.filter(wallet__user=member).latest("id")
    assert (entry.kind, entry.amount, entry.author, entry.reason) == ("grant", 5, staff, "Thanks for the bug report")
    member.wallet.refresh_from_db()
    assert member.wallet.available == 15
    user_page = client.get(reverse("admin:accounts_user_change", args=[member.pk])).content.decode()
    assert "Thanks for the bug report" in user_page


def test_a_grant_without_a_reason_is_asked_again(client, staff, member):
    client.force_login(staff)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "change_credits", ACTION_CHECKBOX_NAME: [member.pk], "apply": "1", "kind": "grant", "amount": "-2"},
    )

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert LedgerEntry.objects.filter(wallet__user=member).count() == 1


def test_a_member_cannot_open_the_admin(client, member):
    client.force_login(member)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_ledger_rows_and_wallets_are_read_only_in_the_admin(client, staff, member):
    client.force_login(staff)
    entry = LedgerEntry.objects.get(wallet__user=member)

    change_page = client.get(reverse("admin:billing_ledgerentry_change", args=[entry.pk]))
    assert change_page.status_code == 200
    assert 'name="amount"' not in change_page.content.decode()
    assert client.post(reverse("admin:billing_ledgerentry_change", args=[entry.pk]), {"amount": 99}).status_code == 403
    assert client.get(reverse("admin:billing_ledgerentry_delete", args=[entry.pk])).status_code == 403
    assert client.get(reverse("admin:billing_wallet_add")).status_code == 403
    assert client.get(reverse("admin:accounts_user_changelist") + "?q=member").status_code == 200
