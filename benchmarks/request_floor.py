"""The web processes' CPU for requests that do little or nothing: the floor under each request a screening makes.

    .venv/bin/python benchmarks/request_floor.py [--clients 20] [--runs 3] [--seconds 10]

Starts the same stack as e2e.py (production settings, gunicorn per config/gunicorn.py, a Celery worker, a
PostgreSQL cluster and a redis-server of its own). Then `--clients` closed-loop clients, each with a new connection
per request as in e2e.py, send one kind of request for `--seconds`, and the web processes' CPU (gunicorn master and
workers, from /proc) is divided by the requests answered. The kinds, from least to most work:

  healthz   GET /healthz: gunicorn, every middleware, a plain Django view, no database
  balance   GET /api/v1/billing/balance/: the same plus DRF, the signed token, the cached sign-in state and one
            row read (the least an authenticated API request does)
  screening GET /api/v1/screenings/<id>/ of a finished screening: the poll a client makes for its result

A screening as the issue measures it is a submission and a GET, plus the worker's message
(benchmarks/worker_messages.py measures the least that costs). Prints CPU ms per request and requests per second,
per run and as medians. Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e import ANSWERS, FINISHED, Stack, group_cpu, scratch_stack, tokens_for


def finished_screening(stack: Stack, token: str) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    status, body, _ = stack.request("POST", "/api/v1/screenings/", {"model": "logistic", "answers": ANSWERS}, headers)
    if status != 202:
        raise SystemExit(f"the submission answered {status}: {body}")
    path = f"/api/v1/screenings/{body['id']}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status, body, _ = stack.request("GET", path, headers=headers)
        if status == 200 and body["status"] in FINISHED:
            return path
        time.sleep(0.1)
    raise SystemExit("the screening did not finish; see the logs")


def measure(stack: Stack, path: str, headers: dict[str, str], clients: int, seconds: float) -> tuple[float, float]:
    """(web CPU ms per request, requests per second) for `clients` loops sending GET `path` for `seconds`."""
    answered = [0] * clients
    failures: list[int] = []
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        while time.monotonic() < stop:
            status, _, _ = stack.request("GET", path, headers=headers)
            if status != 200:
                failures.append(status)
            answered[n] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started, cpu_before = time.monotonic(), group_cpu(stack.processes["web"].pid)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu, elapsed = group_cpu(stack.processes["web"].pid) - cpu_before, time.monotonic() - started
    if failures:
        raise SystemExit(f"{len(failures)} requests to {path} failed (first status {failures[0]})")
    total = sum(answered)
    return 1000 * cpu / max(total, 1), total / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()

    with scratch_stack("mhc-floor-") as stack:
        token = tokens_for(stack, 1, "floor")[0]
        auth = {"Authorization": f"Bearer {token}"}
        kinds = {
            "healthz": ("/healthz", {}),
            "balance": ("/api/v1/billing/balance/", auth),
            "screening": (finished_screening(stack, token), auth),
        }
        measure(stack, "/healthz", {}, args.clients, 2)  # warm-up
        results: dict[str, list[tuple[float, float]]] = {kind: [] for kind in kinds}
        print(f"{args.clients} clients · new connection per request · {args.runs} runs x {args.seconds:.0f}s")
        for run in range(1, args.runs + 1):
            for kind, (path, headers) in kinds.items():  # interleaved, so a slow spell hits every kind
                ms, rate = measure(stack, path, headers, args.clients, args.seconds)
                results[kind].append((ms, rate))
                print(f"run {run} · {kind:9s} web {ms:5.2f} ms per request · {rate:6.1f} requests/s", flush=True)
        for kind, runs in results.items():
            ms, rate = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
            print(f"median · {kind:9s} web {ms:5.2f} ms per request · {rate:6.1f} requests/s")


if __name__ == "__main__":
    main()
