import logging

import pytest
from prometheus_client import REGISTRY

from billing.models import LedgerEntry
from symptoms.exceptions import IdempotencyConflict, InstrumentNotOffered, SymptomAnswersRejected
from symptoms.models import SymptomCheck
from symptoms.services import symptom_check_submit

pytestmark = pytest.mark.django_db


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_symptom_check_with_zero_credits_works_and_the_ledger_is_untouched(broke_member, phq9_answers):
    wallet = broke_member.wallet
    wallet.refresh_from_db()
    before = (wallet.available, wallet.held, LedgerEntry.objects.filter(wallet=wallet).count())
    assert before[0] == 0

    submission = symptom_check_submit(user=broke_member, instrument_key="phq9", answers=phq9_answers)

    wallet.refresh_from_db()
    assert submission.created
    assert (submission.check.total, submission.check.band) == (9, "mild")
    assert (wallet.available, wallet.held, LedgerEntry.objects.filter(wallet=wallet).count()) == before


def test_the_same_idempotency_key_and_answers_return_the_same_check(member, phq9_answers):
    first = symptom_check_submit(user=member, instrument_key="phq9", answers=phq9_answers, idempotency_key="k1")
    again = symptom_check_submit(user=member, instrument_key="phq9", answers=phq9_answers, idempotency_key="k1")
    assert (first.created, again.created) == (True, False)
    assert again.check.id == first.check.id
    assert SymptomCheck.objects.count() == 1


def test_the_same_key_with_other_answers_is_refused(member, phq9_answers):
    symptom_check_submit(user=member, instrument_key="phq9", answers=phq9_answers, idempotency_key="k1")
    with pytest.raises(IdempotencyConflict):
        symptom_check_submit(
            user=member, instrument_key="phq9", answers={**phq9_answers, "phq9_1": 0}, idempotency_key="k1"
        )


def test_two_people_may_use_the_same_key(member, outsider, phq9_answers):
    symptom_check_submit(user=member, instrument_key="phq9", answers=phq9_answers, idempotency_key="k1")
    assert symptom_check_submit(
        user=outsider, instrument_key="phq9", answers=phq9_answers, idempotency_key="k1"
    ).created


def test_an_unknown_instrument_and_a_missing_item_store_nothing(member, phq9_answers):
    with pytest.raises(InstrumentNotOffered) as unknown:
        symptom_check_submit(user=member, instrument_key="beck", answers=phq9_answers)
    del phq9_answers["phq9_9"]
    with pytest.raises(SymptomAnswersRejected) as missing:
        symptom_check_submit(user=member, instrument_key="phq9", answers=phq9_answers)
    assert unknown.value.extra["fields"] == {"instrument": ["Choose one of: phq9, gad7."]}
    assert missing.value.extra["fields"] == {"phq9_9": ["Please answer question 9."]}
    assert SymptomCheck.objects.count() == 0


def test_the_safety_path_is_counted_without_labels_and_never_logged(member, phq9_answers, caplog):
    caplog.set_level(logging.DEBUG)
    before = sample("mhc_symptom_safety_path_total")
    checks_before = sample("mhc_symptom_checks_total", instrument="phq9")

    flagged = symptom_check_submit(user=member, instrument_key="phq9", answers={**phq9_answers, "phq9_9": 2}).check
    symptom_check_submit(user=member, instrument_key="phq9", answers=phq9_answers)

    assert flagged.safety_flag is True
    assert sample("mhc_symptom_safety_path_total") == before + 1
    assert sample("mhc_symptom_checks_total", instrument="phq9") == checks_before + 2
    (family,) = [m for m in REGISTRY.collect() if m.name == "mhc_symptom_safety_path"]
    assert all(s.labels == {} for s in family.samples)
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert str(flagged.id) in logged  # the check is logged by id...
    for secret in ("safety", "phq9_9", member.email, '"total"', "mild"):  # ...and nothing about the person's answers
        assert secret not in logged
