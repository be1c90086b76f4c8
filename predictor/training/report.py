"""The model card (markdown + ROC and calibration plots) written beside each artifact version.

The web page (`predictor.views.model_card`) shows the same texts and reads its numbers from the same manifest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

MODEL_NAMES = {
    "logistic": "Logistic regression",
    "forest": "Random forest",
    "xgboost": "XGBoost",
    "ensemble": "Ensemble",
    "baseline": "Baseline (age + sex only)",
}
MODEL_DESCRIPTIONS = {
    "logistic": "A linear model: each answer adds or subtracts a fixed amount from the log-odds. Fast and transparent.",
    "forest": "An average of 120 decision trees (at most 9 levels deep), calibrated with Platt scaling. Captures "
    "interactions between answers.",
    "xgboost": "Gradient-boosted decision trees (400 rounds of depth-3 trees) with XGBoost's exact SHAP explanations.",
    "ensemble": "Averages the three models' log-odds (a soft vote), recalibrated on cross-validated predictions. "
    "The highest ROC-AUC of the four on people the models never saw.",
}

WHAT_IT_IS_NOT = (
    "It is a screening estimate, not a diagnosis. It says how likely it is that a person who answered like you "
    "would score 10 or more on the PHQ-9 depression questionnaire; it cannot tell whether you have depression. "
    "Only a conversation with a doctor or mental-health professional can. A low estimate does not mean you are "
    "fine if you feel unwell: please talk to someone."
)

LIMITATIONS = (
    "Trained on the US NHANES survey (2005-2016); people outside the US, and groups the survey samples rarely, "
    "may be served less well.",
    "The outcome is the PHQ-9 screen (total of 10 or more), itself an imperfect proxy for clinical depression.",
    "The data are cross-sectional: the factors describe associations the model learned, not causes. Changing an "
    "answer (for example sleep) would not necessarily change a person's risk.",
    "Several questions were not asked in every survey cycle (diet quality before 2011, chronic conditions and "
    "employment in 2005-2006, general health and mental-health visits in 2009-2010); the models learned to "
    "handle those answers missing, which is also how they treat 'prefer not to say'.",
    "Sleep hours were asked differently before and after 2015; income is turned into an income-to-poverty ratio "
    "with today's HHS poverty guidelines, while the survey used the guideline of its own year.",
    "Unweighted: metrics describe the survey sample, not the US adult population. Prevalence after 2020 is "
    "higher (about 13 % in 2021-2023), so estimates may run low for people answering today.",
)

EXPLANATION_METHODS = {
    "logistic": "coefficient x centred (transformed) value per column, summed per question; base = intercept.",
    "forest": "Saabas path decomposition of every tree (exact: bias + contributions = forest probability), "
    "passed through the linear Platt calibrator on that probability.",
    "xgboost": "XGBoost's exact TreeSHAP (pred_contribs), passed through the linear Platt calibrator on the margin.",
    "ensemble": "the soft-vote weights applied to the members' log-odds contributions (exact, since the "
    "ensemble is linear in the members' log-odds).",
}


def write_plots(*, out_dir: Path, y: np.ndarray, probabilities: dict[str, np.ndarray]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_curve

    figure, axis = plt.subplots(figsize=(5.5, 5), dpi=110)
    for key, p in probabilities.items():
        fpr, tpr, _ = roc_curve(y, p)
        axis.plot(fpr, tpr, label=MODEL_NAMES[key], linestyle="--" if key == "baseline" else "-", linewidth=1.4)
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
            label=MODEL_NAMES[key],
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
        WHAT_IT_IS_NOT,
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
            f"| {MODEL_NAMES[key]} | {_num(m['roc_auc'])} | {_num(m['pr_auc'])} | {_num(m['brier'], 4)} | "
            f"{_num(m['calibration_intercept'])} | {_num(m['calibration_slope'])} |"
        )
    groups = list(next(iter(metrics.values()))["subgroup_roc_auc"])
    lines += ["", "ROC-AUC by subgroup:", "", "| model | " + " | ".join(groups) + " |", "|---|" + "---|" * len(groups)]
    for key, m in metrics.items():
        lines.append(f"| {MODEL_NAMES[key]} | " + " | ".join(_num(m["subgroup_roc_auc"][g]) for g in groups) + " |")
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
    for key in ("logistic", "forest", "xgboost", "ensemble"):
        for band, s in metrics[key]["bands"].items():
            lines.append(
                f"| {MODEL_NAMES[key]} | {band} | {s['threshold']:.3f} | {_num(s['sensitivity'])} | "
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
            + ", ".join(f"{MODEL_NAMES[k]} {v:.3f}" for k, v in robustness["all_optional_unanswered"].items())
            + ". Ensemble ROC-AUC with one question unanswered for everyone:",
            "",
            "| question left unanswered | ensemble ROC-AUC |",
            "|---|---|",
        ]
        lines += [f"| {group} | {auc:.3f} |" for group, auc in robustness["ensemble_one_question_unanswered"].items()]
    lines += ["", "## Explanations", ""]
    lines += [f"- **{MODEL_NAMES[k]}**: {text}" for k, text in EXPLANATION_METHODS.items()]
    lines += ["", "## Limitations", ""]
    lines += [f"- {text}" for text in LIMITATIONS]
    lines += ["", "## Plots", "", "![ROC curves](roc.png)", "", "![Calibration](calibration.png)", ""]
    return "\n".join(lines)


def write_model_card(*, out_dir: Path, manifest: dict[str, Any]) -> None:
    (out_dir / "MODEL_CARD.md").write_text(render_markdown(manifest))
