"""Public model-card page and its plots; every number comes from the active version's manifest."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from predictor import catalogue
from predictor.artifacts import matches_manifest
from predictor.exceptions import ArtifactError
from predictor.registry import loaded_version

PLOTS = {"roc": "roc.png", "calibration": "calibration.png"}
# The full card train_models writes beside the models: survey-weighted and subgroup tables with their intervals,
# the prior shift and today's band table, skipped answers and the interval's coverage.
FULL_CARD = "MODEL_CARD.md"


def card_context(manifest: dict[str, Any]) -> dict[str, Any]:
    """Everything the model card shows, from the catalogue and one version's manifest."""
    metrics = manifest["metrics"]
    subgroups = list(metrics["ensemble"]["subgroup_roc_auc"])
    rows = [
        {
            "key": key,
            "name": catalogue.name_of(key),
            "cost": catalogue.price(key) if key != catalogue.BASELINE_KEY else None,
            "metrics": metrics[key],
            "subgroups": [metrics[key]["subgroup_roc_auc"][group] for group in subgroups],
            "bands": metrics[key].get("bands", {}),
        }
        for key in (*catalogue.model_keys(), catalogue.BASELINE_KEY)
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
        "what_it_is_not": catalogue.WHAT_IT_IS_NOT,
        "limitations": catalogue.limitations(manifest),
        "explanations": [(entry.name, entry.explanation) for entry in catalogue.models()],
        "base_rate_percent": 100 * manifest["base_rate"],
        "today_percent": 100 * manifest["current_period"]["prior_shift"]["figure"]
        if "current_period" in manifest
        else None,
        "robustness_all": [
            (catalogue.name_of(key), auc)
            for key, auc in manifest.get("robustness", {}).get("all_optional_unanswered", {}).items()
        ],
        "robustness_one": list(manifest.get("robustness", {}).get("ensemble_one_question_unanswered", {}).items()),
        "range_rows": _range_rows(manifest),
        "range_groups": _range_groups(manifest),
        "less_reliable": manifest.get("current_period", {}).get("less_reliable"),
        "less_reliable_rows": [
            {**group, "name": catalogue.name_of(key)}
            for key, groups in manifest.get("current_period", {}).get("less_reliable", {}).get("groups", {}).items()
            for group in groups
        ],
        "submodels": manifest.get("submodels", []),
    }


def _range_groups(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The ensemble's range coverage by tenth of estimated risk and by subgroup (versions from v3 on)."""
    coverage = manifest.get("current_period", {}).get("interval", {}).get("coverage", {}).get("ensemble", {})
    rows = [{"name": f"tenth {i}", **row} for i, row in enumerate(coverage.get("tenths", []), start=1)]
    rows += [{"name": name, **row} for name, row in coverage.get("subgroups", {}).items()]
    return rows


def _range_rows(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The range's coverage per model, for versions whose training checked it allowing for chance (v2) or by
    tenths and subgroups (v3)."""
    interval = manifest.get("current_period", {}).get("interval", {})
    coverage = interval.get("coverage", {})
    if any("tenths" in coverage.get(key, {}) for key in catalogue.model_keys()):
        return [
            {
                "name": catalogue.name_of(key),
                "groups": len(coverage[key]["tenths"]),
                "inside": coverage[key]["tenths_covered"],
                "subgroups": coverage[key]["subgroups_counted"],
                "subgroups_inside": coverage[key]["subgroups_covered"],
                "width_points": 100 * coverage[key]["mean_width"],
                "median_points": 100 * coverage[key]["median_width"],
            }
            for key in catalogue.model_keys()
            if "tenths" in coverage.get(key, {})
        ]
    return [
        {
            "name": catalogue.name_of(key),
            "groups": len(coverage[key]["groups"]),
            "inside": sum(row["covered"] for row in coverage[key]["groups"]),
            "allowing": sum(row["covered_allowing_for_chance"] for row in coverage[key]["groups"]),
            "width_points": 100 * coverage[key]["mean_width"],
        }
        for key in catalogue.model_keys()
        if "covered_allowing_for_chance_share" in coverage.get(key, {})
    ]


@require_GET
def model_card(request: HttpRequest) -> HttpResponse:
    try:
        version = loaded_version()
    except ArtifactError:
        return render(request, "predictor/model_card.html", {"unavailable": True}, status=503)
    return render(request, "predictor/model_card.html", card_context(version.manifest))


@require_GET
def model_card_plot(request: HttpRequest, name: str) -> HttpResponse:
    if name not in PLOTS:
        raise Http404("No such plot.")
    try:
        version = loaded_version()
    except ArtifactError as error:
        raise Http404("No active model version.") from error
    if not matches_manifest(version.directory, version.manifest, PLOTS[name]):
        raise Http404("Plot missing or not matching the manifest.")
    response = HttpResponse((version.directory / PLOTS[name]).read_bytes(), content_type="image/png")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def model_card_full(request: HttpRequest) -> HttpResponse:
    """The active version's MODEL_CARD.md as train_models wrote it, served only while it matches the manifest."""
    try:
        version = loaded_version()
    except ArtifactError as error:
        raise Http404("No active model version.") from error
    if not matches_manifest(version.directory, version.manifest, FULL_CARD):
        raise Http404("Model card missing or not matching the manifest.")
    response = HttpResponse((version.directory / FULL_CARD).read_bytes(), content_type="text/markdown; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response
