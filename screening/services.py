"""The screening lifecycle: submit (hold credits) -> claim -> score -> done (capture) | failed (release).

Every transition is a conditional update or happens under the screening's row lock, so a task delivered twice,
a worker killed mid-task or a sweep racing a worker never scores twice, charges twice or loses credits.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import math
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    models,
    transaction,
)
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_prometheus.models import model_inserts

from billing.exceptions import BillingError
from billing.services import (
    CAPTURABLE_SQL,
    CAPTURE_SQL,
    Charge,
    capture_params,
    captured_in_statement,
    wallet_capture,
    wallet_capture_many,
    wallet_hold,
    wallet_release,
)
from core.fingerprints import fingerprint_matches, request_fingerprint
from predictor.services import (
    AnswersInvalid,
    Prediction,
    body_size_warning,
    model_keys,
    model_name_stored,
    predict,
    predict_many,
    price,
    validate_answers,
    what_if_answers,
    what_if_results,
)
from screening import metrics, waiting
from screening.exceptions import AnswersRejected, IdempotencyConflict, ModelNotOffered, NotRetryable
from screening.models import Screening
from screening.selectors import SCREENING_COLUMNS, screenings_from_rows

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

Status = Screening.Status
# Lost or reset connections: worth retrying. Anything else from the database is a real refusal.
TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError)
# Stored in English on the screening and translated when shown (screening.results.gettext_stored).
FAILED_MESSAGE = gettext_noop("We could not compute this estimate. Your credits have been returned.")
TIMED_OUT_MESSAGE = gettext_noop("This estimate took too long and was stopped. Your credits have been returned.")


@dataclass(frozen=True)
class Submission:
    screening: Screening
    created: bool  # False when an Idempotency-Key replayed an earlier submission


def _fingerprinted(model_key: str, answers: dict[str, Any]) -> dict[str, Any]:
    # What a repeated Idempotency-Key must repeat: the model and the validated answers (core.fingerprints).
    return {"model": model_key, "answers": answers}


def _replay(*, user: User, idempotency_key: str, content: dict[str, Any]) -> Submission | None:
    earlier = Screening.objects.filter(owner=user, idempotency_key=idempotency_key).first()
    if earlier is None:
        return None
    if not fingerprint_matches(earlier.request_fingerprint, content):
        raise IdempotencyConflict()
    return Submission(screening=earlier, created=False)


# What an API client is told to send when it means a height and weight the site asked about.
CONFIRM_BODY_SIZE_HINT = gettext_noop("If they are right, send the same answers with confirm_body_size set to true.")


def screening_submit(
    *,
    user: User,
    model_key: str,
    answers: Any,
    idempotency_key: str = "",
    retry_of: Screening | None = None,
    confirm_body_size: bool = False,
) -> Submission:
    """Validate, hold the model's cost, create the screening and queue it once the transaction commits.

    All or nothing: without enough credits nothing is created and nothing is held. A height and weight that are
    probably a slip (pounds sent as kilograms) are refused with a question until `confirm_body_size` says they
    are right; the web form asks that question itself and passes its answer.
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

    content = _fingerprinted(model_key, cleaned)
    if idempotency_key and (replay := _replay(user=user, idempotency_key=idempotency_key, content=content)):
        return replay

    try:
        with transaction.atomic():
            screening = Screening(
                owner=user,
                model_key=model_key,
                answers=cleaned,
                cost=price(model_key),
                idempotency_key=idempotency_key,
                request_fingerprint=request_fingerprint(content),
                task_id=str(uuid.uuid4()),
                retry_of=retry_of,
            )
            _insert(screening)
            wallet_hold(user=user, amount=screening.cost, screening_id=screening.id, new_screening=True)
            transaction.on_commit(lambda: _enqueue(screening))
    except IntegrityError:
        # The same key submitted twice at once: the unique constraint let one through; answer like a replay.
        if idempotency_key and (replay := _replay(user=user, idempotency_key=idempotency_key, content=content)):
            return replay
        raise

    metrics.SUBMITTED.labels(model=model_key).inc()
    metrics.observe_answers(cleaned)
    logger.info("screening submitted", extra={"screening_id": str(screening.id), "model": model_key})
    return Submission(screening=screening, created=True)


_INSERT_SQL = (
    f"INSERT INTO {Screening._meta.db_table} ({SCREENING_COLUMNS}) "  # noqa: S608 (the model's own table and columns)
    f"VALUES ({', '.join(['%s'] * len(Screening._meta.concrete_fields))})"
)


def _insert(screening: Screening) -> None:
    """What save() does for a new screening, as one statement written once instead of an insert compiled per call.

    Each field prepares its value exactly as the ORM's insert does (defaults, created_at, encryption). Nothing
    listens for a screening's save signals; the insert is counted like the ORM's (django-prometheus).
    """
    fields = Screening._meta.concrete_fields
    values = [field.get_db_prep_save(field.pre_save(screening, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, values)
    screening._state.adding = False
    screening._state.db = connection.alias
    model_inserts.labels("screening").inc()


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
        if (
            Screening.objects.filter(id=screening.id, status=Status.PENDING, task_id="").update(
                task_id=task_id, queued_at=timezone.now()
            )
            != 1
        ):
            continue
        screening.task_id = task_id
        if not _enqueue(screening):
            break
        published += 1
    if published:
        logger.info("unqueued screenings queued", extra={"requeued": published})
    return published


def screening_claim(*, screening_id: uuid.UUID | str) -> Screening | None:
    """pending -> running, once. None when another delivery of the task already claimed it."""
    claimed = Screening.objects.filter(id=screening_id, status=Status.PENDING).update(
        status=Status.RUNNING, started_at=timezone.now()
    )
    if claimed != 1:
        return None
    return Screening.objects.get(id=screening_id)


# --- Claim leases ------------------------------------------------------------------------------------------------
# A worker claims screenings under a lease that is its database session: before its first claim a session takes a
# PostgreSQL advisory lock on a random token (in this namespace) and stamps every screening it claims with it.
# PostgreSQL frees the lock the moment the session ends, so a claim whose token is no longer locked belongs to a
# worker that is gone (killed, out of memory, its host lost), and screening_reclaim_abandoned hands it back within
# seconds instead of waiting for the stuck sweep. The token is also the fence: a result, a failure or a hand-back is
# written only under the claim it was scored for.
_LEASE_NAMESPACE = 0x6D686373  # an int4: advisory locks of this project's claims, apart from anyone else's
# A backend whose client died while it waited (on a row lock) notices within a second and ends, freeing its locks.
_CLIENT_CHECK_INTERVAL_MS = "1000"


def _claim_lease() -> int | None:
    """This database session's claim token, taking its advisory lock the first time. None off PostgreSQL."""
    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    session = connection.connection
    held = getattr(connection, "_screening_claim_lease", None)
    if held is not None and held[0] is session:
        return held[1]
    with connection.cursor() as cursor:
        while True:  # a token some live session already holds is drawn again
            token = 1 + secrets.randbelow(2**31 - 2)
            cursor.execute(
                "SELECT pg_try_advisory_lock(%s, %s), set_config('client_connection_check_interval', %s, false)",
                [_LEASE_NAMESPACE, token, _CLIENT_CHECK_INTERVAL_MS],
            )
            if cursor.fetchone()[0]:
                break
    connection._screening_claim_lease = (session, token)  # type: ignore[attr-defined]
    return token


_CLAIM_SQL = f"""
    UPDATE {Screening._meta.db_table} SET status = %s, started_at = %s, claim_token = %s
    WHERE id IN (
        SELECT id FROM {Screening._meta.db_table} WHERE status = %s
        ORDER BY (id = %s::uuid) DESC, queued_at LIMIT %s
        FOR UPDATE SKIP LOCKED
    )
    RETURNING {SCREENING_COLUMNS}
"""  # noqa: S608 (the table name is the model's own)


def screening_claim_batch(*, screening_id: uuid.UUID | str, limit: int) -> list[Screening]:
    """Claim this screening and up to `limit - 1` others waiting, oldest first: pending -> running, each once.

    The task of each screening is still queued and still runs; when its screening was claimed by another
    task's batch, it claims what is waiting then, or nothing. SKIP LOCKED: two workers claiming at once take
    different screenings instead of waiting for each other. One statement on PostgreSQL.
    """
    now = timezone.now()
    if connection.vendor == "postgresql":
        params: list[Any] = [Status.RUNNING, now, _claim_lease(), Status.PENDING, str(screening_id), limit]
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_SQL, params)
            return screenings_from_rows(cursor.fetchall())
    with transaction.atomic():  # SQLite (a quick local run): one writer at a time, so no lock to skip
        own = list(Screening.objects.filter(id=screening_id, status=Status.PENDING).values_list("id", flat=True))
        others = Screening.objects.filter(status=Status.PENDING).exclude(id=screening_id).order_by("queued_at")
        ids = own + list(others.values_list("id", flat=True)[: limit - len(own)])
        Screening.objects.filter(id__in=ids, status=Status.PENDING).update(status=Status.RUNNING, started_at=now)
        claimed = {screening.id: screening for screening in Screening.objects.filter(id__in=ids)}
    return [claimed[pk] for pk in ids if pk in claimed]


@dataclass(frozen=True)
class Scored:
    screening: Screening
    prediction: Prediction | None = None
    failure: str = ""  # the reason, when it could not be scored
    what_ifs: list[dict[str, Any]] = dataclasses.field(default_factory=list)


def _score_group(model_key: str, screenings: list[Screening]) -> list[Scored]:
    """One vectorised call for screenings of one model; if it fails, one call each, so a bad one fails alone."""
    # Each screening's what-ifs (predictor.whatifs) are scored in one more call for the whole group, without
    # explanations: nothing shows a what-if's factors, and explaining them cost more than scoring everything else.
    alternatives = [what_if_answers(screening.answers) for screening in screenings]
    try:
        predictions = predict_many(model_key, [screening.answers for screening in screenings])
        what_if_predictions = predict_many(
            model_key, [w.answers for group in alternatives for w in group], explain=False
        )
    except (SoftTimeLimitExceeded, *TRANSIENT_DATABASE_ERRORS):
        raise
    except Exception:
        return [_score_one(screening) for screening in screenings]
    scored = []
    start = 0
    for screening, prediction, group in zip(screenings, predictions, alternatives, strict=True):
        group_predictions = what_if_predictions[start : start + len(group)]
        start += len(group)
        if not _is_probability(prediction.probability):
            scored.append(_score_one(screening))
            continue
        scored.append(Scored(screening, prediction, what_ifs=what_if_results(group, group_predictions)))
    return scored


def _is_probability(value: float) -> bool:
    # The database cannot check the range of an encrypted value; this is the check it used to make.
    return math.isfinite(value) and 0 <= value <= 1


def _score_one(screening: Screening) -> Scored:
    try:
        prediction = predict(screening.model_key, screening.answers)
        if not _is_probability(prediction.probability):
            raise ValueError("the model returned no probability in [0, 1]")
    except (SoftTimeLimitExceeded, *TRANSIENT_DATABASE_ERRORS):
        raise
    except Exception as error:
        # Whatever the model did wrong is this screening's failure: tell the person, return the credits now
        # rather than after the sweep. Only the error's type is logged: its text may quote the answers.
        logger.warning(
            "screening scoring failed",
            extra={"screening_id": str(screening.id), "error_type": type(error).__name__},
        )
        return Scored(screening, failure="scoring_error")
    return Scored(screening, prediction, what_ifs=_what_ifs_alone(screening))


def _what_ifs_alone(screening: Screening) -> list[dict[str, Any]]:
    """The fallback path's what-ifs, in one vectorised call; without them if it fails (the result itself stands)."""
    alternatives = what_if_answers(screening.answers)
    if not alternatives:
        return []
    try:
        predictions = predict_many(screening.model_key, [a.answers for a in alternatives], explain=False)
        return what_if_results(alternatives, predictions)
    except (SoftTimeLimitExceeded, *TRANSIENT_DATABASE_ERRORS):
        raise
    except Exception:
        return []


def screening_score(*, screening_id: uuid.UUID | str, batch_size: int | None = None) -> Screening | None:
    """Claim, score and settle this screening together with up to `batch_size - 1` others that are waiting.

    Returns this screening when this call scored it, None when another delivery already had. Transient database
    errors hand every claimed screening back (running -> pending) and propagate so the task can retry.
    """
    claimed = screening_claim_batch(screening_id=screening_id, limit=batch_size or settings.SCREENING_BATCH_SIZE)
    if not claimed:
        # The usual case under load: another task's batch took it. Not worth a line per message.
        logger.debug("screening already claimed", extra={"screening_id": str(screening_id)})
        return None
    try:
        finished = _screening_score_claimed(claimed)
    except TRANSIENT_DATABASE_ERRORS:
        with contextlib.suppress(DatabaseError):
            screening_release_claim(
                screening_ids=[screening.id for screening in claimed], claim_token=claimed[0].claim_token
            )
        raise
    return next((screening for screening in finished if str(screening.id) == str(screening_id)), None)


def _screening_score_claimed(claimed: list[Screening]) -> list[Screening]:
    groups: dict[str, list[Screening]] = {}
    for screening in claimed:
        if screening.started_at is not None:  # the claim sets it
            metrics.QUEUE_WAIT_SECONDS.labels(model=screening.model_key).observe(
                (screening.started_at - screening.created_at).total_seconds()
            )
        groups.setdefault(screening.model_key, []).append(screening)
    scored: list[Scored] = []
    for model_key, group in groups.items():
        started = time.perf_counter()
        try:
            results = _score_group(model_key, group)
        except SoftTimeLimitExceeded:
            results = [Scored(screening, failure="timeout") for screening in group]
        per_screening = (time.perf_counter() - started) / len(group)
        for _screening in group:
            metrics.INFERENCE_SECONDS.labels(model=model_key).observe(per_screening)
        scored.extend(results)

    finished: list[Screening] = []
    ready = [item for item in scored if item.prediction is not None]
    try:
        finished.extend(_screening_complete_many(ready))
    except (IntegrityError, DataError, BillingError):
        # One result the database or the ledger refused spoils the batch's transaction: settle one at a time,
        # so only that screening fails.
        for item in ready:
            finished.extend(_screening_complete_one(item))
    for item in scored:
        if item.failure:
            message = TIMED_OUT_MESSAGE if item.failure == "timeout" else FAILED_MESSAGE
            failed = screening_fail(
                screening_id=item.screening.id,
                message=message,
                reason=item.failure,
                claim_token=item.screening.claim_token,
            )
            if failed:
                finished.append(failed)
    return finished


def _screening_complete_one(item: Scored) -> list[Screening]:
    try:
        done = _screening_complete(screening=item.screening, prediction=item.prediction, what_ifs=item.what_ifs)
    except (IntegrityError, DataError, BillingError) as error:
        # The database refused the result (a constraint): not transient, so fail and refund instead of retrying.
        logger.warning(
            "screening result refused",
            extra={"screening_id": str(item.screening.id), "error_type": type(error).__name__},
        )
        failed = screening_fail(
            screening_id=item.screening.id,
            message=FAILED_MESSAGE,
            reason="internal",
            claim_token=item.screening.claim_token,
        )
        return [failed] if failed else []
    return [done] if done else []


def _result_fields(prediction: Prediction, finished_at, what_ifs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "probability": prediction.probability,
        "risk_band": prediction.risk_band,
        "factors": prediction.factors,
        "what_ifs": what_ifs,
        "model_version": prediction.model_version,
        "base_rate": prediction.base_rate,
        "interval_low": prediction.interval_low,
        "interval_high": prediction.interval_high,
        "finished_at": finished_at,
    }


def _screening_complete_many(items: list[Scored]) -> list[Screening]:
    """Store every result and capture every hold: the screenings finished, those still running under their claim.

    One statement on PostgreSQL; elsewhere one transaction of a fixed number of statements.
    """
    if connection.vendor == "postgresql":
        return _screening_complete_in_one_statement(items)
    return _screening_complete_locked(items)


_RESULT_COLUMNS = (
    "probability", "risk_band", "factors", "what_ifs", "model_version", "base_rate", "interval_low", "interval_high"
)  # fmt: skip


def _concrete_field(name: str) -> models.Field:
    field = Screening._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


@functools.cache
def _settle_sql() -> str:
    table = Screening._meta.db_table
    fields = [_concrete_field(name) for name in _RESULT_COLUMNS]
    # Every result column is text or varchar. Passed as text: the assignment to a varchar(n) refuses a longer value,
    # where a cast to varchar(n) would cut it short.
    arrays = ", ".join(f"%({field.name})s::text[]" for field in fields)
    columns = ", ".join(f"{field.column}" for field in fields)
    assignments = ", ".join(f"{field.column} = result.{field.column}" for field in fields)
    running_under_claim = (
        "screening.status = %(running)s AND screening.claim_token IS NOT DISTINCT FROM result.claim_token"
    )
    return f"""
        WITH {CAPTURABLE_SQL},
        result AS (
            SELECT * FROM unnest(%(ids)s::uuid[], %(claim_tokens)s::integer[], {arrays})
                AS result(id, claim_token, {columns})
        ),
        settled AS (
            UPDATE {table} screening SET status = %(done)s, finished_at = %(finished_at)s, {assignments}
            FROM result JOIN capturable ON capturable.screening_id = result.id
            WHERE screening.id = result.id AND {running_under_claim}
            RETURNING screening.id AS screening_id
        ),
        refused AS (
            SELECT result.id FROM result JOIN {table} screening ON screening.id = result.id
            WHERE {running_under_claim}
            AND NOT EXISTS (SELECT FROM capturable WHERE capturable.screening_id = result.id)
        ),
        {CAPTURE_SQL}
        SELECT screening_id, amount FROM captured
        UNION ALL SELECT id, NULL FROM refused
    """  # noqa: S608 (the table and column names are the model's own)


def _screening_complete_in_one_statement(items: list[Scored]) -> list[Screening]:
    """_screening_complete_many as one statement (and its BEGIN and COMMIT).

    It stores the results only of screenings still running under the claim they were scored for (the UPDATE's
    condition, checked again under each row's lock: one the sweep failed or a reclaim handed on meanwhile keeps
    what it has and is not charged), and only of those whose hold billing can capture; then captures those
    (billing.services.CAPTURE_SQL, which also says how it orders its locks). One still running whose credits
    billing refuses (returned already, never held, not its cost) is left as it was and settled alone on the
    general path, as a batch with it used to be. A result the database refuses makes the statement fail whole,
    and the caller settles one screening at a time.
    """
    items = [item for item in items if item.prediction is not None]
    if not items:
        return []
    finished_at = timezone.now()
    results = [_result_fields(item.prediction, finished_at, item.what_ifs) for item in items if item.prediction]
    params: dict[str, Any] = {
        **capture_params([_charge(item.screening) for item in items]),
        "ids": [item.screening.id for item in items],
        "claim_tokens": [item.screening.claim_token for item in items],
        "running": Status.RUNNING,
        "done": Status.DONE,
        "finished_at": _concrete_field("finished_at").get_db_prep_save(finished_at, connection),
    }
    for name in _RESULT_COLUMNS:
        # Through the field, as save() and update() write it: the health data is encrypted (core.fields).
        field = _concrete_field(name)
        params[name] = [field.get_db_prep_save(result[name], connection) for result in results]
    # In a transaction of its own although it is one statement: a worker killed while the statement waits for a
    # wallet never sends the COMMIT, so its batch is rolled back and reclaimed, not settled by a dead worker.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_settle_sql(), params)
            rows = cursor.fetchall()
        captured = {screening_id: amount for screening_id, amount in rows if amount is not None}
        refused = {screening_id for screening_id, amount in rows if amount is None}
        done: list[Screening] = []
        for item, result in zip(items, results, strict=True):
            if item.screening.id in captured:
                for name, value in {**result, "status": Status.DONE}.items():
                    setattr(item.screening, name, value)
                done.append(item.screening)
        captured_in_statement(amounts=list(captured.values()))
        if done:
            transaction.on_commit(lambda: _observe_done(done))
    finished = list(done)
    for item in items:
        if item.screening.id in refused:
            finished.extend(_screening_complete_one(item))
    return finished


@transaction.atomic
def _screening_complete_locked(items: list[Scored]) -> list[Screening]:
    """Store every result and capture every hold in one transaction, in a fixed number of statements.

    Only screenings still running are written: one the sweep failed meanwhile keeps its failure (its credits
    were already released). Their rows are locked first (screening rows only, never an owner's), then the
    wallets in primary-key order, so this cannot deadlock with a submission or another batch.
    """
    if not items:
        return []
    by_id = {item.screening.id: item for item in items}
    # Still running under the claim they were scored for: not failed by the sweep, not reclaimed from a worker
    # thought lost (its lease gone) and claimed again.
    still_running = {
        screening_id
        for screening_id, claim_token in Screening.objects.select_for_update(of=("self",))
        .filter(id__in=list(by_id), status=Status.RUNNING)
        .values_list("id", "claim_token")
        if claim_token == by_id[screening_id].screening.claim_token
    }
    finished_at = timezone.now()
    done: list[Screening] = []
    fields: list[str] = []
    for screening_id, item in by_id.items():
        if screening_id not in still_running or item.prediction is None:
            continue
        screening = item.screening
        result = {**_result_fields(item.prediction, finished_at, item.what_ifs), "status": Status.DONE}
        for field, value in result.items():
            setattr(screening, field, value)
        fields = list(result)
        done.append(screening)
    if not done:
        return []
    if len(done) == 1:
        # The usual case at low load; a plain UPDATE costs far less to build than bulk_update's CASE per field.
        Screening.objects.filter(id=done[0].id).update(**{field: getattr(done[0], field) for field in fields})
    else:
        Screening.objects.bulk_update(done, fields)
    wallet_capture_many(charges=[_charge(screening) for screening in done])
    transaction.on_commit(lambda: _observe_done(done))
    return done


def _charge(screening: Screening) -> Charge:
    return Charge(
        screening_id=screening.id,
        user_id=screening.owner_id,
        model_name=model_name_stored(screening.model_key),
        amount=screening.cost,
    )


def _observe_done(screenings: list[Screening]) -> None:
    waiting.notify_finished([screening.id for screening in screenings])
    for screening in screenings:
        metrics.COMPLETED.labels(model=screening.model_key, band=screening.risk_band).inc()
        if screening.probability is not None:  # a done screening has one (a database constraint)
            metrics.ESTIMATE.labels(model=screening.model_key).observe(screening.probability)
        if screening.finished_at is not None:
            metrics.END_TO_END_SECONDS.labels(model=screening.model_key).observe(
                (screening.finished_at - screening.created_at).total_seconds()
            )
        logger.info("screening done", extra={"screening_id": str(screening.id), "model": screening.model_key})


@transaction.atomic
def _screening_complete(
    *, screening: Screening, prediction, what_ifs: list[dict[str, Any]] | None = None
) -> Screening | None:
    # A conditional UPDATE is the lock: if the sweep failed this screening meanwhile, it matches no row and the
    # result is dropped (its credits were already released). It locks the screening row only, never the owner's,
    # so it cannot deadlock with a submission checking its owner foreign key at commit.
    result = _result_fields(prediction, timezone.now(), what_ifs or [])
    claimed = Screening.objects.filter(id=screening.id, status=Status.RUNNING, claim_token=screening.claim_token)
    if claimed.update(status=Status.DONE, **result) != 1:
        return None
    for field, value in {**result, "status": Status.DONE}.items():
        setattr(screening, field, value)
    wallet_capture(user=screening.owner, screening_id=screening.id, model_name=model_name_stored(screening.model_key))
    transaction.on_commit(lambda: _observe_done([screening]))
    return screening


_ANY_CLAIM: Any = object()


@transaction.atomic
def screening_fail(
    *, screening_id: uuid.UUID | str, message: str, reason: str, claim_token: Any = _ANY_CLAIM
) -> Screening | None:
    """Mark an unfinished screening failed and give its credits back. A finished one is left alone.

    claim_token: a worker failing what it scored; only while the screening is still running under that claim.
    """
    screening = Screening.objects.select_for_update(of=("self",)).select_related("owner").get(id=screening_id)
    if screening.is_finished:
        return None
    if claim_token is not _ANY_CLAIM and (screening.status != Status.RUNNING or screening.claim_token != claim_token):
        return None
    screening.status = Status.FAILED
    screening.error_message = message
    screening.finished_at = timezone.now()
    screening.save(update_fields=["status", "error_message", "finished_at"])
    wallet_release(user=screening.owner, screening_id=screening.id, model_name=model_name_stored(screening.model_key))
    transaction.on_commit(lambda: _observe_failed(screening, reason))
    logger.info("screening failed", extra={"screening_id": str(screening.id), "reason": reason})
    return screening


def _observe_failed(screening: Screening, reason: str) -> None:
    waiting.notify_finished([screening.id])
    metrics.FAILED.labels(model=screening.model_key, reason=reason).inc()


def screening_release_claim(*, screening_ids: list[uuid.UUID | str], claim_token: int | None) -> None:
    """running -> pending, so a retried task can claim the screenings again after a transient error.

    Only under the claim it was given: a screening reclaimed and claimed by another worker meanwhile stays theirs.
    """
    Screening.objects.filter(id__in=screening_ids, status=Status.RUNNING, claim_token=claim_token).update(
        status=Status.PENDING, started_at=None, claim_token=None
    )


def screening_sweep_stuck(*, now=None) -> dict[str, int]:
    """Re-queue once, then fail and refund, every screening unfinished for longer than the setting allows."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.SCREENING_STUCK_AFTER_SECONDS)
    counts = {"requeued": 0, "failed": 0}
    stuck_ids = list(Screening.objects.filter(_stuck(cutoff)).values_list("id", flat=True)[:500])
    for screening_id in stuck_ids:
        try:
            outcome = _sweep_one(screening_id=screening_id, now=now, cutoff=cutoff)
        except Exception as error:
            # One screening in an unexpected state must not keep every later one's credits held. Only the error's
            # type is logged: a database error's text can quote the row, answers included.
            logger.error(
                "could not sweep screening",
                extra={"screening_id": str(screening_id), "error_type": type(error).__name__},
            )
            continue
        if outcome:
            counts[outcome] += 1
    if stuck_ids:
        logger.info("stuck screenings swept", extra=counts)
    return counts


def _stuck(cutoff) -> Q:
    # A pending screening without a task id never reached the broker; screening_requeue_unpublished owns it.
    return Q(status=Status.PENDING, queued_at__lt=cutoff) & ~Q(task_id="") | Q(
        status=Status.RUNNING, started_at__lt=cutoff
    )


@transaction.atomic
def _sweep_one(*, screening_id: uuid.UUID, now, cutoff) -> str | None:
    # skip_locked: a worker finishing this very screening holds its lock; leave it to the worker.
    # The stuck condition is checked again under the lock: another sweep may have re-queued it since this one
    # listed it, and failing it now would fail a screening that has just been given its second chance.
    screening = Screening.objects.select_for_update(skip_locked=True).filter(_stuck(cutoff), id=screening_id).first()
    if screening is None:
        return None
    return _requeue_once_or_fail(screening, now=now)


def _requeue_once_or_fail(screening: Screening, *, now) -> str:
    """Queue a screening its worker never finished once more; the second time, fail it and return its credits.

    Under the screening's row lock, in the caller's transaction.
    """
    if screening.requeue_count < 1:
        screening.status = Status.PENDING
        screening.started_at = None
        screening.claim_token = None
        screening.queued_at = now
        screening.requeue_count += 1
        screening.task_id = str(uuid.uuid4())
        screening.save(update_fields=["status", "started_at", "claim_token", "queued_at", "requeue_count", "task_id"])
        transaction.on_commit(lambda: _enqueue(screening))
        metrics.REQUEUED.labels(model=screening.model_key).inc()
        return "requeued"
    screening_fail(screening_id=screening.id, message=TIMED_OUT_MESSAGE, reason="stuck")
    return "failed"


_ABANDONED_CONDITION = f"""
    status = %s AND claim_token IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM pg_locks
        WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND classid = {_LEASE_NAMESPACE} AND objid = claim_token AND objsubid = 2
    )
"""  # noqa: S608 (a constant of this module)
_ABANDONED_SQL = f"SELECT id FROM {Screening._meta.db_table} WHERE {_ABANDONED_CONDITION} LIMIT 500"  # noqa: S608
_LOCK_ABANDONED_SQL = (
    f"SELECT * FROM {Screening._meta.db_table} WHERE id = %s AND {_ABANDONED_CONDITION} FOR UPDATE SKIP LOCKED"  # noqa: S608
)


def screening_reclaim_abandoned(*, now=None) -> dict[str, int]:
    """Hand back, within seconds, the screenings of workers that are gone: running under a lease nobody holds.

    The same rule as the stuck sweep (queued again once, then failed with the credits returned), applied as soon
    as the claiming worker's database session has ended rather than after SCREENING_STUCK_AFTER_SECONDS. Rows a
    live session still locks are skipped (a dying backend frees them within a second); the condition is checked
    again under the row lock. Nothing to do off PostgreSQL: the stuck sweep covers it.
    """
    counts = {"requeued": 0, "failed": 0}
    if connection.vendor != "postgresql":
        return counts
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_ABANDONED_SQL, [Status.RUNNING])
        abandoned = [row[0] for row in cursor.fetchall()]
    for screening_id in abandoned:
        with transaction.atomic():
            screening = next(iter(Screening.objects.raw(_LOCK_ABANDONED_SQL, [screening_id, Status.RUNNING])), None)
            if screening is None:
                continue
            counts[_requeue_once_or_fail(screening, now=now)] += 1
    if abandoned:
        logger.warning("screenings of a lost worker reclaimed", extra=counts)
    return counts


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
