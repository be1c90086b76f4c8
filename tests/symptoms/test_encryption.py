"""Symptom checks are encrypted at rest like screenings: a raw SELECT shows no item value, total, band or flag, and a
key rotation keeps old rows readable; the chart, export, FHIR resource and admin still read the values."""

import json
import re

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from symptoms.instruments import PHQ9
from symptoms.models import SymptomCheck
from symptoms.services import symptom_check_submit
from tests.symptoms.conftest import answers_totalling

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
FERNET_TOKEN = re.compile(r"gAAAAA[A-Za-z0-9_=-]+")
COLUMNS = ("answers", "total", "band", "safety_flag")


def raw_row(check) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT answers, total, band, safety_flag, instrument FROM symptoms_symptomcheck WHERE id = %s",
            [check.pk.hex if connection.vendor == "sqlite" else check.pk],
        )
        return cursor.fetchone()


@pytest.fixture
def flagged(member):
    # Item 9 above 0: the row holds the self-harm flag, the most sensitive value here.
    answers = {**answers_totalling(PHQ9, 15), "phq9_9": 2, "phq9_difficulty": 3}
    return symptom_check_submit(user=member, instrument_key="phq9", answers=answers).check


def test_a_raw_select_shows_no_item_value_total_band_or_flag(flagged):
    row = raw_row(flagged)

    for column in row[:4]:
        # URL-safe base64 only: no quote, colon, brace or space, so neither a JSON key nor a value can be in it.
        assert FERNET_TOKEN.fullmatch(column), column[:40]
    stored = " ".join(row[:4])
    assert "phq9_" not in stored
    assert "moderately_severe" not in stored
    assert row[4] == "phq9"  # what the site filters by stays plain
    fresh = SymptomCheck.objects.get(pk=flagged.pk)
    assert (fresh.total, fresh.band, fresh.safety_flag) == (17, "moderately_severe", True)
    assert fresh.answers == flagged.answers
    assert fresh.answers["phq9_9"] == 2


def test_every_encrypted_column_is_a_different_token_for_the_same_value(member):
    first = symptom_check_submit(user=member, instrument_key="phq9", answers=answers_totalling(PHQ9, 3)).check
    second = symptom_check_submit(user=member, instrument_key="phq9", answers=answers_totalling(PHQ9, 3)).check

    # Fernet tokens carry a random IV: equal totals do not show as equal ciphertexts.
    assert raw_row(first)[1] != raw_row(second)[1]


def test_after_a_key_rotation_old_checks_stay_readable_and_are_re_encrypted(settings, member):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    old = symptom_check_submit(user=member, instrument_key="phq9", answers=answers_totalling(PHQ9, 12)).check
    old_row = raw_row(old)

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]  # the documented rotation: the new key in front
    assert SymptomCheck.objects.get(pk=old.pk).total == 12
    call_command("encryption_rotate", stdout=open("/dev/null", "w"))  # noqa: SIM115

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]  # the old key retired
    rotated = SymptomCheck.objects.get(pk=old.pk)
    assert (rotated.total, rotated.band, rotated.safety_flag) == (12, "moderate", False)
    assert rotated.answers == old.answers
    assert raw_row(old)[:4] != old_row[:4]
    assert Fernet(NEW_KEY).decrypt(raw_row(old)[1].encode()) == b"12"


def test_the_chart_summary_export_fhir_and_admin_still_read_the_values(client, member, flagged, staff):
    client.force_login(member)

    history = client.get(reverse("screening:history"))
    export = json.loads(client.get(reverse("privacy:export")).content)
    fhir = json.loads(client.get(reverse("symptoms:fhir", args=[flagged.id])).content)

    assert history.status_code == 200
    assert "17" in history.content.decode()
    exported = export["symptom_checks"][0]
    assert (exported["total"], exported["band"], exported["safety_flag"]) == (17, "moderately_severe", True)
    assert exported["answers"] == flagged.answers
    assert {"valueInteger": 17} in [answer for item in fhir["item"] for answer in item.get("answer", [])]


@pytest.mark.django_db(transaction=True)  # the migration alters the table: no test transaction around it
def test_rows_written_before_encryption_are_encrypted_by_the_migration(member):
    executor = MigrationExecutor(connection)
    before, after = [("symptoms", "0002_keyed_request_fingerprints")], [("symptoms", "0003_encrypt_health_data")]
    executor.migrate(before)
    try:
        executor.loader.build_graph()
        Plain = executor.loader.project_state(before).apps.get_model("symptoms", "SymptomCheck")
        answers = answers_totalling(PHQ9, 6, phq9_difficulty=None)
        plain = Plain.objects.create(
            owner_id=member.pk, instrument="phq9", answers=answers, total=6, band="mild", safety_flag=False
        )
    finally:
        MigrationExecutor(connection).migrate(after)

    row = raw_row(plain)
    assert all(FERNET_TOKEN.fullmatch(column) for column in row[:4])
    check = SymptomCheck.objects.get(pk=plain.pk)
    assert (check.answers, check.total, check.band, check.safety_flag) == (answers, 6, "mild", False)
