"""Public model-card page and its plots; every number comes from the active version's manifest."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from predictor.exceptions import ArtifactError
from predictor.registry import loaded_version
from predictor.training.report import EXPLANATION_METHODS, LIMITATIONS, MODEL_NAMES, WHAT_IT_IS_NOT
from predictor.training.train import MODEL_KEYS, sha256_of

PLOTS = {"roc": "roc.png", "calibration": "calibration.png"}


def _card_context(manifest: dict[str, Any], costs: dict[str, int]) -> dict[str, Any]:
    metrics = manifest["metrics"]
    subgroups = list(metrics["ensemble"]["subgroup_roc_auc"])
    rows = [
        {
            "key": key,
            "name": MODEL_NAMES[key],
            "cost": costs.get(key),
            "metrics": metrics[key],
            "subgroups": [metrics[key]["subgroup_roc_auc"][group] for group in subgroups],
            "bands": metrics[key].get("bands", {}),
        }
        for key in (*MODEL_KEYS, "baseline")
    ]
    data = manifest["data"]
    cycles = [{**row, "role": "training"} for row in data["training_cycles"]]
    cycles.append({**data["holdout_cycle"], "role": "held out"})
    for row in cycles:
        row["prevalence_percent"] = 100 * row["prevalence"]
    return {
        "manifest": manifest,
        "cycles": cycles,
        "rows": rows,
        "band_rows": [row for row in rows if row["bands"]],
        "subgroups": subgroups,
        "bars": manifest["bars"],
        "what_it_is_not": WHAT_IT_IS_NOT,
        "limitations": LIMITATIONS,
        "explanations": [(MODEL_NAMES[key], text) for key, text in EXPLANATION_METHODS.items()],
        "base_rate_percent": 100 * manifest["base_rate"],
        "robustness_all": [
            (MODEL_NAMES[key], auc)
            for key, auc in manifest.get("robustness", {}).get("all_optional_unanswered", {}).items()
        ],
        "robustness_one": list(manifest.get("robustness", {}).get("ensemble_one_question_unanswered", {}).items()),
    }


@require_GET
def model_card(request: HttpRequest) -> HttpResponse:
    from django.conf import settings

    try:
        version = loaded_version()
    except ArtifactError:
        return render(request, "predictor/model_card.html", {"unavailable": True}, status=503)
    context = _card_context(version.manifest, getattr(settings, "PREDICTOR_MODEL_COSTS", {}))
    return render(request, "predictor/model_card.html", context)


@require_GET
def model_card_plot(request: HttpRequest, name: str) -> HttpResponse:
    if name not in PLOTS:
        raise Http404("No such plot.")
    try:
        version = loaded_version()
    except ArtifactError as error:
        raise Http404("No active model version.") from error
    path = version.directory / PLOTS[name]
    entry = version.manifest["files"].get(PLOTS[name])
    if entry is None or not path.is_file() or sha256_of(path) != entry["sha256"]:
        raise Http404("Plot missing or not matching the manifest.")
    response = HttpResponse(path.read_bytes(), content_type="image/png")
    response["Cache-Control"] = "public, max-age=3600"
    return response
