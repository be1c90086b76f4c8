"""The screening lifecycle: submit (hold credits) -> claim -> score -> done (capture) | failed (release).

Every change of status is one of Screening.TRANSITIONS, written once, in the ORM, the same on every database: a
conditional update, or a change under the screening's row lock. So a task delivered twice, a worker killed
mid-task or a sweep racing a worker never scores twice, charges twice or loses credits. Locks are taken screening
rows first, then wallets (billing.services, in primary-key order), so no two of these wait on each other in a circle.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import DatabaseError, DataError, IntegrityError, transaction
from django.db.models import Case, Q, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.exceptions import BillingError
from billing.services import Charge, wallet_capture_many, wallet_hold, wallet_release_many
from core.idempotency import idempotent_create
from predictor.services import AnswersInvalid, body_size_warning, model_keys, model_name_stored, price, validate_answers
from screening import leases, metrics, waiting
from screening.exceptions import AnswersRejected, ModelNotOffered, NotRetryable
from screening.models import Screening
from screening.scoring import TRANSIENT_DATABASE_ERRORS, Scored, score_batch

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

Status = Screening.Status
# Stored in English on the screening and translated when shown (screening.results.gettext_stored).
FAILED_MESSAGE = gettext_noop("We could not compute this estimate. Your credits have been returned.")
TIMED_OUT_MESSAGE = gettext_noop("This estimate took too long and was stopped. Your credits have been returned.")
REFUSED = (IntegrityError, DataError, BillingError)  # a result the database or the ledger refuses: not transient
# What an API client is told to send when it means a height and weight the site asked about.
CONFIRM_BODY_SIZE_HINT = gettext_noop("If they are right, send the same answers with confirm_body_size set to true.")


@dataclass(frozen=True)
class Submission:
    screening: Screening
    created: bool  # False when an Idempotency-Key replayed an earlier submission


def screening_submit(
    *,
    user: User,
    model_key: str,
    answers: Any,
    idempotency_key: str = "",
    retry_of: Screening | None = None,
    confirm_body_size: bool = False,
    score_here: bool = False,
) -> Submission:
    """Validate, hold the model's cost, create the screening and queue it once the transaction commits.

    All or nothing: without enough credits nothing is created and nothing is held. A height and weight that are
    probably a slip (pounds sent as kilograms) are refused with a question until `confirm_body_size` says they
    are right; the web form asks that question itself and passes its answer. `score_here` (a caller that waits
    for the result): while this process has a scoring slot free, score it here by screening_score, the worker's
    own path, without the hand-off to the queue and back (benchmarks/RESULTS.md).
    """
    if model_key not in model_keys():
        raise ModelNotOffered(
            _("There is no model called %(model)s.") % {"model": repr(model_key)},
            extra={"fields": {"model": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(model_keys())}]}},
        )
    if not isinstance(answers, dict):
        raise AnswersRejected(extra={"fields": {"answers": [_("Send the answers as an object of question: answer.")]}})
    try:
        cleaned = validate_answers(answers)
    except AnswersInvalid as error:
        raise AnswersRejected(extra={"fields": error.errors}) from error
    if not confirm_body_size and cleaned.get("height_cm") and cleaned.get("weight_kg"):
        warning = body_size_warning(height_cm=cleaned["height_cm"], weight_kg=cleaned["weight_kg"])
        if warning:
            raise AnswersRejected(
                _("Please check the height and weight."),
                extra={"fields": {"weight_kg": [f"{warning} {_(CONFIRM_BODY_SIZE_HINT)}"]}},
            )

    def create(fingerprint: str) -> Screening:
        new = {"owner": user, "model_key": model_key, "answers": cleaned, "cost": price(model_key)}
        # Scored here, it has no task: if this process dies first, screening_requeue_unpublished queues it.
        keys = {"idempotency_key": idempotency_key, "request_fingerprint": fingerprint, "retry_of": retry_of}
        screening = Screening.objects.create(**new, **keys, task_id="" if here else str(uuid.uuid4()))
        wallet_hold(user=user, amount=screening.cost, screening_id=screening.id, new_screening=True)
        if not here:
            transaction.on_commit(lambda: _enqueue(screening))
        return screening

    # What a repeated Idempotency-Key must repeat: the model and the validated answers.
    keyed: dict[str, Any] = {"key": idempotency_key, "content": {"model": model_key, "answers": cleaned}}
    with waiting.scoring_slot() if score_here else contextlib.nullcontext() as here:
        screening, created = idempotent_create(model=Screening, owner=user, create=create, **keyed)
        if created:
            metrics.SUBMITTED.labels(model=model_key).inc()
            metrics.observe_answers(cleaned)
            logger.info("screening submitted", extra={"screening_id": str(screening.id), "model": model_key})
            if here:
                with contextlib.suppress(*TRANSIENT_DATABASE_ERRORS):  # handed back pending: the requeue queues it
                    screening = screening_score(screening_id=screening.id, own=screening) or screening
    return Submission(screening=screening, created=created)


def _enqueue(screening: Screening) -> bool:
    from screening.tasks import score_screening

    try:
        score_screening.apply_async(args=[str(screening.id)], task_id=screening.task_id)
    except Exception as error:
        # The broker is unreachable. The screening stays pending with its credits held and is marked as not on
        # the queue (no task id): the stuck sweep leaves it alone, since the outage is not its fault, and
        # screening_requeue_unpublished publishes it within seconds of the broker's return.
        Screening.objects.filter(id=screening.id, status=Status.PENDING, task_id=screening.task_id).update(task_id="")
        logger.warning(
            "could not queue screening", extra={"screening_id": str(screening.id), "error_type": type(error).__name__}
        )
        return False
    return True


def screening_requeue_unpublished(*, limit: int = 500) -> int:
    """Publish the pending screenings that never reached the broker (it was down); stop at the first failure."""
    published = 0
    for screening in Screening.objects.filter(status=Status.PENDING, task_id="").order_by("created_at")[:limit]:
        task_id = str(uuid.uuid4())
        # Claim the publication, so two runs at once publish a screening once.
        unpublished = Screening.objects.filter(id=screening.id, status=Status.PENDING, task_id="")
        if unpublished.update(task_id=task_id, queued_at=timezone.now()) != 1:
            continue
        screening.task_id = task_id
        if not _enqueue(screening):
            break
        published += 1
    if published:
        logger.info("unqueued screenings queued", extra={"requeued": published})
    return published


def screening_claim_batch(
    *, screening_id: uuid.UUID | str, limit: int, own: Screening | None = None
) -> list[Screening]:
    """Claim this screening and up to `limit - 1` others waiting, oldest first: pending -> running, each once.

    A task whose screening another task's batch took claims what is waiting then, or nothing. SKIP LOCKED: two
    workers claiming at once take different screenings. Each carries this session's lease (screening.leases).
    `own`: this screening, in hand (a request scoring its own), claimed alone by the same conditional UPDATE."""
    token = leases.session_token()  # outside the transaction: the lease outlives it
    claimable = Screening.objects.filter(status__in=Screening.statuses_before(Status.RUNNING))
    now = timezone.now()
    with transaction.atomic() if own is None else contextlib.nullcontext():  # one UPDATE is atomic on its own
        if own is None:  # this screening first, then the oldest waiting, skipping what another worker has locked
            own_first = Case(When(id=screening_id, then=Value(0)), default=Value(1))
            locked = claimable.select_for_update(skip_locked=True, of=("self",)).order_by(own_first, "queued_at")
            claimed = list(locked[:limit])
        else:
            claimed = [own]
        ids = [screening.id for screening in claimed]
        if claimable.filter(id__in=ids).update(status=Status.RUNNING, started_at=now, claim_token=token) != len(ids):
            # Without row locks (SQLite) another worker may have claimed some of them first: keep only ours.
            ours = set(Screening.objects.filter(id__in=ids, started_at=now).values_list("id", flat=True))
            claimed = [screening for screening in claimed if screening.id in ours]
    for screening in claimed:
        screening.status, screening.started_at, screening.claim_token = Status.RUNNING, now, token
    return claimed


def screening_score(
    *, screening_id: uuid.UUID | str, batch_size: int = 0, own: Screening | None = None
) -> Screening | None:
    """Claim, score and settle this screening with up to `batch_size - 1` others waiting; None if another had it.

    Transient database errors hand every claimed screening back (running -> pending) and propagate (a retry).
    Texts stored with a result are in English, also in a Spanish request; pages and the API translate them.
    """
    limit = batch_size or settings.SCREENING_BATCH_SIZE
    claimed = screening_claim_batch(screening_id=screening_id, limit=limit, own=own)
    if not claimed:
        # The usual case under load: another task's batch took it. Not worth a line per message.
        logger.debug("screening already claimed", extra={"screening_id": str(screening_id)})
        return None
    try:
        with translation.override(settings.LANGUAGE_CODE):
            finished = _screening_settle(score_batch(claimed))
    except TRANSIENT_DATABASE_ERRORS:
        with contextlib.suppress(DatabaseError):
            screening_release_claim(
                screening_ids=[screening.id for screening in claimed], claim_token=claimed[0].claim_token
            )
        raise
    return next((screening for screening in finished if str(screening.id) == str(screening_id)), None)


def _screening_settle(scored: list[Scored]) -> list[Screening]:
    """Store the results of a scored batch in one transaction, and each failure in its own."""
    ready = [item for item in scored if item.prediction is not None]
    failures = [(item, item.failure) for item in scored if item.failure]
    try:
        finished = _screening_complete_many(ready)
    except REFUSED:
        # One result the database or the ledger refused spoils the batch's transaction: settle one at a time, so
        # only that screening fails.
        finished = []
        for item in ready:
            try:
                finished += _screening_complete_many([item])
            except REFUSED as error:
                # Not transient (a constraint): fail and refund instead of retrying.
                logger.warning(
                    "screening result refused",
                    extra={"screening_id": str(item.screening.id), "error_type": type(error).__name__},
                )
                failures.append((item, "internal"))
    for item, reason in failures:
        message = TIMED_OUT_MESSAGE if reason == "timeout" else FAILED_MESSAGE
        claim = item.screening.claim_token
        if failed := screening_fail(screening_id=item.screening.id, message=message, reason=reason, claim_token=claim):
            finished.append(failed)
    return finished


_RESULT_FIELDS = ("probability", "risk_band", "factors", "model_version", "base_rate", "interval_low", "interval_high")


@transaction.atomic
def _screening_complete_many(items: list[Scored]) -> list[Screening]:
    """running -> done, and its hold captured, for each screening still running under the claim it was scored for.

    One transaction of a fixed number of statements: an UPDATE conditional on that claim (locking the screening
    rows in primary-key order, the index's), then the wallets. One the sweep failed meanwhile keeps its failure; one
    reclaimed and claimed again is left to that claim. A capture billing refuses raises and writes nothing.
    """
    scored = [item for item in items if item.prediction is not None]
    if not scored:
        return []
    finished_at = timezone.now()
    done = [item.screening for item in scored]
    for item in scored:
        result = {name: getattr(item.prediction, name) for name in _RESULT_FIELDS}
        result.update(status=Status.DONE, what_ifs=item.what_ifs, finished_at=finished_at)
        for field, value in result.items():
            setattr(item.screening, field, value)
    (claim,) = {screening.claim_token for screening in done}  # one claim scored them
    mine = Screening.objects.filter(status__in=Screening.statuses_before(Status.DONE), claim_token=claim)
    # One screening (the usual case at low load): a plain UPDATE is far cheaper to build than bulk_update's CASE.
    updated = mine.filter(id=done[0].id).update(**result) if len(done) == 1 else mine.bulk_update(done, list(result))
    if updated != len(done):  # some were failed or reclaimed meanwhile: keep the ones this UPDATE finished
        ours = set(Screening.objects.filter(id__in=[s.id for s in done], finished_at=finished_at).values_list("id"))
        done = [screening for screening in done if (screening.id,) in ours]
    wallet_capture_many(charges=[_charge(screening) for screening in done])
    transaction.on_commit(lambda: _observe(done))
    return done


def _charge(screening: Screening) -> Charge:
    model_name = model_name_stored(screening.model_key)
    return Charge(screening_id=screening.id, user_id=screening.owner_id, model_name=model_name)


def _observe(screenings: list[Screening], *, failed: str = "") -> None:
    waiting.notify_finished([screening.id for screening in screenings])
    for screening in screenings:
        if failed:
            metrics.FAILED.labels(model=screening.model_key, reason=failed).inc()
        else:
            metrics.observe_done(screening)
            logger.info("screening done", extra={"screening_id": str(screening.id), "model": screening.model_key})


_ANY_CLAIM: Any = object()


@transaction.atomic
def screening_fail(
    *, screening_id: uuid.UUID | str, message: str, reason: str, claim_token: Any = _ANY_CLAIM
) -> Screening | None:
    """Mark an unfinished screening failed and give its credits back. A finished one is left alone.

    claim_token: a worker failing what it scored; only while the screening is still running under that claim.
    """
    screening = Screening.objects.select_for_update(of=("self",)).get(id=screening_id)
    if Status.FAILED not in Screening.TRANSITIONS[screening.status]:
        return None
    if claim_token is not _ANY_CLAIM and (screening.status != Status.RUNNING or screening.claim_token != claim_token):
        return None
    screening.status = Status.FAILED
    screening.error_message = message
    screening.finished_at = timezone.now()
    screening.save(update_fields=["status", "error_message", "finished_at"])
    wallet_release_many(charges=[_charge(screening)])
    transaction.on_commit(lambda: _observe([screening], failed=reason))
    logger.info("screening failed", extra={"screening_id": str(screening.id), "reason": reason})
    return screening


def screening_release_claim(*, screening_ids: list[uuid.UUID | str], claim_token: int | None) -> None:
    """running -> pending after a transient error; only under the claim given (a reclaimed one stays its new claim's)"""
    Screening.objects.filter(
        id__in=screening_ids, status__in=Screening.statuses_before(Status.PENDING), claim_token=claim_token
    ).update(status=Status.PENDING, started_at=None, claim_token=None)


def screening_sweep_stuck(*, now=None) -> dict[str, int]:
    """Re-queue once, then fail and refund, every screening unfinished for longer than the setting allows."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.SCREENING_STUCK_AFTER_SECONDS)
    # A pending screening without a task id never reached the broker; screening_requeue_unpublished owns it.
    stuck = Q(status=Status.PENDING, queued_at__lt=cutoff) & ~Q(task_id="") | Q(
        status=Status.RUNNING, started_at__lt=cutoff
    )
    return _hand_back(stuck, now, "stuck screenings swept")


def screening_reclaim_abandoned(*, now=None) -> dict[str, int]:
    """The stuck sweep's rule, applied within seconds to screenings running under a lease nobody holds (their
    worker's session has ended). Without leases (screening.leases, SQLite) the stuck sweep alone covers them."""
    running = Screening.objects.filter(status=Status.RUNNING, claim_token__isnull=False)
    tokens = {token for token in running.values_list("claim_token", flat=True).distinct() if token is not None}
    live = leases.live_tokens(tokens)
    if live is None or not tokens - live:
        return {"requeued": 0, "failed": 0}
    # A token is locked before the first claim stamped with it, so one not locked now is never locked again.
    abandoned = Q(status=Status.RUNNING, claim_token__in=tokens - live)
    return _hand_back(abandoned, now or timezone.now(), "screenings of a lost worker reclaimed")


def _hand_back(condition: Q, now, done_message: str) -> dict[str, int]:
    counts = {"requeued": 0, "failed": 0}
    ids = list(Screening.objects.filter(condition).values_list("id", flat=True)[:500])
    for screening_id in ids:
        try:
            outcome = _sweep_one(screening_id=screening_id, condition=condition, now=now)
        except Exception as error:
            # One screening in an unexpected state must not keep every later one's credits held. Only the error's
            # type is logged: a database error's text can quote the row, answers included.
            logger.error(
                "could not hand back screening",
                extra={"screening_id": str(screening_id), "error_type": type(error).__name__},
            )
            continue
        if outcome:
            counts[outcome] += 1
    if ids:
        logger.info(done_message, extra=counts)
    return counts


@transaction.atomic
def _sweep_one(*, screening_id: uuid.UUID, condition: Q, now) -> str | None:
    """Queue a screening its worker never finished once more; the second time, fail it and return its credits.

    skip_locked: a worker finishing it holds its lock. The condition is checked again under the lock: another
    sweep may have re-queued it since, and failing it now would take its second chance away.
    """
    locked = Screening.objects.select_for_update(skip_locked=True, of=("self",))
    screening = locked.filter(condition, id=screening_id).first()
    if screening is None:
        return None
    if screening.requeue_count >= 1:
        screening_fail(screening_id=screening.id, message=TIMED_OUT_MESSAGE, reason="stuck")
        return "failed"
    screening.status, screening.started_at, screening.claim_token, screening.queued_at = Status.PENDING, None, None, now
    screening.task_id, screening.requeue_count = str(uuid.uuid4()), screening.requeue_count + 1
    screening.save(update_fields=["status", "started_at", "claim_token", "queued_at", "task_id", "requeue_count"])
    transaction.on_commit(lambda: _enqueue(screening))
    metrics.REQUEUED.labels(model=screening.model_key).inc()
    return "requeued"


def screening_retry(*, screening: Screening) -> Submission:
    """Staff: score a failed screening's answers again as a new screening, charged like any other."""
    screening.refresh_from_db(fields=["status"])
    if screening.status != Status.FAILED:
        raise NotRetryable()
    # The key makes a second click (or a second staff member) return the same retry instead of charging again.
    return screening_submit(
        user=screening.owner,
        model_key=screening.model_key,
        answers=screening.answers,
        confirm_body_size=True,  # accepted once already
        idempotency_key=f"retry:{screening.id}",
        retry_of=screening,
    )
