"""Micro-batched scoring: one task takes what is waiting, scores it per model in one call, settles it at once."""

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from billing.exceptions import BillingError
from billing.models import LedgerEntry
from billing.selectors import wallet_balance
from billing.services import Charge, wallet_capture_many, wallet_grant, wallet_release
from predictor.services import predict, predict_many
from screening import scoring, services
from screening.models import Screening
from screening.services import screening_score, screening_submit

pytestmark = pytest.mark.django_db
Status = Screening.Status
BAD_AGE = 77  # the answer the model in these tests cannot score


def queued(user, answers, count, model_key="logistic"):
    """Screenings submitted while no worker runs: pending, credits held, tasks not yet run."""
    return [
        screening_submit(user=user, model_key=model_key, answers={**answers, "age": 30 + n}).screening
        for n in range(count)
    ]


def charge(screening):
    return Charge(screening_id=screening.id, user_id=screening.owner_id, model_name="Logistic regression")


def kinds(screening):
    return sorted(LedgerEntry.objects.filter(screening=screening).values_list("kind", flat=True))


def test_one_task_scores_every_waiting_screening_of_several_people_and_models(member, outsider, answers):
    wallet_grant(user=member, amount=50)
    mine = queued(member, answers, 3) + queued(member, answers, 2, model_key="ensemble")
    theirs = queued(outsider, answers, 2, model_key="forest")

    first = screening_score(screening_id=mine[0].id)

    assert first.id == mine[0].id
    assert first.status == Status.DONE
    assert set(Screening.objects.values_list("status", flat=True)) == {Status.DONE}
    for screening in [*mine, *theirs]:
        assert kinds(screening) == ["capture", "hold"]
    assert wallet_balance(user=member) == {"available": 60 - 3 - 14, "held": 0}
    assert wallet_balance(user=outsider) == {"available": 10 - 6, "held": 0}
    # The batch's results are those of scoring each screening alone.
    done = Screening.objects.get(id=mine[1].id)
    alone = predict("logistic", done.answers)
    assert done.probability == pytest.approx(alone.probability)
    assert done.factors == alone.factors
    call_command("billing_audit")


def test_the_tasks_of_screenings_another_task_scored_do_nothing(member, answers):
    screenings = queued(member, answers, 3)
    screening_score(screening_id=screenings[0].id)

    assert screening_score(screening_id=screenings[1].id) is None
    assert screening_score(screening_id=screenings[2].id) is None
    assert [kinds(s) for s in screenings] == [["capture", "hold"]] * 3
    assert wallet_balance(user=member) == {"available": 7, "held": 0}


def test_a_batch_takes_its_own_screening_first_and_at_most_the_batch_size(member, answers, settings):
    settings.SCREENING_BATCH_SIZE = 2
    screenings = queued(member, answers, 4)

    screening_score(screening_id=screenings[3].id)

    statuses = {s.id: s.status for s in Screening.objects.all()}
    assert statuses[screenings[3].id] == Status.DONE  # the task's own, although the newest
    assert statuses[screenings[0].id] == Status.DONE  # then the oldest waiting
    assert [statuses[screenings[1].id], statuses[screenings[2].id]] == [Status.PENDING, Status.PENDING]


def test_one_screening_the_model_cannot_score_fails_alone_and_gets_its_credits_back(member, answers, monkeypatch):
    def model(model_key, answers_list, **kwargs):
        if any(answers["age"] == BAD_AGE for answers in answers_list):
            raise ValueError("cannot score")
        return predict_many(model_key, answers_list, **kwargs)

    monkeypatch.setattr(scoring, "predict_many", model)
    monkeypatch.setattr(scoring, "predict", lambda model_key, answers: model(model_key, [answers])[0])
    good = queued(member, answers, 2)
    bad = screening_submit(user=member, model_key="logistic", answers={**answers, "age": BAD_AGE}).screening

    screening_score(screening_id=good[0].id)

    bad.refresh_from_db()
    assert bad.status == Status.FAILED
    assert bad.error_message == services.FAILED_MESSAGE
    assert kinds(bad) == ["hold", "release"]
    assert [Screening.objects.get(id=s.id).status for s in good] == [Status.DONE, Status.DONE]
    assert wallet_balance(user=member) == {"available": 8, "held": 0}
    call_command("billing_audit")


def test_a_result_the_ledger_refuses_fails_that_screening_alone(member, answers):
    screenings = queued(member, answers, 3)
    # Its credits were already returned (as by a sweep racing the worker): it cannot also be captured.
    wallet_release(user=screenings[1].owner, screening_id=screenings[1].id, model_name="Logistic regression")

    screening_score(screening_id=screenings[0].id)

    statuses = [Screening.objects.get(id=s.id).status for s in screenings]
    assert statuses == [Status.DONE, Status.FAILED, Status.DONE]
    assert kinds(screenings[1]) == ["hold", "release"]
    call_command("billing_audit")


def test_a_batch_is_scored_and_settled_in_a_fixed_number_of_statements(
    member, outsider, answers, django_assert_max_num_queries
):
    wallet_grant(user=member, amount=50)
    wallet_grant(user=outsider, amount=70)
    screenings = queued(member, answers, 10) + queued(outsider, answers, 10, model_key="ensemble")

    # The claim, in a transaction (here a savepoint and its release): the lease (PostgreSQL, once per session) · lock
    # and read the waiting rows · mark them running. The settlement, in one transaction: lock the rows · results ·
    # lock the wallets · read the holds · wallets · ledger.
    with django_assert_max_num_queries(13 if connection.vendor == "postgresql" else 12):
        screening_score(screening_id=screenings[0].id)

    assert Screening.objects.filter(status=Status.DONE).count() == 20


def test_capturing_many_is_idempotent_and_refuses_released_credits(member, answers):
    screenings = queued(member, answers, 2)
    for screening in screenings:
        screening.status = Status.DONE

    first = wallet_capture_many(charges=[charge(s) for s in screenings])
    again = wallet_capture_many(charges=[charge(s) for s in screenings])

    assert [entry.pk for entry in again] == [entry.pk for entry in first]
    assert wallet_balance(user=member) == {"available": 8, "held": 0}
    released = queued(member, answers, 1)
    wallet_release(user=released[0].owner, screening_id=released[0].id, model_name="Logistic regression")
    with pytest.raises(BillingError), transaction.atomic():
        wallet_capture_many(charges=[charge(s) for s in released])
    call_command("billing_audit")


def test_a_claimed_screening_is_never_claimed_again(member, answers):
    first, second = queued(member, answers, 2)

    assert [s.id for s in services.screening_claim_batch(screening_id=first.id, limit=1)] == [first.id]
    # Its task delivered again: it takes what is still waiting, never the screening already claimed.
    assert [s.id for s in services.screening_claim_batch(screening_id=first.id, limit=1)] == [second.id]
    assert services.screening_claim_batch(screening_id=first.id, limit=1) == []
