"""The Celery worker's CPU for a message that finds nothing to score: the floor a screening's message costs.

    .venv/bin/python benchmarks/worker_messages.py [--messages 2000] [--runs 3]

Starts the same stack as e2e.py (production settings, a Celery worker with the prefork pool and two children, a
PostgreSQL cluster and a redis-server of its own), then publishes `--messages` score_screening messages for ids no
screening has, from one process, as fast as it can, and waits until the worker has taken them all. Each such task
runs as a real one does (delivery, the pipe to a child, the claim statement, which matches nothing, the ack); only
scoring and settling are missing. Prints the worker's CPU ms per message (main process and children, from
/proc) and the messages per second, per run and as medians. Figures only; nothing is asserted.

Under load a batch claims the screenings of other messages, whose own tasks then claim nothing: this is what each
of those costs, and what any screening's message costs on top of its share of a batch.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e import PY, ROOT, Stack, group_cpu, scratch_stack

PUBLISH = """
import sys, uuid, django
django.setup()
from screening.tasks import score_screening
for _ in range(int(sys.argv[1])):
    score_screening.apply_async(args=[str(uuid.uuid4())])
"""


def redis_count(stack: Stack, command: str, key: str) -> int:
    """LLEN or HLEN of a key in the broker's database."""
    result = subprocess.run(
        ["redis-cli", "-p", str(stack.ports["redis"]), "-n", "0", command, key],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(result.stdout.strip() or 0)


def run_once(stack: Stack, messages: int) -> tuple[float, float]:
    worker = stack.processes["worker"].pid
    before = group_cpu(worker)
    started = time.monotonic()
    subprocess.run([PY, "-c", PUBLISH, str(messages)], cwd=ROOT, env=stack.env, check=True)
    while redis_count(stack, "LLEN", "celery") or redis_count(stack, "HLEN", "unacked"):  # queued, unacked
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    return 1000 * (group_cpu(worker) - before) / messages, messages / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with scratch_stack("mhc-worker-") as stack:
        run_once(stack, 50)  # warm: the first tasks of a child are not the ones measured
        print(f"Celery prefork x2 · production settings · {args.messages} messages with nothing to claim per run")
        print("| run | worker CPU ms per message | messages/s |")
        print("| --- | --- | --- |")
        results = []
        for number in range(1, args.runs + 1):
            cpu_ms, rate = run_once(stack, args.messages)
            results.append((cpu_ms, rate))
            print(f"| {number} | {cpu_ms:.2f} | {rate:.0f} |", flush=True)
        cpu = statistics.median(cpu_ms for cpu_ms, _ in results)
        rate = statistics.median(rate for _, rate in results)
        print(f"| median | {cpu:.2f} | {rate:.0f} |")


if __name__ == "__main__":
    main()
