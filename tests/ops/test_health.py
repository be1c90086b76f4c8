"""/healthz and /readyz: what an orchestrator sees when a dependency goes away and comes back."""

import os

import pytest
from django.test import override_settings

from core import health

# Nothing listens on port 1: connections are refused at once, as with a stopped Redis.
CLOSED_REDIS = "redis://127.0.0.1:1/0"


def redis_cache(location: str) -> dict:
    return {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.redis.NativeRedisCache",
            "LOCATION": location,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


@pytest.fixture
def model_loads(monkeypatch):
    """The model check is the predictor's business; these tests are about the data stores."""
    monkeypatch.setitem(health.CHECKS, "model", lambda: "test-version")


def test_healthz_answers_without_touching_any_dependency(client):
    # No database access is allowed here (no django_db mark) and the cache points at nothing.
    with override_settings(CACHES=redis_cache(CLOSED_REDIS)):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ready_when_database_cache_and_model_answer(client, model_loads):
    response = client.get("/readyz")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["failed"] == []
    assert set(body["checks"]) == {"database", "cache", "broker", "worker", "model", "encryption"}


@pytest.mark.django_db
def test_readyz_names_redis_when_the_cache_is_unreachable(client, model_loads):
    with override_settings(CACHES=redis_cache(CLOSED_REDIS)):
        response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["cache"]
    assert body["checks"]["cache"]["detail"].startswith("redis: ")
    # Connection strings stay out of a public answer.
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.django_db
def test_pages_that_do_not_need_redis_keep_working_while_it_is_down(client, model_loads):
    with override_settings(CACHES=redis_cache(CLOSED_REDIS)):
        assert client.get("/readyz").status_code == 503
        assert client.get("/").status_code == 200
        assert client.get("/healthz").status_code == 200


@pytest.mark.redis
@pytest.mark.django_db
def test_readyz_recovers_when_redis_is_back(client, model_loads):
    with override_settings(CACHES=redis_cache(CLOSED_REDIS)):
        assert client.get("/readyz").status_code == 503

    with override_settings(CACHES=redis_cache(os.environ["REDIS_URL"])):
        response = client.get("/readyz")

    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["cache"]["detail"] == "redis"


@pytest.mark.django_db
def test_readyz_names_the_broker_when_one_is_configured_and_unreachable(client, model_loads):
    with override_settings(CELERY_BROKER_URL=CLOSED_REDIS, CELERY_TASK_ALWAYS_EAGER=False):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert "broker" in response.json()["failed"]
    assert response.json()["checks"]["broker"]["detail"].startswith("redis: ")


@pytest.mark.redis
@pytest.mark.django_db
def test_readyz_checks_a_reachable_broker(client, model_loads):
    with override_settings(CELERY_BROKER_URL=os.environ["REDIS_URL"], CELERY_TASK_ALWAYS_EAGER=False):
        response = client.get("/readyz")

    # The broker answers, but no worker consumes from it in this test: /readyz says so.
    assert response.status_code == 503, response.json()
    assert response.json()["checks"]["broker"]["detail"] == "redis"
    assert response.json()["failed"] == ["worker"]
    assert response.json()["checks"]["worker"]["detail"] == "no worker answered"


@pytest.mark.django_db
def test_readyz_is_not_ready_when_the_active_model_cannot_load(client, settings, tmp_path):
    settings.ML_ARTIFACTS_DIR = tmp_path  # no ACTIVE pointer, no artifacts
    settings.PREDICTOR_ACTIVE_VERSION = ""

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["model"]


def test_the_predictor_adds_its_model_check_to_readiness():
    # core knows no domain app: the predictor registers the check in its AppConfig.ready().
    assert list(health.CHECKS) == ["database", "cache", "broker", "worker", "encryption", "model"]
    assert health.CHECKS["model"]()  # the committed active version loads
