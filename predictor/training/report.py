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
        str(catalogue.WHAT_IT_IS_NOT),
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
        f"Base rate shown beside each result: {_pct(manifest['base_rate'])}, the prevalence the estimates are "
        f"calibrated to (see 'Estimates for today'), not the training cycles' {_pct(manifest['training_base_rate'])}.",
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
    if "current_period" in manifest:
        lines += current_period_markdown(manifest)
    lines += ["", "## Explanations", ""]
    lines += [f"- **{entry.name}**: {entry.explanation}" for entry in catalogue.models()]
    lines += ["", "## Limitations", ""]
    lines += [f"- {text}" for text in catalogue.limitations(manifest)]
    lines += ["", "## Plots", "", "![ROC curves](roc.png)", "", "![Calibration](calibration.png)", ""]
    return "\n".join(lines)


def write_model_card(*, out_dir: Path, manifest: dict[str, Any]) -> None:
    (out_dir / "MODEL_CARD.md").write_text(render_markdown(manifest))


def _ci(entry: dict[str, Any] | None, digits: int = 3) -> str:
    if not entry or entry.get("value") is None:
        return "n/a"
    if entry.get("low") is None:
        return _num(entry["value"], digits)
    return f"{entry['value']:.{digits}f} ({entry['low']:.{digits}f}-{entry['high']:.{digits}f})"


def _signed_ci(entry: dict[str, Any], digits: int = 3) -> str:
    if entry.get("low") is None:
        return f"{entry['value']:+.{digits}f}"
    return f"{entry['value']:+.{digits}f} [{entry['low']:+.{digits}f}, {entry['high']:+.{digits}f}]"


def current_period_markdown(manifest: dict[str, Any]) -> list[str]:
    """Survey-weighted validation, subgroups, the prior shift, the band table today, skipped answers, intervals."""
    today = manifest["current_period"]
    shift = today["prior_shift"]
    models = [key for key in catalogue.model_keys() if key in today["survey_weighted"]]
    lines = [
        "",
        "## Survey-weighted validation on the held-out cycle",
        "",
        "Weighted with the NHANES exam weights (2017-2018 US adult population). 95 % intervals in brackets: Rao-Wu "
        "bootstrap of the survey design (primary sampling units resampled within strata, "
        f"{manifest['config']['bootstrap_replicates']} replicates). Calibration-in-the-large is the logistic "
        "intercept with the slope fixed at 1 (0 is ideal; above 0, estimates run low).",
        "",
        "| model | weighted ROC-AUC | calibration-in-the-large | calibration slope | Brier | observed "
        "| mean estimate |",
        "|---|---|---|---|---|---|---|",
    ]
    for key in models:
        m = today["survey_weighted"][key]
        lines.append(
            f"| {catalogue.name_of(key)} | {_ci(m['roc_auc_interval'])} | {m['calibration_intercept']:+.3f} | "
            f"{m['calibration_slope']:.3f} | {m['brier']:.4f} | {_pct(m['observed'])} | {_pct(m['mean_predicted'])} |"
        )
    lines += [
        "",
        "Ensemble by subgroup (survey-weighted; observed / expected is the weighted count of positive screens over "
        "the sum of the estimates: 1 is ideal, above 1 the estimates run low):",
        "",
        "| subgroup | N | positive screens | ROC-AUC | observed / expected | calibration-in-the-large | slope |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in today["subgroups_ensemble"].items():
        if row.get("roc_auc") is None:
            lines.append(f"| {name} | {row['n']} | {row['positives']} | too few | | | |")
            continue
        lines.append(
            f"| {name} | {row['n']} | {row['positives']} | {_ci(row['roc_auc'])} | "
            f"{_ci(row['observed_over_expected'], 2)} | {row['calibration_intercept']:+.3f} | "
            f"{row['calibration_slope']:.3f} |"
        )
    check = today["prior_shift"]["holdout_check"]
    lines += [
        "",
        "## Estimates for today: the prior shift",
        "",
        f"Source: {shift['source']} Figure: {_pct(shift['figure'])} ({shift['what']}; {shift['period']}).",
        "",
        f"Method: {shift['method']}. The training cycles' exam-weighted prevalence is "
        f"{_pct(shift['training_weighted_prevalence'])}. This is an assumption about today's population, not a "
        "measurement of it: it supposes that how answers relate to screening positive has not changed, only how "
        "many people screen positive. The figures in the sections above are the 2017-2018 validation, before "
        "the shift.",
        "",
        "| model | log-odds shift | a 10 % estimate becomes | hold-out mean estimate, reweighted to "
        f"{_pct(shift['figure'])} (95 % interval) |",
        "|---|---|---|---|",
    ]
    for key in models:
        delta = shift["log_odds_shift"][key]
        moved = 1 / (1 + np.exp(-(np.log(0.1 / 0.9) + delta)))
        lines.append(f"| {catalogue.name_of(key)} | {delta:+.3f} | {_pct(moved)} | {_ci(check[key], 4)} |")
    if shift.get("by_age"):
        lines += [
            "",
            "**By age band (this version).** The shift is no longer one constant: each age band is moved to its "
            "own prevalence, so that the youngest adults, more often depressed today than in 2005-2018, are not "
            "under-estimated. This too is an assumption about today's population.",
            "",
            "| age band | prevalence assumed | where it comes from | "
            + " | ".join(f"{catalogue.name_of(key)}: shift" for key in models)
            + " |",
            "|---|---|---|" + "---|" * len(models),
        ]
        for i, band in enumerate(shift["by_age"]):
            cells = " | ".join(f"{shift['log_odds_shift_by_age'][key]['shifts'][i]:+.3f}" for key in models)
            lines.append(f"| {band['band']} | {_pct(band['prevalence'])} | {band['how']} | {cells} |")
        lines += [
            "",
            "Before (v2026.12.01.2) every band was shifted by the one constant in the table above (to 13.1 %); "
            "after, each band by its own. The band cut-offs are re-derived on the training cycles' out-of-fold "
            "estimates shifted by age, by the same rule as before (moderate finds 80 % of positive screens, high "
            "keeps 95 % of negative ones below it).",
        ]
    lines += [
        "",
        "The check reweights the 2017-2018 hold-out (exam weights, positives and negatives rescaled so that "
        f"{_pct(shift['figure'])} screen positive) and averages the shifted estimates. With one shift it should "
        "come back to the published figure; with the shift by age band it comes back to the mix of the bands' "
        "figures for 2017-2018's ages (about 12.3 %: 13.1 % includes adolescents, who are not asked here), so "
        "the check is then below 13.1 % by design.",
        "",
        "### Risk bands today",
        "",
        "The cut-offs keep the **same sensitivity and specificity** as before the shift (each cut-off is moved by "
        "the same shift as the estimates, so the same answers fall in the same band). Why not the same PPV: "
        "sensitivity and specificity describe the test among people who do and do not screen positive, which a "
        "prior shift leaves unchanged by assumption, so the band keeps the meaning it was defined by (the "
        "moderate band finds 80 % of people who screen positive; the high band flags 5 % of those who do not). "
        "Holding PPV fixed instead would lower the high cut-off as prevalence rises and flag more people who do "
        "not screen positive, on the strength of the prevalence assumption alone. PPV and the share flagged "
        "below are what the same bands mean at today's prevalence.",
        "",
        "| model | band from | cut-off before | cut-off today | sensitivity | specificity | PPV 2017-18 | "
        f"PPV at {_pct(shift['figure'])} | NPV at {_pct(shift['figure'])} | share flagged today |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key in models:
        for band, row in today["bands_now"][key].items():
            then = today["bands_2017_18"][key][band]
            lines.append(
                f"| {catalogue.name_of(key)} | {band} | {then['threshold']:.3f} | {row['threshold']:.3f} | "
                f"{row['sensitivity']:.3f} | {row['specificity']:.3f} | {then['ppv']:.3f} | {row['ppv']:.3f} | "
                f"{row['npv']:.3f} | {_pct(row['flagged_share'])} |"
            )
    lines += [
        "",
        "## Skipped answers: pattern submodels and marginalisation",
        "",
        "A person whose skipped answers include every answer of one of the patterns below is scored by that "
        "pattern's *submodel* (Fletcher Mercaldo & Blume, Biostatistics 2020): the same four models trained on "
        "2005-2016 with exactly those answers left out, calibrated, combined and prior-shifted like the full "
        "model (if several patterns fit, the one leaving out the most answers). Any other skipped answer is "
        "marginalised: the estimate is the model's average over the answers that people like this person gave "
        f"(a latent-class model of the answers, {manifest['config']['answer_classes']} classes, "
        f"{manifest['config']['answer_slots']} completions). A skipped question never raises or lowers the "
        "estimate by itself; the explanation gives it no effect.",
        "",
        "| pattern | answers left out | merged answers | questions the submodel uses |",
        "|---|---|---|---|",
    ]
    for entry in manifest.get("submodels", []):
        merged = "; ".join(
            f"{key}: {', '.join(f'{a} -> {b}' for a, b in m.items())}" for key, m in entry["merge"].items()
        )
        lines.append(
            f"| {entry['name']} | {', '.join(entry['left_out'])} | {merged or '-'} | "
            f"{', '.join(entry['used_questions'])} |"
        )
    lines += [
        "",
        "Every headline on 2017-2018 (survey-weighted) with full answers and with each pattern blanked for "
        "everyone: *before* is the full model with the skipped answers marginalised (the handling of "
        "v2026.12.01.2), *after* is this version's (submodels where a pattern fits). Differences after - before "
        "with paired survey-bootstrap 95 % intervals (the same replicates for both):",
        "",
        "| answers left out | model | ROC-AUC before / after | difference | calibration slope before / after | "
        "difference | Brier before / after | difference | median range width after |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, by_model in today["skip_patterns"].items():
        for key, row in by_model.items():
            if "before" not in row:
                continue
            b, a, d = row["before"], row["after"], row["difference"]
            lines.append(
                f"| {name} | {catalogue.name_of(key)} | {b['roc_auc']:.3f} / {a['roc_auc']:.3f} | "
                f"{_signed_ci(d['roc_auc'])} | {b['calibration_slope']:.2f} / {a['calibration_slope']:.2f} | "
                f"{_signed_ci(d['calibration_slope'], 2)} | {b['brier']:.4f} / {a['brier']:.4f} | "
                f"{_signed_ci(d['brier'], 4)} | {100 * a.get('median_width', float('nan')):.1f} points |"
            )
    interval = today["interval"]
    lines += [
        "",
        '<a id="range"></a>',
        "## The range around each estimate",
        "",
        f"Each estimate comes with a {interval['level']:.0%} range: the estimate's log-odds plus or minus "
        f"{interval['z']:.3f} standard deviations, where the variance is the {interval['method']}. Each submodel "
        "has its own refit spread and model-error term. A person scored by a submodel has no spread over "
        "completions for the answers it left out, which is what made most ranges wide before. The held-out "
        "cycle sets nothing. The range does not include the uncertainty of the prior shift.",
        "",
        "Coverage on the 2017-2018 hold-out (before the shift), people scored as the site scores them: a group "
        "is *inside* when its weighted observed share of positive screens lies between the group's mean range "
        "ends. By tenths of estimated risk, and by subgroup (groups under 200 people are shown, not counted):",
        "",
        "| model | model-error variance (log-odds) | tenths inside | subgroups inside | median width | mean width |",
        "|---|---|---|---|---|---|",
    ]
    for key in models:
        cov = interval["coverage"][key]
        if "tenths" not in cov:
            continue
        lines.append(
            f"| {catalogue.name_of(key)} | {interval['model_error'][key]:.3f} | {cov['tenths_covered']} of "
            f"{len(cov['tenths'])} | {cov['subgroups_covered']} of {cov['subgroups_counted']} | "
            f"{100 * cov['median_width']:.1f} points | {100 * cov['mean_width']:.1f} points |"
        )
    cov = interval["coverage"]["ensemble"]
    lines += [
        "",
        "Ensemble, tenth by tenth and by subgroup:",
        "",
        "| group | people | mean estimate | mean range | observed | inside | median width |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = [(f"tenth {i}", row) for i, row in enumerate(cov.get("tenths", []), start=1)]
    rows += list(cov.get("subgroups", {}).items())
    for name, row in rows:
        lines.append(
            f"| {name} | {row['n']} | {_pct(row['mean_estimate'])} | {_pct(row['mean_low'])}-{_pct(row['mean_high'])}"
            f" | {_pct(row['observed'])} | {'yes' if row['covered'] else 'no'} | "
            f"{100 * row['median_width']:.1f} points |"
        )
    weaker = today.get("less_reliable", {})
    lines += [
        "",
        '<a id="less-reliable"></a>',
        "## Less reliable for some groups",
        "",
        f"Rule: {weaker.get('rule', '')}. A person the questionnaire places in such a group (sex, age band, "
        "income band; race and Hispanic origin are not asked) is told so beside their result.",
        "",
        "| model | group | people | ROC-AUC (95 % interval) | overall ROC-AUC | why |",
        "|---|---|---|---|---|---|",
    ]
    for key, groups in weaker.get("groups", {}).items():
        for group in groups:
            lines.append(
                f"| {catalogue.name_of(key)} | {group['label']} | {group['n']} | "
                f"{_ci({'value': group['roc_auc'], 'low': group['low'], 'high': group['high']})} | "
                f"{group['overall']:.3f} | {group['why']} |"
            )
    if not any(weaker.get("groups", {}).values()):
        lines.append("| - | no group meets the rule | | | | |")
    lines += [
        "",
        "## Which model for whom",
        "",
        "The questionnaire pre-selects the cheapest model a person can pay for, unless a dearer one was measurably "
        "better on the hold-out for a group the person's answers place them in (sex, age band, income band): the "
        "paired survey-bootstrap 95 % interval of its ROC-AUC minus the cheapest model's lies above 0 there, and "
        "below 0 in none of their groups. Against the logistic model (the cheapest at the default prices):",
        "",
        "| group | " + " | ".join(catalogue.name_of(key) for key in models if key != "logistic") + " |",
        "|---|" + "---|" * (len(models) - 1),
    ]
    for group, row in today["model_differences"].items():
        cells = []
        for key in models:
            if key == "logistic":
                continue
            gap = row[key]["logistic"]
            verdict = ""
            if gap["low"] is not None and gap["low"] > 0:
                verdict = " (better)"
            elif gap["high"] is not None and gap["high"] < 0:
                verdict = " (worse)"
            cells.append(f"{gap['value']:+.3f} [{_num(gap['low'])}, {_num(gap['high'])}]{verdict}")
        lines.append(f"| {group} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "In plain words (hold-out ROC-AUC): "
        + "; ".join(
            f"{catalogue.name_of(key)} ranks a person who screened positive above one who did not "
            f"{manifest['metrics'][key]['ranks_positive_higher_per_100']} times in 100"
            for key in models
        )
        + ".",
    ]
    return lines
