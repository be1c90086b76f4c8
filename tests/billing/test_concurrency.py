"""Row locks are real only on PostgreSQL; SQLite serialises whole transactions, which would prove nothing."""

import threading

import pytest
from django.core.management import call_command
from django.db import connection

from billing.exceptions import InsufficientCredits
from billing.selectors import wallet_balance
from billing.services import wallet_hold
from tests.factories import ScreeningFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


# new_screening: the submission's hold, one conditional UPDATE instead of a locked read and a write.
@pytest.mark.parametrize("new_screening", [False, True])
def test_twenty_concurrent_holds_on_ten_credits_let_exactly_ten_through(new_screening):
    user = UserFactory()
    screenings = [ScreeningFactory(owner=user, cost=1) for _ in range(20)]
    barrier = threading.Barrier(len(screenings))
    outcomes: list[str] = []
    lock = threading.Lock()

    def hold(screening):
        try:
            barrier.wait()
            wallet_hold(user=user, amount=1, screening_id=screening.id, new_screening=new_screening)
            result = "held"
        except InsufficientCredits:
            result = "insufficient"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=hold, args=(s,)) for s in screenings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["held"] * 10 + ["insufficient"] * 10
    assert wallet_balance(user=user) == {"available": 0, "held": 10}
    call_command("billing_audit")  # raises CommandError on any mismatch
