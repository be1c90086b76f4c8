"""CPU time and SQL statements of each step of a screening, in one process, under production settings.

    DATABASE_URL=postgres://... REDIS_URL=redis://.../N .venv/bin/python benchmarks/request_cpu.py [--n 200]
    ... benchmarks/request_cpu.py --profile submit      # cProfile of one step, the functions that cost most

Where e2e.py measures the whole stack from outside, this measures one process from inside, so a change to the
request path can be judged on a busy machine: it calls config.wsgi.application as gunicorn does (a WSGI environ
per request, every middleware, production settings, metrics in multiprocess mode, answers encrypted) and counts
each step's CPU with time.thread_time(), which other processes do not move. It migrates the database it is given,
creates its own users and leaves their rows behind; the broker is REDIS_URL's Redis (messages are purged at the
end). Steps, each `--n` times:

  submit   POST /api/v1/screenings/ (all 19 answers, a bearer token, a new Idempotency-Key)
  score    the worker's service for one screening (screening_score: claim, score, settle, notify), and per
           screening of a batch of 20
  poll     GET /api/v1/screenings/<id>/ of a finished screening
  wait     GET with `Prefer: wait=10` of a pending screening, woken when another thread scores it
  here     POST with `Prefer: wait=10`, scored in its own request (screening_submit's score_here): the whole of
           what submit + score + wait do through the queue

Prints the median and 90th percentile of CPU ms, and the statements each step ran. Figures only.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import concurrent.futures
import cProfile
import io
import json
import os
import pstats
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The same 19 answers e2e.py sends, so the two benchmarks measure the same screening.
from e2e import ANSWERS  # noqa: E402


def production_environment() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")) or not os.environ.get(
        "REDIS_URL"
    ):
        raise SystemExit("Set DATABASE_URL (PostgreSQL) and REDIS_URL: the step costs depend on both.")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": "bench-" + secrets.token_urlsafe(40),
            "JWT_SIGNING_KEY": "bench-jwt-" + secrets.token_urlsafe(40),
            # One key for every run: a batch also claims screenings an interrupted earlier run left waiting.
            "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(b"request-cpu-benchmark-only-key!!").decode(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
            "WELCOME_CREDITS": "1000000",
            "THROTTLE_AUTH_RATE": "1000000/min",
            # As under gunicorn: every metric sample is written to a file shared by the processes.
            "PROMETHEUS_MULTIPROC_DIR": (metrics_dir := tempfile.mkdtemp(prefix="mhc-request-cpu-")),
        }
    )
    atexit.register(shutil.rmtree, metrics_dir, ignore_errors=True)


def environ(method: str, path: str, *, body: bytes = b"", headers: dict[str, str] | None = None) -> dict:
    """What gunicorn hands the application for a request from http.client on a new connection."""
    env = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "RAW_URI": path,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ACCEPT_ENCODING": "identity",
        "HTTP_CONNECTION": "close",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if body:
        env["CONTENT_TYPE"] = "application/json"
        env["CONTENT_LENGTH"] = str(len(body))
    for name, value in (headers or {}).items():
        env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


class Client:
    def __init__(self, application) -> None:
        self.application = application

    def call(self, method: str, path: str, payload=None, headers=None) -> tuple[int, dict | None]:
        body = json.dumps(payload).encode() if payload is not None else b""
        status: list[str] = []
        response = self.application(
            environ(method, path, body=body, headers=headers), lambda s, h, exc_info=None: status.append(s)
        )
        try:
            content = b"".join(response)
        finally:
            response.close()  # request_finished: what gunicorn does after writing the body
        code = int(status[0].split()[0])
        try:
            return code, (json.loads(content) if content else None)
        except ValueError:
            raise RuntimeError(f"{method} {path} answered {code} with {content[:200]!r}") from None


class Counted:
    """CPU of the calling thread and SQL statements of the default connection over a block."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.cpu: list[float] = []
        self.statements: list[int] = []
        self.count = 0

    def __enter__(self):
        self.count = 0
        self._wrapper = self.connection.execute_wrapper(self._count)
        self._wrapper.__enter__()
        self._started = time.thread_time()
        return self

    def __exit__(self, *exc) -> None:
        self.cpu.append(1000 * (time.thread_time() - self._started))
        self._wrapper.__exit__(*exc)
        self.statements.append(self.count)

    def _count(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def expect_done(status: int, body: dict | None) -> None:
    if status != 200 or not body or body["status"] != "done":
        raise RuntimeError(f"the screening GET answered {status}: {body}")


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def by_package(stats: pstats.Stats) -> str:
    """Own time of the profiled functions summed by the package they belong to, largest first."""
    totals: dict[str, float] = {}
    for (filename, _, name), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "site-packages/" in filename:
            package = filename.split("site-packages/")[1].split("/")[0]
        elif filename.startswith(str(ROOT)):
            package = "project:" + filename[len(str(ROOT)) + 1 :].split("/")[0]
        elif filename == "~":
            package = "builtins:" + name.split(" of ")[-1][:40]
        else:
            package = "stdlib:" + Path(filename).stem
        totals[package] = totals.get(package, 0.0) + own
    whole = sum(totals.values()) or 1.0
    lines = [f"{share / whole:6.1%}  {package}" for package, share in sorted(totals.items(), key=lambda kv: -kv[1])]
    return "\n".join(lines[:40])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="times each step runs")
    parser.add_argument("--model", default="logistic")
    parser.add_argument(
        "--profile", choices=["submit", "score", "poll", "wait", "batch", "here"], help="profile one step"
    )
    parser.add_argument("--top", type=int, default=45, help="functions listed by --profile")
    parser.add_argument("--idempotency-key", action="store_true", help="submit with a new Idempotency-Key each time")
    parser.add_argument("--by-package", action="store_true", help="with --profile: own time summed per package")
    parser.add_argument("--callers", help="with --profile: who calls the functions matching this pattern")
    args = parser.parse_args()
    production_environment()

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    from config.warmup import warm_up

    warm_up()
    from config.celery import app as celery_app
    from config.wsgi import application
    from screening.services import screening_score

    client = Client(application)
    email, password = f"bench-{uuid.uuid4().hex[:12]}@example.com", "bench-pass-phrase-42"
    status, _ = client.call(
        "POST",
        "/api/v1/auth/register/",
        {"email": email, "password": password, "confirm_adult": True, "accept_privacy": True},
    )
    if status != 202:
        raise RuntimeError(f"registration answered {status}")
    _, tokens = client.call("POST", "/api/v1/auth/token/", {"email": email, "password": password})
    auth = {"Authorization": f"Bearer {tokens['access']}"}
    client.call("GET", "/api/v1/me/", headers=auth)  # the sign-in state is cached from here on

    def submit() -> str:
        status, body = client.call(
            "POST",
            "/api/v1/screenings/",
            {"model": args.model, "answers": ANSWERS},
            {**auth, "Idempotency-Key": uuid.uuid4().hex} if args.idempotency_key else auth,
        )
        if status != 202:
            raise RuntimeError(f"submission answered {status}: {body}")
        return body["id"]

    steps = {name: Counted() for name in ("submit", "score", "poll", "wait", "batch", "here")}
    # CPU of this thread, not wall time: a query's wait for PostgreSQL is not the process's cost.
    profiler = cProfile.Profile(time.thread_time) if args.profile else None

    def measured(name: str, function, *call_args):
        with steps[name]:
            if profiler is not None and name == args.profile:
                profiler.enable()
                try:
                    return function(*call_args)
                finally:
                    profiler.disable()
            return function(*call_args)

    for _ in range(5):  # the first calls of a process are not the ones we study
        screening_score(screening_id=submit())

    for _ in range(args.n):
        screening_id = measured("submit", submit)
        measured("score", lambda sid=screening_id: screening_score(screening_id=sid, batch_size=1))
        status, body = measured("poll", client.call, "GET", f"/api/v1/screenings/{screening_id}/", None, auth)
        expect_done(status, body)

    # A waiting GET, woken by a result stored in another thread (as the worker's notification would). The GET runs
    # in one long-lived thread, as a gunicorn thread serves request after request with its own connection.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as web_thread:
        for _ in range(max(1, args.n // 2)):
            screening_id = submit()
            path = f"/api/v1/screenings/{screening_id}/"
            waiting = web_thread.submit(measured, "wait", client.call, "GET", path, None, {**auth, "Prefer": "wait=10"})
            time.sleep(0.02)
            screening_score(screening_id=screening_id, batch_size=1)
            status, body = waiting.result()
            expect_done(status, body)

    def submit_here() -> None:
        status, body = client.call(
            "POST", "/api/v1/screenings/", {"model": args.model, "answers": ANSWERS}, {**auth, "Prefer": "wait=10"}
        )
        expect_done(status, body)

    # Scored in the request, in one long-lived thread as in gunicorn (the waiting slots are per process).
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as web_thread:
        for _ in range(args.n):
            web_thread.submit(measured, "here", submit_here).result()

    # Batches: 20 screenings waiting, one task takes them all.
    batch = 20
    for _ in range(max(1, args.n // batch)):
        ids = [submit() for _ in range(batch)]
        measured("batch", lambda sid=ids[0]: screening_score(screening_id=sid, batch_size=batch))
    steps["batch"].cpu = [cpu / batch for cpu in steps["batch"].cpu]

    celery_app.control.purge()
    print(f"{args.model} · production settings · n={args.n} · CPU ms of the thread (median / p90) · statements")
    for name, label in (
        ("submit", "POST /api/v1/screenings/"),
        ("score", "score one screening (worker service)"),
        ("batch", f"score, per screening of a batch of {batch}"),
        ("poll", "GET a finished screening"),
        ("wait", "GET Prefer: wait=10, woken"),
        ("here", "POST Prefer: wait=10, scored in the request"),
    ):
        counted = steps[name]
        statements = statistics.median(counted.statements)
        if name == "batch":
            statements = f"{statements:g} per batch"
        print(
            f"{label:45} {statistics.median(counted.cpu):6.2f} / {quantile(counted.cpu, 0.9):6.2f} ms"
            f"   {statements} statements"
        )
    if profiler is not None:
        stream = io.StringIO()
        stats = pstats.Stats(profiler, stream=stream)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
        if args.by_package:
            print(by_package(stats))
        if args.callers:
            stats.sort_stats("cumulative").print_callers(args.callers)
        print(stream.getvalue())


if __name__ == "__main__":
    main()
