"""The models the site offers: the only list of them.

Each entry says what a model is called, which scorer serves it, which artifact file holds it (or which members an
ensemble combines), its price in credits and the texts of its model card. `Screening`'s choices, the system check
on prices, the model card, the `/models/` API and training all read this list, so adding a model is one entry here
(plus its training code when it is a new kind).

Texts may name figures of the trained version in braces ("{forest_trees} decision trees"); `card_figures` reads
them from the version's manifest, so no number in a description is typed by hand.

Pure Python: the settings module reads the default prices from here before Django is set up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, pgettext_lazy


@dataclass(frozen=True)
class CatalogueModel:
    key: str
    name: str
    kind: str  # which scorer serves it: "logistic", "forest", "xgboost" or "ensemble"
    price: int  # credits; settings.PREDICTOR_MODEL_COSTS (COST_<KEY> in the environment) overrides it
    description: str
    explanation: str  # how its explanations are computed, for the model card
    file: str = ""  # artifact file of a single model
    members: tuple[str, ...] = ()  # the models an ensemble combines

    @property
    def is_ensemble(self) -> bool:
        return bool(self.members)

    @property
    def cost_setting(self) -> str:
        return f"COST_{self.key.upper()}"


MODELS: tuple[CatalogueModel, ...] = (
    CatalogueModel(
        key="logistic",
        name="Logistic regression",
        kind="logistic",
        price=1,
        file="logistic.joblib",
        description="A linear model: each answer adds or subtracts a fixed amount from the log-odds. Fast and "
        "transparent.",
        explanation="coefficient x centred (transformed) value per column, summed per question; base = intercept.",
    ),
    CatalogueModel(
        key="forest",
        name="Random forest",
        kind="forest",
        price=3,
        file="forest.joblib",
        description="An average of {forest_trees} decision trees (at most {forest_depth} levels deep), calibrated "
        "with Platt scaling. Captures interactions between answers.",
        explanation="Saabas path decomposition of every tree (exact: bias + contributions = forest probability), "
        "passed through the linear Platt calibrator on that probability.",
    ),
    CatalogueModel(
        key="xgboost",
        name="XGBoost",
        kind="xgboost",
        price=5,
        file="xgboost.ubj",
        description="Gradient-boosted decision trees ({xgboost_rounds} rounds of depth-{xgboost_depth} trees) with "
        "XGBoost's exact SHAP explanations.",
        explanation="XGBoost's exact TreeSHAP (pred_contribs), passed through the linear Platt calibrator on the "
        "margin.",
    ),
    CatalogueModel(
        key="ensemble",
        name="Ensemble",
        kind="ensemble",
        price=7,
        members=("logistic", "forest", "xgboost"),
        description="Averages the three models' log-odds (a soft vote), recalibrated on cross-validated "
        "predictions. ROC-AUC {ensemble_roc_auc} on people the models never saw.",
        explanation="the soft-vote weights applied to the members' log-odds contributions (exact, since the "
        "ensemble is linear in the members' log-odds).",
    ),
)

# Trained and reported beside the models (is the questionnaire worth more than age and sex?), never offered.
BASELINE_KEY = "baseline"
BASELINE_NAME = "Baseline (age + sex only)"

# The band as a person reads it, in their language (the key is what is stored and sent).
RISK_BANDS: tuple[tuple[str, str | Promise], ...] = (
    ("low", pgettext_lazy("risk band", "Low")),
    ("moderate", pgettext_lazy("risk band", "Moderate")),
    ("high", pgettext_lazy("risk band", "High")),
)

# Model names as people read them on the site, in their language; `CatalogueModel.name` stays the English name
# that training, reports and manifests use.
DISPLAY_NAMES: dict[str, str | Promise] = {
    "logistic": gettext_lazy("Logistic regression"),
    "forest": gettext_lazy("Random forest"),
    "xgboost": "XGBoost",
    "ensemble": gettext_lazy("Ensemble"),
    BASELINE_KEY: gettext_lazy("Baseline (age + sex only)"),
}

WHAT_IT_IS_NOT = gettext_lazy(
    "It is a screening estimate, not a diagnosis. It says how likely it is that a person who answered like you "
    "would score 10 or more on the PHQ-9 depression questionnaire; it cannot tell whether you have depression. "
    "Only a conversation with a doctor or mental-health professional can. A low estimate does not mean you are "
    "fine if you feel unwell: please talk to someone."
)

LIMITATIONS = (
    "Trained on the US NHANES survey ({training_years}); people outside the US, and groups the survey samples "
    "rarely, may be served less well.",
    "The outcome is the PHQ-9 screen (total of 10 or more), itself an imperfect proxy for clinical depression.",
    "The data are cross-sectional: the factors describe associations the model learned, not causes. Changing an "
    "answer (for example sleep) would not necessarily change a person's risk.",
    "Several questions were not asked in every survey cycle (diet quality before 2011, chronic conditions and "
    "employment in 2005-2006, general health and mental-health visits in 2009-2010); the models learned to "
    "handle those answers missing. 'Prefer not to say' is not treated that way: it is marginalised (see "
    "'Skipped answers' on the model card).",
    "Sleep hours were asked differently before and after 2015; income is turned into an income-to-poverty ratio "
    "with today's HHS poverty guidelines, while the survey used the guideline of its own year.",
    "The headline table is unweighted (the survey sample); the survey-weighted tables (NHANES exam weights) "
    "describe the US adult population of 2017-2018.",
    "Estimates are moved to today's published prevalence by a prior shift. That is an assumption: that what "
    "changed since 2017-2018 is how many people screen positive, not how answers relate to screening positive "
    "among them. The published 13.1 % counts people age 12 and older; adolescents have the highest prevalence, "
    "so for adults alone the true figure is likely somewhat lower and the shifted estimates somewhat high.",
)


def models() -> tuple[CatalogueModel, ...]:
    return MODELS


def model_keys() -> tuple[str, ...]:
    return tuple(entry.key for entry in MODELS)


def single_models() -> tuple[CatalogueModel, ...]:
    """The models trained and stored on their own (not ensembles)."""
    return tuple(entry for entry in MODELS if not entry.is_ensemble)


def get(key: str) -> CatalogueModel:
    for entry in MODELS:
        if entry.key == key:
            return entry
    raise KeyError(key)


def name_of(key: str) -> str:
    """The name shown to people, in the active language."""
    return str(DISPLAY_NAMES.get(key, BASELINE_NAME if key == BASELINE_KEY else get(key).name))


def model_choices() -> list[tuple[str, str | Promise]]:
    """`Screening.model_key`'s choices (a callable, so a new entry needs no migration), named in the active
    language when shown."""
    return [(entry.key, DISPLAY_NAMES.get(entry.key, entry.name)) for entry in MODELS]


def band_choices() -> list[tuple[str, str | Promise]]:
    return list(RISK_BANDS)


def price(key: str) -> int:
    """The price in credits: the setting when it names the model, else the catalogue's."""
    return getattr(settings, "PREDICTOR_MODEL_COSTS", {}).get(key, get(key).price)


def prices() -> dict[str, int]:
    return {entry.key: price(entry.key) for entry in MODELS}


def _years(cycles: list[dict[str, Any]]) -> str:
    return f"{cycles[0]['cycle'][:4]}-{cycles[-1]['cycle'][-4:]}" if cycles else "no cycles"


def card_figures(manifest: dict[str, Any]) -> dict[str, str]:
    """Every figure the catalogue's texts may name, read from a version's manifest."""
    config = manifest.get("config", {})
    metrics = manifest.get("metrics", {})
    figures = {
        "forest_trees": str(config.get("forest", {}).get("n_estimators", "?")),
        "forest_depth": str(config.get("forest", {}).get("max_depth", "?")),
        "xgboost_rounds": str(config.get("xgboost_rounds", "?")),
        "xgboost_depth": str(config.get("xgboost", {}).get("max_depth", "?")),
        "training_years": _years(manifest.get("data", {}).get("training_cycles", [])),
    }
    for key, values in metrics.items():
        auc = values.get("roc_auc") if isinstance(values, dict) else None
        figures[f"{key}_roc_auc"] = "n/a" if auc is None else f"{auc:.3f}"
    return figures


def describe(key: str, manifest: dict[str, Any]) -> str:
    return get(key).description.format_map(_Figures(card_figures(manifest)))


def limitations(manifest: dict[str, Any]) -> tuple[str, ...]:
    figures = _Figures(card_figures(manifest))
    return tuple(text.format_map(figures) for text in LIMITATIONS)


class _Figures(dict):
    """A figure the manifest lacks reads as "?" rather than breaking the page."""

    def __missing__(self, key: str) -> str:
        return "?"
