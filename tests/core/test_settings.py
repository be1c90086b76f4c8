import subprocess
import sys

import pytest

from tests.production import PRODUCTION_ENV, run_with_env


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return run_with_env([sys.executable, "manage.py", *args], **env)


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
