from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import QuerySet, sql
from django.http import Http404

from screening import waiting
from screening.models import Screening

if TYPE_CHECKING:
    from accounts.models import User

# Every column of a screening, in field order: what screenings_from_rows expects.
SCREENING_COLUMNS = ", ".join(str(field.column) for field in Screening._meta.concrete_fields)
_OWN_SCREENING_SQL = f"SELECT {SCREENING_COLUMNS} FROM {Screening._meta.db_table} WHERE id = %s AND owner_id = %s"  # noqa: S608 (the model's own table and columns)
_STATUS_INDEX = [field.name for field in Screening._meta.concrete_fields].index("status")


def screenings_from_rows(rows: list[tuple]) -> list[Screening]:
    """Screenings from rows of every column in field order, converted as a queryset converts them (decrypted).

    What Screening.objects.raw() does, without working out again for every row which column is which field.
    """
    if not rows:  # a claim that found nothing, the common case for a message whose screening a batch took
        return []
    fields = Screening._meta.concrete_fields
    compiler = connection.ops.compiler("SQLCompiler")(sql.Query(Screening), connection, connection.alias)
    converters = compiler.get_converters([field.get_col(Screening._meta.db_table) for field in fields])
    values = compiler.apply_converters(rows, converters) if converters else rows
    names = [field.attname for field in fields]
    return [Screening.from_db(connection.alias, names, row) for row in values]


def screening_list(*, user: User) -> QuerySet[Screening]:
    return Screening.objects.filter(owner=user).order_by("-created_at")


def screening_previous_done(*, screening: Screening) -> Screening | None:
    """The same person's latest finished screening before this one: what "what moved my estimate" compares with."""
    return (
        Screening.objects.filter(
            owner_id=screening.owner_id, status=Screening.Status.DONE, created_at__lt=screening.created_at
        )
        .order_by("-created_at")
        .only("id", "created_at", "model_key", "model_version", "answers", "probability")
        .first()
    )


def _own_row(*, user: User, screening_id) -> tuple:
    """The owner's screening as a row of every column, not yet converted; 404 for anyone else."""
    params = [Screening._meta.pk.get_db_prep_value(screening_id, connection), user.pk]
    with connection.cursor() as cursor:
        cursor.execute(_OWN_SCREENING_SQL, params)
        row = cursor.fetchone()
    if row is None:
        raise Http404("No screening matches the given query.")
    return row


def screening_get(*, user: User, screening_id) -> Screening:
    """The owner's screening; anyone else gets 404, never 403, so ids reveal nothing.

    The read behind every result page and every API poll, so its statement is written once rather than compiled
    by the ORM on each call (about a tenth of a poll's CPU); the fields convert and decrypt as in any queryset.
    """
    return screenings_from_rows([_own_row(user=user, screening_id=screening_id)])[0]


def screening_get_awaited(*, user: User, screening_id, wait: float) -> tuple[Screening, bool]:
    """The owner's screening, after waiting up to `wait` seconds for it to finish if it has not.

    Returns (screening, waited): waited is False when it answered at once because every waiting slot of this
    process was taken (screening.waiting), so the caller can say it did not honour the wait.
    """
    if wait <= 0:
        return screening_get(user=user, screening_id=screening_id), False
    with waiting.waiter(screening_id) as waiter:
        if waiter is None:
            return screening_get(user=user, screening_id=screening_id), False
        # Registered first, then read; the row is converted (its answers decrypted) only once it is finished,
        # so a screening still being scored is decrypted once, after the wait, not once before it and once after.
        row = _own_row(user=user, screening_id=screening_id)
        if row[_STATUS_INDEX] in Screening.FINISHED_STATUSES:
            return screenings_from_rows([row])[0], True
        waiter.wait(wait)
        return screening_get(user=user, screening_id=screening_id), True
