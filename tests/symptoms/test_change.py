"""The change rules of symptoms.change at every boundary, on the rules, the selectors, the API and the pages."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from symptoms.change import (
    BASELINE,
    NO_RELIABLE_CHANGE,
    NOT_APPLIED,
    PREVIOUS,
    RECOVERY,
    RELIABLE_DETERIORATION,
    RELIABLE_IMPROVEMENT,
    REMISSION,
    RESPONSE,
    RULE_SETS,
    Reading,
    labels_for,
)
from symptoms.instruments import GAD7, PHQ9
from symptoms.models import SymptomCheck
from symptoms.services import symptom_check_submit
from tests.symptoms.conftest import answers_totalling

START = timezone.now() - timedelta(days=60)


def series(*totals, instrument="phq9", start=START, step=timedelta(days=14)):
    return [Reading(instrument, total, start + i * step, f"{instrument}-{i}") for i, total in enumerate(totals)]


def keys(comparison):
    return [label.key for label in comparison.labels]


def latest(readings, **kwargs):
    return labels_for(readings, **kwargs)[readings[-1].id]


# --- The rules themselves, at every boundary -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "then", "expected"),
    [
        (15, 10, NO_RELIABLE_CHANGE),  # 5 points down
        (15, 9, RELIABLE_IMPROVEMENT),  # 6 points down
        (8, 13, NO_RELIABLE_CHANGE),  # 5 points up
        (8, 14, RELIABLE_DETERIORATION),  # 6 points up
        (8, 8, NO_RELIABLE_CHANGE),
    ],
)
def test_a_phq9_change_is_reliable_from_6_points(first, then, expected):
    change = latest(series(first, then))
    assert change.baseline.change_label.key == expected
    assert change.baseline.change_label.rule == "NHS Talking Therapies: a change of 6 points or more on the PHQ-9"


@pytest.mark.parametrize(
    ("first", "then", "expected"),
    [
        (12, 9, NO_RELIABLE_CHANGE),
        (12, 8, RELIABLE_IMPROVEMENT),
        (5, 8, NO_RELIABLE_CHANGE),
        (5, 9, RELIABLE_DETERIORATION),
    ],
)
def test_a_gad7_change_is_reliable_from_4_points(first, then, expected):
    change = latest(series(first, then, instrument="gad7"))
    assert change.baseline.change_label.key == expected
    assert change.baseline.change_label.rule == "NHS Talking Therapies: a change of 4 points or more on the GAD-7"


def test_a_deterioration_points_to_help_and_an_improvement_does_not():
    assert latest(series(8, 14)).points_to_help
    assert not latest(series(14, 8)).points_to_help


@pytest.mark.parametrize(
    ("first", "then", "responded"),
    [(20, 10, True), (20, 11, False), (15, 7, True), (15, 8, False), (9, 4, False)],  # exactly 50 %; index > 9 only
)
def test_response_is_a_phq9_at_least_half_below_the_first(first, then, responded):
    change = latest(series(first, then))
    assert (RESPONSE in keys(change.baseline)) is responded
    if responded:
        label = next(label for label in change.baseline.labels if label.key == RESPONSE)
        assert label.rule.startswith("NCQA: a PHQ-9 at least 50% below the first one")


@pytest.mark.parametrize(("then", "remitted"), [(4, True), (5, False)])
def test_remission_is_a_phq9_below_5_from_an_elevated_first(then, remitted):
    assert (REMISSION in keys(latest(series(12, then)).baseline)) is remitted
    assert REMISSION not in keys(latest(series(9, 0)).baseline)  # not from a first PHQ-9 below 10


def test_response_and_remission_are_judged_against_the_first_check_only():
    change = latest(series(20, 18, 4))
    assert RESPONSE in keys(change.baseline)
    assert REMISSION in keys(change.baseline)
    assert RESPONSE not in keys(change.previous)
    assert REMISSION not in keys(change.previous)


@pytest.mark.parametrize(("then", "recovered"), [(9, True), (10, False)])
def test_recovery_crosses_10_on_the_phq9_alone(then, recovered):
    change = latest(series(10, then))
    assert (RECOVERY in keys(change.baseline)) is recovered
    if recovered:
        label = next(label for label in change.baseline.labels if label.key == RECOVERY)
        assert "alone" in label.text
        assert "cure" in label.text
        assert "not a cure" in label.text


@pytest.mark.parametrize(("then", "recovered"), [(7, True), (8, False)])
def test_recovery_crosses_8_on_the_gad7(then, recovered):
    assert (RECOVERY in keys(latest(series(8, then, instrument="gad7")).baseline)) is recovered


def test_recovery_is_judged_on_the_pair_answered_the_same_day():
    phq9 = series(12, 6)
    # GAD-7 at caseness at the start and still 8 at the end: no recovery, though the PHQ-9 fell below 10.
    gad7 = series(9, 8, instrument="gad7", start=START + timedelta(hours=2))
    changes = labels_for([*phq9, *gad7])
    assert RECOVERY not in keys(changes[phq9[-1].id].baseline)
    assert RECOVERY not in keys(changes[gad7[-1].id].baseline)
    # Both below their thresholds at the end: recovery, for both questionnaires' checks, judged on the pair.
    gad7 = series(9, 7, instrument="gad7", start=START + timedelta(hours=2))
    changes = labels_for([*phq9, *gad7])
    for reading in (phq9[-1], gad7[-1]):
        label = next(label for label in changes[reading.id].baseline.labels if label.key == RECOVERY)
        assert "alone" not in label.text
    # A GAD-7 at caseness alone makes the start a case: PHQ-9 9 and GAD-7 8, then 5 and 3.
    changes = labels_for([*series(9, 5), *series(8, 3, instrument="gad7", start=START + timedelta(hours=23))])
    assert RECOVERY in keys(changes["phq9-1"].baseline)


def test_recovery_is_not_judged_when_the_other_questionnaire_was_answered_at_one_end_only():
    phq9 = series(12, 6)
    gad7 = [Reading("gad7", 3, phq9[-1].at + timedelta(hours=1), "gad7-0")]  # only with the later PHQ-9
    assert RECOVERY not in keys(labels_for([*phq9, *gad7])[phq9[-1].id].baseline)
    # More than 24 hours apart is not a pair: judged on the PHQ-9 alone.
    gad7 = [Reading("gad7", 3, phq9[-1].at + timedelta(hours=25), "gad7-0")]
    assert RECOVERY in keys(labels_for([*phq9, *gad7])[phq9[-1].id].baseline)


def test_a_check_is_compared_with_the_one_before_and_the_first():
    change = latest(series(20, 10, 15))
    assert change.previous.against == PREVIOUS
    assert change.previous.difference == 5
    assert change.previous.change_label.key == NO_RELIABLE_CHANGE
    assert change.baseline.against == BASELINE
    assert change.baseline.difference == -5
    assert [c.against for c in change.comparisons] == [PREVIOUS, BASELINE]
    # The second check's previous is its first: shown once.
    second = labels_for(series(20, 10))["phq9-1"]
    assert [c.against for c in second.comparisons] == [BASELINE]


def test_the_first_check_has_no_labels():
    change = labels_for(series(12))["phq9-0"]
    assert change.previous is None
    assert change.baseline is None
    assert change.comparisons == []


def test_every_rule_set_names_its_source_and_the_5_point_mcid_is_not_applied():
    for rule_set in RULE_SETS:
        assert rule_set.source.citation
        assert rule_set.source.url.startswith("https://")
        assert rule_set.source.checked
    assert "Löwe" in NOT_APPLIED["phq9_mcid_5_points"].citation
    assert all(getattr(rule, "points", 6) != 5 for rule_set in RULE_SETS for rule in rule_set.rules)


def test_a_clinics_own_rule_set_is_data():
    from datetime import date

    from symptoms.change import ReliableChange, RuleSet, Source

    clinic = RuleSet(
        key="clinic", name="Our clinic", source=Source("Our protocol", "https://example.org", date(2026, 12, 1)),
        rules=(ReliableChange("phq9", 3),),
    )  # fmt: skip
    change = latest(series(10, 7), rule_sets=(clinic,))
    assert change.baseline.change_label.key == RELIABLE_IMPROVEMENT
    assert change.baseline.change_label.rule == "Our clinic: a change of 3 points or more on the PHQ-9"


def test_no_label_reads_as_a_diagnosis_or_a_cure():
    readings = [*series(20, 4), *series(12, 2, instrument="gad7", start=START + timedelta(hours=1))]
    for change in labels_for(readings).values():
        for comparison in change.comparisons:
            for label in comparison.labels:
                text = label.text.lower()
                assert "you are cured" not in text
                assert "you have depression" not in text
                assert "you no longer" not in text


# --- Through the database: the selector, the API and the pages ------------------------------------------------------


def check(user, instrument, total, days_ago, **overrides):
    definition = PHQ9 if instrument == "phq9" else GAD7
    answers = answers_totalling(definition, total, **overrides)
    if instrument == "phq9":
        answers["phq9_difficulty"] = None
    submission = symptom_check_submit(user=user, instrument_key=instrument, answers=answers)
    SymptomCheck.objects.filter(id=submission.check.id).update(created_at=timezone.now() - timedelta(days=days_ago))
    return submission.check


@pytest.mark.django_db
@pytest.mark.parametrize(("second", "expected"), [(9, "Reliable improvement"), (10, "No reliable change")])
def test_the_result_page_labels_a_change_of_6_and_not_of_5(client, member, second, expected):
    check(member, "phq9", 15, 30)
    later = check(member, "phq9", second, 1)
    client.force_login(member)
    html = client.get(reverse("symptoms:detail", args=[later.id])).content.decode()
    assert 'id="change"' in html
    assert f"<strong>{expected}</strong>" in html
    assert "NHS Talking Therapies: a change of 6 points or more on the PHQ-9" in html


@pytest.mark.django_db
@pytest.mark.parametrize(("second", "expected"), [(8, "reliable_improvement"), (9, "no_reliable_change")])
def test_the_api_labels_a_gad7_change_of_4_and_not_of_3(member_api, member, second, expected):
    check(member, "gad7", 12, 30)
    later = check(member, "gad7", second, 1)
    body = member_api.get(reverse("api-symptom-check-detail", args=[later.id])).json()
    baseline = body["change"]["baseline"]
    assert baseline["labels"][0]["key"] == expected
    assert baseline["labels"][0]["rule"] == "NHS Talking Therapies: a change of 4 points or more on the GAD-7"
    assert baseline["difference"] == second - 12
    listed = member_api.get(reverse("api-symptom-check-list")).json()["results"]
    assert listed[0]["change"]["baseline"]["labels"][0]["key"] == expected
    assert listed[1]["change"] is None  # the first GAD-7


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first", "then", "present", "absent"),
    [
        (20, 10, "response", "remission"),  # exactly 50 % below
        (20, 11, None, "response"),
        (12, 4, "remission", None),
        (12, 5, None, "remission"),
        (10, 9, "recovery", None),
        (10, 10, None, "recovery"),
    ],
)
def test_the_api_gives_response_remission_and_recovery_at_their_boundaries(
    member_api, member, first, then, present, absent
):
    check(member, "phq9", first, 30)
    later = check(member, "phq9", then, 1)
    body = member_api.get(reverse("api-symptom-check-detail", args=[later.id])).json()
    found = [label["key"] for label in body["change"]["baseline"]["labels"]]
    if present:
        assert present in found
    if absent:
        assert absent not in found


@pytest.mark.django_db
def test_gad7_recovery_crosses_8_through_the_api(member_api, member):
    check(member, "gad7", 8, 30)
    recovered = check(member, "gad7", 7, 10)
    check(member, "gad7", 8, 5)
    body = member_api.get(reverse("api-symptom-check-detail", args=[recovered.id])).json()
    assert "recovery" in [label["key"] for label in body["change"]["baseline"]["labels"]]
    last = member_api.get(reverse("api-symptom-check-list")).json()["results"][0]
    assert "recovery" not in [label["key"] for label in last["change"]["baseline"]["labels"]]


@pytest.mark.django_db
def test_an_outsider_sees_no_labels_of_the_members_checks(member_api, member, outsider, client):
    check(member, "phq9", 15, 30)
    later = check(member, "phq9", 8, 1)
    client.force_login(outsider)
    assert client.get(reverse("symptoms:detail", args=[later.id])).status_code == 404


@pytest.mark.django_db
def test_history_shows_labels_with_their_rules_and_the_item_trend_with_item_9_marked(client, member):
    check(member, "phq9", 15, 30, phq9_9=0)
    check(member, "phq9", 9, 10)
    flagged = answers_totalling(PHQ9, 9)
    flagged.update({"phq9_3": 0, "phq9_9": 3, "phq9_difficulty": None})
    symptom_check_submit(user=member, instrument_key="phq9", answers=flagged)
    client.force_login(member)
    html = client.get(reverse("screening:history")).content.decode()
    assert 'id="symptom-changes"' in html
    assert "Reliable improvement" in html
    assert "(NHS Talking Therapies: a change of 6 points or more on the PHQ-9)" in html
    assert 'class="item-trend"' in html
    assert html.count('<tr class="flagged">') == 1
    assert html.count('class="num flagged-cell"') == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("then", "expected"), [(9, "Reliable improvement"), (10, "No reliable change")])
def test_the_summary_shows_the_labels_the_item_trend_and_the_rules(client, member, then, expected):
    check(member, "phq9", 15, 30)
    check(member, "phq9", then, 1)
    client.force_login(member)
    html = client.get(reverse("screening:summary")).content.decode()
    assert expected in html
    assert 'class="item-trend"' in html
    assert "NHS Talking Therapies: a change of 6 points or more on the PHQ-9" in html
    assert "NCQA: a PHQ-9 at least 50% below the first one, which was 10 or more; a PHQ-9 below 5" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("instrument", "first", "then", "shown", "not_shown"),
    [
        ("phq9", 15, 10, "No reliable change", "Reliable improvement"),  # 5 points
        ("phq9", 15, 9, "Reliable improvement", None),  # 6 points
        ("gad7", 12, 9, "No reliable change", "Reliable improvement"),  # 3 points
        ("gad7", 12, 8, "Reliable improvement", None),  # 4 points
        ("phq9", 20, 10, "Response", None),  # exactly 50 %
        ("phq9", 20, 11, None, "Response"),
        ("phq9", 12, 4, "Remission", None),
        ("phq9", 12, 5, None, "Remission"),
        ("phq9", 10, 9, "Recovery", None),
        ("phq9", 10, 10, None, "Recovery"),
        ("gad7", 8, 7, "Recovery", None),
        ("gad7", 8, 8, None, "Recovery"),
    ],
)
def test_the_result_page_shows_each_boundary(client, member, instrument, first, then, shown, not_shown):
    check(member, instrument, first, 30)
    later = check(member, instrument, then, 1)
    client.force_login(member)
    html = client.get(reverse("symptoms:detail", args=[later.id])).content.decode()
    if shown:
        assert f"<strong>{shown}</strong>" in html
    if not_shown:
        assert f"<strong>{not_shown}</strong>" not in html
