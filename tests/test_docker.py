"""The image's build steps, checked without a Docker daemon: the Dockerfile's own collectstatic command runs."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "docker" / "Dockerfile"


def run_instructions() -> list[str]:
    """Every RUN instruction of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    return [line.removeprefix("RUN ").strip() for line in text.splitlines() if line.startswith("RUN ")]


def collectstatic_command() -> tuple[dict[str, str], list[str]]:
    """The environment assignments and the command of the RUN step that collects static files."""
    [step] = [run for run in run_instructions() if "collectstatic" in run]
    [command] = [part for part in step.split("&&") if "collectstatic" in part]
    words = shlex.split(command)
    env = dict(word.split("=", 1) for word in words if re.fullmatch(r"[A-Z_]+=\S*", word))
    return env, [word for word in words if word.split("=", 1)[0] not in env]


@pytest.mark.subprocess
def test_the_images_collectstatic_command_runs_without_secrets_or_services(tmp_path):
    env, command = collectstatic_command()
    assert command[:3] == ["python", "manage.py", "collectstatic"]
    # Only what the image has: its own ENV lines and this step's assignments, no DATABASE_URL, REDIS_URL or secret.
    image_env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "HOME": str(tmp_path),
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, *command[1:]],
        cwd=ROOT,
        env={**image_env, **env, "STATIC_ROOT": str(tmp_path / "static")},
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "static" / "staticfiles.json").is_file()  # the manifest production serves from
    assert list((tmp_path / "static").rglob("site.*.css"))
