"""Submit-to-result throughput and CPU cost of the real stack, measured from outside.

    make bench-e2e                                   # the table of issue #15: logistic and ensemble, 1 and 20 clients
    .venv/bin/python benchmarks/e2e.py --runs 3 --seconds 15 --loads logistic:1,logistic:20,ensemble:20

The stack is production's: config.settings.production, gunicorn started with config/gunicorn.py (its own worker
and thread counts), a Celery worker with the prefork pool and two children as in docker/compose.yml, and, so
that every CPU second can be attributed, a PostgreSQL cluster and a redis-server of the benchmark's own on free
loopback ports (initdb, postgres and redis-server must be on the PATH; nothing shared is touched). Everything it
starts is stopped at the end.

Each client is a closed loop with no think time: a new TCP connection for every request, all 19 answers given,
POST /api/v1/screenings/ with `Prefer: wait=N`, as a real client does: a 200 carries the finished screening, in
one request. A 202 (not done within N seconds, or no waiting slot free) is followed by GETs that carry
`Prefer: wait=N` too; only a GET the server answered without waiting (no `Preference-Applied`) is repeated after
--retry-ms (100 ms), and the table counts the GETs. With --get-after-submit the POST does not wait and one
waited GET follows it (the two-request flow of the earlier figures).
Per run it prints screenings/s (done within the measured window / window), submit and
submit-to-result p50/p95/p99 (client side, submit sent -> done seen), and CPU ms per screening of each process
group (web = gunicorn master and workers, worker = Celery master and pool, PostgreSQL = postmaster and every
backend, Redis), read from /proc over the same window. Then the median of the runs for each load.

CPU ms per screening moves less than rates on a busy machine; quote both, and medians of a few runs.
Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Registration asks for an explicit 18+ confirmation and agreement to the privacy notice.
CONSENT = {"confirm_adult": True, "accept_privacy": True}
PY = sys.executable
TICKS = os.sysconf("SC_CLK_TCK")
ANSWERS = {
    "age": 41, "sex": "female", "education": "some_college", "marital_status": "married_or_partner",
    "household_size": 3, "annual_household_income": 52000, "employment": "working", "smoking": "never",
    "alcohol_drinks_per_day": 1, "physical_activity": "moderate", "sitting_hours": 7, "diet_quality": "good",
    "sleep_hours": 6.5, "sleep_trouble_told_doctor": "no", "height_cm": 170, "weight_kg": 72,
    "conditions": [], "general_health": "good", "mental_health_visit": "no",
}  # fmt: skip
FINISHED = {"done", "failed"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


# --- CPU accounting from /proc --------------------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and of its children it has reaped)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    # fields[1] is ppid; utime, stime, cutime, cstime are fields 14-17 of stat, here 11-14.
    return int(fields[1]), sum(int(value) for value in fields[11:15]) / TICKS


def group_cpu(root_pid: int) -> float:
    """CPU seconds of a process and all its descendants, live or reaped: deltas of it are exact."""
    table: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))):
            table[int(entry)] = stat
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [root_pid]
    while todo:
        pid = todo.pop()
        if pid in table:
            total += table[pid][1]
            todo.extend(children.get(pid, []))
    return total


# --- the stack ------------------------------------------------------------------------------------------------


@dataclass
class Stack:
    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ports = {name: free_port() for name in ("web", "postgres", "redis")}
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "GUNICORN_"))},
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": "bench-" + secrets.token_urlsafe(40),
            "JWT_SIGNING_KEY": "bench-jwt-" + secrets.token_urlsafe(40),
            # Production encrypts answers and results at rest: a Fernet key (32 random bytes, url-safe base64).
            "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{self.ports['postgres']}/mhc",
            "REDIS_URL": f"redis://127.0.0.1:{self.ports['redis']}/1",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.ports['redis']}/0",
            "STATIC_ROOT": str(self.workdir / "static"),
            # No mail leaves the bench; production refuses the console backend.
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "GUNICORN_BIND": f"127.0.0.1:{self.ports['web']}",
            # Logging as deployed (docker/.env.example): a JSON line per request and per screening step, at INFO.
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "json",
            # The clients register and take tokens from one address, and spend credits quickly.
            "THROTTLE_AUTH_RATE": "1000000/min",
            "WELCOME_CREDITS": "1000000",
            **self.extra_env,
        }
        self.logs = self.workdir / "logs"

    def spawn(self, name: str, args: list[str], **env: str) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            args, cwd=ROOT, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes[name] = process
        return process

    def start(self) -> Stack:
        self.logs.mkdir(parents=True, exist_ok=True)
        data = self.workdir / "pgdata"
        data.mkdir()
        as_postgres: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run the cluster as the postgres account
            self.workdir.chmod(0o755)
            shutil.chown(data, user="postgres")
            as_postgres = ["runuser", "-u", "postgres", "--"]
        subprocess.run(
            [*as_postgres, "initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
             "--no-instructions"],
            check=True, capture_output=True,
        )  # fmt: skip
        self.spawn(
            "postgres",
            [*as_postgres, "postgres", "-D", str(data), "-p", str(self.ports["postgres"]),
             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={data}", "-c", "max_connections=200"],
        )  # fmt: skip
        self.spawn(
            "redis",
            ["redis-server", "--port", str(self.ports["redis"]), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
        )  # fmt: skip
        wait_for("postgres", lambda: _pg_ready(self.ports["postgres"]))
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.ports["postgres"]), "-U", "postgres", "-qc",
             "CREATE DATABASE mhc", "postgres"],
            check=True, capture_output=True,
        )  # fmt: skip
        for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
            subprocess.run([PY, "manage.py", *command], cwd=ROOT, env=self.env, check=True)
        multiproc = {name: self.workdir / f"prometheus-{name}" for name in ("web", "worker")}
        for directory in multiproc.values():
            directory.mkdir()
        self.spawn(
            "web",
            [PY, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"],
            PROMETHEUS_MULTIPROC_DIR=str(multiproc["web"]),
        )
        self.spawn(
            "worker",
            [PY, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=2", "--pool=prefork",
             "--without-gossip", f"--hostname=bench-{os.getpid()}@%h"],
            PROMETHEUS_MULTIPROC_DIR=str(multiproc["worker"]),
        )  # fmt: skip
        wait_for("gunicorn", lambda: self.get("/readyz")[0] == 200, timeout=120)
        return self

    def stop(self) -> None:
        for name in ("web", "worker", "redis", "postgres"):
            process = self.processes.pop(name, None)
            if process is None or process.poll() is not None:
                continue
            os.killpg(process.pid, signal.SIGINT if name == "postgres" else signal.SIGTERM)  # fast shutdown
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            # A prefork child that outlived its parent goes with the group.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)

    def cpu(self) -> dict[str, float]:
        return {name: group_cpu(self.processes[name].pid) for name in ("web", "worker", "postgres", "redis")}

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.ports["web"], timeout=60)

    def request(self, method: str, path: str, body=None, headers: dict[str, str] | None = None):
        """One request on a new connection, as a browser or API client arriving from the internet would."""
        conn = self.connection()
        try:
            all_headers = {"Content-Type": "application/json", "Connection": "close", **(headers or {})}
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=all_headers)
            response = conn.getresponse()
            payload = response.read()
            return response.status, (json.loads(payload) if payload else None), response
        finally:
            conn.close()

    def get(self, path: str) -> tuple[int, object]:
        try:
            status, body, _ = self.request("GET", path)
        except OSError:
            return 0, None
        return status, body


@contextlib.contextmanager
def scratch_stack(prefix: str) -> Iterator[Stack]:
    """A started Stack in a new scratch directory; stopped and removed afterwards (the smaller benchmarks' setup)."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    stack = Stack(workdir)
    try:
        yield stack.start()
    finally:
        stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def wait_for(what: str, check, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, ValueError, http.client.HTTPException):
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not come up; see the logs")


def _pg_ready(port: int) -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", str(port)], capture_output=True).returncode == 0


# --- one run --------------------------------------------------------------------------------------------------


@dataclass
class Run:
    model: str
    clients: int
    rate: float
    submit_ms: list[float]
    result_ms: list[float]
    cpu_ms: dict[str, float]
    errors: list[str]
    gets: list[int] = field(default_factory=list)  # GETs each screening took until done


def tokens_for(stack: Stack, clients: int, tag: str) -> list[str]:
    tokens = []
    for n in range(clients):
        email, password = f"bench-{tag}-{n}@example.com", "bench-pass-phrase-42"
        for attempt in range(5):  # a busy machine may drop a connection while a worker restarts
            try:
                stack.request("POST", "/api/v1/auth/register/", {"email": email, "password": password, **CONSENT})
                _, body, _ = stack.request("POST", "/api/v1/auth/token/", {"email": email, "password": password})
                tokens.append(body["access"])
                break
            except (OSError, http.client.HTTPException, KeyError, TypeError):
                if attempt == 4:
                    raise
                time.sleep(1)
    return tokens


def run_once(
    stack: Stack,
    *,
    model: str,
    clients: int,
    seconds: float,
    warmup: float,
    wait: int,
    retry_ms: float = 100,
    get_after_submit: bool = False,
):
    tokens = tokens_for(stack, clients, f"{model}-{clients}-{time.monotonic_ns()}")
    lock = threading.Lock()
    # (done at, submit seconds, submit-to-result seconds, GETs it took)
    samples: list[tuple[float, float, float, int]] = []
    errors: list[str] = []
    started = time.monotonic()
    window_start, stop_at = started + warmup, started + warmup + seconds
    cpu_at: dict[str, dict[str, float]] = {}

    def client(token: str) -> None:
        auth = {"Authorization": f"Bearer {token}"}
        wait_headers = {**auth, "Prefer": f"wait={wait}"}
        # The submission itself asks to wait (a 200 carries the result); --get-after-submit: a waited GET does.
        submit_headers = auth if get_after_submit else wait_headers
        while time.monotonic() < stop_at:
            sent = time.monotonic()
            try:
                status, body, _ = stack.request(
                    "POST", "/api/v1/screenings/", {"model": model, "answers": ANSWERS}, submit_headers
                )
                submitted = time.monotonic()
                if status not in (202, 202 if get_after_submit else 200):
                    raise RuntimeError(f"submit answered {status}")
                path = f"/api/v1/screenings/{body['id']}/"
                gets = 0
                finished = status == 200  # a submission that waited, answered with the finished screening
                while not finished:
                    gets += 1
                    status, body, response = stack.request("GET", path, headers=wait_headers)
                    if status != 200:
                        raise RuntimeError(f"detail answered {status}")
                    finished = body["status"] in FINISHED
                    if not finished and not response.getheader("Preference-Applied"):
                        time.sleep(retry_ms / 1000)  # the server could not wait (no slot free): back off
                done = time.monotonic()
                if body["status"] != "done":
                    raise RuntimeError("screening failed")
            except (OSError, RuntimeError, http.client.HTTPException, ValueError) as error:
                with lock:
                    errors.append(str(error)[:80])
                time.sleep(0.05)
                continue
            with lock:
                samples.append((done, submitted - sent, done - sent, gets))

    def sample_cpu() -> None:
        time.sleep(max(0.0, window_start - time.monotonic()))
        cpu_at["start"] = stack.cpu()
        time.sleep(max(0.0, stop_at - time.monotonic()))
        cpu_at["end"] = stack.cpu()

    threads = [threading.Thread(target=client, args=(token,)) for token in tokens]
    threads.append(threading.Thread(target=sample_cpu))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    in_window = [sample for sample in samples if window_start <= sample[0] < stop_at]
    measured = [(s, r) for _, s, r, _ in in_window]
    count = len(measured)
    cpu_ms = {name: 1000 * (cpu_at["end"][name] - cpu_at["start"][name]) / max(count, 1) for name in cpu_at["start"]}
    return Run(
        model=model,
        clients=clients,
        rate=count / seconds,
        submit_ms=[1000 * s for s, _ in measured],
        result_ms=[1000 * r for _, r in measured],
        cpu_ms=cpu_ms,
        errors=errors,
        gets=[gets for *_, gets in in_window],
    )


def trio(values: list[float]) -> str:
    return " / ".join(f"{percentile(values, q):,.0f}" for q in (50, 95, 99))


def row(label: str, rate: float, submit: str, result: str, cpu: dict[str, float], gets: float) -> str:
    web_worker = cpu["web"] + cpu["worker"]
    parts = f"web {cpu['web']:.1f} · worker {cpu['worker']:.1f} · PostgreSQL {cpu['postgres']:.1f} · "
    # GETs per screening: 0 when the submission waited for its result; more when it answered 202 first.
    parts += f"Redis {cpu['redis']:.1f} (web+worker {web_worker:.1f}; {gets:.2f} GETs each)"
    return f"| {label} | {rate:.1f} | {submit} | {result} | {parts} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", default="logistic:1,logistic:20,ensemble:1,ensemble:20", help="model:clients,...")
    parser.add_argument("--runs", type=int, default=3, help="runs of each load; the table ends with their medians")
    parser.add_argument("--seconds", type=float, default=15, help="measured window of each run")
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--wait", type=int, default=10, help="N of the Prefer: wait=N header")
    parser.add_argument("--retry-ms", type=float, default=100, help="back-off after a GET the server did not hold")
    parser.add_argument(
        "--get-after-submit",
        action="store_true",
        help="the submission does not wait; one GET with Prefer: wait=N follows it (two requests per screening)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (logs) afterwards")
    args = parser.parse_args()
    loads = [(model, int(clients)) for model, clients in (item.split(":") for item in args.loads.split(","))]

    workdir = Path(tempfile.mkdtemp(prefix="mhc-e2e-"))
    stack = Stack(workdir)
    header = (
        "| load | screenings/s | submit p50 / p95 / p99 ms | submit-to-result p50 / p95 / p99 ms "
        "| CPU ms per screening |"
    )
    rule = "| --- | --- | --- | --- | --- |"
    try:
        stack.start()
        # One screening of each model before measuring: the first request of a process is not the one we study.
        run_once(stack, model="ensemble", clients=2, seconds=1, warmup=0, wait=args.wait)
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        print(
            f"commit {commit.stdout.strip()} · production settings · gunicorn -c config/gunicorn.py · Celery prefork x2"
            f" · {os.cpu_count()} CPUs · {args.runs} runs x {args.seconds:.0f}s (+{args.warmup:.0f}s warm-up) · "
            f"new connection per request · Prefer: wait={args.wait} on "
            + ("a GET after the submission" if args.get_after_submit else "the submission (GETs only after a 202)")
        )
        print(header)
        print(rule, flush=True)
        results: dict[tuple[str, int], list[Run]] = {}
        for _ in range(args.runs):
            for model, clients in loads:
                run = run_once(
                    stack, model=model, clients=clients, seconds=args.seconds, warmup=args.warmup,
                    wait=args.wait, retry_ms=args.retry_ms, get_after_submit=args.get_after_submit,
                )  # fmt: skip
                results.setdefault((model, clients), []).append(run)
                label = f"{clients} client{'s' if clients != 1 else ''}, {model}"
                if run.errors:
                    label += f" ({len(run.errors)} errors: {sorted(set(run.errors))[:2]})"
                gets = statistics.fmean(run.gets) if run.gets else float("nan")
                print(row(label, run.rate, trio(run.submit_ms), trio(run.result_ms), run.cpu_ms, gets), flush=True)
        print()
        print(f"Medians of {args.runs} runs")
        print(header)
        print(rule)
        for (model, clients), runs in results.items():
            median = {name: statistics.median(r.cpu_ms[name] for r in runs) for name in runs[0].cpu_ms}
            submit = " / ".join(
                f"{statistics.median(percentile(r.submit_ms, q) for r in runs):,.0f}" for q in (50, 95, 99)
            )
            result = " / ".join(
                f"{statistics.median(percentile(r.result_ms, q) for r in runs):,.0f}" for q in (50, 95, 99)
            )
            label = f"{clients} client{'s' if clients != 1 else ''}, {model}"
            gets = statistics.median(statistics.fmean(r.gets) if r.gets else float("nan") for r in runs)
            print(row(label, statistics.median(r.rate for r in runs), submit, result, median, gets))
    finally:
        stack.stop()
        if args.keep:
            print(f"logs in {workdir / 'logs'}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
