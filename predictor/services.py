"""The predictor's public surface: the only predictor module other apps import (an import-linter contract says so).

Scoring (`predict`, `predict_many`), the catalogue of models with their prices and validation figures, the
questionnaire schema and the errors callers catch. Nothing imported from here loads training code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from predictor import catalogue
from predictor.artifacts import active_version
from predictor.catalogue import RISK_BANDS, band_choices, model_choices, model_keys, price, prices
from predictor.choice import GROUP_RULES, Suggestion, group_mask, suggest
from predictor.exceptions import AnswersInvalid, ArtifactError, PredictorError, UnknownModel
from predictor.explanations import factors as word_factors
from predictor.explanations import factors_in_words, skipped_notes
from predictor.features import FACTOR_GROUPS, GROUP_QUESTIONS, answers_to_columns
from predictor.imputation import Estimate
from predictor.patterns import Pattern, Served, route, served_estimate
from predictor.registry import LoadedVersion, loaded_version, manifest_of_version, version_named
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
    "less_reliable_for",
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
    "submodel_used",
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
    # The pattern submodel that scored this person ("" for the full model) and the questions the model used.
    submodel: str = ""
    questions_used: list[str] = field(default_factory=list)
    # Why the range is wide, when it is ("skipped": mostly the answers left out; "model": the model's own
    # uncertainty for answers like these; "" when it is not wide).
    interval_wide_because: str = ""
    # Groups this person is in where the model was clearly less accurate on the hold-out (see less_reliable_for).
    less_reliable: list[dict[str, Any]] = field(default_factory=list)

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
    served = _served(version, model_key, answers_list, explain=explain)
    result = served.estimate
    probabilities = result.probability
    base_rate = float(version.scoring["base_rate"])
    level = float(version.scoring["interval"]["level"]) if served.low is not None else None
    all_questions = [q.key for q in QUESTIONS]
    weaker = _weaker_rules(version.manifest, model_key)
    columns = answers_to_columns(answers_list)
    predictions = []
    for i, answers in enumerate(answers_list):
        thresholds = served.thresholds[i]
        low = None if served.low is None else float(served.low[i])
        high = None if served.high is None else float(served.high[i])
        pattern = version.patterns[served.pattern[i]] if served.pattern[i] >= 0 else None
        predictions.append(
            Prediction(
                probability=float(probabilities[i]),
                risk_band=_risk_band(float(probabilities[i]), thresholds),
                factors=word_factors(answers, result.contributions[i]) if result.contributions is not None else [],
                model_version=version.version,
                base_rate=base_rate,
                model_key=model_key,
                thresholds=dict(thresholds),
                interval_low=low,
                interval_high=high,
                interval_level=level,
                skipped=skipped_notes(result.skipped_groups[i]) if version.answer_model is not None else [],
                submodel=pattern.key if pattern else "",
                questions_used=pattern.used_questions if pattern else all_questions,
                interval_wide_because=_wide_because(low, high, float(served.variance_from_skipped[i]), result, i),
                less_reliable=[rule for rule in weaker if group_mask(rule, _row(columns, i))[0]],
            )
        )
    return predictions


# A range at least this wide (in probability) says why on the result.
WIDE_RANGE = 0.15


def _wide_because(low: float | None, high: float | None, from_skipped: float, result: Estimate, i: int) -> str:
    if low is None or high is None or high - low < WIDE_RANGE:
        return ""
    variance = 0.0 if result.variance is None else float(result.variance[i])
    return "skipped" if variance > 0 and from_skipped >= variance / 2 else "model"


def _row(columns: dict[str, np.ndarray], i: int) -> dict[str, np.ndarray]:
    return {key: values[i : i + 1] for key, values in columns.items()}


def _weaker_rules(manifest: dict[str, Any], model_key: str) -> list[dict[str, Any]]:
    """The model's groups flagged "less reliable" on the card that the questionnaire can place a person in (race
    and Hispanic origin is not asked), each as a `predictor.choice` group rule with the card's figures."""
    groups = manifest.get("current_period", {}).get("less_reliable", {}).get("groups", {}).get(model_key, [])
    rules = {rule["label"]: rule for rule in GROUP_RULES}
    return [
        {**rules[group["label"]], "roc_auc": group["roc_auc"], "overall": group["overall"]}
        for group in groups
        if group["label"] in rules
    ]


def less_reliable_for(*, answers: dict[str, Any], model_key: str, model_version: str) -> list[dict[str, Any]]:
    """The groups this person's cleaned answers place them in where `model_key` of `model_version` was clearly
    less accurate on the hold-out (the model card's rule), each {"label", "describe", "roc_auc", "overall"}; []
    for a version without the table (before v3) or one no longer on disk. Reads the manifest only."""
    manifest = _manifest_of(model_version)
    if manifest is None or not answers:
        return []
    columns = answers_to_columns([answers])
    return [
        {key: rule[key] for key in ("label", "describe", "roc_auc", "overall")}
        for rule in _weaker_rules(manifest, model_key)
        if group_mask(rule, columns)[0]
    ]


def submodel_used(*, answers: dict[str, Any], model_version: str) -> dict[str, Any] | None:
    """For a stored result: the pattern submodel these cleaned answers were scored by under `model_version`
    ({"key", "name", "questions_used", "left_out"}), or None (the full model, or a version not on disk)."""
    manifest = _manifest_of(model_version)
    if manifest is None or not answers or not manifest.get("submodels"):
        return None
    found = [Pattern.from_dict(entry) for entry in manifest["submodels"]]
    index = int(route(answers_to_columns([answers]), found)[0])
    if index < 0:
        return None
    pattern = found[index]
    return {
        "key": pattern.key,
        "name": pattern.name,
        "questions_used": pattern.used_questions,
        "left_out": list(pattern.left_out),
    }


def _manifest_of(model_version: str) -> dict[str, Any] | None:
    try:
        version = loaded_version()
    except ArtifactError:
        version = None
    if version is not None and version.version == model_version:
        return version.manifest
    return manifest_of_version(model_version)


def _served(
    version: LoadedVersion,
    model_key: str,
    answers_list: Sequence[dict[str, Any]],
    *,
    explain: bool,
    shift_of: LoadedVersion | None = None,
) -> Served:
    """The estimate for today: routed to a pattern submodel where the skip pattern has one, other skipped answers
    marginalised, the prior shift (by age band) applied, the range. With `shift_of`, every model of `version` takes
    that version's prior shift instead of its own."""
    z = float(version.scoring["interval"]["z"]) if "interval" in version.scoring else None
    full = version.model_set(model_key)
    submodels = [sets[model_key] for sets in version.submodels]
    if shift_of is not None:
        shift = shift_of.model_set(model_key).shift
        full = dataclasses.replace(full, shift=shift)
        submodels = [dataclasses.replace(models, shift=shift) for models in submodels]
    return served_estimate(
        answers_to_columns(answers_list),
        full=full,
        answer_model=version.answer_model,
        patterns=version.patterns,
        submodels=submodels,
        z=z,
        explain=explain,
    )


def _estimate(
    version: LoadedVersion, model_key: str, answers_list: Sequence[dict[str, Any]], *, explain: bool
) -> Estimate:
    """The estimate for today (see `_served`): base + contributions == margin for the model that scored each."""
    return _served(version, model_key, answers_list, explain=explain).estimate


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


def _scored(
    version: LoadedVersion,
    model_key: str,
    answers_list: Sequence[dict[str, Any]],
    *,
    shift_of: LoadedVersion | None = None,
) -> Estimate:
    """The states of `estimate_movement` as the predictor serves them under `version`; with `shift_of`, under that
    version's prior shift instead (the recalibration step)."""
    return _served(version, model_key, answers_list, explain=True, shift_of=shift_of).estimate


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

    states = [before]
    for key in changed:
        states.append({**states[-1], key: after[key]})
    path = _scored(v1, m1, states)
    probability = [float(p) for p in path.probability]
    # What today's computation gives for the later screening against what was stored: part of the model step.
    residual = end - probability[-1]

    steps: list[EstimateStep] = []
    if v0 is None:
        # The earlier version's own computation and its prior shift cannot be redone: both are the model step's.
        model_effect = probability[0] - start + residual
        same_model = False
    else:
        as_stored = float(_scored(v0, m0, [before]).probability[0])
        recalibrated = float(_scored(v0, m0, [before], shift_of=v1 if m0 in v1.scorers else None).probability[0])
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
