"""Answers and results are encrypted at rest: a raw SELECT shows no answer, and a key rotation keeps rows readable."""

import json
import re

import pytest
from cryptography.fernet import Fernet, MultiFernet
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from screening.models import Screening
from tests.factories import ScreeningFactory

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
FERNET_TOKEN = re.compile(r"gAAAAA[A-Za-z0-9_=-]+")
RAW_SELECT = (
    "SELECT answers, probability, risk_band, factors, base_rate, status, model_key"
    " FROM screening_screening WHERE id = %s"
)


def raw_row(screening) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(RAW_SELECT, [screening.pk.hex if connection.vendor == "sqlite" else screening.pk])
        return cursor.fetchone()


@pytest.fixture
def scored(member, answers):
    return ScreeningFactory(
        owner=member,
        answers=answers,
        status=Screening.Status.DONE,
        probability=0.4321,
        risk_band="high",
        base_rate=0.0871,
        factors=[{"feature": "sleep_trouble_told_doctor", "contribution": 0.41}],
        model_version="v-test",
        finished_at=timezone.now(),
    )


def test_a_raw_select_shows_no_answer_and_no_result_in_plain_text(scored, answers):
    row = raw_row(scored)

    for column in row[:5]:
        # A Fernet token is URL-safe base64: no quote, colon, dot or space, so no JSON, number or word of an answer
        # can be in it, only letters and digits that happen to spell one by chance.
        assert FERNET_TOKEN.fullmatch(column), column[:40]
    stored = " ".join(row[:5])
    for key in (key for key in answers if len(key) >= 8):
        assert key not in stored  # keys this long: chance cannot spell them
    assert "sleep_trouble_told_doctor" not in stored
    assert row[5:] == ("done", "logistic")  # what the site filters by stays plain
    assert Screening.objects.get(pk=scored.pk).answers == answers  # and the application reads it back, typed


def test_queryset_update_encrypts_too(scored):
    Screening.objects.filter(pk=scored.pk).update(probability=0.9876, risk_band="moderate", factors=[{"x": 1}])

    row = raw_row(scored)
    fresh = Screening.objects.get(pk=scored.pk)
    assert "0.9876" not in str(row)
    assert "moderate" not in str(row)
    assert (fresh.probability, fresh.risk_band, fresh.factors) == (0.9876, "moderate", [{"x": 1}])


def test_after_a_key_rotation_old_rows_stay_readable_and_are_re_encrypted(settings, member, answers):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    old = ScreeningFactory(owner=member, answers=answers, probability=0.25, risk_band="low")
    old_token = raw_row(old)[0]

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]  # the documented rotation: the new key in front
    assert Screening.objects.get(pk=old.pk).answers == answers
    new = ScreeningFactory(owner=member, answers={**answers, "age": 50})
    assert MultiFernet([Fernet(NEW_KEY)]).decrypt(raw_row(new)[0].encode())

    call_command("encryption_rotate", stdout=open("/dev/null", "w"))  # noqa: SIM115

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]  # the old key retired
    rotated = Screening.objects.get(pk=old.pk)
    assert rotated.answers == answers
    assert (rotated.probability, rotated.risk_band) == (0.25, "low")
    assert raw_row(old)[0] != old_token
    assert json.loads(Fernet(NEW_KEY).decrypt(raw_row(old)[0].encode())) == answers


def test_a_row_written_before_encryption_is_read_and_encrypted_on_its_next_save(scored, answers):
    plain = json.dumps(answers)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE screening_screening SET answers = %s WHERE id = %s",
            [plain, scored.pk.hex if connection.vendor == "sqlite" else scored.pk],
        )

    legacy = Screening.objects.get(pk=scored.pk)
    assert legacy.answers == answers
    legacy.save(update_fields=["answers"])
    assert raw_row(scored)[0] != plain


def test_history_chart_and_export_still_read_the_values(client, member, scored, answers):
    client.force_login(member)

    history = client.get(reverse("screening:history"))
    export = json.loads(client.get(reverse("privacy:export")).content)

    assert history.status_code == 200
    assert "43%" in history.content.decode()
    assert export["screenings"][0]["answers"] == answers
    assert export["screenings"][0]["result"]["probability"] == 0.4321


def test_a_probability_outside_0_1_is_a_failure_now_that_the_database_cannot_check_it(member, answers, replace_model):
    import dataclasses

    from predictor.services import predict as real_predict
    from screening.services import screening_score, screening_submit

    screening = screening_submit(user=member, model_key="logistic", answers=answers).screening
    wrong = dataclasses.replace(real_predict("logistic", answers), probability=1.5)
    replace_model(lambda model_key, answers: wrong)

    screening_score(screening_id=screening.id)

    screening.refresh_from_db()
    assert (screening.status, screening.probability) == (Screening.Status.FAILED, None)
