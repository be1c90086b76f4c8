"""A broker outage and back-to-back sweeps: no screening fails because of either."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import LedgerEntry
from billing.selectors import wallet_balance
from screening import services
from screening.models import Screening
from screening.services import screening_requeue_unpublished, screening_submit, screening_sweep_stuck
from screening.tasks import score_screening

pytestmark = pytest.mark.django_db
Status = Screening.Status


def test_a_sweep_never_fails_what_another_sweep_has_just_requeued(member, answers, monkeypatch):
    screening = screening_submit(user=member, model_key="logistic", answers=answers).screening
    long_ago = timezone.now() - timedelta(minutes=10)
    Screening.objects.filter(id=screening.id).update(status=Status.PENDING, queued_at=long_ago)
    monkeypatch.setattr(score_screening, "apply_async", lambda *a, **k: None)  # published; no worker picks it up
    real_sweep_one = services._sweep_one

    def another_sweep_runs_first(**kwargs):
        # Two sweeps listed the same stuck screening; the other one locks and re-queues it first.
        monkeypatch.setattr(services, "_sweep_one", real_sweep_one)
        assert screening_sweep_stuck() == {"requeued": 1, "failed": 0}
        return real_sweep_one(**kwargs)

    monkeypatch.setattr(services, "_sweep_one", another_sweep_runs_first)

    counts = screening_sweep_stuck()

    screening.refresh_from_db()
    assert counts == {"requeued": 0, "failed": 0}
    assert screening.status == Status.PENDING
    assert screening.requeue_count == 1
    assert not LedgerEntry.objects.filter(screening=screening, kind="release").exists()


def test_a_screening_submitted_while_the_broker_is_down_is_queued_when_it_returns_and_never_failed(
    member, answers, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("redis is down")

    real_apply_async = score_screening.apply_async
    monkeypatch.setattr(score_screening, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        screening = screening_submit(user=member, model_key="logistic", answers=answers).screening

    screening.refresh_from_db()
    assert screening.status == Status.PENDING
    assert screening.task_id == ""  # not on the queue
    # However long the outage lasts, the stuck sweep does not fail it...
    Screening.objects.filter(id=screening.id).update(queued_at=timezone.now() - timedelta(hours=1))
    assert screening_sweep_stuck() == {"requeued": 0, "failed": 0}
    # ...and while the broker is still down, a re-publish attempt keeps it as it was.
    assert screening_requeue_unpublished() == 0
    screening.refresh_from_db()
    assert screening.task_id == ""

    published = []
    monkeypatch.setattr(
        score_screening, "apply_async", lambda *a, **k: published.append(k["task_id"]) or real_apply_async(*a, **k)
    )
    assert screening_requeue_unpublished() == 1
    assert screening_requeue_unpublished() == 0  # once

    screening.refresh_from_db()
    assert published == [screening.task_id]
    assert screening.status == Status.DONE
    assert wallet_balance(user=member) == {"available": 9, "held": 0}
