import dataclasses
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone

from billing.exceptions import InsufficientCredits
from billing.models import LedgerEntry
from billing.selectors import wallet_balance
from billing.services import wallet_grant
from screening import scoring, services
from screening.exceptions import AnswersRejected, IdempotencyConflict, ModelNotOffered, NotRetryable
from screening.models import Screening
from screening.scoring import Scored
from screening.services import (
    screening_score,
    screening_submit,
    screening_sweep_stuck,
)
from screening.tasks import score_screening

pytestmark = pytest.mark.django_db
Status = Screening.Status


def ledger_kinds(screening):
    return sorted(LedgerEntry.objects.filter(screening=screening).values_list("kind", flat=True))


def submit(user, answers, *, capture, model_key="xgboost", **kwargs):
    with capture(execute=True):
        return screening_submit(user=user, model_key=model_key, answers=answers, **kwargs)


def test_a_submission_holds_the_cost_and_the_task_scores_and_captures(
    member, answers, django_capture_on_commit_callbacks
):
    submission = submit(member, answers, capture=django_capture_on_commit_callbacks)

    screening = Screening.objects.get(id=submission.screening.id)
    assert submission.created
    assert screening.status == Status.DONE
    assert 0 <= screening.probability <= 1
    assert screening.risk_band in {"low", "moderate", "high"}
    assert screening.model_version
    assert screening.factors
    assert {"key", "text", "direction", "contribution"} <= set(screening.factors[0])
    assert screening.started_at >= screening.created_at
    assert ledger_kinds(screening) == ["capture", "hold"]
    assert wallet_balance(user=member) == {"available": 5, "held": 0}
    call_command("billing_audit")


def test_every_model_scores_a_questionnaire_with_only_age_and_sex(
    member, minimal_answers, django_capture_on_commit_callbacks
):
    wallet_grant(user=member, amount=100)
    for model_key in ["logistic", "forest", "xgboost", "ensemble"]:
        screening = submit(member, minimal_answers, capture=django_capture_on_commit_callbacks, model_key=model_key)
        screening = Screening.objects.get(id=screening.screening.id)
        assert screening.status == Status.DONE, model_key
        assert screening.answers["education"] is None


def test_without_enough_credits_nothing_is_created_or_held(broke_member, answers):
    with pytest.raises(InsufficientCredits):
        screening_submit(user=broke_member, model_key="logistic", answers=answers)

    assert not Screening.objects.exists()
    assert wallet_balance(user=broke_member) == {"available": 0, "held": 0}


def test_invalid_answers_name_each_question_and_hold_nothing(member, answers):
    answers.update(age=12, sleep_hours="lots", unknown_question=1)
    del answers["sex"]

    with pytest.raises(AnswersRejected) as error:
        screening_submit(user=member, model_key="logistic", answers=answers)

    assert set(error.value.extra["fields"]) == {"age", "sex", "sleep_hours", "unknown_question"}
    assert not Screening.objects.exists()
    assert wallet_balance(user=member)["available"] == 10


def test_an_unknown_model_is_refused(member, answers):
    with pytest.raises(ModelNotOffered) as error:
        screening_submit(user=member, model_key="oracle", answers=answers)

    assert "model" in error.value.extra["fields"]


def test_the_same_idempotency_key_and_body_returns_the_same_screening_once_charged(
    member, answers, django_capture_on_commit_callbacks
):
    first = submit(member, answers, capture=django_capture_on_commit_callbacks, idempotency_key="k-1")
    again = submit(member, dict(answers), capture=django_capture_on_commit_callbacks, idempotency_key="k-1")

    assert (first.created, again.created) == (True, False)
    assert again.screening.id == first.screening.id
    assert Screening.objects.count() == 1
    assert wallet_balance(user=member)["available"] == 5


def test_the_same_idempotency_key_with_another_body_is_a_conflict(member, answers):
    screening_submit(user=member, model_key="logistic", answers=answers, idempotency_key="k-1")

    with pytest.raises(IdempotencyConflict):
        screening_submit(user=member, model_key="logistic", answers={**answers, "age": 35}, idempotency_key="k-1")
    assert Screening.objects.count() == 1


def test_idempotency_keys_belong_to_one_person(member, outsider, answers):
    mine = screening_submit(user=member, model_key="logistic", answers=answers, idempotency_key="shared")
    theirs = screening_submit(user=outsider, model_key="logistic", answers=answers, idempotency_key="shared")

    assert mine.screening.id != theirs.screening.id


def test_a_scoring_error_fails_the_screening_plainly_and_releases_the_credits(
    member, answers, replace_model, django_capture_on_commit_callbacks
):
    def broken_model(model_key, answers):
        raise ValueError("feature mismatch")

    replace_model(broken_model)

    submission = submit(member, answers, capture=django_capture_on_commit_callbacks)

    screening = Screening.objects.get(id=submission.screening.id)
    assert screening.status == Status.FAILED
    assert screening.error_message == services.FAILED_MESSAGE
    assert "feature mismatch" not in screening.error_message
    assert screening.probability is None
    assert ledger_kinds(screening) == ["hold", "release"]
    assert wallet_balance(user=member) == {"available": 10, "held": 0}
    call_command("billing_audit")


def test_the_same_task_delivered_twice_scores_and_captures_once(member, answers):
    screening = screening_submit(user=member, model_key="logistic", answers=answers).screening

    first = screening_score(screening_id=screening.id)
    second = screening_score(screening_id=screening.id)

    assert first.status == Status.DONE
    assert second is None
    assert ledger_kinds(screening) == ["capture", "hold"]
    assert wallet_balance(user=member) == {"available": 9, "held": 0}


def test_a_transient_database_error_is_retried_and_the_screening_still_completes(member, answers, replace_model):
    screening = screening_submit(user=member, model_key="logistic", answers=answers).screening
    real_predict = scoring.predict
    calls = []

    def flaky(model_key, answers):
        calls.append(model_key)
        if len(calls) == 1:
            raise OperationalError("connection reset")
        return real_predict(model_key, answers)

    replace_model(flaky)

    score_screening.apply(args=[str(screening.id)])

    screening.refresh_from_db()
    assert len(calls) == 2
    assert screening.status == Status.DONE
    assert ledger_kinds(screening) == ["capture", "hold"]


def test_a_screening_abandoned_by_a_killed_worker_is_requeued_and_then_completed(
    member, answers, django_capture_on_commit_callbacks
):
    screening = screening_submit(user=member, model_key="logistic", answers=answers).screening
    # What a worker killed mid-task leaves behind: claimed, running, never finished.
    long_ago = timezone.now() - timedelta(minutes=10)
    Screening.objects.filter(id=screening.id).update(status=Status.RUNNING, started_at=long_ago, queued_at=long_ago)

    with django_capture_on_commit_callbacks(execute=True):
        counts = screening_sweep_stuck()

    screening.refresh_from_db()
    assert counts == {"requeued": 1, "failed": 0}
    assert screening.status == Status.DONE
    assert screening.requeue_count == 1
    assert ledger_kinds(screening) == ["capture", "hold"]


def test_a_screening_stuck_again_after_its_requeue_is_failed_and_refunded(member, answers):
    screening = screening_submit(user=member, model_key="ensemble", answers=answers).screening
    long_ago = timezone.now() - timedelta(minutes=10)
    Screening.objects.filter(id=screening.id).update(
        status=Status.RUNNING, started_at=long_ago, queued_at=long_ago, requeue_count=1
    )

    counts = screening_sweep_stuck()

    screening.refresh_from_db()
    assert counts == {"requeued": 0, "failed": 1}
    assert screening.status == Status.FAILED
    assert "took too long" in screening.error_message
    assert ledger_kinds(screening) == ["hold", "release"]
    assert wallet_balance(user=member) == {"available": 10, "held": 0}


def test_the_sweep_leaves_recent_and_finished_screenings_alone(member, answers):
    pending = screening_submit(user=member, model_key="logistic", answers=answers).screening
    done = screening_submit(user=member, model_key="logistic", answers=answers).screening
    screening_score(screening_id=done.id, batch_size=1)

    assert screening_sweep_stuck() == {"requeued": 0, "failed": 0}
    pending.refresh_from_db()
    assert pending.status == Status.PENDING


def test_a_queue_that_cannot_be_reached_leaves_the_screening_pending_for_the_sweep(
    member, answers, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("redis is down")

    monkeypatch.setattr(score_screening, "apply_async", broker_down)

    submission = submit(member, answers, capture=django_capture_on_commit_callbacks, model_key="logistic")

    screening = Screening.objects.get(id=submission.screening.id)
    assert screening.status == Status.PENDING
    assert wallet_balance(user=member) == {"available": 9, "held": 1}


def test_a_late_result_does_not_overwrite_a_screening_the_sweep_already_failed(member, answers):
    screening = screening_submit(user=member, model_key="logistic", answers=answers).screening
    (claimed,) = services.screening_claim_batch(screening_id=screening.id, limit=1)
    services.screening_fail(screening_id=screening.id, message="stopped", reason="stuck")

    from predictor.services import predict

    result = services._screening_complete_many([Scored(claimed, predict("logistic", answers))])

    screening.refresh_from_db()
    assert result == []
    assert screening.status == Status.FAILED
    assert ledger_kinds(screening) == ["hold", "release"]


def test_staff_retry_of_a_failed_screening_creates_a_new_charged_one(member, answers):
    failed = screening_submit(user=member, model_key="logistic", answers=answers).screening
    services.screening_fail(screening_id=failed.id, message="x", reason="test")

    retried = services.screening_retry(screening=failed).screening

    retried.refresh_from_db()
    assert retried.retry_of_id == failed.id
    assert retried.answers == failed.answers
    with pytest.raises(NotRetryable):
        services.screening_retry(screening=retried)


def test_a_second_staff_retry_returns_the_first_retry_without_charging_again(member, answers):
    failed = screening_submit(user=member, model_key="forest", answers=answers).screening
    services.screening_fail(screening_id=failed.id, message="x", reason="test")

    first = services.screening_retry(screening=failed)
    second = services.screening_retry(screening=failed)

    assert second.screening.id == first.screening.id
    assert not second.created
    assert wallet_balance(user=member) == {"available": 7, "held": 3}


def test_any_unexpected_model_error_fails_at_once_and_refunds(member, answers, replace_model):
    screening = screening_submit(user=member, model_key="logistic", answers=answers).screening

    def crashing_model(model_key, answers):
        raise RuntimeError(f"boom with {answers}")

    replace_model(crashing_model)

    services.screening_score(screening_id=screening.id)

    screening.refresh_from_db()
    assert screening.status == Status.FAILED
    assert ledger_kinds(screening) == ["hold", "release"]


def test_a_non_finite_probability_is_a_failure_not_a_result(member, answers, replace_model):
    from predictor.services import predict as real_predict

    screening = screening_submit(user=member, model_key="logistic", answers=answers).screening
    nan_prediction = dataclasses.replace(real_predict("logistic", answers), probability=float("nan"))
    replace_model(lambda model_key, answers: nan_prediction)

    services.screening_score(screening_id=screening.id)

    screening.refresh_from_db()
    assert (screening.status, screening.probability) == (Status.FAILED, None)


def test_one_screening_that_cannot_be_swept_does_not_stop_the_others(member, answers, monkeypatch):
    long_ago = timezone.now() - timedelta(minutes=10)
    first = screening_submit(user=member, model_key="logistic", answers=answers).screening
    second = screening_submit(user=member, model_key="logistic", answers=answers).screening
    Screening.objects.update(status=Status.RUNNING, started_at=long_ago, queued_at=long_ago, requeue_count=1)
    real_fail = services.screening_fail

    def fail_breaks_on_first(*, screening_id, **kwargs):
        if screening_id == first.id:
            raise RuntimeError("ledger in an unexpected state")
        return real_fail(screening_id=screening_id, **kwargs)

    monkeypatch.setattr(services, "screening_fail", fail_breaks_on_first)

    counts = screening_sweep_stuck()

    second.refresh_from_db()
    assert counts == {"requeued": 0, "failed": 1}
    assert second.status == Status.FAILED


def test_a_batch_stores_each_screenings_what_ifs_as_the_models_own_predictions(member, outsider, answers):
    from predictor.services import predict
    from predictor.whatifs import MODIFIABLE, what_if_answers

    habits = {"smoking": "current", "sleep_hours": 5, "physical_activity": "none", "sitting_hours": 11}
    first = screening_submit(user=member, model_key="forest", answers={**answers, **habits}).screening
    second = screening_submit(user=outsider, model_key="forest", answers=answers).screening

    services.screening_score(screening_id=first.id, batch_size=10)  # scores both in one call

    for screening in (first, second):
        screening.refresh_from_db()
        assert screening.status == Status.DONE
        expected = what_if_answers(screening.answers)
        assert [w["key"] for w in screening.what_ifs] == [w.key for w in expected]
        assert {w["key"] for w in screening.what_ifs} <= set(MODIFIABLE)
        for stored, what_if in zip(screening.what_ifs, expected, strict=True):
            assert stored["probability"] == pytest.approx(predict("forest", what_if.answers).probability, abs=1e-12)
    assert {"smoking", "sleep_hours", "physical_activity", "sitting_hours"} <= {w["key"] for w in first.what_ifs}
