"""A broken FIELD_ENCRYPTION_KEYS entry is refused at start-up, by `check --deploy` and by /readyz.

The outside probe's case: a key that lost its trailing "=" passed all three, then every submission answered 500.
"""

import sys

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from core import health
from core.keys import key_problems
from tests.production import PRODUCTION_ENV, run_with_env

GOOD = Fernet.generate_key().decode()
TRUNCATED = Fernet.generate_key().decode().rstrip("=")  # the copy and paste that lost its last character


def test_a_key_without_its_trailing_equals_sign_is_named_by_position_never_shown():
    problems = key_problems([GOOD, TRUNCATED])

    assert len(problems) == 1
    assert problems[0].startswith("entry 2 of FIELD_ENCRYPTION_KEYS is not a Fernet key")
    assert TRUNCATED not in problems[0]


@pytest.mark.parametrize("broken", ["", "short", GOOD[:20], GOOD[:-2] + "!="])
def test_other_broken_keys_are_refused_too(broken):
    assert key_problems([broken])


def test_good_keys_pass():
    assert key_problems([GOOD, Fernet.generate_key()]) == []


def test_the_system_check_refuses_a_broken_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = [GOOD, TRUNCATED]

    with pytest.raises(SystemCheckError, match=r"core\.E001.*entry 2 of FIELD_ENCRYPTION_KEYS"):
        call_command("check", "--deploy")


@pytest.mark.django_db
def test_readyz_is_not_ready_with_a_broken_key(client, settings, monkeypatch):
    monkeypatch.setitem(health.CHECKS, "model", lambda: "test-version")
    settings.FIELD_ENCRYPTION_KEYS = [TRUNCATED]

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["encryption"]
    assert "entry 1 of FIELD_ENCRYPTION_KEYS" in body["checks"]["encryption"]["detail"]
    assert TRUNCATED not in response.content.decode()


@pytest.mark.django_db
def test_readyz_is_ready_with_good_keys(client, settings, monkeypatch):
    monkeypatch.setitem(health.CHECKS, "model", lambda: "test-version")
    settings.FIELD_ENCRYPTION_KEYS = [GOOD, Fernet.generate_key().decode()]

    response = client.get("/readyz")

    assert response.json()["checks"]["encryption"] == {"ok": True, "detail": "2 key(s)"}


@pytest.mark.slow
@pytest.mark.subprocess
def test_production_refuses_to_start_with_a_broken_key():
    result = run_with_env(
        [sys.executable, "manage.py", "check", "--deploy"],
        **{**PRODUCTION_ENV, "FIELD_ENCRYPTION_KEYS": f"{GOOD},{TRUNCATED}"},
    )

    assert result.returncode != 0
    assert "entry 2 of FIELD_ENCRYPTION_KEYS is not a Fernet key" in result.stderr
    assert TRUNCATED not in result.stderr + result.stdout
