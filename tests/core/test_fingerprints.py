"""The request fingerprint is keyed: without SECRET_KEY a stored one cannot test a guess of someone's answers."""

import hashlib
import json

import pytest

from core.fingerprints import fingerprint_matches, request_fingerprint
from screening.services import screening_submit
from symptoms.instruments import PHQ9
from symptoms.services import symptom_check_submit
from tests.symptoms.conftest import answers_totalling

ANSWERS = {"age": 34, "sex": "female", "sleep_hours": 6.5, "conditions": ["asthma"]}


def plain_sha256(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@pytest.mark.django_db
def test_a_stored_screening_fingerprint_is_no_plain_hash_of_the_answers(member):
    screening = screening_submit(user=member, model_key="logistic", answers=ANSWERS, idempotency_key="k-1").screening

    guess = {"model": "logistic", "answers": screening.answers}  # the exact right guess
    assert screening.request_fingerprint != plain_sha256(guess)
    assert len(screening.request_fingerprint) == 64
    assert fingerprint_matches(screening.request_fingerprint, guess)


@pytest.mark.django_db
def test_a_stored_symptom_fingerprint_is_no_plain_hash_of_the_answers(member):
    check = symptom_check_submit(
        user=member, instrument_key="phq9", answers=answers_totalling(PHQ9, 7), idempotency_key="k-1"
    ).check

    guess = {"instrument": "phq9", "answers": check.answers}
    assert check.request_fingerprint != plain_sha256(guess)
    assert fingerprint_matches(check.request_fingerprint, guess)


def test_the_fingerprint_depends_on_the_secret_key(settings):
    payload = {"model": "logistic", "answers": {"age": 34}}
    settings.SECRET_KEY = "one-secret-key-of-at-least-fifty-characters-0123456789abcdef"
    under_one = request_fingerprint(payload)
    settings.SECRET_KEY = "another-secret-key-of-at-least-fifty-characters-0123456789"

    assert request_fingerprint(payload) != under_one
    assert not fingerprint_matches(under_one, payload)
    assert not fingerprint_matches(request_fingerprint(payload), {"model": "logistic", "answers": {"age": 35}})


@pytest.mark.django_db
def test_a_replay_is_recognised_after_the_secret_key_is_rotated(member, settings):
    first = screening_submit(user=member, model_key="logistic", answers=ANSWERS, idempotency_key="k-1").screening
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-of-at-least-fifty-characters-0123456789abc"

    again = screening_submit(user=member, model_key="logistic", answers=dict(ANSWERS), idempotency_key="k-1")

    assert again.created is False
    assert again.screening.pk == first.pk
