"""Submit-to-result throughput of the real stack: gunicorn + a Celery worker + PostgreSQL + Redis, on loopback.

    .venv/bin/python benchmarks/e2e.py [--clients 20] [--seconds 20] [--model logistic] [--rate 0]

Creates a scratch database (mhc_bench), starts the servers, drives `--clients` concurrent API clients that
submit screenings as fast as they can, and prints submit latency p50/p95 (HTTP round trip of POST /screenings/),
submit-to-done p50/p95 (created_at -> finished_at, from the database) and sustained screenings/s (finished in the
measured window / window length). Everything it starts is stopped at the end. Needs PostgreSQL and Redis.

With --rate 0 (the default) every client submits as fast as it can: that finds the sustained throughput, and by
Little's law its latency is clients / throughput, mostly time spent queued. --rate R paces the clients to R
submissions per second in total, which shows the latency of a site that is busy but not saturated.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
ANSWERS = {
    "age": 41, "sex": "female", "education": "some_college", "marital_status": "married_or_partner",
    "household_size": 3, "annual_household_income": 52000, "employment": "working", "smoking": "never",
    "alcohol_drinks_per_day": 1, "physical_activity": "moderate", "sitting_hours": 7, "diet_quality": "good",
    "sleep_hours": 6.5, "sleep_trouble_told_doctor": "no", "height_cm": 170, "weight_kg": 72,
    "conditions": [], "general_health": "good", "mental_health_visit": "no",
}  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql, "postgres"], check=True)


def request(conn: http.client.HTTPConnection, method: str, path: str, body=None, token: str | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    return response.status, json.loads(response.read() or b"null")


def wait_for_http(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/models/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not come up")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--model", default="logistic")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=1, help="threads per gunicorn process (gthread)")
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--worker-pool", default="prefork", choices=["prefork", "threads", "solo"])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--rate", type=float, default=0, help="total submissions/s to offer; 0 = saturate")
    args = parser.parse_args()

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/mhc_bench",
        "REDIS_URL": "redis://127.0.0.1:6379/3",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "THROTTLE_AUTH_RATE": "100000/min",
        "WELCOME_CREDITS": "1000000",
        "LOG_LEVEL": "WARNING",
    }
    psql("DROP DATABASE IF EXISTS mhc_bench")
    psql("CREATE DATABASE mhc_bench")
    if os.environ.get("BENCH_ASYNC_COMMIT"):
        psql("ALTER DATABASE mhc_bench SET synchronous_commit = off")
    subprocess.run(["redis-cli", "-n", "3", "FLUSHDB"], check=True, capture_output=True)
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)

    procs = [
        subprocess.Popen(
            [PY, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{args.port}", "-w", str(args.web_workers),
             "--threads", str(args.web_threads), "--log-level", "warning"],
            cwd=ROOT, env=env,
        ),
        subprocess.Popen(
            [PY, "-m", "celery", "-A", "config", "worker", "--loglevel=WARNING", "-c", str(args.worker_concurrency),
             "--pool", args.worker_pool, "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env,
        ),
    ]  # fmt: skip
    try:
        wait_for_http(args.port)
        tokens = []
        conn = http.client.HTTPConnection("127.0.0.1", args.port)
        for n in range(args.clients):
            email, password = f"bench{n}@example.com", "bench-pass-phrase-42"
            request(conn, "POST", "/api/v1/auth/register/", {"email": email, "password": password})
            _, body = request(conn, "POST", "/api/v1/auth/token/", {"email": email, "password": password})
            tokens.append(body["access"])

        latencies: list[tuple[float, float]] = []  # (sent at, seconds)
        errors: list[int] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + args.warmup + args.seconds

        def client(token: str, offset: float) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", args.port)
            interval = args.clients / args.rate if args.rate else 0
            next_at = time.monotonic() + offset * interval
            while time.monotonic() < stop_at:
                if interval:
                    time.sleep(max(0.0, next_at - time.monotonic()))
                    next_at += interval
                sent = time.monotonic()
                body = {"model": args.model, "answers": ANSWERS}
                status, _ = request(conn, "POST", "/api/v1/screenings/", body, token)
                took = time.monotonic() - sent
                with lock:
                    (latencies.append((sent, took)) if status == 202 else errors.append(status))

        started = time.monotonic()
        threads = [threading.Thread(target=client, args=(t, n / len(tokens))) for n, t in enumerate(tokens)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        measured = [took for sent, took in latencies if sent - started >= args.warmup]
        time.sleep(3)  # let the worker drain the queue before reading results

        sys.path.insert(0, str(ROOT))
        os.environ.update(env)
        import django

        django.setup()
        from django.db.models import Count, Max, Min

        from screening.models import Screening

        done = Screening.objects.filter(status="done")
        durations = [(s.finished_at - s.created_at).total_seconds() for s in done.only("created_at", "finished_at")]
        window = done.aggregate(first=Min("finished_at"), last=Max("finished_at"))
        by_status = dict(Screening.objects.values_list("status").annotate(n=Count("id")))
        span = (window["last"] - window["first"]).total_seconds() if durations else 0

        offered = f"{args.rate:g}/s" if args.rate else "as fast as possible"
        print(
            f"model={args.model} clients={args.clients} offered={offered} web_workers={args.web_workers} "
            f"web_threads={args.web_threads} worker={args.worker_pool}x{args.worker_concurrency} "
            f"measured={args.seconds:.0f}s (+{args.warmup:.0f}s warm-up)"
        )
        print(
            f"submit latency:     p50 {1000 * statistics.median(measured):6.1f} ms   "
            f"p95 {1000 * percentile(measured, 95):6.1f} ms   ({len(measured)} requests)"
        )
        print(
            f"submit-to-done:     p50 {1000 * statistics.median(durations):6.1f} ms   "
            f"p95 {1000 * percentile(durations, 95):6.1f} ms"
        )
        print(
            f"sustained:          {len(durations) / span:6.1f} screenings/s done "
            f"({len(durations)} in {span:.1f}s); submitted {len(latencies) / (time.monotonic() - started):.1f}/s"
        )
        print(f"errors:             {len(errors)} non-202 responses {sorted(set(errors))}; statuses {by_status}")
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
