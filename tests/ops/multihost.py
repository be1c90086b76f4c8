"""Several hosts, injected faults, nothing lost: the scale-out of docs/operations.md, run on one machine.

    sudo .venv/bin/python -m tests.ops.multihost [--screenings 1000] [--keep]      (make multihost; .ci/run)

Each host is a Linux network namespace of its own (`ip netns`, Debian's iproute2) with one address on a private
bridge, joined to the others by veth pairs through a switch namespace: nothing is routed off the bridge, so every
packet stays on the namespaces' own addresses. The hosts:

| host     | address       | runs                                                                            |
| -------- | ------------- | ------------------------------------------------------------------------------- |
| db       | 10.213.77.2   | PostgreSQL (a cluster of its own in a scratch directory)                       |
| redis    | 10.213.77.3   | redis-server with its append-only file, as in docker/compose.yml               |
| lb       | 10.213.77.10  | haproxy in front of web1 and web2, checking /readyz                            |
| web1/2   | 10.213.77.11/12 | gunicorn as deployed (config/gunicorn.py), production settings               |
| w1/w2    | 10.213.77.21/22 | a Celery worker each (prefork x2, as deployed); beat on w2                    |
| client   | 10.213.77.100 | this script's clients and its checks                                            |

Clients submit `--screenings` screenings (logistic and ensemble mixed, several people, each with an
Idempotency-Key; every 25th sent twice on purpose, and every failed request sent again with its key) while the
script injects, one after another: w1 killed (every process SIGKILL) with its link cut for 30 s, then started
again; Redis restarted; PostgreSQL restarted; web1 stopped for good. It then waits for every screening to finish
and checks, from the database and the workers' logs: every screening done, or failed with its credits released;
none scored twice; none charged twice; nothing held; `billing_audit` clean. It prints how long each fault took to
heal (from the fault until a screening submitted through the load balancer finishes again) and exits non-zero
when anything is off. Needs root (namespaces), iproute2, haproxy, PostgreSQL's server binaries and redis-server.
"""

from __future__ import annotations

import argparse
import ctypes
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
SUBNET = "10.213.77"
HOSTS = {"db": 2, "redis": 3, "lb": 10, "web1": 11, "web2": 12, "w1": 21, "w2": 22, "client": 100}
ANSWERS = {
    "age": 41, "sex": "female", "education": "some_college", "marital_status": "married_or_partner",
    "household_size": 3, "annual_household_income": 52000, "employment": "working", "smoking": "never",
    "alcohol_drinks_per_day": 1, "physical_activity": "moderate", "sitting_hours": 7, "diet_quality": "good",
    "sleep_hours": 6.5, "sleep_trouble_told_doctor": "no", "height_cm": 170, "weight_kg": 72,
    "conditions": [], "general_health": "good", "mental_health_visit": "no",
}  # fmt: skip
PASSWORD = "multi-host-correct-horse-9"
CONSENT = {"confirm_adult": True, "accept_privacy": True}
CLONE_NEWNET = 0x40000000


def address(host: str) -> str:
    return f"{SUBNET}.{HOSTS[host]}"


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)


class Network:
    """The namespaces, the switch and the links; `cut(host)` and `mend(host)` take a host's cable out and back."""

    def __init__(self) -> None:
        self.prefix = f"mhc{os.getpid() % 100000}"
        self.switch = f"{self.prefix}-sw"

    def ns(self, host: str) -> str:
        return f"{self.prefix}-{host}"

    def port(self, host: str) -> str:
        return f"s{HOSTS[host]}"  # the switch's end of the host's cable

    def up(self) -> None:
        run("ip", "netns", "add", self.switch)
        run("ip", "-n", self.switch, "link", "add", "br0", "type", "bridge")
        run("ip", "-n", self.switch, "link", "set", "br0", "up")
        for host in HOSTS:
            ns = self.ns(host)
            run("ip", "netns", "add", ns)
            run("ip", "-n", ns, "link", "set", "lo", "up")
            run("ip", "link", "add", f"{self.prefix}h{HOSTS[host]}", "type", "veth", "peer", "name", "tmp-" + ns[-8:])
            run("ip", "link", "set", f"{self.prefix}h{HOSTS[host]}", "netns", ns, "name", "eth0")
            run("ip", "link", "set", "tmp-" + ns[-8:], "netns", self.switch, "name", self.port(host))
            run("ip", "-n", self.switch, "link", "set", self.port(host), "master", "br0", "up")
            run("ip", "-n", ns, "addr", "add", f"{address(host)}/24", "dev", "eth0")
            run("ip", "-n", ns, "link", "set", "eth0", "up")

    def enter(self, host: str) -> None:
        """Move this process (its threads to come and their sockets) into a host's network namespace."""
        libc = ctypes.CDLL(None, use_errno=True)
        with open(f"/var/run/netns/{self.ns(host)}") as handle:
            if libc.setns(handle.fileno(), CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns")

    def cut(self, host: str) -> None:
        run("ip", "-n", self.switch, "link", "set", self.port(host), "down")

    def mend(self, host: str) -> None:
        run("ip", "-n", self.switch, "link", "set", self.port(host), "up")

    def down(self) -> None:
        for host in [*HOSTS, "sw"]:
            run("ip", "netns", "del", f"{self.prefix}-{host}", check=False)


@dataclass
class Stack:
    net: Network
    workdir: Path
    processes: dict[str, list[subprocess.Popen]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.logs = self.workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.pgdata = self.workdir / "pgdata"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "PROMETHEUS_"))},
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": "multi-host-" + uuid.uuid4().hex * 2,
            "JWT_SIGNING_KEY": "multi-host-jwt-" + uuid.uuid4().hex * 2,
            "ALLOWED_HOSTS": address("lb"),
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": f"postgres://postgres@{address('db')}:5432/mhc",
            "REDIS_URL": f"redis://{address('redis')}:6379/1",
            "CELERY_BROKER_URL": f"redis://{address('redis')}:6379/0",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "FIELD_ENCRYPTION_KEYS": "Yk0x5o0vV1q8Hh3m0wq7cJ8mYQ0yQb6pW1d2E3r4T5U=",
            "LOG_FORMAT": "json",
            "THROTTLE_AUTH_RATE": "100000/min",
            "WELCOME_CREDITS": "100000",
            "STATIC_ROOT": str(self.workdir / "static"),
            "METRICS_BEARER_TOKEN": uuid.uuid4().hex,
        }

    def spawn(self, host: str, name: str, command: list[str], **env: str) -> subprocess.Popen:
        log = (self.logs / f"{host}-{name}.log").open("ab")
        process = subprocess.Popen(
            ["ip", "netns", "exec", self.net.ns(host), *command],
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.setdefault(host, []).append(process)
        return process

    def in_host(self, host: str, *command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["ip", "netns", "exec", self.net.ns(host), *command],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    def kill(self, host: str, sig: int = signal.SIGKILL) -> None:
        for process in self.processes.pop(host, []):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                continue
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    # --- the services ----------------------------------------------------------------------------------------
    def start_postgres(self) -> None:
        self.spawn(
            "db", "postgres",
            ["runuser", "-u", "postgres", "--", "postgres", "-D", str(self.pgdata), "-p", "5432",
             "-c", f"listen_addresses={address('db')}", "-c", f"unix_socket_directories={self.pgdata}",
             "-c", "max_connections=300",
             # A host that vanishes sends nothing: keepalives end its sessions (and free its claim leases).
             "-c", "tcp_keepalives_idle=5", "-c", "tcp_keepalives_interval=2", "-c", "tcp_keepalives_count=3"],
        )  # fmt: skip
        wait_for("PostgreSQL", lambda: self.in_host("db", "pg_isready", "-h", address("db"), "-q").returncode == 0)

    def stop_postgres(self) -> None:
        pg_ctl = ["runuser", "-u", "postgres", "--", "pg_ctl", "-D", str(self.pgdata), "stop", "-m", "fast", "-w"]
        subprocess.run(pg_ctl, check=True, capture_output=True, timeout=60)
        self.kill("db", signal.SIGTERM)  # the runuser wrapper, already on its way out

    def start_redis(self) -> None:
        self.spawn(
            "redis", "redis",
            # Reachable from the other hosts on the private bridge only, so without protected mode, as in compose.
            ["redis-server", "--bind", address("redis"), "--protected-mode", "no", "--port", "6379", "--save", "",
             "--appendonly", "yes", "--dir", str(self.workdir), "--maxmemory-policy", "noeviction"],
        )  # fmt: skip
        wait_for("Redis", lambda: "PONG" in self.in_host("redis", "redis-cli", "-h", address("redis"), "ping").stdout)

    def start_web(self, host: str) -> None:
        self.spawn(
            host, "gunicorn", [PY, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"],
            GUNICORN_BIND=f"{address(host)}:8000", GUNICORN_WORKERS="2",
            PROMETHEUS_MULTIPROC_DIR=str(self._multiproc(host)),
        )  # fmt: skip

    def start_worker(self, host: str) -> None:
        self.spawn(
            host, "worker",
            [PY, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=2", "--pool=prefork",
             "--without-gossip", f"--hostname=worker@{host}"],
            PROMETHEUS_MULTIPROC_DIR=str(self._multiproc(host)),
        )  # fmt: skip

    def _multiproc(self, host: str) -> Path:
        directory = self.workdir / f"prometheus-{host}-{time.monotonic_ns()}"
        directory.mkdir()
        return directory

    def start(self) -> None:
        self.pgdata.mkdir()
        self.workdir.chmod(0o755)
        shutil.chown(self.pgdata, user="postgres")
        subprocess.run(
            ["runuser", "-u", "postgres", "--", "initdb", "-D", str(self.pgdata), "-U", "postgres", "--auth=trust",
             "-E", "UTF8", "--no-instructions"],
            check=True, capture_output=True,
        )  # fmt: skip
        with (self.pgdata / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {SUBNET}.0/24 trust\n")
        self.start_postgres()
        self.start_redis()
        created = self.in_host("db", "psql", "-h", address("db"), "-U", "postgres", "-qc", "CREATE DATABASE mhc")
        if created.returncode:
            raise RuntimeError(created.stderr)
        for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
            done = self.in_host("client", PY, "manage.py", *command)
            if done.returncode:
                raise RuntimeError(done.stderr[-3000:])
        for host in ("web1", "web2"):
            self.start_web(host)
        for host in ("w1", "w2"):
            self.start_worker(host)
        self.spawn("w2", "beat", [PY, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO",
                                  f"--schedule={self.workdir / 'celerybeat-schedule'}"])  # fmt: skip
        config = self.workdir / "haproxy.cfg"
        config.write_text(HAPROXY.format(lb=address("lb"), web1=address("web1"), web2=address("web2")))
        self.spawn("lb", "haproxy", ["haproxy", "-db", "-f", str(config)])
        wait_for("the site through the load balancer", lambda: request("GET", "/readyz")[0] == 200, timeout=180)

    def stop(self) -> None:
        for host in list(self.processes):
            self.kill(host, signal.SIGTERM)


HAPROXY = """
global
    maxconn 2000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    retries 2
    option redispatch
frontend site
    bind {lb}:80
    default_backend web
backend web
    balance roundrobin
    option httpchk
    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host {lb}
    default-server inter 2s fall 2 rise 1
    server web1 {web1}:8000 check
    server web2 {web2}:8000 check
"""


def wait_for(what: str, check, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{what}: not ready after {timeout:.0f} s")


def request(method: str, path: str, body: dict | None = None, headers: dict | None = None, timeout: float = 20):
    """One request through the load balancer on a new connection, as a client across the network makes it."""
    connection = http.client.HTTPConnection(address("lb"), 80, timeout=timeout)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, payload, {"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        data = response.read()
        return response.status, (json.loads(data) if data and data[:1] in b"{[" else {})
    finally:
        connection.close()


class Client:
    """People submitting screenings through the load balancer; a failed request is sent again with its key."""

    def __init__(self, people: int) -> None:
        self.people = [f"person{n}-{uuid.uuid4().hex[:6]}@example.org" for n in range(people)]
        self.tokens: dict[str, str] = {}
        self.submitted: dict[str, str] = {}  # Idempotency-Key -> screening id
        self.replays_checked = 0
        self.retries = 0
        self.lock = threading.Lock()

    def sign_up(self) -> None:
        for email in self.people:
            self._call("POST", "/api/v1/auth/register/", {"email": email, "password": PASSWORD, **CONSENT}, None,
                       ok={202})  # fmt: skip
            self._login(email)

    def _login(self, email: str) -> None:
        _, body = self._call("POST", "/api/v1/auth/token/", {"email": email, "password": PASSWORD}, None, ok={200})
        self.tokens[email] = body["access"]

    def _call(self, method, path, body, email, ok, headers=None, deadline=600.0):
        """Send until the answer is one of `ok`; transport errors, 5xx and 401 (an expired token) are retried."""
        give_up = time.monotonic() + deadline
        while True:
            auth = {"Authorization": f"Bearer {self.tokens[email]}"} if email else {}
            try:
                status, data = request(method, path, body, {**auth, **(headers or {})})
            except OSError:
                status, data = 0, {}
            if status in ok:
                return status, data
            if status == 401 and email:
                self._login(email)
            elif status and status < 500 and status != 429:
                raise RuntimeError(f"{method} {path}: {status} {data}")
            if time.monotonic() > give_up:
                raise TimeoutError(f"{method} {path}: still {status} after {deadline:.0f} s")
            with self.lock:
                self.retries += 1
            time.sleep(0.3 + random.random() * 0.4)

    def submit(self, n: int) -> str:
        email = self.people[n % len(self.people)]
        key = f"multi-host-{n}"
        body = {"model": "ensemble" if n % 3 == 0 else "logistic", "answers": {**ANSWERS, "age": 18 + n % 60}}
        _, data = self._call("POST", "/api/v1/screenings/", body, email, ok={200, 201, 202},
                             headers={"Idempotency-Key": key})  # fmt: skip
        if n % 25 == 0:  # the same request again, on purpose: the same screening, charged once
            _, again = self._call("POST", "/api/v1/screenings/", body, email, ok={200, 201, 202},
                                  headers={"Idempotency-Key": key})  # fmt: skip
            if again["id"] != data["id"]:
                raise AssertionError(f"{key}: a replay made a second screening")
            with self.lock:
                self.replays_checked += 1
        with self.lock:
            self.submitted[key] = data["id"]
        return data["id"]

    def finished(self, n: int, screening_id: str) -> dict:
        email = self.people[n % len(self.people)]
        while True:
            _, data = self._call("GET", f"/api/v1/screenings/{screening_id}/", None, email, ok={200},
                                 headers={"Prefer": "wait=10"})  # fmt: skip
            if data["status"] in {"done", "failed"}:
                return data


def probe(client: Client, n: int) -> float:
    """Seconds until one new screening, submitted through the load balancer, is done."""
    started = time.monotonic()
    client.finished(n, client.submit(n))
    return time.monotonic() - started


FAULTS = ["worker host w1 killed, link cut 30 s", "Redis restarted", "PostgreSQL restarted", "web host web1 stopped"]


STALE_RUNNING = """
from screening.models import Screening
print(Screening.objects.filter(status="running", started_at__lt="{since}").count())
"""


def stale_running(stack: Stack, since: str) -> int:
    """Screenings still running that were claimed before `since` (an ISO time): work a fault may have orphaned."""
    checked = stack.in_host("client", PY, "manage.py", "shell", "--no-imports", "-c", STALE_RUNNING.format(since=since))
    return int(checked.stdout.strip().splitlines()[-1]) if checked.returncode == 0 else -1


def inject(stack: Stack, net: Network, client: Client, fault: str, probe_n: int) -> float:
    """Inject one fault; return the seconds from it until the site has healed.

    Healed: a screening submitted through the load balancer after the fault is done, and no screening claimed
    before the fault is still running (a lost worker's batch has been reclaimed and scored elsewhere).
    """
    since = datetime.now(UTC).isoformat()
    started = time.monotonic()
    if fault.startswith("worker host"):
        stack.kill("w1", signal.SIGKILL)
        net.cut("w1")
    elif fault == "Redis restarted":
        stack.kill("redis", signal.SIGTERM)  # redis-server writes its append-only file and stops
        stack.start_redis()
    elif fault == "PostgreSQL restarted":
        stack.stop_postgres()  # the fast shutdown: every session is ended
        stack.start_postgres()
    else:
        stack.kill("web1", signal.SIGTERM)
    probe(client, probe_n)
    wait_for("the screenings claimed before the fault", lambda: stale_running(stack, since) == 0, timeout=300)
    healed = time.monotonic() - started
    if fault.startswith("worker host"):
        time.sleep(max(0.0, 30 - (time.monotonic() - started)))  # the cable stays out for 30 s
        net.mend("w1")
        stack.start_worker("w1")
    return healed


CHECKS = """
import json
from collections import Counter
from django.db.models import Count, Q, Sum
from billing.models import LedgerEntry, Wallet
from billing.selectors import wallet_audit
from screening.models import Screening
ids = json.load(open({ids!r}))
rows = {{str(s.id): s.status for s in Screening.objects.filter(id__in=ids)}}
per = LedgerEntry.objects.filter(screening_id__in=ids).values("screening_id").annotate(
    holds=Count("id", filter=Q(kind="hold")), captures=Count("id", filter=Q(kind="capture")),
    releases=Count("id", filter=Q(kind="release")))
print(json.dumps({{
    "statuses": Counter(rows.values()),
    "missing": len(set(ids) - set(rows)),
    "charged_twice": sum(1 for p in per if p["captures"] > 1),
    "held_and_settled_wrong": sum(1 for p in per if p["holds"] != 1 or p["captures"] + p["releases"] != 1),
    "failed_not_released": sum(1 for p in per if rows.get(str(p["screening_id"])) == "failed" and p["releases"] != 1),
    "held": Wallet.objects.aggregate(h=Sum("held"))["h"] or 0,
    "audit_mismatches": len(wallet_audit()),
    "screenings_total": Screening.objects.count(),
}}))
"""


def scored_twice(logs: Path) -> int:
    """Screenings that a worker logged as done more than once (every worker's log, across restarts)."""
    done: Counter[str] = Counter()
    for log in logs.glob("w*-worker.log"):
        for line in log.read_text(errors="replace").splitlines():
            if '"screening done"' in line:
                try:
                    done[json.loads(line[line.index("{") :])["screening_id"]] += 1
                except (ValueError, KeyError):
                    continue
    return sum(1 for count in done.values() if count > 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screenings", type=int, default=1000)
    parser.add_argument("--people", type=int, default=8)
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--rate", type=float, default=14, help="submissions per second, about (the faults take ~60 s)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (logs) afterwards")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("multihost: needs root (ip netns)", file=sys.stderr)
        return 2
    missing = [
        tool for tool in ("ip", "haproxy", "initdb", "postgres", "redis-server", "runuser") if not shutil.which(tool)
    ]
    if missing:
        print(f"multihost: missing {', '.join(missing)}", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="mhc-multihost-"))
    net = Network()
    stack = Stack(net=net, workdir=workdir)
    started = time.monotonic()
    try:
        net.up()
        net.enter("client")  # the clients and the checks are a host on the bridge like the others
        stack.start()
        print(f"stack up in {time.monotonic() - started:.0f} s: {', '.join(f'{h} {address(h)}' for h in HOSTS)}")
        client = Client(args.people)
        client.sign_up()
        ids: dict[int, str] = {}
        queue = list(range(args.screenings))
        queue_lock = threading.Lock()
        errors: list[BaseException] = []

        def submitter() -> None:
            while True:
                with queue_lock:
                    if not queue:
                        return
                    n = queue.pop(0)
                try:
                    ids[n] = client.submit(n)
                except BaseException as error:  # reported below, the run fails
                    errors.append(error)
                    return
                time.sleep(args.clients / args.rate)  # a steady stream that outlasts the faults

        threads = [threading.Thread(target=submitter, daemon=True) for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        heal: dict[str, float] = {}
        for index, fault in enumerate(FAULTS):
            time.sleep(4)
            heal[fault] = inject(stack, net, client, fault, probe_n=args.screenings + index)
            print(f"fault: {fault}: healed in {heal[fault]:.1f} s (submitted so far: {len(ids)})", flush=True)
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        drain_started = time.monotonic()
        outcomes = Counter(client.finished(n, screening_id)["status"] for n, screening_id in ids.items())
        print(f"drained in {time.monotonic() - drain_started:.0f} s: {dict(outcomes)}")

        ids_file = workdir / "ids.json"
        ids_file.write_text(json.dumps(list(client.submitted.values())))
        checked = stack.in_host(
            "client", PY, "manage.py", "shell", "--no-imports", "-c", CHECKS.format(ids=str(ids_file))
        )
        if checked.returncode:
            raise RuntimeError(checked.stderr[-3000:])
        report = json.loads(checked.stdout.strip().splitlines()[-1])
        report["scored_twice"] = scored_twice(stack.logs)
        audit = stack.in_host("client", PY, "manage.py", "billing_audit")
        accounted = sum(report["statuses"].values())
        expected = args.screenings + len(FAULTS)  # the probes are screenings too
        print(
            f"screenings accounted for: {accounted} of {expected} "
            f"({report['statuses'].get('done', 0)} done, {report['statuses'].get('failed', 0)} failed and released); "
            f"missing {report['missing']}; scored twice {report['scored_twice']}; charged twice "
            f"{report['charged_twice']}; hold/settle mismatches {report['held_and_settled_wrong']}; failed not "
            f"released {report['failed_not_released']}; held {report['held']}; billing_audit "
            f"{'clean' if audit.returncode == 0 and not report['audit_mismatches'] else 'NOT clean'}; "
            f"replays checked {client.replays_checked}; requests sent again {client.retries}"
        )
        print("time to heal: " + "; ".join(f"{fault} {seconds:.1f} s" for fault, seconds in heal.items()))
        ok = (
            accounted == expected
            and report["missing"] == 0
            and report["scored_twice"] == 0
            and report["charged_twice"] == 0
            and report["held_and_settled_wrong"] == 0
            and report["failed_not_released"] == 0
            and report["held"] == 0
            and report["audit_mismatches"] == 0
            and audit.returncode == 0
            and report["screenings_total"] == expected
        )
        print(f"multihost: {'every check green' if ok else 'FAILED'} in {time.monotonic() - started:.0f} s")
        return 0 if ok else 1
    finally:
        stack.stop()
        net.down()
        if args.keep:
            print(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
