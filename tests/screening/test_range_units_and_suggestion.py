"""The result's range, heights and weights in the person's units, an unlikely body size on the API, and the model
the questionnaire pre-selects for an earlier check's answers."""

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.selectors import wallet_balance
from billing.services import wallet_adjust
from predictor import services as predictor_services
from predictor.registry import loaded_version
from screening.models import Screening
from screening.services import screening_score
from tests.factories import ScreeningFactory

pytestmark = pytest.mark.django_db
LIST = reverse("api-screening-list")


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def test_a_scored_screening_stores_the_models_range_around_its_estimate(member_api, answers):
    screening_id = member_api.post(LIST, {"model": "ensemble", "answers": answers}, format="json").json()["id"]

    screening_score(screening_id=screening_id)

    screening = Screening.objects.get(id=screening_id)
    prediction = predictor_services.predict("ensemble", screening.answers)
    assert screening.interval_low == pytest.approx(prediction.interval_low)
    assert screening.interval_high == pytest.approx(prediction.interval_high)
    assert screening.interval_low < screening.probability < screening.interval_high


def test_the_range_includes_the_versions_model_error_term(answers, monkeypatch):
    version = loaded_version()
    cleaned = predictor_services.validate_answers(answers)
    assert version.scoring["interval"]["model_error"]["ensemble"] > 0
    with_error = predictor_services.predict("ensemble", cleaned)
    interval = {**version.scoring["interval"], "model_error": {}}
    monkeypatch.setitem(version.scoring, "interval", interval)
    without = predictor_services.predict("ensemble", cleaned)

    assert version.scoring["interval"] is interval
    assert without.probability == with_error.probability
    assert with_error.interval_high - with_error.interval_low > without.interval_high - without.interval_low


def test_the_result_page_says_the_range_in_counts_in_100_and_links_how_it_is_made(member_client, member):
    screening = ScreeningFactory(
        owner=member, status="done", probability=0.09, risk_band="moderate", base_rate=0.131, model_version="v",
        finished_at=timezone.now(), interval_low=0.068, interval_high=0.121,
    )  # fmt: skip

    html = member_client.get(reverse("screening:detail", args=[screening.id])).content.decode()

    assert "likely between\n    about 7 and 12 in 100" in html or "likely between about 7 and 12 in 100" in " ".join(
        html.split()
    )
    assert reverse("predictor:model-card") + "#range" in html


def test_a_result_without_a_range_says_its_uncertainty_is_not_drawn(member_client, member):
    screening = ScreeningFactory(
        owner=member, status="done", probability=0.09, risk_band="moderate", base_rate=0.131, model_version="v",
        finished_at=timezone.now(),
    )  # fmt: skip

    html = " ".join(member_client.get(reverse("screening:detail", args=[screening.id])).content.decode().split())

    assert "uncertainty that is not drawn here" in html
    assert "likely between" not in html


def test_the_model_card_reports_the_ranges_coverage_on_the_hold_out(client):
    interval = loaded_version().manifest["current_period"]["interval"]
    coverage = interval["coverage"]["ensemble"]

    html = " ".join(client.get(reverse("predictor:model-card")).content.decode().split())

    # v3 reports it by tenths of estimated risk and by subgroup (issue 25).
    assert 'id="range"' in html
    assert f"<td>{coverage['tenths_covered']} of {len(coverage['tenths'])}</td>" in html
    assert f"<td>{coverage['subgroups_covered']} of {coverage['subgroups_counted']}</td>" in html


def test_the_answers_page_shows_height_and_weight_in_the_persons_units_beside_the_stored_metric(
    member_client, member, answers
):
    member.preferred_units = {"height_cm": "ft_in", "weight_kg": "lb"}
    member.save(update_fields=["preferred_units"])
    screening = ScreeningFactory(owner=member, answers={**answers, "height_cm": 180.3, "weight_kg": 81.6})

    html = " ".join(member_client.get(reverse("screening:detail", args=[screening.id])).content.decode().split())

    assert "5 ft 11 in (180.3 cm)" in html
    assert "179.9 lb (81.6 kg)" in html


def test_metric_people_see_metric_only(member_client, member, answers):
    member.preferred_units = {"height_cm": "cm", "weight_kg": "kg"}
    member.save(update_fields=["preferred_units"])
    screening = ScreeningFactory(owner=member, answers={**answers, "height_cm": 180.3, "weight_kg": 81.6})

    html = " ".join(member_client.get(reverse("screening:detail", args=[screening.id])).content.decode().split())

    assert "180.3 cm" in html
    assert " ft " not in html
    assert " lb " not in html


def test_an_unlikely_height_and_weight_on_the_api_is_asked_about_then_accepted_when_confirmed(
    member_api, member, answers
):
    unlikely = {**answers, "height_cm": 150, "weight_kg": 153}  # a body-mass index of 68

    asked = member_api.post(LIST, {"model": "logistic", "answers": unlikely}, format="json")

    assert asked.status_code == 400
    message = asked.json()["extra"]["fields"]["weight_kg"][0]
    assert "body-mass index of 68" in message
    assert "confirm_body_size" in message
    assert Screening.objects.count() == 0
    assert wallet_balance(user=member)["held"] == 0

    confirmed = member_api.post(
        LIST, {"model": "logistic", "answers": unlikely, "confirm_body_size": True}, format="json"
    )
    assert confirmed.status_code == 202
    assert Screening.objects.get().answers["weight_kg"] == 153


def test_pounds_sent_as_kilograms_on_the_api_ask_whether_they_were_pounds(member_api, answers):
    response = member_api.post(
        LIST, {"model": "logistic", "answers": {**answers, "height_cm": 180, "weight_kg": 180}}, format="json"
    )

    assert response.status_code == 400
    assert "Did you mean 180 pounds?" in response.json()["extra"]["fields"]["weight_kg"][0]


def test_an_ordinary_body_on_the_api_is_not_asked_about(member_api, answers):
    response = member_api.post(
        LIST, {"model": "logistic", "answers": {**answers, "height_cm": 180.3, "weight_kg": 81.6}}, format="json"
    )

    assert response.status_code == 202


@pytest.fixture
def differences(monkeypatch):
    """The active version's hold-out comparison, replaced for one test."""
    current = loaded_version().manifest["current_period"]

    def replace(table):
        monkeypatch.setitem(current, "model_differences", table)

    return replace


def test_check_again_pre_selects_a_dearer_model_only_where_it_was_measurably_better_and_says_why(
    member_client, member, staff, answers, differences
):
    earlier = ScreeningFactory(owner=member, model_key="logistic", answers={**answers, "age": 67})
    new_check = reverse("screening:new") + f"?from={earlier.id}"
    # Check again keeps the earlier model unless it is unaffordable; start from a check whose model is gone.
    Screening.objects.filter(id=earlier.id).update(model_key="ensemble")
    wallet_adjust(user=member, amount=5 - member.wallet.available, author=staff, reason="test: 5 credits left")

    differences({"age: 60+": {"xgboost": {"logistic": {"value": 0.05, "low": 0.01, "high": 0.09}}}})
    page = member_client.get(new_check)
    html = " ".join(page.content.decode().split())
    assert page.context["form"].initial["model"] == "xgboost"
    assert "XGBoost is chosen for you: for people aged 60 or over" in html

    differences({"age: 60+": {"xgboost": {"logistic": {"value": 0.004, "low": -0.01, "high": 0.02}}}})
    page = member_client.get(new_check)
    assert page.context["form"].initial["model"] == "logistic"
    assert "is chosen for you: for" not in page.content.decode()


def test_a_new_questionnaire_pre_selects_the_cheapest_model(member_client, differences):
    differences({"age: 60+": {"xgboost": {"logistic": {"value": 0.05, "low": 0.01, "high": 0.09}}}})

    page = member_client.get(reverse("screening:new"))

    assert page.context["form"].initial["model"] == "logistic"


@pytest.mark.parametrize(("skipped", "said"), [(True, True), (False, False)])
def test_the_range_says_when_skipped_questions_widen_it(member_client, member, answers, skipped, said):
    stored = {**answers, "education": None} if skipped else answers
    screening = ScreeningFactory(
        owner=member, status="done", probability=0.3, risk_band="moderate", base_rate=0.131, model_version="v",
        finished_at=timezone.now(), interval_low=0.1, interval_high=0.6, answers=stored,
    )  # fmt: skip

    html = " ".join(member_client.get(reverse("screening:detail", args=[screening.id])).content.decode().split())

    assert ("questions you left unanswered: answering them would make it narrower" in html) is said
