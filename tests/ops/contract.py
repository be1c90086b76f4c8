"""The API against its own OpenAPI schema: a bounded schemathesis run on a production-settings stack.

    .venv/bin/python -m tests.ops.contract [--workdir DIR] [--max-examples 25] [--seed 20261201]

Run by `make schemathesis` (and so by .ci/run). Starts the loopback stack of tests/ops/stack.py without
Prometheus (gunicorn under config.settings.production, a Celery worker, a Redis of its own, a scratch PostgreSQL
database), registers a person through the API and takes their JWT, then runs schemathesis (schemathesis.toml:
every check, every phase, a bounded number of examples per operation) against /api/v1/schema/ with that token.

Exit status 0 only if schemathesis found nothing (no server error, no undocumented status or content type, no
response outside its schema, every schema-valid request accepted and every invalid one refused) and no request
in the web log answered 500; and a body over the size limit and JSON nested 5,000 deep answer 413 and 400 there.
schemathesis' summary gives the figures: operations, test cases, failures by check.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.ops.stack import ROOT, Stack

CONFIG = ROOT / "schemathesis.toml"
CONSENT = {"confirm_adult": True, "accept_privacy": True}


def post_json(url: str, body: dict) -> dict:
    request = urllib.request.Request(  # noqa: S310 (a loopback URL built here)
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def sign_up(stack: Stack) -> str:
    """A person of this stack (WELCOME_CREDITS is large there, so no submission runs out) and their access token."""
    email = f"contract-{secrets.token_hex(4)}@example.org"
    password = "contract-" + secrets.token_urlsafe(18)
    post_json(f"{stack.web_url}/api/v1/auth/register/", {"email": email, "password": password, **CONSENT})
    return post_json(f"{stack.web_url}/api/v1/auth/token/", {"email": email, "password": password})["access"]


def run_schemathesis(stack: Stack, token: str, *, report_dir: Path, max_examples: int, seed: int) -> int:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file", str(CONFIG),
        "run", f"{stack.web_url}/api/v1/schema/?format=json",
        "--max-examples", str(max_examples),
        "--seed", str(seed),
        "--report", "ndjson",
        "--report-dir", str(report_dir),
    ]  # fmt: skip
    env = {**os.environ, "MHC_CONTRACT_ACCESS_TOKEN": token, "PYTHONPATH": str(ROOT)}
    return subprocess.run(command, cwd=ROOT, env=env, timeout=900).returncode  # noqa: S603


def limits_answer_400_or_413(stack: Stack, token: str) -> list[str]:
    """A body over the size limit and JSON nested thousands deep, sent to the real server: 413 and 400 in the API's
    error shape, never a 500."""
    problems = []
    url = f"{stack.web_url}/api/v1/screenings/"
    bodies = {
        413: json.dumps({"model": "logistic", "answers": {"age": 30, "sex": "male", "pad": "x" * 2_700_000}}),
        400: '{"model": "logistic", "answers": ' + "[" * 5000 + "]" * 5000 + "}",
    }
    for expected, body in bodies.items():
        request = urllib.request.Request(  # noqa: S310 (a loopback URL built here)
            url,
            data=body.encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        if status != expected or "message" not in json.loads(payload):
            problems.append(f"a {len(body):,}-byte body answered {status}, not {expected}: {payload[:200]!r}")
    return problems


def server_errors(stack: Stack) -> int:
    count = 0
    log = stack.logs / "web.log"
    for line in log.read_text(errors="replace").splitlines() if log.exists() else []:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("message") == "request finished" and int(entry.get("status", 0)) >= 500:
            count += 1
    return count


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", default="")
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    started = time.monotonic()
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="mhc-contract-"))
    report_dir = workdir / "schemathesis"
    stack = Stack(workdir, with_prometheus=False, web_workers=2, worker_concurrency=1)
    try:
        print("== contract: starting PostgreSQL database, Redis, gunicorn and a Celery worker on loopback", flush=True)
        stack.start()
        token = sign_up(stack)
        print(f"== contract: schemathesis against {stack.web_url}/api/v1/schema/", flush=True)
        status = run_schemathesis(stack, token, report_dir=report_dir, max_examples=args.max_examples, seed=args.seed)
        problems = limits_answer_400_or_413(stack, token)
    finally:
        stack.stop()
    errors = server_errors(stack)
    # schemathesis' summary above gives the test cases and the failures by check.
    print(f"\ncontract: {errors} responses >= 500 in the web log, {time.monotonic() - started:.0f} s in all")
    for problem in problems:
        print(f"contract: FAILED: {problem}")
    if status == 0 and errors:
        print("contract: FAILED: the web log has server errors schemathesis did not report")
    return status or int(bool(errors or problems))


if __name__ == "__main__":
    sys.exit(main())
