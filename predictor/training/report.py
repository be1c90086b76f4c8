"""The model card (markdown + ROC and calibration plots) written beside each artifact version.

The texts come from `predictor.catalogue` and every number from the manifest, as on the web page
(`predictor.views.model_card`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from predictor import catalogue


def write_plots(*, out_dir: Path, y: np.ndarray, probabilities: dict[str, np.ndarray]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_curve

    figure, axis = plt.subplots(figsize=(5.5, 5), dpi=110)
    for key, p in probabilities.items():
        fpr, tpr, _ = roc_curve(y, p)
        axis.plot(fpr, tpr, label=catalogue.name_of(key), linestyle="--" if key == "baseline" else "-", linewidth=1.4)
    axis.plot([0, 1], [0, 1], color="grey", linewidth=0.8)
    axis.set(xlabel="1 - specificity", ylabel="Sensitivity", title="ROC curves, held-out cycle")
    axis.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    figure.savefig(out_dir / "roc.png")
    plt.close(figure)

    figure, axis = plt.subplots(figsize=(5.5, 5), dpi=110)
    for key, p in probabilities.items():
        edges = np.unique(np.quantile(p, np.linspace(0, 1, 11)))
        bins = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(edges) - 2)
        predicted = [p[bins == b].mean() for b in range(len(edges) - 1) if np.any(bins == b)]
        observed = [y[bins == b].mean() for b in range(len(edges) - 1) if np.any(bins == b)]
        axis.plot(
            predicted,
            observed,
            marker="o",
            markersize=3,
            label=catalogue.name_of(key),
            linestyle="--" if key == "baseline" else "-",
            linewidth=1.2,
        )
    top = max(0.6, float(max(np.max(p) for p in probabilities.values())))
    axis.plot([0, top], [0, top], color="grey", linewidth=0.8)
    axis.set(
        xlabel="Mean predicted probability (deciles)",
        ylabel="Observed share screening positive",
        title="Calibration, held-out cycle",
    )
    axis.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    figure.savefig(out_dir / "calibration.png")
    plt.close(figure)


def _pct(value: float) -> str:
    return f"{100 * value:.1f} %"


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def render_markdown(manifest: dict[str, Any]) -> str:
    data, metrics = manifest["data"], manifest["metrics"]
    lines = [
        f"# Model card: depression-screen estimate, version {manifest['version']}",
        "",
        f"Created {manifest['created_at']} · questionnaire schema {manifest['schema_version']} · "
        f"outcome: {manifest['outcome']}.",
        "",
        "## What the estimate is not",
        "",
        catalogue.WHAT_IT_IS_NOT,
        "",
        "## Data",
        "",
        f"{data['source']}. Training cycles (N = {data['n_training']}), held-out validation cycle "
        f"{data['holdout_cycle']['cycle']} (N = {data['n_holdout']}). The 2017-2020 pre-pandemic files are not "
        "used: they contain the 2017-2018 participants again.",
        "",
        "| cycle | role | N | positive screens | prevalence |",
        "|---|---|---|---|---|",
    ]
    for row in data["training_cycles"]:
        lines.append(f"| {row['cycle']} | training | {row['n']} | {row['positives']} | {_pct(row['prevalence'])} |")
    row = data["holdout_cycle"]
    lines += [
        f"| {row['cycle']} | held out | {row['n']} | {row['positives']} | {_pct(row['prevalence'])} |",
        "",
        f"Base rate shown beside each result: {_pct(manifest['base_rate'])} of adults in the training cycles "
        "screened positive.",
        "",
        "## Protocol",
        "",
        manifest["protocol"],
        "",
        "## Validation on the held-out cycle",
        "",
        "| model | ROC-AUC | PR-AUC | Brier | calibration intercept | calibration slope |",
        "|---|---|---|---|---|---|",
    ]
    for key, m in metrics.items():
        lines.append(
            f"| {catalogue.name_of(key)} | {_num(m['roc_auc'])} | {_num(m['pr_auc'])} | {_num(m['brier'], 4)} | "
            f"{_num(m['calibration_intercept'])} | {_num(m['calibration_slope'])} |"
        )
    groups = list(next(iter(metrics.values()))["subgroup_roc_auc"])
    lines += ["", "ROC-AUC by subgroup:", "", "| model | " + " | ".join(groups) + " |", "|---|" + "---|" * len(groups)]
    for key, m in metrics.items():
        cells = " | ".join(_num(m["subgroup_roc_auc"][g]) for g in groups)
        lines.append(f"| {catalogue.name_of(key)} | {cells} |")
    lines += [
        "",
        "## Risk bands",
        "",
        "Low below the `moderate` cut-off, high at or above the `high` cut-off. Cut-offs are chosen per model on "
        "cross-validated predictions of the training cycles: `moderate` keeps 80 % sensitivity, `high` keeps "
        "95 % specificity. Figures below are on the held-out cycle.",
        "",
        "| model | band from | cut-off | sensitivity | specificity | PPV | share flagged |",
        "|---|---|---|---|---|---|---|",
    ]
    for key in catalogue.model_keys():
        for band, s in metrics[key]["bands"].items():
            lines.append(
                f"| {catalogue.name_of(key)} | {band} | {s['threshold']:.3f} | {_num(s['sensitivity'])} | "
                f"{_num(s['specificity'])} | {_num(s['ppv'])} | {_pct(s['flagged_share'])} |"
            )
    lines += ["", "## Acceptance bars (ensemble)", "", "| bar | value | result |", "|---|---|---|"]
    for name, bar in manifest["bars"].items():
        lines.append(f"| {name} | {bar['value']:+.4f} | {'pass' if bar['passed'] else 'not met'} |")
    robustness = manifest.get("robustness")
    if robustness:
        lines += [
            "",
            "## When answers are left unanswered",
            "",
            "Held-out ROC-AUC with every optional question unanswered (only age and sex given): "
            + ", ".join(f"{catalogue.name_of(k)} {v:.3f}" for k, v in robustness["all_optional_unanswered"].items())
            + ". Ensemble ROC-AUC with one question unanswered for everyone:",
            "",
            "| question left unanswered | ensemble ROC-AUC |",
            "|---|---|",
        ]
        lines += [f"| {group} | {auc:.3f} |" for group, auc in robustness["ensemble_one_question_unanswered"].items()]
    lines += ["", "## Explanations", ""]
    lines += [f"- **{entry.name}**: {entry.explanation}" for entry in catalogue.models()]
    lines += ["", "## Limitations", ""]
    lines += [f"- {text}" for text in catalogue.limitations(manifest)]
    lines += ["", "## Plots", "", "![ROC curves](roc.png)", "", "![Calibration](calibration.png)", ""]
    return "\n".join(lines)


def write_model_card(*, out_dir: Path, manifest: dict[str, Any]) -> None:
    (out_dir / "MODEL_CARD.md").write_text(render_markdown(manifest))
