"""A kept database connection that the server ended is replaced before a request uses it (Django's
CONN_HEALTH_CHECKS, on in config/settings).

Each test plays two requests on one thread: Django's request boundary is `close_old_connections()`, then the
request's first query. Between them another session ends this one's backend, as a database restart does.
"""

import time

import psycopg
import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError, close_old_connections, connection, connections

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def end_backend(pid: int) -> None:
    """What a restart or failover does to every session: the backend ends and tells its client so."""
    params = connection.get_connection_params()
    # Autocommit: inside one transaction pg_stat_activity keeps the snapshot of its first read.
    other = psycopg.connect(
        host=params.get("host"),
        port=params.get("port"),
        user=params.get("user"),
        dbname=params["dbname"],
        autocommit=True,
    )
    with other, other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(100):
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.02)
    raise AssertionError(f"backend {pid} did not end")


def test_a_connection_the_database_ended_while_idle_is_replaced_before_the_next_request():
    first = backend_pid()
    close_old_connections()
    end_backend(first)

    close_old_connections()
    second = backend_pid()

    assert second != first


def test_without_the_check_the_next_request_fails_on_the_dead_connection(monkeypatch):
    """The counterpart: what the check saves a person from (a 503 on the first request after a restart)."""
    first = backend_pid()
    close_old_connections()
    end_backend(first)
    monkeypatch.setattr(connections[DEFAULT_DB_ALIAS], "health_check_enabled", False)

    close_old_connections()
    with pytest.raises(OperationalError):
        backend_pid()
