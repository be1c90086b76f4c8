"""Where one screening's wall time goes at one client: a timeline of its steps, sampled from outside.

    .venv/bin/python benchmarks/timeline.py                          # 200 screenings, logistic, one run
    .venv/bin/python benchmarks/timeline.py --runs 3 --model ensemble --screenings 300

The stack is e2e.py's (production settings, gunicorn per config/gunicorn.py, a Celery prefork worker with two
children, a PostgreSQL and a redis-server of its own on loopback). One client sends the screenings one at a time,
each on a new connection, all 19 answers, POST /api/v1/screenings/ with `Prefer: wait=10`, and times its own
side: the TCP connect, sending the request, the wait for the first byte, reading the body. Nothing in the
production code is timed or changed: py-spy (root needed) samples every Python process of the stack and this
client at --rate per second, idle threads included (a thread blocked on PostgreSQL or Redis is time too), without
pausing them (--nonblocking), and writes the stacks it saw with how often it saw each (--format raw). Each stack
is placed in a step by where it is: the thread and process it belongs to, and its frames (the innermost that
tells, e.g. cryptography inside an INSERT is encryption, psycopg inside wallet_hold is the hold).

Samples become milliseconds through the client's own thread, sampled at the same instants: the client spends a
known time (its timers) inside its request, so one sample is that time over the client's samples. Every step is
a mean per screening (samples of that step x ms per sample / screenings): a sample every few milliseconds cannot
time one screening's 1 ms step, but over a few hundred screenings its mean is exact within the statistical
error printed beside it. Steps in the web request thread and in the worker overlap in time only through the
web's wait for the result: the worker's steps are taken out of that wait, and what remains of it is the pickup
(the Redis queue, the Celery master, the hand-off to a pool child, its task set-up and the claim). What the
samples do not cover (the hand-off from gunicorn's accepting thread to a request thread, socket transit, a
process waiting for a core) is printed as unattributed. The client's wall time is measured both with the sampler
running and without it (blocks before and after), so the sampler's own cost shows.

Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from e2e import ANSWERS, ROOT, Stack, percentile, scratch_stack, tokens_for

CLIENT_FUNCTION = "timed_screening"  # this client's request, recognised in its own sampled stacks

# The timeline's steps, in the order a screening meets them. Worker steps happen while the web thread waits.
STEPS = [
    ("connection", "client TCP connect + sending the request, gunicorn accepting and parsing it"),
    ("authentication", "the bearer token and the cached user (accounts.authentication, simplejwt)"),
    ("validation", "reading the JSON body, the input serializer, validate_answers, body-size check"),
    ("encryption", "Fernet encryption of the answers at the insert (core.fields, cryptography)"),
    ("insert and hold", "idempotent create: INSERT, wallet_hold, COMMIT (PostgreSQL round trips)"),
    ("publish", "apply_async to the Redis broker after the commit"),
    ("claim", "pending -> running under the lease, when the request scores its own (a worker's is in its pickup)"),
    ("logs and metrics (web)", "JSON log lines, Prometheus samples, in the request"),
    ("framework (web)", "Django middleware, routing, DRF dispatch not placed above"),
    ("the worker's pickup", "publish -> task running: Redis queue, Celery master, pool hand-off, set-up, claim"),
    ("scoring", "score_batch: the model, its explanation and what-ifs"),
    ("settling", "result stored, hold captured, COMMIT (_screening_settle, billing)"),
    ("the notification", "Redis PUBLISH after the commit, the web listener waking the request"),
    ("the response", "status read, waiting set-up, read back and decrypt, serialize, render, send, client read"),
    ("unattributed", "thread hand-offs, socket transit, waiting for a core: wall time no sample explains"),
]


@dataclass
class Timed:
    connect: float
    send: float
    first_byte: float
    body: float

    @property
    def wall(self) -> float:
        return self.connect + self.send + self.first_byte + self.body


def timed_screening(stack: Stack, token: str, model: str, wait: int) -> Timed:
    """One screening as a client sees it, on a new connection; its four phases timed (seconds)."""
    body = json.dumps({"model": model, "answers": ANSWERS})
    headers = {
        "Content-Type": "application/json",
        "Connection": "close",
        "Authorization": f"Bearer {token}",
        "Prefer": f"wait={wait}",
    }
    started = time.perf_counter()
    conn = stack.connection()
    try:
        conn.connect()
        connected = time.perf_counter()
        conn.request("POST", "/api/v1/screenings/", body=body, headers=headers)
        sent = time.perf_counter()
        response = conn.getresponse()
        first_byte = time.perf_counter()
        payload = response.read()
        done = time.perf_counter()
    finally:
        conn.close()
    if response.status != 200 or json.loads(payload)["status"] != "done":
        raise RuntimeError(f"the screening was not answered done within the wait ({response.status})")
    return Timed(connected - started, sent - connected, first_byte - sent, done - first_byte)


# --- placing a sampled stack in a step ----------------------------------------------------------------------

CRYPTO = ("cryptography/", "core/fields.py", "encrypted_fields/")
TELEMETRY = ("logging/", "core/logging.py", "pythonjsonlogger/", "prometheus_client/", "screening/metrics.py")
DATABASE = ("psycopg/", "psycopg_pool/", "django/db/")
AUTHENTICATION = ("rest_framework_simplejwt/", "accounts/authentication.py", "jwt/")
AUTH_FUNCTIONS = {"Request._authenticate", "APIView.perform_authentication", "Request.user"}
VALIDATION_FUNCTIONS = {
    "BaseSerializer.is_valid", "Serializer.run_validation", "Request.data", "Request._load_data_and_files",
    "Request._parse", "JSONParser.parse", "validate_answers", "body_size_warning",
}  # fmt: skip
RESPONSE_FUNCTIONS = {
    "APIView.finalize_response", "Response.rendered_content", "SimpleTemplateResponse.render",
    "answer_wait_preference", "detail_url", "submitted_headers", "Serializer.data", "BaseSerializer.data",
    "Response.write", "Response.close", "Response.send_headers", "Response.default_headers",
}  # fmt: skip
# What a database step spends its samples on, by the innermost of these functions in the stack.
STATEMENTS = [
    ("BaseConnection._start_query", "BEGIN"),  # psycopg opens a transaction with a round trip of its own
    ("is_usable", "connection health check"),
    ("BaseDatabaseWrapper.commit", "COMMIT"),
    ("Atomic.__enter__", "atomic() entry"),
    ("request_fingerprint", "fingerprint"),
    ("wallet_settle_many", "capture (billing)"),
    ("wallet_hold", "wallet_hold"),
    ("QuerySet.create", "INSERT"),
    ("QuerySet.bulk_update", "UPDATE"),
    ("QuerySet.update", "UPDATE"),
    ("QuerySet.first", "SELECT"),
    ("QuerySet.__iter__", "SELECT"),
    ("QuerySet._fetch_all", "SELECT"),
]
PRERUN = {"_task_started", "_close_old_connections", "close_old_connections"}
POSTRUN = {"_task_finished", "info", "on_success", "mark_as_done", "_SimpleQueue.put", "send_postrun"}


def leaf(frames: list[tuple[str, str]]) -> str:
    """What the innermost telling frame is doing: crypto, telemetry, database, redis or python."""
    for _name, filename in reversed(frames):
        if filename.startswith(CRYPTO):
            return "crypto"
        if filename.startswith(TELEMETRY) and not filename.startswith("django_prometheus/"):
            return "telemetry"
        if filename.startswith(DATABASE):
            return "database"
        if filename.startswith(("redis/", "kombu/")):
            return "redis"
    return "python"


def statement(frames: list[tuple[str, str]], default: str) -> str:
    for name, _ in reversed(frames):
        for function, label in STATEMENTS:
            if name == function:
                return label
    return default


def scoring_step(frames: list[tuple[str, str]], names: set[str], inner: str, who: str) -> tuple[str, str]:
    """The step of a stack inside screening_score, in the worker or in the request that scores its own."""
    if "notify_finished" in names:
        return "the notification", f"{who} publishes"
    if "_observe" in names:
        return "after", f"{who}: metrics and log after the notification"
    if "screening_claim_batch" in names:
        return "claim", statement(frames, inner)
    if "score_batch" in names:
        return "scoring", inner
    if names & {"_screening_settle", "screening_fail"}:
        return "settling", statement(frames, inner) if inner == "database" else inner
    return ("task set-up", "inside the task") if who == "worker" else ("settling", inner)


def place(kind: str, frames: list[tuple[str, str]]) -> tuple[str, str]:
    """(step, detail) of one sampled stack of a process of this `kind`; step "idle" when it is not working."""
    names = {name for name, _ in frames}
    files = [filename for _, filename in frames]
    inner = leaf(frames)

    def anywhere(prefixes: tuple[str, ...]) -> bool:
        return any(filename.startswith(prefixes) for filename in files)

    if kind == "client":
        return ("client", "in request") if CLIENT_FUNCTION in names else ("idle", "client")
    if kind == "web":
        if "screening_score" in names:  # scored in the request itself (screening_submit's score_here)
            step, detail = scoring_step(frames, names, inner, "request")
            return ("logs and metrics (web)", detail) if step == "after" else (step, detail)
        if "_Process._listen" in names:
            return ("the notification", "web listener wakes the request") if "_Process.wake" in names else ("idle", "")
        if "ThreadWorker.handle" not in names:
            if names & {"ThreadWorker.accept", "ThreadWorker.enqueue_req", "ThreadWorker.on_client_socket_readable"}:
                return "connection", "gunicorn accept"
            return "idle", "web main thread"
        if "ThreadWorker.handle_request" not in names:
            return "connection", "gunicorn reading and parsing the request"
        if "Waiter.wait" in names:
            return "waiting", ""
        if "screening_get_awaited" in names:
            if "screening_get" in names:
                return "the response", "read back: decrypt" if inner == "crypto" else "read back: " + inner
            if "waiter" in names or "_Process.listening" in names:
                return "the response", "waiter set-up"
            return "the response", "status read"
        if "screening_submit" in names:
            if "_enqueue" in names:
                return "publish", inner
            if inner == "crypto":
                return "encryption", ""
            if names & VALIDATION_FUNCTIONS:
                return "validation", "validate_answers"
            if inner == "telemetry":
                return "logs and metrics (web)", "screening submitted"
            return "insert and hold", statement(frames, inner)
        if anywhere(AUTHENTICATION) or names & AUTH_FUNCTIONS:
            return "authentication", inner
        if names & VALIDATION_FUNCTIONS:
            return "validation", "body and serializer"
        if inner == "telemetry":
            return "logs and metrics (web)", "request log and metrics"
        if anywhere(("gunicorn/http/wsgi.py",)):
            return "the response", "gunicorn sends"
        if names & RESPONSE_FUNCTIONS or anywhere(("rest_framework/renderers.py",)):
            return "the response", "serialize and render"
        return "framework (web)", inner
    if kind == "child":
        if "score_screening" in names:
            step, detail = scoring_step(frames, names, inner, "worker")
            return ("worker claim", detail) if step == "claim" else (step, detail)
        if "trace_task" in " ".join(names):
            if names & PRERUN:
                return "task set-up", "prerun: " + statement(frames, inner)
            if names & POSTRUN:
                return "after", "Celery after the task"
            return "task set-up", "Celery around the task"
        if "_SimpleQueue.put" in names:
            return "after", "result to the master"
        return "idle", "pool child"
    if kind == "master":
        joined = " ".join(names)
        if "basic_ack" in joined or "on_result_readable" in joined or "ResultHandler" in joined:
            return "after", "Celery master: ack and result"
        if any(
            marker in joined
            for marker in ("_deliver", "basic_consume", "_write_job", "schedule_writes", "_brpop_read", "on_readable")
        ):
            return "master", "receive and hand to a child"
        return "idle", "Celery master"
    return "idle", kind


def read_profile(path: Path, client_pid: int) -> collections.Counter[tuple[str, str, str]]:
    """py-spy's raw output as sample counts per (process kind, step, detail)."""
    counts: collections.Counter[tuple[str, str, str]] = collections.Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        processes, frames = [], []
        for frame in stack.split(";"):
            if frame.startswith("process "):
                processes.append(frame)
            else:
                name, _, filename = frame.rpartition(" (")
                frames.append((name, filename.rstrip(")")))
        kind = process_kind(processes, client_pid)
        step, detail = place(kind, frames)
        counts[(kind, step, detail)] += int(count)
    return counts


def process_kind(processes: list[str], client_pid: int) -> str:
    own = processes[-1] if processes else ""
    if own.startswith(f"process {client_pid}:"):
        return "client"
    if "gunicorn" in own:
        return "web" if len(processes) >= 3 else "web master"
    if "celery" in own:
        return "child" if len(processes) >= 3 else "master"
    return "other"


# --- one run --------------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    steps: dict[str, float]  # mean ms per screening
    errors: dict[str, float]  # two standard errors of each, from the sampling alone
    details: dict[str, dict[str, float]]
    off_path: dict[str, float]
    wall_sampled: list[float]
    wall_plain: list[float]
    timed: list[Timed]
    ms_per_sample: float
    client_samples: int


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def sample_screenings(stack: Stack, token: str, args, workdir: Path) -> RunResult:
    plain = [timed_screening(stack, token, args.model, args.wait) for _ in range(args.unsampled)]
    profile = workdir / f"profile-{time.monotonic_ns()}.txt"
    spy_log = (workdir / "py-spy.log").open("w+")
    spy = subprocess.Popen(
        [py_spy(), "record", "--pid", str(os.getpid()), "--subprocesses", "--idle", "--nonblocking", "--nolineno",
         "--format", "raw", "--rate", str(args.rate), "--output", str(profile)],
        stdout=spy_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    # py-spy attaches to each process in turn; a second covers it on a busy machine.
    time.sleep(args.attach_seconds)
    try:
        sampled = [timed_screening(stack, token, args.model, args.wait) for _ in range(args.screenings)]
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)
    plain += [timed_screening(stack, token, args.model, args.wait) for _ in range(args.unsampled)]
    spy_log.seek(0)
    if not profile.exists():
        raise SystemExit("py-spy wrote no profile:\n" + spy_log.read())
    counts = read_profile(profile, os.getpid())
    if not args.keep:
        profile.unlink()
    return attribute(counts, sampled, plain)


def attribute(counts: collections.Counter, sampled: list[Timed], plain: list[Timed]) -> RunResult:
    n = len(sampled)
    client_samples = sum(c for (kind, step, _), c in counts.items() if kind == "client" and step == "client")
    ms_per_sample = 1000 * sum(t.wall for t in sampled) / max(client_samples, 1)
    by_step: collections.Counter[str] = collections.Counter()
    details: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for (kind, step, detail), count in counts.items():
        if step in ("idle", "client"):
            continue
        by_step[step] += count
        details[step][f"{kind}: {detail}" if detail else kind] += count

    def ms(samples: float) -> float:
        return samples * ms_per_sample / n

    def variance(mean_ms: float) -> float:
        # A step of d ms on a grid of g ms is seen floor(d/g) or ceil(d/g) times in one screening: the count's
        # variance is at most q(1 - q) with q the fraction of a sample left over (at most 1/4).
        q = min(0.5, (mean_ms / ms_per_sample) % 1 if mean_ms >= ms_per_sample else mean_ms / ms_per_sample)
        return ms_per_sample**2 * q * (1 - q) / n

    steps = {name: 0.0 for name, _ in STEPS}
    connect_ms = 1000 * statistics.fmean(t.connect for t in sampled)
    send_ms = 1000 * statistics.fmean(t.send for t in sampled)
    body_ms = 1000 * statistics.fmean(t.body for t in sampled)
    for name in STEPS:
        steps[name[0]] = ms(by_step.get(name[0], 0))
    steps["connection"] += connect_ms + send_ms
    steps["the response"] += body_ms
    # The web request waited while the worker picked the task up, scored, settled and notified. A screening scored
    # in its own request has no wait and no worker: its steps are the web's.
    waiting = ms(by_step["waiting"])
    in_worker = {
        step: sum(c for (kind, s, _), c in counts.items() if s == step and kind != "web")
        for step in ("scoring", "settling", "the notification")
    }
    worker_path = ms(sum(in_worker.values()))
    steps["the worker's pickup"] = max(0.0, waiting - worker_path)
    overlap = max(0.0, worker_path - waiting)
    sampled_ms = {name: ms(count) for name, count in by_step.items()}
    spread = {name: variance(value) for name, value in sampled_ms.items()}
    variances = {name: spread.get(name, 0.0) for name, _ in STEPS}
    variances["the worker's pickup"] = (
        sum(spread.get(name, 0.0) for name in ("waiting", "scoring", "settling", "the notification"))
        if waiting
        else 0.0
    )
    variances["unattributed"] = sum(spread.values())
    wall = 1000 * statistics.fmean(t.wall for t in sampled)
    steps["unattributed"] = wall - sum(v for k, v in steps.items() if k != "unattributed")
    detail_ms = {step: {d: ms(c) for d, c in counter.most_common()} for step, counter in details.items()}
    detail_ms.setdefault("connection", {})
    detail_ms["connection"] = {"client: TCP connect": connect_ms, "client: send": send_ms, **detail_ms["connection"]}
    detail_ms.setdefault("the response", {})["client: read body"] = body_ms
    detail_ms["the worker's pickup"] = {
        "web: waiting for the result (whole)": waiting,
        **{f"of it {k}": v for k, v in detail_ms.get("master", {}).items()},
        **{f"of it {k}": v for k, v in detail_ms.get("task set-up", {}).items()},
        **{f"of it claim, {k}": v for k, v in detail_ms.get("worker claim", {}).items()},
    }
    off_path = {
        "worker after the notification (overlaps the response)": ms(by_step["after"]),
        "worker busy before the web began to wait (hidden by web work)": overlap,
    }
    return RunResult(
        steps=steps,
        errors={name: 2 * math.sqrt(value) for name, value in variances.items()},
        details=detail_ms,
        off_path=off_path,
        wall_sampled=[1000 * t.wall for t in sampled],
        wall_plain=[1000 * t.wall for t in plain],
        timed=sampled,
        ms_per_sample=ms_per_sample,
        client_samples=client_samples,
    )


# --- printing -------------------------------------------------------------------------------------------------


def print_run(result: RunResult, args) -> None:
    wall = statistics.fmean(result.wall_sampled)
    print(
        f"wall per screening (client): sampled mean {wall:.1f} ms, median {statistics.median(result.wall_sampled):.1f}"
        f" ms; unsampled median {statistics.median(result.wall_plain):.1f} ms (p95 "
        f"{percentile(result.wall_plain, 95):.1f}); one sample = {result.ms_per_sample:.2f} ms "
        f"({result.client_samples} client samples over {len(result.wall_sampled)} screenings)"
    )
    print("| step | ms per screening (mean) | ± (sampling) | share | where it goes (ms) |")
    print("| --- | --- | --- | --- | --- |")
    for name, _ in STEPS:
        value = result.steps[name]
        parts = result.details.get(name, {})
        if name == "the worker's pickup":
            parts = result.details["the worker's pickup"]
        where = "; ".join(f"{k} {v:.1f}" for k, v in list(parts.items())[:7] if v >= 0.05)
        error = result.errors[name]
        print(f"| {name} | {value:.1f} | {error:.1f} | {100 * value / wall:.0f} % | {where} |")
    print(f"| total (client wall, mean) | {wall:.1f} | | 100 % | |")
    for label, value in result.off_path.items():
        print(f"off the path: {label}: {value:.1f} ms")
    print(
        f"± is two standard errors of the sampling ({result.ms_per_sample:.1f} ms grid, {len(result.wall_sampled)} "
        "screenings); the sampler's own cost is the difference between the sampled and unsampled medians"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="logistic")
    parser.add_argument("--screenings", type=int, default=400, help="screenings sampled in each run")
    parser.add_argument("--unsampled", type=int, default=40, help="screenings before and after, not sampled")
    parser.add_argument("--runs", type=int, default=1, help="runs; with more than one, the medians follow")
    # 50 a second: at 100 or more, py-spy reading some 60 threads takes enough of two cores to slow the stack it
    # measures by half (client median 36 -> 61 ms); at 50 the sampled median is within a few % of the unsampled one.
    parser.add_argument("--rate", type=int, default=50, help="py-spy samples per second")
    parser.add_argument("--wait", type=int, default=10, help="N of the Prefer: wait=N header")
    parser.add_argument("--attach-seconds", type=float, default=1.5, help="time given to py-spy to attach")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (logs, profiles)")
    args = parser.parse_args()
    if py_spy() is None:
        print("timeline: skipped, py-spy is not installed (requirements/dev.txt)")
        return
    if os.geteuid() != 0:
        print("timeline: skipped, py-spy needs root to read other processes' memory")
        return

    workdir = Path(tempfile.mkdtemp(prefix="mhc-timeline-"))
    results: list[RunResult] = []
    try:
        with scratch_stack("mhc-timeline-stack-") as stack:
            token = tokens_for(stack, 1, f"timeline-{time.monotonic_ns()}")[0]
            for _ in range(20):  # the first requests of each process are not the ones we study
                timed_screening(stack, token, args.model, args.wait)
            commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
            print(
                f"commit {commit.stdout.strip()} · {args.model} · one client, new connection per request, "
                f"POST with Prefer: wait={args.wait} · {args.screenings} screenings sampled by py-spy at "
                f"{args.rate}/s, {2 * args.unsampled} not sampled · {os.cpu_count()} CPUs, load "
                f"{os.getloadavg()[0]:.1f}",
                flush=True,
            )
            for number in range(args.runs):
                result = sample_screenings(stack, token, args, workdir)
                results.append(result)
                print(f"\nRun {number + 1}")
                print_run(result, args)
    finally:
        if args.keep:
            print(f"profiles in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if len(results) > 1:
        print(f"\nMedians of {len(results)} runs")
        print("| step | ms per screening | ± (sampling) | share |")
        print("| --- | --- | --- | --- |")
        wall = statistics.median(statistics.fmean(r.wall_sampled) for r in results)
        for name, _ in STEPS:
            # Each row's median on its own (they need not add up to the total); the share is the median of the
            # runs' shares, which moves less than milliseconds on a machine whose load changes between runs.
            value = statistics.median(r.steps[name] for r in results)
            error = statistics.median(r.errors[name] for r in results)
            share = statistics.median(r.steps[name] / statistics.fmean(r.wall_sampled) for r in results)
            print(f"| {name} | {value:.1f} | {error:.1f} | {100 * share:.0f} % |")
        print(f"| total (client wall, mean) | {wall:.1f} | | 100 % |")
        plain = statistics.median(statistics.median(r.wall_plain) for r in results)
        sampled = statistics.median(statistics.median(r.wall_sampled) for r in results)
        print(f"client wall median, unsampled {plain:.1f} ms, sampled {sampled:.1f} ms")


if __name__ == "__main__":
    main()
