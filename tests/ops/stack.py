"""A loopback copy of the compose stack without Docker: gunicorn, a Celery worker, Redis and Prometheus.

Used by the operations proof (tests/ops/proof.py, run by .ci/ops-proof) and by benchmarks/load.py. It creates a
scratch PostgreSQL database and a Redis server of its own on free ports (the shared Redis is never touched),
runs the site with production settings, and Prometheus with the jobs of docker/prometheus/prometheus.yml pointed
at those ports. `stop()` ends every process it started, by process group, and drops the database.
Not a test module: pytest collects only test_*.py.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_CONFIG = ROOT / "docker" / "prometheus" / "prometheus.yml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(url: str, *, headers: dict[str, str] | None = None, timeout: float = 5) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (loopback URLs built here)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_for(what: str, check, timeout: float = 90, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
            last = result
        except (OSError, ValueError) as error:
            last = error
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready after {timeout:.0f}s (last: {last!r})")


@dataclass
class Stack:
    workdir: Path
    web_workers: int = 2
    worker_concurrency: int = 2
    scrape_interval: str = "1s"
    with_prometheus: bool = True
    with_beat: bool = False
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.token = secrets.token_urlsafe(32)
        self.ports = {name: free_port() for name in ("web", "worker", "redis", "prometheus")}
        self.web_url = f"http://127.0.0.1:{self.ports['web']}"
        self.worker_metrics_url = f"http://127.0.0.1:{self.ports['worker']}/metrics"
        self.prometheus_url = f"http://127.0.0.1:{self.ports['prometheus']}"
        self.logs = self.workdir / "logs"
        self.processes: dict[str, subprocess.Popen] = {}
        server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        parts = urlsplit(server)
        if parts.scheme not in {"postgres", "postgresql"}:
            parts = urlsplit("postgres://postgres@127.0.0.1:5432/postgres")
        self.database = f"mhc_ops_{os.getpid()}"
        self.admin_database_url = parts._replace(path="/postgres").geturl()
        self.database_url = parts._replace(path=f"/{self.database}").geturl()

    # --- environment -----------------------------------------------------------------------------------------
    def env(self, **overrides: str) -> dict[str, str]:
        redis = f"redis://127.0.0.1:{self.ports['redis']}"
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "PROMETHEUS_"))}
        return {
            **inherited,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": "ops-proof-" + secrets.token_urlsafe(40),
            "JWT_SIGNING_KEY": "ops-proof-jwt-" + secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": f"{redis}/1",
            "CELERY_BROKER_URL": f"{redis}/0",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "METRICS_BEARER_TOKEN": self.token,
            "STATIC_ROOT": str(self.workdir / "static"),
            # No mail leaves a test stack; production refuses the console backend.
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "FIELD_ENCRYPTION_KEYS": "Yk0x5o0vV1q8Hh3m0wq7cJ8mYQ0yQb6pW1d2E3r4T5U=",
            "LOG_FORMAT": "json",
            # Load generators log in and register from one address and spend credits quickly.
            "THROTTLE_AUTH_RATE": "100000/min",
            "WELCOME_CREDITS": "100000",
            **self.extra_env,
            **overrides,
        }

    # --- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> Stack:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(exist_ok=True)
        self._secrets_stable()
        self.start_redis()
        self._create_database()
        self._manage("migrate", "--noinput", "--verbosity", "0")
        self._manage("collectstatic", "--noinput", "--verbosity", "0")
        self._start_web()
        self._start_worker()
        if self.with_beat:
            self._start_beat()
        if self.with_prometheus:
            self._start_prometheus()
        self.wait_ready()
        return self

    def _secrets_stable(self) -> None:
        # Every process must sign and check tokens with the same keys: fix them once for this stack.
        fixed = self.env()
        self.extra_env = {
            **self.extra_env,
            "DJANGO_SECRET_KEY": fixed["DJANGO_SECRET_KEY"],
            "JWT_SIGNING_KEY": fixed["JWT_SIGNING_KEY"],
        }

    def stop(self) -> None:
        for name in reversed(list(self.processes)):
            self._terminate(name)
        self._drop_database()

    def __enter__(self) -> Stack:
        # A start that fails half-way (a process that never gets ready) must not leave the others running.
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- pieces ----------------------------------------------------------------------------------------------
    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(  # noqa: S603
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes[name] = process
        return process

    def _terminate(self, name: str, timeout: float = 20) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        with_group = _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            if not with_group:
                process.kill()
            _signal_group(process, signal.SIGKILL)
            process.wait(timeout=10)
        # Children that outlived their parent (a prefork pool) go with the group.
        _signal_group(process, signal.SIGKILL)

    def start_redis(self) -> None:
        self._spawn(
            "redis",
            ["redis-server", "--port", str(self.ports["redis"]), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            dict(os.environ),
        )  # fmt: skip
        wait_for("redis", lambda: _redis_ping(self.ports["redis"]), timeout=20, interval=0.1)

    def stop_redis(self) -> None:
        self._terminate("redis")

    def _manage(self, *args: str) -> None:
        result = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env(), capture_output=True, text=True, timeout=600
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")

    def _create_database(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_database_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}"')
            conn.execute(f'CREATE DATABASE "{self.database}"')

    def _drop_database(self) -> None:
        import psycopg

        try:
            with psycopg.connect(self.admin_database_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        except psycopg.Error as error:
            print(f"could not drop {self.database}: {error}", file=sys.stderr)

    def _multiproc_dir(self, name: str) -> str:
        directory = self.workdir / f"prometheus-{name}"
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir()
        return str(directory)

    def _start_web(self) -> None:
        env = self.env(
            GUNICORN_BIND=f"127.0.0.1:{self.ports['web']}",
            GUNICORN_WORKERS=str(self.web_workers),
            GUNICORN_THREADS="4",
            PROMETHEUS_MULTIPROC_DIR=self._multiproc_dir("web"),
        )
        self._spawn("web", [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"], env)

    def _start_worker(self) -> None:
        env = self.env(
            CELERY_METRICS_PORT=str(self.ports["worker"]),
            CELERY_METRICS_ADDRESS="127.0.0.1",
            PROMETHEUS_MULTIPROC_DIR=self._multiproc_dir("worker"),
        )
        args = [
            sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO",
            f"--concurrency={self.worker_concurrency}", "--without-gossip", "--without-mingle",
            f"--hostname=ops-{os.getpid()}@%h",
        ]  # fmt: skip
        self._spawn("worker", args, env)

    def _start_beat(self) -> None:
        args = [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO",
                f"--schedule={self.workdir / 'celerybeat-schedule'}"]  # fmt: skip
        self._spawn("beat", args, self.env())

    def prometheus_config(self) -> dict:
        """docker/prometheus/prometheus.yml with its targets on this stack's loopback ports."""
        config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
        config["global"]["scrape_interval"] = self.scrape_interval
        config["global"]["evaluation_interval"] = self.scrape_interval
        targets = {
            "web": f"127.0.0.1:{self.ports['web']}",
            "worker": f"127.0.0.1:{self.ports['worker']}",
            "prometheus": f"127.0.0.1:{self.ports['prometheus']}",
        }
        for job in config["scrape_configs"]:
            job["static_configs"] = [{"targets": [targets[job["job_name"]]]}]
        return config

    def _start_prometheus(self) -> None:
        directory = self.workdir / "prometheus"
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir()
        (directory / "metrics_token").write_text(self.token)
        (directory / "metrics_token").chmod(0o600)
        (directory / "prometheus.yml").write_text(yaml.safe_dump(self.prometheus_config()))
        args = [
            shutil.which("prometheus") or "prometheus",
            f"--config.file={directory / 'prometheus.yml'}",
            f"--storage.tsdb.path={directory / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.ports['prometheus']}",
            "--storage.tsdb.retention.time=1d",
            "--log.level=warn",
        ]
        self._spawn("prometheus", args, dict(os.environ))

    def wait_ready(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited at start; see {self.logs / (name + '.log')}")
        wait_for("web /readyz", lambda: http_get(f"{self.web_url}/readyz")[0] == 200)
        wait_for("worker metrics", lambda: http_get(self.worker_metrics_url)[0] == 200)
        if self.with_prometheus:
            wait_for("prometheus", lambda: http_get(f"{self.prometheus_url}/-/ready")[0] == 200)
            wait_for("every scrape target up", self._all_targets_up, timeout=60)

    def _all_targets_up(self) -> bool:
        status, body = http_get(f"{self.prometheus_url}/api/v1/targets")
        if status != 200:
            return False
        active = json.loads(body)["data"]["activeTargets"]
        return bool(active) and all(target["health"] == "up" for target in active)

    def query(self, expr: str) -> list[dict]:
        url = f"{self.prometheus_url}/api/v1/query?" + urlencode({"query": expr})
        status, body = http_get(url, timeout=15)
        payload = json.loads(body)
        if status != 200 or payload.get("status") != "success":
            raise RuntimeError(f"query failed ({status}): {expr}\n{payload.get('error')}")
        return payload["data"]["result"]


def _redis_ping(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(16).startswith(b"+PONG")


def _signal_group(process: subprocess.Popen, signum: int) -> bool:
    try:
        os.killpg(process.pid, signum)  # the group this stack created with start_new_session
        return True
    except (ProcessLookupError, PermissionError):
        return False


class PrivatePostgres:
    """A throwaway PostgreSQL server on a free loopback port, in its own directory, that a test may stop and start.

    The shared server on 5432 is never touched. initdb and postgres refuse to run as root, so as root the server
    runs as the `postgres` system user (which Debian's package creates).
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.datadir = workdir / "pgdata"
        self.port = free_port()
        self.bindir = self._bindir()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    @staticmethod
    def _bindir() -> Path:
        candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if candidates:
            return candidates[-1].parent
        initdb = shutil.which("initdb")
        if initdb:
            return Path(initdb).resolve().parent
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found")

    def _run(self, *args: str, timeout: float = 120) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)  # noqa: S603
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed:\n{result.stdout}\n{result.stderr}")

    def init(self) -> PrivatePostgres:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.workdir, user="postgres")
        self._run("initdb", "-D", str(self.datadir), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")
        return self

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.workdir} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.datadir), "-l", str(self.workdir / "postgres.log"), "-o", options,
                  "-w", "start")  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")

    def is_running(self) -> bool:
        return (self.datadir / "postmaster.pid").exists()
