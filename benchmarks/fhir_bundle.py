"""Time and bytes of one request for a person's FHIR bundles, for a person with many symptom checks.

    DATABASE_URL=postgres://... REDIS_URL=redis://.../N .venv/bin/python benchmarks/fhir_bundle.py [--checks 2500]

Issue 26's probe stored 2,500 free checks for one account; its all-checks bundle was 10.8 MB and took 58 s of a
web thread. The bundles are paged (docs/sharing.md#fhir-bundle-pages): this prints, for each endpoint that returns
a person's checks as FHIR, the first page's bytes and seconds, then the pages, bytes and seconds of walking every
`next` link to the end. It migrates the database it is given, makes one person with `--checks` checks (bulk
inserted, spread over the last year so no volume limit applies) and a share link, and leaves them behind.
Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checks", type=int, default=2500)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set DATABASE_URL (PostgreSQL): the figures depend on it.")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Walking a link's pages here would meet the link's rate (30 requests an hour) long before the end.
    os.environ.setdefault("THROTTLE_SHARE_LINK_RATE", "100000/hour")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from accounts.models import User
    from sharing.services import share_link_create
    from symptoms.instruments import GAD7, PHQ9, score
    from symptoms.models import SymptomCheck

    setup_test_environment()  # the test client's host, as the test suite uses it
    call_command("migrate", verbosity=0)
    user = User.objects.create_user(email=f"fhir-bench-{time.time_ns()}@example.com", password="x" * 16)
    now = timezone.now()
    rows = []
    for n in range(args.checks):
        instrument = (PHQ9, GAD7)[n % 2]
        answers = {item.key: n % 4 for item in instrument.items}
        result = score(instrument, answers)
        rows.append(
            SymptomCheck(
                owner=user,
                instrument=instrument.key,
                answers=answers,
                total=result.total,
                band=result.band.key,
                safety_flag=result.safety_flag,
            )
        )
    SymptomCheck.objects.bulk_create(rows, batch_size=500)
    # Spread over the last year (created_at is set on insert), oldest first.
    for n, check in enumerate(SymptomCheck.objects.filter(owner=user).order_by("created_at", "id")):
        SymptomCheck.objects.filter(id=check.id).update(created_at=now - timedelta(hours=3 * (args.checks - n)))
    link = share_link_create(user=user, contents="checks", days=7, language="en", show_name=False)

    client = Client()
    client.force_login(user)
    endpoints = {
        "GET /api/v1/me/fhir-bundle/": "/api/v1/me/fhir-bundle/",
        "GET /summary/fhir-bundle/": "/summary/fhir-bundle/",
        "GET /symptoms/fhir/": "/symptoms/fhir/",
        "GET /s/<token>/fhir/": f"/s/{link.token}/fhir/",
    }
    print(f"{args.checks} checks")
    print(f"{'endpoint':32} {'first page':>22} {'every page':>30}")
    for name, path in endpoints.items():
        pages, total_bytes, total_seconds, first = 0, 0, 0.0, None
        url: str | None = path
        while url:
            started = time.perf_counter()
            response = client.get(url)
            seconds = time.perf_counter() - started
            if response.status_code != 200:
                print(f"{name}: {response.status_code}")
                break
            body = json.loads(response.content)
            pages += 1
            total_bytes += len(response.content)
            total_seconds += seconds
            first = first or (len(response.content), seconds)
            url = next((link["url"] for link in body.get("link", []) if link["relation"] == "next"), None)
            if url:
                parts = urlsplit(url)
                url = f"{parts.path}?{parts.query}"
        assert first is not None
        print(
            f"{name:32} {first[0] / 1e6:8.2f} MB {first[1]:8.2f} s "
            f"{pages:6d} pages {total_bytes / 1e6:8.2f} MB {total_seconds:7.2f} s"
        )


if __name__ == "__main__":
    main()
