"""What moved my estimate: the path's parts add up to the difference, each changed answer's part is the model's
own, and a change of model version is the version's (predictor.services.estimate_movement, screening.movement)."""

import math

import pytest
from django.urls import reverse
from django.utils import timezone
from scipy.special import expit, logit

from predictor.features import FACTOR_GROUPS, GROUP_QUESTIONS
from predictor.registry import version_named
from predictor.services import estimate_movement, explain_margins, predict, validate_answers
from screening.models import Screening

OLD_VERSION = "v2026.11.26"  # a committed earlier version: no prior shift, no answer model
MODELS = ["logistic", "forest", "xgboost", "ensemble"]


@pytest.fixture
def before(answers):
    return validate_answers({**answers, "smoking": "current"})


@pytest.fixture
def after(before):
    # Three answers change; household size feeds two factor groups (household, and income per person).
    return {**before, "household_size": 3, "smoking": "former", "sleep_hours": 7.5}


def stored(model_key, answers, *, version=None, probability=None):
    prediction = predict(model_key, answers)
    return {
        "model_key": model_key,
        "model_version": version or prediction.model_version,
        "answers": answers,
        "probability": prediction.probability if probability is None else probability,
    }


def total_of(movement):
    return math.fsum(step.effect for step in movement.steps)


@pytest.mark.parametrize("model_key", MODELS)
def test_the_parts_add_up_to_the_difference_and_each_answer_is_its_own_step(model_key, before, after):
    movement = estimate_movement(earlier=stored(model_key, before), later=stored(model_key, after))
    assert abs(total_of(movement) - (movement.end - movement.start)) < 1e-9
    # Same model, same version: only the answers moved it, one step each, in the questionnaire's order.
    assert [(s.kind, s.question) for s in movement.steps] == [
        ("answer", "household_size"), ("answer", "smoking"), ("answer", "sleep_hours")
    ]  # fmt: skip
    # Each step is the model's own estimate for the answers so far against the one before: nothing is apportioned.
    state = dict(before)
    for step in movement.steps:
        previous = predict(model_key, state).probability
        state[step.question] = after[step.question]
        assert abs(step.effect - (predict(model_key, state).probability - previous)) < 1e-12


@pytest.mark.parametrize("model_key", MODELS)
def test_each_answer_steps_log_odds_change_is_the_difference_of_the_models_exact_contributions(
    model_key, before, after
):
    """The equality that holds on the sequential path: a step's change of log-odds equals the change of the sum of
    every contribution (the base does not move while every answer is given), and for the logistic model, whose
    log-odds are a sum of per-question terms, the changed question's own contributions alone."""
    movement = estimate_movement(earlier=stored(model_key, before), later=stored(model_key, after))
    state = dict(before)
    for step in movement.steps:
        pair = [dict(state), {**state, step.question: after[step.question]}]
        explained = explain_margins(model_key, pair)
        groups = [i for i, g in enumerate(FACTOR_GROUPS) if step.question in GROUP_QUESTIONS[g]]
        own = explained["contributions"][1, groups].sum() - explained["contributions"][0, groups].sum()
        everything = explained["contributions"][1].sum() - explained["contributions"][0].sum()
        assert abs(step.margin_change - (explained["margin"][1] - explained["margin"][0])) < 1e-9
        assert abs(step.margin_change - everything) < 1e-9
        assert abs(step.contribution_change - own) < 1e-9
        if model_key == "logistic":
            assert abs(step.margin_change - step.contribution_change) < 1e-9
        # And in probability: the step's effect is the sigmoid of the log-odds after it less the one before.
        assert abs(step.effect - (expit(explained["margin"][1]) - expit(explained["margin"][0]))) < 1e-9
        state = pair[1]


def test_a_version_change_is_attributed_to_the_version_and_the_recalibration(before):
    old = version_named(OLD_VERSION)
    current = stored("logistic", before)
    earlier = {**current, "model_version": OLD_VERSION, "probability": 0.2}
    movement = estimate_movement(earlier=earlier, later=current)
    assert [s.kind for s in movement.steps] == ["recalibration", "model"]
    assert movement.separable
    assert abs(total_of(movement) - (current["probability"] - 0.2)) < 1e-9
    # The recalibration is the newer version's prior shift applied to the old model's log-odds.
    shift = version_named(current["model_version"]).shift("logistic") - old.shift("logistic")
    recalibration = movement.steps[0]
    assert shift > 0
    assert recalibration.effect > 0


def test_the_recalibration_is_exactly_the_prior_shift_on_the_old_models_estimate(before):
    current = stored("logistic", before)
    # Find the old version's own estimate by walking the path back: with it stored, only the shift and the
    # version remain, and the recalibration is sigmoid(logit(p_old) + shift) - p_old.
    probe = estimate_movement(earlier={**current, "model_version": OLD_VERSION, "probability": 0.5}, later=current)
    # The model step absorbed (as stored - 0.5); recover p_old from the recalibration step's size.
    shift = version_named(current["model_version"]).shift("logistic")
    effect = probe.steps[0].effect
    p_old = None
    low, high = 1e-6, 1 - 1e-6
    for _ in range(200):  # bisection: effect(p) = sigmoid(logit(p) + shift) - p is increasing on (0, 0.5)
        middle = (low + high) / 2
        if expit(logit(middle) + shift) - middle < effect:
            low = middle
        else:
            high = middle
        p_old = middle
    earlier = {**current, "model_version": OLD_VERSION, "probability": p_old}
    movement = estimate_movement(earlier=earlier, later=current)
    assert abs(movement.steps[0].effect - (expit(logit(p_old) + shift) - p_old)) < 1e-9
    assert abs(total_of(movement) - (current["probability"] - p_old)) < 1e-9


def test_a_version_that_can_no_longer_be_loaded_is_counted_as_the_version(before, after):
    earlier = {**stored("forest", before), "model_version": "v-retired", "probability": 0.3}
    later = stored("forest", after)
    movement = estimate_movement(earlier=earlier, later=later)
    assert not movement.separable
    assert movement.steps[0].kind == "model"
    assert [s.kind for s in movement.steps[1:]] == ["answer"] * 3
    assert abs(total_of(movement) - (later["probability"] - 0.3)) < 1e-9


def test_a_later_version_that_cannot_be_loaded_leaves_one_model_step(before, after):
    movement = estimate_movement(
        earlier=stored("forest", before), later={**stored("forest", after), "model_version": "v-retired"}
    )
    assert [s.kind for s in movement.steps] == ["model"]
    assert movement.changed_questions == ["household_size", "smoking", "sleep_hours"]
    assert abs(total_of(movement) - movement.total) < 1e-9


def test_another_model_is_a_model_step(before, after):
    movement = estimate_movement(earlier=stored("logistic", before), later=stored("xgboost", after))
    assert [s.kind for s in movement.steps] == ["model", "answer", "answer", "answer"]
    assert abs(total_of(movement) - movement.total) < 1e-9


# --- On the page and in the API --------------------------------------------------------------------------------


def finished_with(owner, model_key, answers, *, version=None, probability=None, minutes_ago=0):
    prediction = predict(model_key, answers)
    screening = Screening.objects.create(
        owner=owner, model_key=model_key, answers=answers, status="done", cost=1,
        probability=prediction.probability if probability is None else probability, risk_band=prediction.risk_band,
        base_rate=prediction.base_rate, model_version=version or prediction.model_version, finished_at=timezone.now(),
    )  # fmt: skip
    when = timezone.now() - timezone.timedelta(minutes=minutes_ago)
    Screening.objects.filter(id=screening.id).update(created_at=when)
    screening.refresh_from_db()
    return screening


@pytest.mark.django_db
def test_the_result_page_words_each_part_and_says_it_is_not_a_cause(client, member, before, after):
    earlier = finished_with(member, "logistic", before, version=OLD_VERSION, probability=0.2, minutes_ago=60)
    later = finished_with(member, "logistic", after)
    client.force_login(member)
    html = client.get(reverse("screening:detail", args=[later.id])).content.decode()
    assert 'id="movement"' in html
    assert reverse("screening:detail", args=[earlier.id]) in html
    assert "Adjusting the estimate to how common a positive screen is today" in html
    assert f"A newer version of the Logistic regression model: {OLD_VERSION}, now" in html
    assert "Your answer to “Do you smoke cigarettes?”: Current smoker, now Former smoker." in html
    assert html.count('<tr class="movement-answer">') == 3
    assert "not what changed how you feel" in html
    # The first check has no breakdown.
    assert 'id="movement"' not in client.get(reverse("screening:detail", args=[earlier.id])).content.decode()


@pytest.mark.django_db
def test_the_api_gives_the_breakdown_beside_the_detail(member_api, member, before, after):
    earlier = finished_with(member, "ensemble", before, minutes_ago=60)
    later = finished_with(member, "ensemble", after)
    body = member_api.get(reverse("api-screening-movement", args=[later.id])).json()
    assert body["screening"] == str(later.id)
    movement = body["movement"]
    assert movement["earlier"] == str(earlier.id)
    assert [step["question"] for step in movement["steps"]] == ["household_size", "smoking", "sleep_hours"]
    assert abs(math.fsum(step["effect"] for step in movement["steps"]) - movement["total"]) < 1e-9
    assert abs(movement["total"] - (later.probability - earlier.probability)) < 1e-9
    assert member_api.get(reverse("api-screening-movement", args=[earlier.id])).json()["movement"] is None
    # The detail itself stays what every poll reads: one query, nothing scored.
    assert "movement" not in member_api.get(reverse("api-screening-detail", args=[later.id])).json()


@pytest.mark.django_db
def test_an_outsider_gets_no_breakdown_of_the_members_screening(api_client, outsider, member, before, after):
    finished_with(member, "logistic", before, minutes_ago=60)
    later = finished_with(member, "logistic", after)
    api_client.force_authenticate(outsider)
    assert api_client.get(reverse("api-screening-movement", args=[later.id])).status_code == 404
