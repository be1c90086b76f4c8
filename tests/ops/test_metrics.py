"""/metrics: protected in production, merged across processes, and free of anything personal."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.test import override_settings

from tests.production import PRODUCTION_ENV, run_with_env

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "a-metrics-token-for-tests-0123456789"


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    return run_with_env([sys.executable, "-c", textwrap.dedent(code)], **env)


PRODUCTION_SCRAPE = """
    import django
    django.setup()
    from django.test import Client
    client = Client(HTTP_HOST="mhc.example.org")
    print(client.get("/metrics", secure=True).status_code)
    print(client.get("/metrics", secure=True, HTTP_AUTHORIZATION="Bearer wrong").status_code)
    print(client.get("/metrics", secure=True, HTTP_AUTHORIZATION="Bearer %s").status_code)
"""


@pytest.mark.slow
def test_production_refuses_an_anonymous_scrape_and_accepts_the_token():
    result = run_python(PRODUCTION_SCRAPE % TOKEN, **PRODUCTION_ENV, METRICS_BEARER_TOKEN=TOKEN)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["401", "401", "200"]


@pytest.mark.slow
def test_production_without_a_token_gives_metrics_to_nobody():
    result = run_python(PRODUCTION_SCRAPE % "", **PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["401", "401", "401"]


def test_a_configured_token_is_required_even_where_anonymous_scrapes_are_allowed(client):
    with override_settings(METRICS_BEARER_TOKEN=TOKEN, METRICS_ALLOW_ANONYMOUS=True):
        anonymous = client.get("/metrics")
        authorized = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"].startswith("Bearer")
    assert authorized.status_code == 200


@pytest.mark.django_db
def test_a_scrape_has_request_database_business_and_model_metrics(client, member_api):
    member_api.get("/api/v1/me/")  # a view, a few queries, a cache read (the throttle-free profile)

    text = client.get("/metrics").content.decode()

    for name in (
        "django_http_requests_total_by_view_transport_method_total",
        "django_http_requests_latency_seconds_by_view_method_bucket",
        "django_db_execute_total",
        "django_model_inserts_total",
        'django_migrations_applied_total{connection="default"}',
        'mhc_screenings_failed_total{model="logistic",reason="scoring_error"}',
        'mhc_credits_total{kind="release"}',
        "mhc_model_info{version=",
        'mhc_screening_estimate_count{model="ensemble"}',
        "mhc_model_base_rate ",
    ):
        assert name in text, name


MULTIPROCESS = """
    import multiprocessing, os
    from prometheus_client import Counter

    REQUESTS = Counter("mhc_test_requests_total", "test", ["view"])

    def serve(n):
        for _ in range(n):
            REQUESTS.labels(view="home").inc()

    if __name__ == "__main__":
        multiprocessing.set_start_method("fork")
        workers = [multiprocessing.Process(target=serve, args=(n,)) for n in (3, 4)]
        for w in workers: w.start()
        for w in workers: w.join()
        import django
        django.setup()
        from prometheus_client import generate_latest
        from core.metrics import scrape_registry
        text = generate_latest(scrape_registry()).decode()
        print([l for l in text.splitlines() if l.startswith("mhc_test_requests_total")])
"""


@pytest.mark.slow
def test_samples_from_several_processes_are_merged(tmp_path):
    script = tmp_path / "scrape.py"
    script.write_text(textwrap.dedent(MULTIPROCESS))

    result = subprocess.run(  # noqa: S603
        [sys.executable, str(script)],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert 'mhc_test_requests_total{view="home"} 7.0' in result.stdout, result.stdout


@pytest.mark.django_db
def test_no_label_carries_a_user_or_an_answer(client, member_api, member):
    member_api.get("/api/v1/me/")

    text = client.get("/metrics").content.decode()

    assert member.email not in text
    for forbidden_label in ("user=", "email=", "answer=", "probability="):
        assert forbidden_label not in text
