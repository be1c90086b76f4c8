import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.http import Http404
from django.utils import timezone

from core.logging import JsonFormatter, ReadableFormatter
from privacy.services import user_delete, user_export
from sharing import services
from sharing.models import ShareLink, ShareOpening
from sharing.services import client_kind, share_link_create, share_link_open, share_link_revoke
from tests.factories import PASSWORD
from tests.sharing.conftest import DESKTOP_UA, PHONE_UA, expire


def test_a_token_is_at_least_128_random_bits_and_only_its_sha256_is_kept(member):
    created = share_link_create(user=member, language="en")
    other = share_link_create(user=member, language="en")

    assert len(created.token) >= 43  # token_urlsafe(32): 256 bits
    assert created.token != other.token
    link = ShareLink.objects.get(id=created.link.id)
    assert link.token_hash == hashlib.sha256(created.token.encode()).hexdigest()
    assert created.token not in link.token_hash


def test_it_lives_14_days_by_default_and_from_1_to_30(member):
    link = share_link_create(user=member, language="en").link
    assert link.expires_at - link.created_at == timedelta(days=14)
    assert share_link_create(user=member, language="en", days=30).link
    for days in (0, 31):
        with pytest.raises(ValidationError) as error:
            share_link_create(user=member, language="en", days=days)
        assert "days" in error.value.message_dict
    with pytest.raises(ValidationError):
        share_link_create(user=member, language="de")


def test_several_links_can_be_live_at_once(member):
    first = share_link_create(user=member, language="en")
    second = share_link_create(user=member, language="es", contents="checks_and_estimates")
    assert share_link_open(token=first.token, user_agent=DESKTOP_UA) == first.link
    assert share_link_open(token=second.token, user_agent=DESKTOP_UA) == second.link


def test_a_link_opens_while_valid_and_records_each_opening_without_an_address(shared):
    assert share_link_open(token=shared.token, user_agent=PHONE_UA) == shared.link
    assert share_link_open(token=shared.token, user_agent=DESKTOP_UA, format="fhir") == shared.link

    openings = list(ShareOpening.objects.filter(link=shared.link).order_by("opened_at"))
    assert [(o.client, o.format) for o in openings] == [("phone", "page"), ("desktop", "fhir")]
    assert {f.name for f in ShareOpening._meta.get_fields()} == {"id", "link", "opened_at", "client", "format"}


def test_it_is_refused_after_expiry_and_after_revocation(member, shared):
    expire(shared.link)
    assert share_link_open(token=shared.token, user_agent=DESKTOP_UA) is None

    live = share_link_create(user=member, language="en")
    share_link_revoke(user=member, link_id=live.link.id)
    assert share_link_open(token=live.token, user_agent=DESKTOP_UA) is None
    assert not ShareOpening.objects.exists()


def test_unknown_expired_and_revoked_tokens_take_the_same_lookup(member, shared, django_assert_num_queries):
    revoked = share_link_create(user=member, language="en")
    share_link_revoke(user=member, link_id=revoked.link.id)
    expire(shared.link)

    for token in (shared.token, revoked.token, "x" * 43, "y" * 500):
        with django_assert_num_queries(1) as context:
            assert share_link_open(token=token, user_agent=DESKTOP_UA) is None
        sql = context.captured_queries[0]["sql"]
        assert "token_hash" in sql
        assert token not in sql


def test_each_lookup_goes_through_one_constant_time_comparison(shared, monkeypatch):
    compared = []
    real = services.hmac.compare_digest
    monkeypatch.setattr(services.hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real(a, b))

    share_link_open(token=shared.token, user_agent=DESKTOP_UA)
    share_link_open(token="not-a-token", user_agent=DESKTOP_UA)

    assert len(compared) == 2
    assert compared[0][0] == compared[0][1]
    assert compared[1][0] != compared[1][1]


def test_someone_elses_link_cannot_be_revoked(member, outsider, shared):
    with pytest.raises(Http404):
        share_link_revoke(user=outsider, link_id=shared.link.id)
    assert ShareLink.objects.get(id=shared.link.id).revoked_at is None


def test_revoking_twice_keeps_the_first_time(member, shared):
    first = share_link_revoke(user=member, link_id=shared.link.id).revoked_at
    assert share_link_revoke(user=member, link_id=shared.link.id).revoked_at == first


@pytest.mark.parametrize(
    ("user_agent", "kind"),
    [
        (PHONE_UA, "phone"),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36", "phone"),
        (DESKTOP_UA, "desktop"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", "desktop"),
        ("curl/8.5.0", "other"),
        ("", "other"),
    ],
)
def test_the_client_is_only_a_coarse_kind(user_agent, kind):
    assert client_kind(user_agent) == kind


def _every_sharing_value() -> list[str]:
    values = []
    for model in (ShareLink, ShareOpening):
        for row in model.objects.values_list(*[f.column for f in model._meta.concrete_fields]):
            values += [str(value) for value in row]
    return values


def test_the_token_is_nowhere_in_the_database_the_logs_or_the_export(member, shared, caplog, client):
    caplog.set_level(logging.DEBUG)
    revoked = share_link_create(user=member, language="ru")
    client.get(f"/s/{shared.token}/", HTTP_USER_AGENT=PHONE_UA)
    client.get(f"/s/{shared.token}/fhir/")
    share_link_revoke(user=member, link_id=revoked.link.id)
    client.get(f"/s/{revoked.token}/")  # a 410, which Django's request logger reports with the path

    tokens = [shared.token, revoked.token]
    values = _every_sharing_value()
    assert values
    assert not any(token in value for value in values for token in tokens)
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    export = json.dumps(user_export(user=member))
    # What the site's formatters write: each message and its extras, in the readable and the JSON format.
    logs = caplog.text + "".join(
        ReadableFormatter().format(record) + JsonFormatter().format(record) for record in caplog.records
    )
    for token in tokens:
        assert token not in dump.getvalue()
        assert token not in logs
        assert token not in export
        assert hashlib.sha256(token.encode()).hexdigest() not in export
    assert "Gone: /s/[token]/" in caplog.text


def test_the_export_lists_the_links_and_their_openings(member, shared):
    share_link_open(token=shared.token, user_agent=PHONE_UA)
    exported = user_export(user=member)["share_links"]
    assert len(exported) == 1
    assert exported[0]["id"] == str(shared.link.id)
    assert exported[0]["contents"] == "checks_and_estimates"
    assert [o["client"] for o in exported[0]["openings"]] == ["phone"]
    assert "token_hash" not in exported[0]


def test_deleting_the_account_deletes_its_links_and_openings(member, shared):
    share_link_open(token=shared.token, user_agent=PHONE_UA)
    user_delete(user=member, password=PASSWORD)
    assert not ShareLink.objects.exists()
    assert not ShareOpening.objects.exists()


@pytest.mark.django_db
def test_the_database_refuses_a_link_that_expires_before_it_was_made(member):
    from django.db import IntegrityError, transaction

    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        ShareLink.objects.create(owner=member, token_hash="0" * 64, language="en", created_at=now, expires_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        ShareLink.objects.create(
            owner=member, token_hash="not-a-hash", language="en", expires_at=now + timedelta(days=1)
        )
    assert connection.vendor in {"sqlite", "postgresql"}


@pytest.mark.postgres
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="needs pg_dump (postgresql-client)")
@pytest.mark.django_db(transaction=True)
def test_a_dump_of_the_whole_postgresql_database_holds_no_token(member):
    created = share_link_create(user=member, language="en")
    share_link_open(token=created.token, user_agent=PHONE_UA)
    db = connection.settings_dict
    dump = subprocess.run(  # noqa: S603 (the test database's own settings)
        [
            shutil.which("pg_dump") or "pg_dump",
            "--data-only",
            "-h",
            db["HOST"],
            "-p",
            str(db["PORT"]),
            "-U",
            db["USER"],
            db["NAME"],
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""},
    ).stdout
    assert str(created.link.id) in dump  # the dump sees the link's row ...
    assert created.token not in dump  # ... and not its token
