"""What a person reads about credits, and what staff do when they change them."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from billing.models import LedgerEntry
from billing.services import wallet_capture, wallet_hold, wallet_release
from tests.factories import ScreeningFactory

pytestmark = pytest.mark.django_db


def credits_page(client, user) -> str:
    client.force_login(user)
    return client.get(reverse("billing:credits")).content.decode()


def test_a_finished_check_is_one_line_charged(client, member):
    screening = ScreeningFactory(owner=member, model_key="forest", cost=3)
    wallet_hold(user=member, amount=3, screening_id=screening.id)
    wallet_capture(user=screening.owner, screening_id=screening.id, model_name=screening.get_model_key_display())

    page = credits_page(client, member)

    assert "Check with the Random forest model: 3 credits spent" in page
    assert "set aside for a check" not in page
    rows = client.get(reverse("billing:credits")).context["page"].object_list
    assert [(e.kind, e.change_for_person) for e in rows] == [("capture", -3), ("grant", 10)]
    # Both halves stay in the data.
    assert LedgerEntry.objects.filter(screening=screening).count() == 2


def test_a_failed_check_is_one_line_returned_with_nothing_charged(client, member):
    screening = ScreeningFactory(owner=member, cost=1)
    wallet_hold(user=member, amount=1, screening_id=screening.id)
    wallet_release(user=screening.owner, screening_id=screening.id, model_name=screening.get_model_key_display())

    page = credits_page(client, member)
    rows = client.get(reverse("billing:credits")).context["page"].object_list

    assert [e.kind for e in rows] == ["release", "grant"]
    assert "did not finish: 1 credit returned" in page


def test_a_check_in_progress_shows_its_credits_set_aside(client, member):
    wallet_hold(user=member, amount=5, screening_id=ScreeningFactory(owner=member, cost=5).id)

    page = credits_page(client, member)

    assert "5 credits set aside for a check (in progress)" in page


def test_the_credits_page_says_when_the_next_allowance_arrives(client, member, settings):
    settings.MONTHLY_ALLOWANCE_CREDITS = 10
    page = credits_page(client, member)

    assert "Your next 10 free credits arrive on" in page


def test_home_and_sign_up_say_what_checks_cost_and_that_the_allowance_renews(client, settings):
    settings.PREDICTOR_MODEL_COSTS = {"logistic": 1, "forest": 3, "xgboost": 5, "ensemble": 7}
    settings.MONTHLY_ALLOWANCE_CREDITS = 10
    settings.WELCOME_CREDITS = 10
    for url in (reverse("home"), reverse("accounts:signup")):
        page = " ".join(client.get(url).content.decode().split())
        assert "Each check costs 1 to 7 credits, depending on the model you choose." in page
        assert "You start with 10 free credits, and get 10 more free on the first day of every month." in page
        assert "resources are always free." in page


def staff_post(client, member, **fields):
    data = {"action": "change_credits", ACTION_CHECKBOX_NAME: [member.pk], "apply": "1", **fields}
    return client.post(reverse("admin:accounts_user_changelist"), data)


def test_the_person_sees_the_staff_description_and_never_the_internal_reason(client, staff, member):
    client.force_login(staff)
    staff_post(
        client,
        member,
        kind="grant",
        amount="5",
        description="Credits back for the outage on 3 May",
        reason="Ticket 4411: complained twice, escalated by Sam",
    )

    page = credits_page(client, member)
    assert "Credits back for the outage on 3 May" in page
    assert "Ticket 4411" not in page
    api = client.get(reverse("api-billing-ledger")).content.decode()
    assert "Ticket 4411" not in api


def test_a_staff_grant_without_a_description_reads_plainly(client, staff, member):
    client.force_login(staff)
    staff_post(client, member, kind="grant", amount="1", reason="goodwill")

    entry = LedgerEntry.objects.filter(wallet__user=member).latest("id")
    assert entry.description == "1 credit added by our team"


def test_a_large_grant_asks_for_confirmation_before_anything_changes(client, staff, member, settings):
    settings.STAFF_GRANT_CONFIRM_ABOVE = 50
    client.force_login(staff)

    first = staff_post(client, member, kind="grant", amount="1000000", description="Thanks", reason="typo test")

    assert first.status_code == 200
    body = first.content.decode()
    assert "Confirm a large change" in body
    assert "That is more than 50 credits. Check the amount, then tick to confirm." in body
    assert LedgerEntry.objects.filter(wallet__user=member).count() == 1
    member.wallet.refresh_from_db()
    assert member.wallet.available == 10

    staff_post(client, member, kind="grant", amount="60", description="Thanks", reason="bulk apology", confirm="on")

    member.wallet.refresh_from_db()
    assert member.wallet.available == 70


def test_the_audit_records_what_the_person_sees_the_reason_and_the_confirmation(client, staff, member, settings):
    settings.STAFF_GRANT_CONFIRM_ABOVE = 50
    client.force_login(staff)
    staff_post(client, member, kind="grant", amount="60", description="Sorry", reason="Outage #12", confirm="on")

    log = LogEntry.objects.get(object_id=str(member.pk))
    assert log.user == staff
    message = log.get_change_message()
    assert '"Sorry"' in message
    assert '"Outage #12"' in message
    assert "Confirmed as a change above 50 credits." in message
    entry = LedgerEntry.objects.filter(wallet__user=member).latest("id")
    assert (entry.description, entry.reason, entry.author) == ("Sorry", "Outage #12", staff)


def test_a_small_grant_needs_no_confirmation(client, staff, member, settings):
    settings.STAFF_GRANT_CONFIRM_ABOVE = 50
    client.force_login(staff)
    staff_post(client, member, kind="adjustment", amount="-10", reason="double grant")

    member.wallet.refresh_from_db()
    assert member.wallet.available == 0
    assert "Confirmed" not in LogEntry.objects.get(object_id=str(member.pk)).get_change_message()
