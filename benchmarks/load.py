"""Mixed API load: logins, questionnaire reads, screening submissions, result polling and history reads.

    .venv/bin/python benchmarks/load.py [--users 6] [--seconds 40] [--base-url http://host:port]

Without --base-url it starts the loopback stack of tests/ops/stack.py (production settings, a scratch PostgreSQL
database, a Redis server of its own, gunicorn with 2 processes x 4 threads, a Celery worker with 2 processes) and
stops it afterwards; it needs PostgreSQL (DATABASE_URL or 127.0.0.1:5432) and redis-server on the PATH.

Each virtual user registers, takes a JWT pair, then loops with no think time over a weighted mix:
  30% read the questionnaire · 10% read the model catalogue · 20% submit a screening and poll until it is done ·
  20% read the history · 10% read the profile · 10% log in again (PBKDF2: the expensive request).
Answers are drawn from the questionnaire the API serves, with some optional questions left unanswered.
Prints, per endpoint: requests, throughput, latency p50/p95/p99 and errors (any unexpected status or a
connection failure), and the submit-to-result time. Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
API = "/api/v1"
# Registration asks for an explicit 18+ confirmation and agreement to the privacy notice.
CONSENT = {"confirm_adult": True, "accept_privacy": True}
MODELS = ("logistic", "logistic", "forest", "xgboost", "ensemble")  # the cheap model twice as often
MIX = (("questionnaire", 30), ("models", 10), ("submit", 20), ("history", 20), ("me", 10), ("login", 10))
# Realistic ranges for numeric answers; anything else is drawn from the low part of its allowed range.
RANGES = {
    "age": (18, 85),
    "household_size": (1, 6),
    "annual_household_income": (0, 180_000),
    "alcohol_drinks_per_day": (0, 5),
    "sitting_hours": (1, 12),
    "sleep_hours": (4, 10),
    "height_cm": (150, 195),
    "weight_kg": (48, 120),
}
# Weight is drawn as a body-mass index in this range at the drawn height: independent draws give bodies the site
# asks about (150 cm and 117 kg, "did you mean pounds?"), which a person would confirm or correct.
BMI_RANGE = (18.0, 40.0)


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    submit_to_result: list[float] = field(default_factory=list)
    screening_ids: list[str] = field(default_factory=list)
    results: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, name: str, seconds: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.latencies[name].append(seconds)
            if not ok:
                self.errors[name] += 1
                if len(self.error_samples) < 10:
                    self.error_samples.append(f"{name}: {detail}")


class Client:
    def __init__(self, base_url: str, stats: Stats) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.stats = stats
        self.conn: http.client.HTTPConnection | None = None
        self.access = ""

    def call(self, name: str, method: str, path: str, body=None, expect=(200,), auth=True):
        headers = {"Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body)
            headers["Content-Type"] = "application/json"
        if auth and self.access:
            headers["Authorization"] = f"Bearer {self.access}"
        started = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self.conn.request(method, API + path, body=payload, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as error:
            self.stats.record(name, time.perf_counter() - started, False, type(error).__name__)
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return None, None
        elapsed = time.perf_counter() - started
        ok = status in expect
        self.stats.record(name, elapsed, ok, f"HTTP {status} {raw[:120]!r}")
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = None
        return status, data


def answers_from(questionnaire: dict, rng: random.Random) -> dict:
    answers: dict = {}
    for question in questionnaire["questions"]:
        key, kind = question["key"], question["kind"]
        if question["optional"] and rng.random() < 0.15:
            continue  # "prefer not to say"
        if kind in {"integer", "number"}:
            low, high = RANGES.get(key, (question["min_value"] or 0, (question["min_value"] or 0) + 10))
            value = rng.uniform(low, high)
            answers[key] = round(value) if kind == "integer" else round(value, 1)
        elif kind == "choice":
            answers[key] = rng.choice([c["value"] for c in question["choices"]])
        elif kind == "multichoice":
            values = [c["value"] for c in question["choices"] if c["value"] != "none"]
            answers[key] = sorted(rng.sample(values, k=rng.choice((0, 0, 1, 2))))
        if key == "weight_kg" and key in answers and "height_cm" in answers:
            answers[key] = round(rng.uniform(*BMI_RANGE) * (answers["height_cm"] / 100) ** 2, 1)
    return answers


def virtual_user(base_url: str, deadline: float, stats: Stats, seed: int) -> None:
    rng = random.Random(seed)
    client = Client(base_url, stats)
    email, password = f"load-{uuid.uuid4().hex[:12]}@example.com", f"load-{uuid.uuid4().hex}"
    client.call("register", "POST", "/auth/register/", {"email": email, "password": password, **CONSENT}, expect=(202,))
    status, tokens = client.call("login", "POST", "/auth/token/", {"email": email, "password": password})
    if status != 200:
        return
    client.access = tokens["access"]
    _, questionnaire = client.call("questionnaire", "GET", "/questionnaire/")
    if not questionnaire:
        return
    names, weights = zip(*MIX, strict=True)
    while time.monotonic() < deadline:
        action = rng.choices(names, weights)[0]
        if action == "questionnaire":
            client.call("questionnaire", "GET", "/questionnaire/")
        elif action == "models":
            client.call("models", "GET", "/models/")
        elif action == "history":
            client.call("history", "GET", "/screenings/")
        elif action == "me":
            client.call("me", "GET", "/me/")
        elif action == "login":
            status, tokens = client.call("login", "POST", "/auth/token/", {"email": email, "password": password})
            if status == 200:
                client.access = tokens["access"]
        else:
            submit_and_wait(client, rng.choice(MODELS), answers_from(questionnaire, rng), stats, deadline + 30)


def submit_and_wait(client: Client, model: str, answers: dict, stats: Stats, give_up_at: float) -> None:
    started = time.perf_counter()
    status, body = client.call("submit", "POST", "/screenings/", {"model": model, "answers": answers}, expect=(202,))
    if status != 202:
        return
    with stats.lock:
        stats.screening_ids.append(body["id"])
    path = f"/screenings/{body['id']}/"
    while time.monotonic() < give_up_at:
        status, result = client.call("poll result", "GET", path)
        if status == 200 and result["status"] in {"done", "failed"}:
            with stats.lock:
                stats.submit_to_result.append(time.perf_counter() - started)
                stats.results.append(result)
            if result["status"] == "failed":
                stats.record("screening outcome", 0.0, False, "screening failed")
            return
        time.sleep(0.1)
    stats.record("screening outcome", 0.0, False, "no result before the deadline")


def run_load(base_url: str, *, users: int, seconds: float, seed: int = 1) -> tuple[Stats, float]:
    stats = Stats()
    started = time.monotonic()
    deadline = started + seconds
    threads = [
        threading.Thread(target=virtual_user, args=(base_url, deadline, stats, seed + n), daemon=True)
        for n in range(users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return stats, time.monotonic() - started


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(stats: Stats, elapsed: float) -> str:
    lines = [
        f"{'endpoint':<16}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}",
    ]
    for name in ("register", "login", "questionnaire", "models", "submit", "poll result", "history", "me"):
        values = stats.latencies.get(name, [])
        if not values:
            continue
        p50, p95, p99 = (percentile(values, q) * 1000 for q in (50, 95, 99))
        lines.append(
            f"{name:<16}{len(values):>9}{len(values) / elapsed:>8.1f}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}"
            f"{stats.errors.get(name, 0):>8}"
        )
    total = sum(len(v) for v in stats.latencies.values() if v)
    errors = sum(stats.errors.values())
    lines.append(f"{'all':<16}{total:>9}{total / elapsed:>8.1f}{'':>27}{errors:>8}")
    done = stats.submit_to_result
    if done:
        lines.append(
            f"submit -> result: {len(done)} screenings, p50 {percentile(done, 50) * 1000:.0f} ms, "
            f"p95 {percentile(done, 95) * 1000:.0f} ms, p99 {percentile(done, 99) * 1000:.0f} ms"
        )
    failed = sum(1 for result in stats.results if result["status"] == "failed")
    lines.append(f"screenings failed: {failed}; errors: {errors}")
    lines.extend(f"  e.g. {sample}" for sample in stats.error_samples[:5])
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--base-url", default="")
    args = parser.parse_args()

    if args.base_url:
        stats, elapsed = run_load(args.base_url, users=args.users, seconds=args.seconds)
        print(report(stats, elapsed))
        return 0

    sys.path.insert(0, str(ROOT))
    from tests.ops.stack import Stack

    with tempfile.TemporaryDirectory(prefix="mhc-load-") as workdir:
        stack = Stack(Path(workdir), with_prometheus=False)
        try:
            stack.start()
            print(
                f"stack: gunicorn {stack.web_workers} processes x 4 threads, Celery worker concurrency "
                f"{stack.worker_concurrency}, PostgreSQL, Redis; {args.users} users for {args.seconds:.0f} s"
            )
            stats, elapsed = run_load(stack.web_url, users=args.users, seconds=args.seconds)
        finally:
            stack.stop()
    print(report(stats, elapsed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
