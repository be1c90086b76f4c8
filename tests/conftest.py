"""Personas and shared fixtures.

The suite runs on SQLite and a local-memory cache by default; with DATABASE_URL / REDIS_URL set (as .ci/run does)
the same tests run on PostgreSQL and Redis, and the tests marked `postgres` / `redis` run too.
"""

import contextlib
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.core.cache import cache, caches
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user
from rest_framework.test import APIClient

from billing.services import wallet_adjust
from tests.factories import PASSWORD, UserFactory, enrol_second_factor


def pytest_collection_modifyitems(config, items):
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    has_redis = bool(os.environ.get("REDIS_URL"))
    skip_pg = pytest.mark.skip(
        reason="needs PostgreSQL (row locks, a worker sharing the database): set DATABASE_URL=postgres://..."
    )
    skip_redis = pytest.mark.skip(reason="needs a Redis server: set REDIS_URL=redis://...")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if ("redis" in item.keywords or "celery_worker" in item.keywords) and not has_redis:
            item.add_marker(skip_redis)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttle counters, cached reads and the schema built for one test's settings must not leak into the next.
    cache.clear()
    caches["schema"].clear()
    yield
    cache.clear()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def member(db):
    """A member with the welcome credits."""
    return UserFactory(email="member@example.com")


@pytest.fixture
def broke_member(db, django_user_model):
    """A member who has spent everything."""
    user = UserFactory(email="broke@example.com")
    staff = django_user_model.objects.create_superuser(email="auditor@example.com", password=PASSWORD)
    wallet_adjust(user=user, amount=-user.wallet.available, author=staff, reason="test persona without credits")
    return user


@pytest.fixture
def outsider(db):
    """Another member, who must never see the member's data."""
    return UserFactory(email="outsider@example.com")


class SecondFactorClient(Client):
    """force_login skips the password; for staff with a confirmed device it skips the one-time code as well.

    The admin requires both (django-otp); tests/core/test_admin_security.py signs in the real way and shows that a
    password alone is refused.
    """

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        device = next(iter(devices_for_user(user, confirmed=True)), None)
        if device is not None:
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()


@pytest.fixture
def client() -> Client:
    return SecondFactorClient()


@pytest.fixture
def staff(db, django_user_model):
    user = django_user_model.objects.create_superuser(email="staff@example.com", password=PASSWORD)
    enrol_second_factor(user)
    return user


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def member_api(member) -> APIClient:
    client = APIClient()
    client.force_authenticate(member)
    return client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts; `refuse` first answers that many with a 451."""

    def __init__(self) -> None:
        self.envelopes: list = []
        self.refuse = 0
        self.refused = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refused < self.refuse:
            self.refused += 1
            return "451 Requested action aborted: try again later"
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a free localhost port, and Django's SMTP backend pointed at it."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield mailbox
    controller.stop()


@pytest.fixture
def smtp_down(settings):
    """Django's SMTP backend pointed at a localhost port nothing listens on: every send is refused at once."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2


@contextlib.contextmanager
def real_celery_worker(*, hostname: str, **extra_env: str):
    """A Celery worker process (solo pool) on the test database and the REDIS_URL broker; the test process
    publishes to it instead of running tasks in-process. Its log's closing lines are printed afterwards (ids only)."""
    from django.db import connection

    from config.celery import app as celery_app

    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        **extra_env,
    }
    process = subprocess.Popen(  # noqa: S603 (this interpreter, a fixed command)
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat", f"--hostname={hostname}@%h"],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    was_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        yield process
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        celery_app.conf.task_always_eager = was_eager
        print(output[-3000:])
