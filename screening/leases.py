"""Claim leases: a worker's claims live as long as its database session.

Before its first claim a session takes a PostgreSQL advisory lock on a random token (in this project's namespace)
and stamps every screening it claims with it. PostgreSQL frees the lock the moment the session ends, so a claim
whose token is no longer locked belongs to a worker that is gone (killed, out of memory, its host lost), and
screening_reclaim_abandoned hands it back within seconds instead of waiting for the stuck sweep. The token is also
the fence: a result, a failure or a hand-back is written only under the claim it was scored for.

Raw SQL, and the only database-specific code of the screening lifecycle: the ORM has no advisory locks and no view
of pg_locks, and no other database this project runs on (SQLite, for a quick local run) has session-scoped locks at
all. There `session_token()` is None, every claim carries no token, and `live_tokens()` says "all alive": the stuck
sweep alone hands back a lost worker's screenings, as it does for any other stuck one.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection

from django.db import connection

NAMESPACE = 0x6D686373  # an int4: advisory locks of this project's claims, apart from anyone else's
# A backend whose client died while it waited (on a row lock) notices within a second and ends, freeing its locks.
_CLIENT_CHECK_INTERVAL_MS = "1000"


def _has_advisory_locks() -> bool:
    return connection.vendor == "postgresql"


def session_token() -> int | None:
    """This database session's claim token, taking its advisory lock the first time. None without advisory locks."""
    if not _has_advisory_locks():
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
                [NAMESPACE, token, _CLIENT_CHECK_INTERVAL_MS],
            )
            if cursor.fetchone()[0]:
                break
    connection._screening_claim_lease = (session, token)  # type: ignore[attr-defined]
    return token


def live_tokens(tokens: Collection[int]) -> set[int] | None:
    """Which of these tokens a live session still holds; None ("all alive") without advisory locks."""
    if not _has_advisory_locks():
        return None
    if not tokens:
        return set()
    with connection.cursor() as cursor:
        # Two-key advisory locks show their keys as classid / objid, with objsubid 2.
        cursor.execute(
            "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND classid = %s "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND objid = ANY(%s::oid[])",
            [NAMESPACE, list(tokens)],
        )
        return {int(row[0]) for row in cursor.fetchall()}
