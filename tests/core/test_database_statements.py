"""Statements reach PostgreSQL with their parameters apart, and the ones a connection repeats are prepared."""

import sys

import pytest
from django.db import connection

from screening.selectors import screening_get
from screening.services import screening_submit
from tests.production import PRODUCTION_ENV, run_with_env

OPTIONS = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_screening_read_a_connection_repeats_is_prepared_with_its_parameters_apart(member):
    screening = screening_submit(user=member, model_key="logistic", answers={"age": 52, "sex": "female"}).screening
    assert connection.features.uses_server_side_binding

    for _ in range(6):  # psycopg prepares what a connection has run 5 times
        assert screening_get(user=member, screening_id=screening.id).id == screening.id

    owners_screening = '"screening_screening"."id" = $1 AND "screening_screening"."owner_id" = $2'
    reads = [statement for statement in prepared_statements() if owners_screening in statement]
    assert len(reads) == 1, prepared_statements()


def _options(**env: str) -> str:
    result = run_with_env(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", OPTIONS],
        **PRODUCTION_ENV,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/unused",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.slow
def test_preparing_can_be_turned_off_for_a_transaction_pooling_proxy():
    assert "'prepare_threshold': 5" in _options()
    assert "'prepare_threshold': None" in _options(DATABASE_PREPARE_THRESHOLD="")
    assert "'server_side_binding': False" in _options(DATABASE_SERVER_SIDE_BINDING="false")
