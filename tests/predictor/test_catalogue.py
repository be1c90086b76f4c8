"""The catalogue is the only list of models: choices, prices, the system check and the model card follow it."""

import copy
import json

import joblib
import numpy as np
import pytest
import xgboost as xgb
from django.template.loader import render_to_string

from predictor import catalogue, services
from predictor.artifacts import MANIFEST_FILE, SCORING_FILE
from predictor.catalogue import CatalogueModel
from predictor.features import answers_to_columns
from predictor.schema import validate_answers
from predictor.scorers import build_scorers
from predictor.training.report import render_markdown
from predictor.views import card_context
from screening.checks import model_costs_are_set
from screening.models import Screening
from tests.predictor.conftest import FULL_ANSWERS

FIFTH = CatalogueModel(
    key="brief",
    name="Brief logistic regression",
    kind="logistic",
    price=2,
    file="brief.joblib",
    description="A shorter linear model.",
    explanation="coefficient x value, as for the logistic regression.",
)


@pytest.fixture
def fifth_model(monkeypatch):
    """The catalogue with one more model, and nothing else changed."""
    monkeypatch.setattr(catalogue, "MODELS", (*catalogue.MODELS, FIFTH))
    return FIFTH


@pytest.fixture
def manifest(trained_artifacts):
    return json.loads((trained_artifacts / "vtest" / MANIFEST_FILE).read_text())


def test_a_fifth_model_is_offered_priced_and_checked_from_its_entry_alone(fifth_model, settings):
    field = Screening._meta.get_field("model_key")
    assert ("brief", "Brief logistic regression") in list(field.choices)
    assert services.model_keys()[-1] == "brief"
    assert services.prices()["brief"] == 2
    assert Screening(model_key="brief").get_model_key_display() == "Brief logistic regression"
    assert model_costs_are_set(None) == []

    settings.PREDICTOR_MODEL_COSTS = {**settings.PREDICTOR_MODEL_COSTS, "brief": 0}
    [error] = model_costs_are_set(None)
    assert error.hint == "Set COST_BRIEF to a whole number ≥ 1."


def test_a_fifth_model_appears_on_the_model_card_from_its_entry_alone(fifth_model, manifest):
    manifest = copy.deepcopy(manifest)
    manifest["metrics"]["brief"] = manifest["metrics"]["logistic"]

    context = card_context(manifest)
    page = render_to_string("predictor/model_card.html", context)
    markdown = render_markdown(manifest)

    row = next(row for row in context["rows"] if row["key"] == "brief")
    assert (row["name"], row["cost"]) == ("Brief logistic regression", 2)
    assert ("Brief logistic regression", FIFTH.explanation) in context["explanations"]
    assert page.count("Brief logistic regression") >= 3  # metrics, subgroups, bands and explanations
    assert "Brief logistic regression" in markdown


def test_a_fifth_model_gets_a_scorer_from_its_entry_alone(fifth_model, trained_artifacts):
    version = trained_artifacts / "vtest"
    fitted = {
        "logistic": joblib.load(version / "logistic.joblib"),
        "forest": joblib.load(version / "forest.joblib"),
        "xgboost": xgb.Booster(model_file=str(version / "xgboost.ubj")),
        "brief": joblib.load(version / "logistic.joblib"),
    }
    parameters = json.loads((version / SCORING_FILE).read_text())

    scorers = build_scorers(fitted=fitted, parameters=parameters)

    columns = answers_to_columns([validate_answers(FULL_ANSWERS)])
    assert list(scorers) == ["logistic", "forest", "xgboost", "brief", "ensemble"]
    np.testing.assert_allclose(scorers["brief"].score(columns).margin, scorers["logistic"].score(columns).margin)


def test_model_card_figures_come_from_the_manifest(manifest):
    manifest = copy.deepcopy(manifest)
    manifest["config"]["forest"]["n_estimators"] = 77
    manifest["config"]["xgboost_rounds"] = 333
    manifest["metrics"]["ensemble"]["roc_auc"] = 0.8123

    assert "An average of 77 decision trees" in catalogue.describe("forest", manifest)
    assert "(333 rounds of depth-" in catalogue.describe("xgboost", manifest)
    assert "ROC-AUC 0.812 on people" in catalogue.describe("ensemble", manifest)
    first, last = manifest["data"]["training_cycles"][0]["cycle"], manifest["data"]["training_cycles"][-1]["cycle"]
    assert f"({first[:4]}-{last[-4:]})" in catalogue.limitations(manifest)[0]


def test_the_committed_version_describes_itself_with_its_own_figures():
    from predictor.registry import loaded_version

    manifest = loaded_version().manifest
    forest = next(m for m in services.model_catalogue() if m["key"] == "forest")

    assert f"{manifest['config']['forest']['n_estimators']} decision trees" in forest["description"]
    assert "?" not in "".join(m["description"] for m in services.model_catalogue())
