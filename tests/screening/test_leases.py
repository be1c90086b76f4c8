"""Claim leases: a worker's claims live as long as its database session, so a lost worker's batch comes back in
seconds (screening.services, docs/screening.md). Sessions are real PostgreSQL connections, one per thread."""

import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection

from billing.models import LedgerEntry
from billing.selectors import wallet_balance
from billing.services import wallet_grant
from predictor.services import predict
from screening import scoring, services
from screening.models import Screening
from screening.services import screening_claim_batch, screening_reclaim_abandoned, screening_submit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
Status = Screening.Status


@pytest.fixture
def published(monkeypatch) -> list:
    """Screenings put on the queue, which no worker reads here: the tests run the services themselves."""
    queue: list = []
    monkeypatch.setattr(services, "_enqueue", lambda screening: queue.append(screening.id) or True)
    return queue


def queued(user, answers, count):
    return [
        screening_submit(user=user, model_key="logistic", answers={**answers, "age": 30 + n}).screening
        for n in range(count)
    ]


def reclaim_once_the_session_is_gone() -> dict[str, int]:
    """PostgreSQL ends a closed session's backend (and frees its lock) a moment after the client closes it."""
    deadline = time.monotonic() + 10
    while (counts := screening_reclaim_abandoned()) == {"requeued": 0, "failed": 0} and time.monotonic() < deadline:
        time.sleep(0.05)
    return counts


class Worker:
    """A worker's database session in a thread of its own: it claims, then stays connected or goes away."""

    def __init__(self) -> None:
        self.claimed: list[Screening] = []
        self._jobs: list = []
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def _run(self) -> None:
        while True:
            self._ready.wait()
            self._ready.clear()
            job = self._jobs.pop()
            if job is None:
                connection.close()  # the session ends: PostgreSQL frees its advisory lock
                return
            job()

    def _do(self, job) -> None:
        done = threading.Event()

        def run():
            try:
                job()
            finally:
                done.set()

        self._jobs.append(run)
        self._ready.set()
        done.wait(timeout=30)

    def claim(self, screening_id, limit: int = 1) -> list[Screening]:
        self._do(lambda: self.claimed.extend(screening_claim_batch(screening_id=screening_id, limit=limit)))
        return self.claimed

    def dies(self) -> None:
        self._jobs.append(None)
        self._ready.set()
        self._thread.join(timeout=30)


def test_a_batch_whose_worker_session_ended_is_handed_back_at_once_and_a_live_ones_is_left_alone(
    member, answers, published
):
    first, second, third = queued(member, answers, 3)
    lost, alive = Worker(), Worker()
    lost.claim(first.id, limit=2)  # first and second
    alive.claim(third.id)
    lost.dies()

    counts = reclaim_once_the_session_is_gone()

    assert counts == {"requeued": 2, "failed": 0}
    statuses = dict(Screening.objects.values_list("id", "status"))
    assert statuses == {first.id: Status.PENDING, second.id: Status.PENDING, third.id: Status.RUNNING}
    assert set(published[-2:]) == {first.id, second.id}  # queued again, with new task ids
    reclaimed = Screening.objects.get(id=first.id)
    assert (reclaimed.requeue_count, reclaimed.claim_token, reclaimed.started_at) == (1, None, None)
    assert screening_reclaim_abandoned() == {"requeued": 0, "failed": 0}
    alive.dies()


def test_a_lost_workers_late_result_is_not_written_once_another_worker_has_the_screening(member, answers, published):
    (screening,) = queued(member, answers, 1)
    lost, other = Worker(), Worker()
    (stale,) = lost.claim(screening.id)
    lost.dies()
    reclaim_once_the_session_is_gone()
    other.claim(screening.id)

    scored = scoring.Scored(stale, predict("logistic", stale.answers))
    assert services._screening_complete_many([scored]) == []
    assert (
        services.screening_fail(screening_id=stale.id, message="x", reason="test", claim_token=stale.claim_token)
        is None
    )

    assert Screening.objects.get(id=screening.id).status == Status.RUNNING  # still the other worker's
    assert not LedgerEntry.objects.filter(screening=screening, kind__in=["capture", "release"]).exists()
    other.dies()


def test_a_screening_lost_with_its_worker_a_second_time_is_failed_and_refunded(member, answers, published):
    wallet_grant(user=member, amount=10)
    (screening,) = queued(member, answers, 1)
    for _ in range(2):
        worker = Worker()
        worker.claim(screening.id)
        worker.dies()
        outcome = reclaim_once_the_session_is_gone()

    assert outcome == {"requeued": 0, "failed": 1}
    screening.refresh_from_db()
    assert screening.status == Status.FAILED
    assert sorted(LedgerEntry.objects.filter(screening=screening).values_list("kind", flat=True)) == ["hold", "release"]
    assert wallet_balance(user=member) == {"available": 20, "held": 0}
    call_command("billing_audit")
