"""Running a command under config.settings.production, in a process of its own (settings load once)."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "k3$8vQ!x7pL#2mZr9TnW4yB6cD1fG5hJ0sA-uE_iO+pQ=rS%tU^vX&wY*zK",
    "JWT_SIGNING_KEY": "another-very-long-signing-key-9f8e7d6c5b4a3928171615141312",
    "ALLOWED_HOSTS": "mhc.example.org",
    "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "FIELD_ENCRYPTION_KEYS": "yBC8N0n5P0Gb8kQx8cYq3Gm3m3bQ1m2kQ1m3bQ1m2kQ=",
}


def run_with_env(command: list[str], **env: str) -> subprocess.CompletedProcess:
    """`command` with only `env` deciding the production variables (none inherited from this process)."""
    inherited = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "PROMETHEUS_MULTIPROC_DIR"}
    return subprocess.run(  # noqa: S603
        command, cwd=ROOT, env={**inherited, **env}, capture_output=True, text=True, timeout=120
    )
