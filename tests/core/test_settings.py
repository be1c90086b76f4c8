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


@pytest.mark.slow
def test_production_refuses_the_console_email_backend():
    result = manage("check", **{**PRODUCTION_ENV, "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"})

    assert result.returncode != 0
    assert "EMAIL_BACKEND" in result.stderr


PROXY_HEADER = "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)"


@pytest.mark.slow
def test_x_forwarded_proto_is_trusted_only_behind_a_configured_proxy():
    direct = manage("shell", "--no-imports", "-c", PROXY_HEADER, **PRODUCTION_ENV)
    proxied = manage("shell", "--no-imports", "-c", PROXY_HEADER, **{**PRODUCTION_ENV, "NUM_PROXIES": "1"})

    assert direct.stdout.strip() == "None", direct.stderr
    assert proxied.stdout.strip() == "('HTTP_X_FORWARDED_PROTO', 'https')", proxied.stderr
