import pytest
from django.db import IntegrityError, transaction

from billing.exceptions import BillingError, InsufficientCredits
from billing.models import LedgerEntry, Wallet
from billing.selectors import wallet_audit, wallet_balance
from billing.services import wallet_adjust, wallet_capture, wallet_grant, wallet_hold, wallet_release
from tests.factories import ScreeningFactory

pytestmark = pytest.mark.django_db
Kind = LedgerEntry.Kind
# A refusal inside the caller's transaction marks it for rollback (the services join it without a savepoint); a
# caller that carries on after one, as these tests do, opens a savepoint of its own.


def kinds(user):
    return list(LedgerEntry.objects.filter(wallet__user=user).order_by("id").values_list("kind", "amount"))


def test_a_new_wallet_holds_the_welcome_grant(member):
    assert wallet_balance(user=member) == {"available": 10, "held": 0}
    assert kinds(member) == [(Kind.GRANT, 10)]


# new_screening: the submission's hold, one statement on PostgreSQL; the same outcome either way.
@pytest.mark.parametrize("new_screening", [False, True])
def test_hold_then_capture_spends_the_credits(member, new_screening):
    screening = ScreeningFactory(owner=member, cost=3)

    hold = wallet_hold(user=member, amount=3, screening_id=screening.id, new_screening=new_screening)
    assert (hold.kind, hold.amount, hold.available_after, hold.held_after) == (Kind.HOLD, -3, 7, 3)
    assert LedgerEntry.objects.get(pk=hold.pk).description == "3 credits set aside for a check"
    capture = wallet_capture(user=screening.owner, screening_id=screening.id, model_name="Logistic regression")

    assert (capture.amount, capture.available_after, capture.held_after) == (-3, 7, 0)
    assert wallet_balance(user=member) == {"available": 7, "held": 0}
    assert wallet_audit() == []


def test_hold_then_release_gives_the_credits_back(member):
    screening = ScreeningFactory(owner=member, cost=5)
    wallet_hold(user=member, amount=5, screening_id=screening.id)

    release = wallet_release(user=screening.owner, screening_id=screening.id, model_name="Logistic regression")

    assert (release.amount, release.available_after, release.held_after) == (5, 10, 0)
    assert kinds(member) == [(Kind.GRANT, 10), (Kind.HOLD, -5), (Kind.RELEASE, 5)]
    assert wallet_audit() == []


def test_each_step_called_twice_changes_nothing_the_second_time(member):
    screening = ScreeningFactory(owner=member, cost=2)

    first_hold = wallet_hold(user=member, amount=2, screening_id=screening.id)
    assert wallet_hold(user=member, amount=2, screening_id=screening.id) == first_hold
    first_capture = wallet_capture(user=screening.owner, screening_id=screening.id, model_name="Logistic regression")
    assert (
        wallet_capture(user=screening.owner, screening_id=screening.id, model_name="Logistic regression")
        == first_capture
    )

    assert wallet_balance(user=member) == {"available": 8, "held": 0}
    assert len(kinds(member)) == 3


def test_a_captured_screening_cannot_also_be_released(member):
    screening = ScreeningFactory(owner=member)
    wallet_hold(user=member, amount=1, screening_id=screening.id)
    wallet_capture(user=screening.owner, screening_id=screening.id, model_name="Logistic regression")

    with pytest.raises(BillingError, match="already captured"), transaction.atomic():
        wallet_release(user=screening.owner, screening_id=screening.id, model_name="Logistic regression")
    assert wallet_balance(user=member) == {"available": 9, "held": 0}


def test_settling_a_screening_that_was_never_held_is_refused(member):
    with pytest.raises(BillingError, match="No credits were set aside"), transaction.atomic():
        wallet_capture(user=member, screening_id=ScreeningFactory(owner=member).id, model_name="Logistic regression")


@pytest.mark.parametrize("new_screening", [False, True])
def test_a_hold_beyond_the_balance_changes_nothing(member, new_screening):
    screening = ScreeningFactory(owner=member, model_key="ensemble", cost=11)

    with pytest.raises(InsufficientCredits) as error, transaction.atomic():
        wallet_hold(user=member, amount=11, screening_id=screening.id, new_screening=new_screening)

    assert error.value.status_code == 402
    assert error.value.extra == {"available": 10, "cost": 11}
    assert wallet_balance(user=member) == {"available": 10, "held": 0}
    assert kinds(member) == [(Kind.GRANT, 10)]


def test_staff_grants_and_adjustments_carry_author_and_reason(member, staff):
    grant = wallet_grant(user=member, amount=5, author=staff, reason="Apology for an outage")
    adjustment = wallet_adjust(user=member, amount=-3, author=staff, reason="Duplicate grant")

    assert (grant.author, grant.reason, grant.available_after) == (staff, "Apology for an outage", 15)
    assert (adjustment.amount, adjustment.available_after) == (-3, 12)
    assert wallet_audit() == []


def test_an_adjustment_cannot_take_a_balance_below_zero(member, staff):
    with pytest.raises(InsufficientCredits), transaction.atomic():
        wallet_adjust(user=member, amount=-11, author=staff, reason="too much")
    with pytest.raises(ValueError, match="reason"), transaction.atomic():
        wallet_adjust(user=member, amount=-1, author=staff, reason="  ")
    assert wallet_balance(user=member)["available"] == 10


def test_ledger_entries_can_be_neither_edited_nor_deleted(member):
    entry = LedgerEntry.objects.get(wallet__user=member)
    entry.amount = 1000

    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()


def test_the_database_refuses_a_negative_balance(member):
    with pytest.raises(IntegrityError), transaction.atomic():
        Wallet.objects.filter(user=member).update(available=-1)


def test_the_database_refuses_a_second_hold_for_one_screening(member):
    screening = ScreeningFactory(owner=member)
    hold = wallet_hold(user=member, amount=1, screening_id=screening.id)

    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            wallet=hold.wallet,
            kind=Kind.HOLD,
            amount=-1,
            available_after=8,
            held_after=2,
            screening=screening,
            description="duplicate",
        )
