"""The predictor's public surface: the only predictor module other apps import (an import-linter contract says so).

Scoring (`predict`, `predict_many`), the catalogue of models with their prices and validation figures, the
questionnaire schema and the errors callers catch. Nothing imported from here loads training code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.special import expit

from predictor import catalogue
from predictor.artifacts import active_version
from predictor.catalogue import RISK_BANDS, band_choices, model_choices, model_keys, price, prices
from predictor.choice import Suggestion, suggest
from predictor.exceptions import AnswersInvalid, ArtifactError, PredictorError, UnknownModel
from predictor.explanations import factors as word_factors
from predictor.explanations import factors_in_words, skipped_notes
from predictor.features import FACTOR_GROUPS, GROUP_QUESTIONS, answers_to_columns
from predictor.imputation import Estimate, estimate
from predictor.registry import LoadedVersion, loaded_version, version_named
from predictor.schema import (
    DECIMAL_POINT_MESSAGE,
    NONE_OF_THESE,
    QUESTIONS,
    SCHEMA_VERSION,
    SECTIONS,
    Question,
    body_size_warning,
    format_number,
    read_number,
    schema_as_dict,
    unit_label,
    validate_answers,
)
from predictor.scorers import LogisticScorer
from predictor.whatifs import instead_in_words, what_if_answers, what_if_results

__all__ = [
    "DECIMAL_POINT_MESSAGE",
    "NONE_OF_THESE",
    "QUESTIONS",
    "RISK_BANDS",
    "SCHEMA_VERSION",
    "SECTIONS",
    "AnswersInvalid",
    "ArtifactError",
    "EstimateMovement",
    "EstimateStep",
    "Prediction",
    "PredictorError",
    "Question",
    "Suggestion",
    "UnknownModel",
    "active_version",
    "band_choices",
    "body_size_warning",
    "catalogue_summary",
    "estimate_movement",
    "factors_in_words",
    "format_number",
    "instead_in_words",
    "loaded_model_version",
    "model_catalogue",
    "model_choices",
    "model_keys",
    "model_name",
    "model_name_stored",
    "predict",
    "predict_many",
    "predict_with_what_ifs",
    "price",
    "prices",
    "read_number",
    "schema_as_dict",
    "suggest_model",
    "unit_label",
    "validate_answers",
    "what_if_answers",
    "what_if_results",
]

HEADLINE_METRICS = ("roc_auc", "pr_auc", "brier", "calibration_slope")


@dataclass(frozen=True)
class Prediction:
    probability: float
    risk_band: str  # "low" | "moderate" | "high"
    factors: list[dict[str, Any]]
    model_version: str
    base_rate: float
    model_key: str = ""
    thresholds: dict[str, float] = field(default_factory=dict)
    # The range around the estimate (see docs/predictor.md); None for a version trained without one.
    interval_low: float | None = None
    interval_high: float | None = None
    interval_level: float | None = None
    # Questions left unanswered, each with a sentence saying it did not move the estimate.
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def loaded_model_version() -> str:
    """Verify and load the active version (once per process) and name it; raises `ArtifactError` if it cannot."""
    return loaded_version().version


def model_name(key: str) -> str:
    """The model's name in the active language."""
    return catalogue.name_of(key)


def model_name_stored(key: str) -> str:
    """The model's English name, as written into stored texts (ledger descriptions)."""
    return catalogue.BASELINE_NAME if key == catalogue.BASELINE_KEY else catalogue.get(key).name


def _known(model_key: str) -> None:
    if model_key not in model_keys():
        raise UnknownModel(model_key, model_keys())


def _risk_band(probability: float, thresholds: dict[str, float]) -> str:
    if probability >= thresholds["high"]:
        return "high"
    if probability >= thresholds["moderate"]:
        return "moderate"
    return "low"


def predict_many(model_key: str, answers_list: Sequence[dict[str, Any]], *, explain: bool = True) -> list[Prediction]:
    """Score cleaned answers (the output of `validate_answers`) with one model, in one vectorised pass."""
    _known(model_key)
    version = loaded_version()
    if not answers_list:
        return []
    result = _estimate(version, model_key, answers_list, explain=explain)
    probabilities = result.probability
    thresholds = version.thresholds(model_key)
    base_rate = float(version.scoring["base_rate"])
    low, high, level = _interval(version, model_key, result)
    return [
        Prediction(
            probability=float(probabilities[i]),
            risk_band=_risk_band(float(probabilities[i]), thresholds),
            factors=word_factors(answers, result.contributions[i]) if result.contributions is not None else [],
            model_version=version.version,
            base_rate=base_rate,
            model_key=model_key,
            thresholds=dict(thresholds),
            interval_low=None if low is None else float(low[i]),
            interval_high=None if high is None else float(high[i]),
            interval_level=level,
            skipped=skipped_notes(result.skipped_groups[i]) if version.answer_model is not None else [],
        )
        for i, answers in enumerate(answers_list)
    ]


def _estimate(
    version: LoadedVersion, model_key: str, answers_list: Sequence[dict[str, Any]], *, explain: bool
) -> Estimate:
    """The estimate for today: skipped answers marginalised, the prior shift applied, the refit variance."""
    logistic = version.scorers.get("logistic")
    return estimate(
        version.scorers[model_key],
        answers_to_columns(answers_list),
        answer_model=version.answer_model,
        shift=version.shift(model_key),
        explain=explain,
        spread=version.spread.get(model_key),
        transform=logistic.linear if isinstance(logistic, LogisticScorer) else None,
    )


def _interval(
    version: LoadedVersion, model_key: str, result: Estimate
) -> tuple[np.ndarray | None, np.ndarray | None, float | None]:
    if result.variance is None:
        return None, None, None
    interval = version.scoring["interval"]
    # Versions before the model-error term have none: their range is the refit spread alone.
    model_error = float(interval.get("model_error", {}).get(model_key, 0.0))
    half = float(interval["z"]) * np.sqrt(result.variance + model_error)
    return expit(result.margin - half), expit(result.margin + half), float(interval["level"])


def predict(model_key: str, answers: dict[str, Any]) -> Prediction:
    """Score one person's cleaned answers: probability, band, the factors behind it and the model version."""
    return predict_many(model_key, [answers])[0]


def predict_with_what_ifs(model_key: str, answers: dict[str, Any]) -> tuple[Prediction, list[dict[str, Any]]]:
    """The person's prediction and its what-ifs (`predictor.whatifs`): each what-if is the same model's own output
    for the changed answers, scored in one vectorised call without explanations (nothing shows a what-if's)."""
    what_ifs = what_if_answers(answers)
    prediction = predict_many(model_key, [answers])[0]
    return prediction, what_if_results(what_ifs, predict_many(model_key, [w.answers for w in what_ifs], explain=False))


def explain_margins(model_key: str, answers_list: Sequence[dict[str, Any]]) -> dict[str, np.ndarray | None]:
    """The raw decomposition (base, per-question contributions, margin) behind `predict_many`, for audits/tests."""
    _known(model_key)
    result = _estimate(loaded_version(), model_key, answers_list, explain=True)
    return {"base": result.base, "contributions": result.contributions, "margin": result.margin}


def model_catalogue() -> list[dict[str, Any]]:
    """Key, name, description, cost in credits, version and headline held-out metrics of every model."""
    version = loaded_version()
    metrics = version.manifest["metrics"]
    return [
        {
            "key": entry.key,
            "name": catalogue.name_of(entry.key),
            "description": catalogue.describe(entry.key, version.manifest),
            "cost": price(entry.key),
            "version": version.version,
            "metrics": {name: metrics[entry.key][name] for name in HEADLINE_METRICS},
            "risk_band_thresholds": version.thresholds(entry.key),
        }
        for entry in catalogue.models()
    ]


def suggest_model(*, answers: dict[str, Any] | None, affordable: Sequence[str]) -> Suggestion | None:
    """The model to pre-select: the cheapest of `affordable` (cheapest first) unless a dearer one was measurably
    better on the hold-out for a group these cleaned answers place the person in (see `predictor.choice`)."""
    if not affordable:
        return None
    if not answers:
        return Suggestion(model_key=affordable[0])
    differences = loaded_version().manifest.get("current_period", {}).get("model_differences", {})
    return suggest(columns=answers_to_columns([answers]), affordable=affordable, differences=differences)


def catalogue_summary() -> dict[str, Any]:
    """The `/models/` body: the active version, the base rate and every model."""
    version = loaded_version()
    return {"version": version.version, "base_rate": version.scoring["base_rate"], "models": model_catalogue()}


# --- What moved an estimate between two screenings ------------------------------------------------------------------

# A scoring residual (the stored estimate against the same computation today) below this is float noise.
_NOISE = 1e-12


@dataclass(frozen=True)
class EstimateStep:
    """One step of the path from an earlier estimate to a later one, with its exact effect on the probability.

    kind: "recalibration" (the prior shift to today's prevalence), "model" (another model or model version) or
    "answer" (one question's answer changed, `question`). For an answer step, `margin_change` is the change of the
    log-odds and `contribution_change` the change of the question's own contributions (summed over the factor groups
    it feeds): equal for the logistic model when every answer is given, since its log-odds are a sum of
    per-question terms; for tree models the rest of `margin_change` is the answer's interaction with the others.
    """

    kind: str
    before: float
    after: float
    question: str | None = None
    margin_change: float | None = None
    contribution_change: float | None = None

    @property
    def effect(self) -> float:
        return self.after - self.before

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "effect": self.effect}


@dataclass(frozen=True)
class EstimateMovement:
    """From `start` (the earlier stored estimate) to `end` (the later one) in steps whose effects add up to
    end - start exactly (a telescoping sum; within float rounding, far below 1e-9)."""

    start: float
    end: float
    steps: list[EstimateStep]
    changed_questions: list[str]
    # False when a version could not be loaded: what it would have separated (the recalibration, and for the later
    # version the answers too) is inside the "model" step.
    separable: bool = True
    from_model: str = ""
    to_model: str = ""
    from_version: str = ""
    to_version: str = ""

    @property
    def total(self) -> float:
        return self.end - self.start

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "total": self.total,
            "steps": [step.as_dict() for step in self.steps],
            "changed_questions": self.changed_questions,
            "separable": self.separable,
            "from_model": self.from_model,
            "to_model": self.to_model,
            "from_version": self.from_version,
            "to_version": self.to_version,
        }


def _scored(version: LoadedVersion, model_key: str, answers_list: Sequence[dict[str, Any]], shift: float) -> Estimate:
    return estimate(
        version.scorers[model_key],
        answers_to_columns(answers_list),
        answer_model=version.answer_model,
        shift=shift,
        explain=True,
    )


def _question_groups(question: str) -> list[int]:
    return [index for index, group in enumerate(FACTOR_GROUPS) if question in GROUP_QUESTIONS.get(group, (group,))]


def _version(name: str, model_key: str) -> LoadedVersion | None:
    try:
        version = version_named(name)
    except ArtifactError:
        return None
    return version if model_key in version.scorers else None


def estimate_movement(*, earlier: dict[str, Any], later: dict[str, Any]) -> EstimateMovement:
    """Why the model's estimate moved from `earlier` to `later`: each a stored screening's model_key,
    model_version, answers (cleaned) and probability.

    The path, each state scored by the predictor itself:
    earlier estimate -> the earlier model and version with the later version's prior shift for that model (the
    recalibration to today's prevalence) -> the later model and version on the earlier answers (the model or
    version change) -> each changed answer in turn, in the questionnaire's order, on the later model -> the later
    estimate. Each step's effect is the difference of the probabilities of its two states, so the effects add up
    to the whole difference. Any difference between a stored estimate and the same computation today is part of
    the "model" step. A version that cannot be loaded any more cannot be separated: its share is the "model" step.
    """
    start, end = float(earlier["probability"]), float(later["probability"])
    before = {q.key: earlier["answers"].get(q.key) for q in QUESTIONS}
    after = {q.key: later["answers"].get(q.key) for q in QUESTIONS}
    changed = [q.key for q in QUESTIONS if before[q.key] != after[q.key]]
    m0, m1 = earlier["model_key"], later["model_key"]
    v0, v1 = _version(earlier["model_version"], m0), _version(later["model_version"], m1)
    names = {
        "from_model": m0, "to_model": m1, "from_version": earlier["model_version"], "to_version": later["model_version"]
    }  # fmt: skip
    if v1 is None:
        # Nothing can be scored as the later estimate was: the whole difference is the version's.
        whole = [EstimateStep(kind="model", before=start, after=end)] if end != start else []
        return EstimateMovement(start, end, whole, changed, separable=False, **names)

    shift = v1.shift(m1)
    states = [before]
    for key in changed:
        states.append({**states[-1], key: after[key]})
    path = _scored(v1, m1, states, shift)
    probability = [float(p) for p in path.probability]
    # What today's computation gives for the later screening against what was stored: part of the model step.
    residual = end - probability[-1]

    steps: list[EstimateStep] = []
    if v0 is None:
        # The earlier version's own computation and its prior shift cannot be redone: both are the model step's.
        model_effect = probability[0] - start + residual
        same_model = False
    else:
        as_stored = float(_scored(v0, m0, [before], v0.shift(m0)).probability[0])
        recalibrated = float(_scored(v0, m0, [before], v1.shift(m0)).probability[0])
        if recalibrated != as_stored:
            steps.append(EstimateStep(kind="recalibration", before=start, after=start + (recalibrated - as_stored)))
        model_effect = (probability[0] - recalibrated) + residual + (as_stored - start)
        same_model = m0 == m1 and v0.version == v1.version
    position = steps[-1].after if steps else start
    if not same_model or abs(model_effect) > _NOISE:
        steps.append(EstimateStep(kind="model", before=position, after=position + model_effect))
        position += model_effect
    contributions = path.contributions
    for index, key in enumerate(changed):
        effect = probability[index + 1] - probability[index]
        groups = _question_groups(key)
        own = None
        if contributions is not None:
            own = float(contributions[index + 1, groups].sum() - contributions[index, groups].sum())
        steps.append(
            EstimateStep(
                kind="answer",
                question=key,
                before=position,
                after=position + effect,
                margin_change=float(path.margin[index + 1] - path.margin[index]),
                contribution_change=own,
            )
        )
        position += effect
    return EstimateMovement(start, end, steps, changed, separable=v0 is not None, **names)
