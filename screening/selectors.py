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


def screenings_from_rows(rows: list[tuple]) -> list[Screening]:
    """Screenings from rows of every column in field order, converted as a queryset converts them (decrypted).

    What Screening.objects.raw() does, without working out again for every row which column is which field.
    """
    fields = Screening._meta.concrete_fields
    compiler = connection.ops.compiler("SQLCompiler")(sql.Query(Screening), connection, connection.alias)
    converters = compiler.get_converters([field.get_col(Screening._meta.db_table) for field in fields])
    values = compiler.apply_converters(rows, converters) if converters else rows
    names = [field.attname for field in fields]
    return [Screening.from_db(connection.alias, names, row) for row in values]


def screening_list(*, user: User) -> QuerySet[Screening]:
    return Screening.objects.filter(owner=user).order_by("-created_at")


def screening_get(*, user: User, screening_id) -> Screening:
    """The owner's screening; anyone else gets 404, never 403, so ids reveal nothing.

    The read behind every result page and every API poll, so its statement is written once rather than compiled
    by the ORM on each call (about a tenth of a poll's CPU); the fields convert and decrypt as in any queryset.
    """
    params = [Screening._meta.pk.get_db_prep_value(screening_id, connection), user.pk]
    with connection.cursor() as cursor:
        cursor.execute(_OWN_SCREENING_SQL, params)
        rows = cursor.fetchall()
    if not rows:
        raise Http404("No screening matches the given query.")
    return screenings_from_rows(rows)[0]


def screening_get_awaited(*, user: User, screening_id, wait: float) -> tuple[Screening, bool]:
    """The owner's screening, after waiting up to `wait` seconds for it to finish if it has not.

    Returns (screening, waited): waited is False when it answered at once because every waiting slot of this
    process was taken (screening.waiting), so the caller can say it did not honour the wait.
    """
    if wait <= 0:
        return screening_get(user=user, screening_id=screening_id), False
    with waiting.waiter(screening_id) as waiter:
        screening = screening_get(user=user, screening_id=screening_id)
        if waiter is None or screening.is_finished:
            return screening, waiter is not None
        if waiter.wait(wait):
            screening = screening_get(user=user, screening_id=screening_id)
        return screening, True
