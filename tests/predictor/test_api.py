import pytest
from django.urls import reverse

from predictor.registry import loaded_version
from predictor.schema import QUESTIONS, SCHEMA_VERSION
from predictor.serializers import AnswersSerializer

pytestmark = pytest.mark.django_db


def test_the_questionnaire_endpoint_serves_the_schema_to_anyone(api_client):
    response = api_client.get("/api/v1/questionnaire/")

    assert response.status_code == 200
    body = response.json()
    assert body["version"] == SCHEMA_VERSION
    assert [q["key"] for q in body["questions"]] == [q.key for q in QUESTIONS]
    age = body["questions"][0]
    assert age == {**age, "key": "age", "kind": "integer", "optional": False, "unit": "years"}
    assert body["income_to_poverty"]["first_person_usd"] == 15_650


def test_the_models_endpoint_lists_costs_versions_and_manifest_metrics(api_client, use_artifacts, settings):
    settings.PREDICTOR_MODEL_COSTS = {"logistic": 1, "forest": 3, "xgboost": 5, "ensemble": 7}

    response = api_client.get("/api/v1/models/")

    assert response.status_code == 200
    body = response.json()
    manifest = loaded_version().manifest
    assert body["version"] == "vtest"
    assert [(m["key"], m["cost"]) for m in body["models"]] == [
        ("logistic", 1),
        ("forest", 3),
        ("xgboost", 5),
        ("ensemble", 7),
    ]
    for model in body["models"]:
        assert model["metrics"]["roc_auc"] == pytest.approx(manifest["metrics"][model["key"]]["roc_auc"])
        assert model["risk_band_thresholds"] == manifest["thresholds"][model["key"]]


def test_the_models_endpoint_answers_in_the_error_shape_without_a_model(api_client, settings, tmp_path):
    from predictor import registry

    settings.ML_ARTIFACTS_DIR = tmp_path
    settings.PREDICTOR_ACTIVE_VERSION = ""
    registry.clear_cache()

    response = api_client.get("/api/v1/models/")

    assert response.status_code == 503
    assert "No active model version" in response.json()["message"]


def test_the_model_card_page_shows_the_manifest_numbers_and_plots(client, use_artifacts):
    manifest = loaded_version().manifest

    response = client.get(reverse("predictor:model-card"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "What the estimate is not" in page
    assert f"{manifest['metrics']['ensemble']['roc_auc']:.3f}" in page
    assert f"{manifest['metrics']['baseline']['brier']:.4f}" in page
    assert manifest["version"] in page
    plot = client.get(reverse("predictor:model-card-plot", args=["roc"]))
    assert plot.status_code == 200
    assert plot["Content-Type"] == "image/png"
    assert plot.content.startswith(b"\x89PNG")
    assert client.get("/models/plots/manifest.png").status_code == 404


def test_the_model_card_page_gives_todays_figure_and_links_the_full_card_train_models_wrote(client):
    # The shipped version: its manifest carries the prior shift and the survey-weighted tables.
    manifest = loaded_version().manifest
    shift = manifest["current_period"]["prior_shift"]

    page = client.get(reverse("predictor:model-card")).content.decode()

    assert f"{100 * shift['figure']:.1f} %" in page
    assert "assumption about today's population" in page
    assert reverse("predictor:model-card-full") in page
    full = client.get(reverse("predictor:model-card-full"))
    assert full.status_code == 200
    assert full["Content-Type"] == "text/markdown; charset=utf-8"
    card = full.content.decode()
    assert card == (loaded_version().directory / "MODEL_CARD.md").read_text()
    assert "Survey-weighted validation" in card
    assert "Risk bands today" in card


def test_a_full_model_card_that_no_longer_matches_its_manifest_is_not_served(
    client, settings, trained_artifacts, tmp_path
):
    import shutil

    from predictor import registry

    copy = tmp_path / "ml_artifacts"
    shutil.copytree(trained_artifacts, copy)
    settings.ML_ARTIFACTS_DIR = copy
    settings.PREDICTOR_ACTIVE_VERSION = ""
    registry.clear_cache()
    try:
        assert client.get(reverse("predictor:model-card-full")).status_code == 200
        card = next(copy.glob("*/MODEL_CARD.md"))
        card.write_text(card.read_text() + "\nAn edited figure.\n")
        assert client.get(reverse("predictor:model-card-full")).status_code == 404
    finally:
        registry.clear_cache()


def test_the_api_reports_each_question(member_api):
    body = {"model": "logistic", "answers": {"age": 12, "sleep_hours": 3, "shoe_size": 44}}

    response = member_api.post(reverse("api-screening-list"), body, format="json")

    assert response.status_code == 400
    fields = response.json()["extra"]["fields"]
    assert fields["age"] == ["Enter a value from 18 to 120 years."]
    assert fields["sex"] == ["This question is required."]
    assert fields["shoe_size"] == ["This is not a question in the questionnaire."]


def test_the_answers_are_described_one_property_per_question():
    assert set(AnswersSerializer().fields) == {question.key for question in QUESTIONS}
