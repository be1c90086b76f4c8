"""Settling a scored batch: results stored and holds captured only for screenings still running under their claim.

One transaction of a fixed number of statements (screening.services._screening_complete_many), the same on
PostgreSQL and SQLite; the race with submissions and the sweep runs on PostgreSQL.
"""

import dataclasses
import threading

import pytest
from django.core.management import call_command
from django.db import connection

from billing.exceptions import BillingError
from billing.models import LedgerEntry
from billing.selectors import wallet_balance
from billing.services import wallet_grant, wallet_release
from predictor.services import predict
from screening import scoring, services
from screening.models import Screening
from screening.services import screening_claim_batch, screening_fail, screening_score, screening_submit
from tests.factories import ScreeningFactory

pytestmark = pytest.mark.django_db
Status = Screening.Status


def queued(user, answers, count, model_key="logistic"):
    return [
        screening_submit(user=user, model_key=model_key, answers={**answers, "age": 30 + n}).screening
        for n in range(count)
    ]


def claimed_and_scored(screening_id, limit) -> list[scoring.Scored]:
    claimed = screening_claim_batch(screening_id=screening_id, limit=limit)
    return [scoring.Scored(screening, predict(screening.model_key, screening.answers)) for screening in claimed]


def kinds(screening):
    return sorted(LedgerEntry.objects.filter(screening=screening).values_list("kind", flat=True))


def status(screening):
    return Screening.objects.get(id=screening.id).status


def test_a_settled_batch_stores_each_result_encrypted_and_captures_each_hold_once(member, outsider, answers):
    wallet_grant(user=member, amount=20)
    mine = queued(member, answers, 3)
    theirs = queued(outsider, answers, 2, model_key="forest")
    scored = claimed_and_scored(mine[0].id, limit=10)

    done = services._screening_complete_many(scored)

    assert {screening.id for screening in done} == {s.id for s in [*mine, *theirs]}
    for item in scored:
        stored = Screening.objects.get(id=item.screening.id)
        assert stored.status == Status.DONE
        assert stored.finished_at is not None
        assert (stored.probability, stored.risk_band, stored.factors, stored.model_version) == (
            item.prediction.probability,
            item.prediction.risk_band,
            item.prediction.factors,
            item.prediction.model_version,
        )
        interval = (item.prediction.interval_low, item.prediction.interval_high)
        assert (stored.interval_low, stored.interval_high) == interval
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT probability, risk_band, factors, base_rate FROM screening_screening WHERE id = %s",
                [item.screening.id.hex if connection.vendor == "sqlite" else item.screening.id],
            )
            raw = cursor.fetchone()
        assert all(column.startswith("gAAAAA") for column in raw), raw  # Fernet tokens, no plain value
        assert kinds(item.screening) == ["capture", "hold"]
    assert wallet_balance(user=member) == {"available": 30 - 3, "held": 0}
    assert wallet_balance(user=outsider) == {"available": 10 - 6, "held": 0}
    # A running balance per wallet, entry after entry, as one capture at a time would have written them.
    captures = LedgerEntry.objects.filter(wallet__user=member, kind="capture").order_by("id")
    held_after = list(captures.values_list("held_after", flat=True))
    assert held_after == [2, 1, 0]
    assert services._screening_complete_many(scored) == []  # a second delivery changes nothing
    call_command("billing_audit")


def test_a_screening_the_sweep_failed_meanwhile_keeps_its_failure_and_is_not_charged(member, answers):
    screenings = queued(member, answers, 3)
    scored = claimed_and_scored(screenings[0].id, limit=3)
    screening_fail(screening_id=screenings[1].id, message=services.TIMED_OUT_MESSAGE, reason="stuck")

    done = services._screening_complete_many(scored)

    assert {screening.id for screening in done} == {screenings[0].id, screenings[2].id}
    assert [status(s) for s in screenings] == [Status.DONE, Status.FAILED, Status.DONE]
    failed = Screening.objects.get(id=screenings[1].id)
    assert failed.probability is None
    assert kinds(screenings[1]) == ["hold", "release"]
    assert wallet_balance(user=member) == {"available": 10 - 2, "held": 0}
    call_command("billing_audit")


def test_a_screening_claimed_again_under_another_token_is_left_to_that_claim(member, answers):
    screenings = queued(member, answers, 3)
    scored = claimed_and_scored(screenings[0].id, limit=3)
    # Reclaimed from a worker thought lost and claimed by another one.
    Screening.objects.filter(id=screenings[2].id).update(claim_token=(scored[0].screening.claim_token or 0) + 1)

    done = services._screening_complete_many(scored)

    assert {screening.id for screening in done} == {screenings[0].id, screenings[1].id}
    assert status(screenings[2]) == Status.RUNNING
    assert Screening.objects.get(id=screenings[2].id).probability is None
    assert kinds(screenings[2]) == ["hold"]
    assert wallet_balance(user=member) == {"available": 10 - 3, "held": 1}


def test_a_result_the_database_refuses_fails_that_screening_alone_and_returns_its_credits(member, answers, monkeypatch):
    screenings = queued(member, answers, 3)

    def score_group(model_key, group):
        scored = [scoring.Scored(s, predict(model_key, s.answers)) for s in group]
        # No probability: a done screening without one breaks a constraint of the table.
        broken = next(i for i, item in enumerate(scored) if item.screening.id == screenings[1].id)
        scored[broken] = dataclasses.replace(
            scored[broken], prediction=dataclasses.replace(scored[broken].prediction, probability=None)
        )
        return scored

    monkeypatch.setattr(scoring, "_score_group", score_group)

    first = screening_score(screening_id=screenings[0].id)

    assert first.status == Status.DONE
    assert [status(s) for s in screenings] == [Status.DONE, Status.FAILED, Status.DONE]
    assert Screening.objects.get(id=screenings[1].id).error_message == services.FAILED_MESSAGE
    assert kinds(screenings[1]) == ["hold", "release"]
    assert [kinds(screenings[0]), kinds(screenings[2])] == [["capture", "hold"]] * 2
    assert wallet_balance(user=member) == {"available": 10 - 2, "held": 0}
    call_command("billing_audit")


def test_a_capture_billing_refuses_fails_that_screening_alone(member, answers):
    screenings = queued(member, answers, 3)
    claimed = screening_claim_batch(screening_id=screenings[0].id, limit=3)
    # Its credits were returned while it was still running: it cannot also be charged.
    wallet_release(user=member, screening_id=screenings[1].id, model_name="Logistic regression")

    finished = services._screening_settle(scoring.score_batch(claimed))

    assert {screening.id: screening.status for screening in finished} == {
        screenings[0].id: Status.DONE,
        screenings[1].id: Status.FAILED,
        screenings[2].id: Status.DONE,
    }
    assert [status(s) for s in screenings] == [Status.DONE, Status.FAILED, Status.DONE]
    assert Screening.objects.get(id=screenings[1].id).error_message == services.FAILED_MESSAGE
    assert kinds(screenings[1]) == ["hold", "release"]
    assert wallet_balance(user=member) == {"available": 10 - 2, "held": 0}
    call_command("billing_audit")


def test_a_screening_without_a_hold_is_not_finished_and_the_rest_of_its_batch_is(member, answers):
    screenings = queued(member, answers, 2)
    unheld = ScreeningFactory(owner=member, answers=answers, cost=1)  # made outside screening_submit: nothing held
    claimed = screening_claim_batch(screening_id=screenings[0].id, limit=3)
    assert {screening.id for screening in claimed} == {*(s.id for s in screenings), unheld.id}

    with pytest.raises(BillingError):  # it cannot be failed either: billing cannot return what it never set aside
        services._screening_settle(scoring.score_batch(claimed))

    assert status(unheld) == Status.RUNNING
    assert Screening.objects.get(id=unheld.id).probability is None
    assert kinds(unheld) == []
    assert [status(s) for s in screenings] == [Status.DONE, Status.DONE]
    assert wallet_balance(user=member) == {"available": 10 - 2, "held": 0}


def test_a_hold_of_another_amount_than_the_cost_is_captured_as_held(member, answers):
    (screening,) = queued(member, answers, 1)
    Screening.objects.filter(id=screening.id).update(cost=5)  # the price changed after the hold of 1
    scored = claimed_and_scored(screening.id, limit=1)

    (done,) = services._screening_complete_many(scored)

    assert done.status == Status.DONE
    assert LedgerEntry.objects.get(screening=screening, kind="capture").amount == -1
    assert wallet_balance(user=member) == {"available": 9, "held": 0}
    call_command("billing_audit")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_batches_over_the_same_wallets_settle_alongside_submissions_and_the_sweep_without_waiting_in_a_circle(
    answers, monkeypatch
):
    from tests.factories import UserFactory

    monkeypatch.setattr(services, "_enqueue", lambda screening: True)  # no worker: the test settles them itself

    people = [UserFactory() for _ in range(3)]
    for person in people:
        wallet_grant(user=person, amount=200)
    errors: list[BaseException] = []

    def run(barrier, work):
        try:
            barrier.wait(timeout=30)
            work()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    for _ in range(4):
        screenings = [s for person in people for s in queued(person, answers, 4)]
        scored = claimed_and_scored(screenings[0].id, limit=len(screenings))
        swept = scored[5].screening.id  # one the sweep fails while the batches settle (or finds finished)
        # The same people in opposite orders: a batch locking wallets as it meets them would wait in a circle.
        forward = [item for item in scored if item.screening.owner_id == people[0].id] + [
            item for item in scored if item.screening.owner_id != people[0].id
        ]
        batches = [forward[: len(forward) // 2][::-1], forward[len(forward) // 2 :]]
        barrier = threading.Barrier(4)
        works = [
            *(lambda batch=batch: services._screening_complete_many(batch) for batch in batches),
            lambda swept=swept: screening_fail(screening_id=swept, message=services.TIMED_OUT_MESSAGE, reason="stuck"),
            lambda: [queued(person, answers, 1) for person in reversed(people)],
        ]
        threads = [threading.Thread(target=run, args=(barrier, work)) for work in works]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors, errors
        for screening in screenings:
            if screening.id == swept and status(screening) == Status.FAILED:
                assert kinds(screening) == ["hold", "release"]
            else:
                assert (status(screening), kinds(screening)) == (Status.DONE, ["capture", "hold"])
        for pending in Screening.objects.filter(status=Status.PENDING):  # the submissions, not scored here
            screening_fail(screening_id=pending.id, message="not scored in this test", reason="test")
    call_command("billing_audit")


def test_a_claimed_screening_reads_as_the_orm_reads_it(member, answers):
    (screening,) = queued(member, answers, 1)

    (claimed,) = screening_claim_batch(screening_id=screening.id, limit=1)

    fresh = Screening.objects.get(id=screening.id)
    for field in Screening._meta.concrete_fields:
        assert getattr(claimed, field.attname) == getattr(fresh, field.attname), field.name
    assert claimed.answers == {**answers, "age": 30}
    assert (claimed.status, claimed._state.adding) == (Status.RUNNING, False)
