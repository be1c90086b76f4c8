"""Real servers stopped and started again: the site degrades instead of failing, and catches up by itself.

Each test runs the production-settings stack of tests/ops/stack.py (gunicorn, a Celery worker and beat, a Redis of
its own) and, for the PostgreSQL outage, a PostgreSQL server of its own too. The shared servers are never touched.
The status codes observed are printed (run with -s to see them) and asserted.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.ops.stack import PrivatePostgres, Stack, http_get, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

# Registration asks for an explicit 18+ confirmation and agreement to the privacy notice.
CONSENT = {"confirm_adult": True, "accept_privacy": True}
ANSWERS = {"age": 41, "sex": "female", "sleep_hours": 6}


def call(base: str, method: str, path: str, body: dict | None = None, token: str = "", form: bool = False):
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        if form:
            data = urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return response.status, response.headers, _json(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers, _json(error.read())


def _json(raw: bytes):
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def register_and_login(base: str) -> tuple[str, str, str]:
    email, password = f"outage-{uuid.uuid4().hex[:8]}@example.com", "correct-horse-battery-9"
    status, _, _ = call(base, "POST", "/api/v1/auth/register/", {"email": email, "password": password, **CONSENT})
    assert status == 202
    status, _, tokens = call(base, "POST", "/api/v1/auth/token/", {"email": email, "password": password})
    assert status == 200
    return email, password, tokens["access"]


@pytest.fixture
def workdir():
    # Under /tmp with open permissions: the private PostgreSQL runs as the postgres user and needs to reach it.
    directory = Path(tempfile.mkdtemp(prefix="mhc-outage-"))
    directory.chmod(0o755)
    yield directory
    if not os.environ.get("KEEP_OUTAGE_LOGS"):
        shutil.rmtree(directory, ignore_errors=True)


def test_a_redis_outage_keeps_sign_in_working_and_every_screening_is_scored_when_it_returns(workdir):
    stack = Stack(
        workdir,
        with_prometheus=False,
        with_beat=True,
        extra_env={"THROTTLE_AUTH_RATE": "20/min", "SCREENING_REQUEUE_EVERY_SECONDS": "2"},
    )
    observed: dict[str, list[int]] = {}
    with stack:
        base = stack.web_url
        email, password, access = register_and_login(base)
        _, _, tokens = call(base, "POST", "/api/v1/auth/token/", {"email": email, "password": password})
        worker_pid = stack.processes["worker"].pid

        stack.stop_redis()
        submitted = []
        for attempt in range(3):
            new_email = f"during-{attempt}-{uuid.uuid4().hex[:6]}@example.com"
            status, _, _ = call(
                base, "POST", "/api/v1/auth/register/", {"email": new_email, "password": password, **CONSENT}
            )
            observed.setdefault("register", []).append(status)
            status, _, _ = call(base, "POST", "/api/v1/auth/token/", {"email": email, "password": password})
            observed.setdefault("token", []).append(status)
            status, _, refreshed = call(base, "POST", "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]})
            observed.setdefault("refresh", []).append(status)
            if status == 200:
                tokens = {**tokens, **refreshed}
            observed.setdefault("web login page", []).append(http_get(f"{base}/accounts/login/")[0])
            status, _, body = call(
                base, "POST", "/api/v1/screenings/", {"model": "logistic", "answers": ANSWERS}, token=access
            )
            observed.setdefault("submit", []).append(status)
            if status == 202:
                submitted.append("/api/v1" + body["url"].split("/api/v1", 1)[1])
            observed.setdefault("readyz", []).append(http_get(f"{base}/readyz")[0])
        time.sleep(8)  # longer than Celery's first reconnection attempts
        worker_alive_during_outage = stack.processes["worker"].poll() is None

        stack.start_redis()
        returned = time.monotonic()

        def all_done():
            states = []
            for path in submitted:
                status, _, body = call(base, "GET", path, token=access)
                assert status == 200, (status, str(body)[:300])
                states.append(body["status"])
            return states if all(s in {"done", "failed"} for s in states) else None

        states = wait_for("screenings submitted during the outage", all_done, timeout=60, interval=1)
        caught_up_seconds = time.monotonic() - returned
        observed["readyz after"] = [wait_for("readyz", lambda: http_get(f"{base}/readyz")[0] == 200 and 200)]

    print(f"\nRedis outage, status codes observed: {observed}")
    print(f"worker pid unchanged: {stack.processes.get('worker') is None and worker_pid}, caught up in "
          f"{caught_up_seconds:.1f}s, states {states}")  # fmt: skip
    assert set(observed["register"]) == {202}
    assert set(observed["token"]) == {200}
    assert set(observed["refresh"]) == {200}
    assert set(observed["web login page"]) == {200}
    assert set(observed["submit"]) == {202}
    assert set(observed["readyz"]) == {503}
    assert worker_alive_during_outage
    assert states == ["done"] * len(submitted)


def test_readyz_says_so_when_no_worker_consumes(workdir):
    with Stack(workdir, with_prometheus=False) as stack:
        before = http_get(f"{stack.web_url}/readyz")
        stack._terminate("worker")
        after = http_get(f"{stack.web_url}/readyz")

    print(f"\n/readyz with a worker: {before[0]}, without: {after[0]}")
    assert before[0] == 200
    assert after[0] == 503
    assert json.loads(after[1])["failed"] == ["worker"]


class Browser:
    """A person's browser, signed in through the real login form (CSRF token included).

    Production cookies are Secure and this stack speaks plain HTTP on loopback, so cookies are kept by hand.
    """

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(_NoRedirect)

    def request(self, path: str, data: dict | None = None) -> tuple[int, dict, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers)  # noqa: S310
        try:
            response = self.opener.open(request, timeout=15)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
            return response.status, response.headers, response.read().decode()

    def get(self, path: str) -> tuple[int, str | None, str]:
        status, headers, html = self.request(path)
        return status, headers.get("Retry-After"), html

    def log_in(self, email: str, password: str) -> None:
        self.request("/accounts/login/")
        form = {"username": email, "password": password, "csrfmiddlewaretoken": self.cookies["csrftoken"]}
        status, _, _ = self.request("/accounts/login/", form)
        assert status == 302
        assert "sessionid" in self.cookies


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def many_at_once(base: str, path: str, token: str, count: int = 32) -> list[int]:
    """`count` requests at once, enough to reach every thread of every web process."""
    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(lambda _: call(base, "GET", path, token=token)[0], range(count)))


def test_a_postgresql_outage_answers_503_with_retry_after_and_recovers(workdir):
    postgres = PrivatePostgres(workdir / "pg").init()
    postgres.start()
    stack = Stack(workdir / "stack", with_prometheus=False)
    stack.admin_database_url = postgres.url
    stack.database_url = f"postgres://postgres@127.0.0.1:{postgres.port}/{stack.database}"
    observed: dict[str, tuple[int, str | None]] = {}
    # Pages a signed-in person opens; each needs the database (the session, the user, their data).
    pages = ["/", "/check/", "/history/", "/credits/", "/accounts/settings/", "/models/"]
    api = ["/api/v1/me/", "/api/v1/screenings/", "/api/v1/billing/balance/"]
    try:
        with stack:
            base = stack.web_url
            email, password, access = register_and_login(base)
            browser = Browser(base)
            browser.log_in(email, password)
            # Every web thread holds a kept connection when the database goes away (a restart ends them all).
            assert set(many_at_once(base, "/api/v1/screenings/", access)) == {200}
            postgres.stop()
            for path in pages:
                status, retry_after, html = browser.get(path)
                observed[path] = (status, retry_after)
                assert "try again in" in html.lower(), path
                assert "Traceback" not in html
            for path in api:
                status, headers, body = call(base, "GET", path, token=access)
                observed[path] = (status, headers.get("Retry-After"))
                assert isinstance(body, dict), path
                assert body["message"], path
            status, headers, _ = call(
                base, "POST", "/api/v1/screenings/", {"model": "logistic", "answers": ANSWERS}, token=access
            )
            observed["POST /api/v1/screenings/"] = (status, headers.get("Retry-After"))
            status, headers, _ = call(base, "POST", "/api/v1/auth/token/", {"email": email, "password": password})
            observed["POST /api/v1/auth/token/"] = (status, headers.get("Retry-After"))
            observed["/readyz"] = (http_get(f"{base}/readyz")[0], None)

            postgres.start()
            recovered = {path: browser.get(path)[0] for path in pages}
            recovered.update({path: call(base, "GET", path, token=access)[0] for path in api})
            # No thread fails on the connection it kept from before the outage (CONN_HEALTH_CHECKS).
            after_many = many_at_once(base, "/api/v1/screenings/", access)
    finally:
        if postgres.is_running():
            postgres.stop()

    print(f"\nPostgreSQL outage, (status, Retry-After) observed: {observed}\nafter it returned: {recovered}")
    assert observed.pop("/readyz")[0] == 503
    for path, (status, retry_after) in observed.items():
        assert status == 503, path
        assert retry_after, path
        assert int(retry_after) > 0, path
    assert set(recovered.values()) == {200}
    assert set(after_many) == {200}, after_many
