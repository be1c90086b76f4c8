"""The monthly free allowance: once per person per month, held to that by the ledger's own constraint."""

import datetime
import threading

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from billing.models import LedgerEntry
from billing.selectors import allowance_next, allowance_period, wallet_audit, wallet_balance
from billing.services import allowance_grant, allowance_grant_month
from tests.factories import UserFactory

Kind = LedgerEntry.Kind
FIRST_OF_DECEMBER = datetime.datetime(2026, 12, 1, 0, 5, tzinfo=datetime.UTC)
NOVEMBER = datetime.datetime(2026, 11, 12, 9, 0, tzinfo=datetime.UTC)


def joined_in_november(user):
    type(user).objects.filter(pk=user.pk).update(date_joined=NOVEMBER)
    user.refresh_from_db()
    return user


def allowances(user) -> list[tuple[str, int]]:
    entries = LedgerEntry.objects.filter(wallet__user=user, kind=Kind.ALLOWANCE).order_by("id")
    return list(entries.values_list("period", "amount"))


@pytest.mark.django_db
def test_a_person_at_zero_receives_the_allowance_on_the_first_day_of_the_month(broke_member, settings):
    settings.MONTHLY_ALLOWANCE_CREDITS = 10
    joined_in_november(broke_member)
    assert wallet_balance(user=broke_member)["available"] == 0

    granted = allowance_grant_month(now=FIRST_OF_DECEMBER)

    assert granted >= 1
    assert wallet_balance(user=broke_member) == {"available": 10, "held": 0}
    assert allowances(broke_member) == [("2026-12", 10)]
    entry = LedgerEntry.objects.get(wallet__user=broke_member, kind=Kind.ALLOWANCE)
    assert entry.description == "Your free monthly 10 credits"
    assert wallet_audit() == []


@pytest.mark.django_db
def test_running_the_grant_again_in_the_same_month_gives_nothing_more(member):
    joined_in_november(member)
    allowance_grant_month(now=FIRST_OF_DECEMBER)

    assert allowance_grant_month(now=FIRST_OF_DECEMBER + datetime.timedelta(days=3, hours=5)) == 0
    assert allowances(member) == [("2026-12", 10)]
    assert wallet_balance(user=member)["available"] == 20


@pytest.mark.django_db
def test_next_month_brings_the_next_allowance(member):
    joined_in_november(member)
    allowance_grant_month(now=FIRST_OF_DECEMBER)
    allowance_grant_month(now=datetime.datetime(2027, 1, 1, 0, 5, tzinfo=datetime.UTC))

    assert allowances(member) == [("2026-12", 10), ("2027-01", 10)]


@pytest.mark.django_db
def test_someone_who_joined_this_month_waits_for_next_month(member):
    # The welcome credits stand in for the allowance in the month a person joins.
    type(member).objects.filter(pk=member.pk).update(date_joined=FIRST_OF_DECEMBER + datetime.timedelta(hours=2))
    member.refresh_from_db()

    assert allowance_grant_month(now=FIRST_OF_DECEMBER + datetime.timedelta(days=1)) == 0
    assert allowance_next(user=member, now=FIRST_OF_DECEMBER + datetime.timedelta(days=1)) == datetime.date(2027, 1, 1)


@pytest.mark.django_db
def test_deactivated_accounts_receive_nothing(member):
    joined_in_november(member)
    type(member).objects.filter(pk=member.pk).update(is_active=False)

    assert allowance_grant_month(now=FIRST_OF_DECEMBER) == 0


@pytest.mark.django_db
def test_the_next_allowance_is_today_while_it_is_due_and_the_first_of_next_month_once_received(member):
    joined_in_november(member)
    assert allowance_next(user=member, now=FIRST_OF_DECEMBER) == datetime.date(2026, 12, 1)

    allowance_grant_month(now=FIRST_OF_DECEMBER)

    assert allowance_next(user=member, now=FIRST_OF_DECEMBER) == datetime.date(2027, 1, 1)


@pytest.mark.django_db
def test_the_database_refuses_a_second_allowance_for_the_same_month(member):
    # Not the service's check: a raw second row for the same wallet and month is refused by the constraint.
    allowance_grant(user=member, period="2026-12")
    wallet = member.wallet
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            wallet=wallet, kind=Kind.ALLOWANCE, amount=10, available_after=30, held_after=0, period="2026-12"
        )


@pytest.mark.django_db
def test_an_allowance_must_name_its_month_and_nothing_else_may(member):
    wallet = member.wallet
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(wallet=wallet, kind=Kind.ALLOWANCE, amount=10, available_after=20, held_after=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            wallet=wallet, kind=Kind.GRANT, amount=10, available_after=20, held_after=0, period="2026-12"
        )


@pytest.mark.django_db
def test_a_zero_allowance_setting_turns_it_off(member, settings):
    settings.MONTHLY_ALLOWANCE_CREDITS = 0
    joined_in_november(member)

    assert allowance_grant_month(now=FIRST_OF_DECEMBER) == 0
    assert allowances(member) == []


def test_periods_are_utc_months():
    late_on_the_31st_in_new_york = datetime.datetime(
        2026, 12, 31, 20, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))
    )
    assert allowance_period(late_on_the_31st_in_new_york) == "2027-01"


def test_beat_runs_the_grant_every_hour(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["grant-monthly-allowance"]
    assert entry["task"] == "billing.tasks.grant_monthly_allowance"
    assert entry["schedule"].hour == set(range(24))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_beat_processes_granting_at_once_give_each_person_one_allowance():
    people = [joined_in_november(UserFactory()) for _ in range(6)]
    from billing.services import wallet_adjust

    staff = UserFactory(is_staff=True)
    wallet_adjust(user=people[0], amount=-10, author=staff, reason="persona at zero")
    barrier = threading.Barrier(2)
    granted: list[int] = []
    lock = threading.Lock()

    def beat():
        try:
            barrier.wait()
            count = allowance_grant_month(now=FIRST_OF_DECEMBER)
        finally:
            connection.close()
        with lock:
            granted.append(count)

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(granted) == 2
    assert sum(granted) == len(people)  # staff joined this month: not due
    for person in people:
        assert allowances(person) == [("2026-12", 10)]
    assert wallet_balance(user=people[0]) == {"available": 10, "held": 0}
    call_command("billing_audit")  # raises CommandError on any mismatch
