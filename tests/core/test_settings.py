import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "k3$8vQ!x7pL#2mZr9TnW4yB6cD1fG5hJ0sA-uE_iO+pQ=rS%tU^vX&wY*zK",
    "JWT_SIGNING_KEY": "another-very-long-signing-key-9f8e7d6c5b4a3928171615141312",
    "ALLOWED_HOSTS": "mhc.example.org",
    "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_production_settings_pass_the_deploy_check_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "JWT_SIGNING_KEY", "ALLOWED_HOSTS", "REDIS_URL"])
def test_production_refuses_to_start_without_its_secrets_and_hosts(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}

    result = manage("check", **env)

    assert result.returncode != 0
    assert missing in result.stderr


@pytest.mark.slow
def test_production_refuses_a_jwt_key_equal_to_the_secret_key():
    result = manage("check", **{**PRODUCTION_ENV, "JWT_SIGNING_KEY": PRODUCTION_ENV["DJANGO_SECRET_KEY"]})

    assert result.returncode != 0
    assert "JWT_SIGNING_KEY must differ" in result.stderr
