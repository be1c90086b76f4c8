"""Survey-weighted validation (TRIPOD-style): weighted discrimination and calibration with NHANES exam weights,
design-based bootstrap intervals, subgroup tables, the prior shift to a published prevalence and the band table
at that prevalence.

Intervals: Rao-Wu rescaling bootstrap of the survey design. Each replicate draws n_h - 1 of the n_h primary
sampling units (SDMVPSU) of every stratum (SDMVSTRA) with replacement and rescales the exam weights of the drawn
units by n_h / (n_h - 1) x the times drawn, so the clustering of the sample is respected; the interval is the
2.5th-97.5th percentile of the replicates.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit, logit
from sklearn.metrics import roc_auc_score

from predictor.training.evaluation import AGE_BANDS

_EPS = 1e-6

RACE_ETHNICITY = {
    1: "Mexican American",
    2: "Other Hispanic",
    3: "Non-Hispanic White",
    4: "Non-Hispanic Black",
    5: "Other or multiracial",
}
INCOME_BANDS: tuple[tuple[str, float, float], ...] = (
    ("below poverty line", 0.0, 1.0),
    ("1-2 x poverty line", 1.0, 2.0),
    ("2-4 x poverty line", 2.0, 4.0),
    ("4+ x poverty line", 4.0, np.inf),
)


def weighted_auc(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> float | None:
    if not 0 < np.sum(y) < len(y):
        return None
    return float(roc_auc_score(y, p, sample_weight=w))


def weighted_auc_many(y: np.ndarray, p: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted ROC-AUC for each row of `weights` (replicates x n) at once: the weighted share of
    (positive, negative) pairs ranked the right way round, ties counting half. Same value as roc_auc_score."""
    order = np.argsort(p, kind="mergesort")
    p, y, weights = p[order], y[order].astype(bool), weights[:, order]
    _, tie_group = np.unique(p, return_inverse=True)
    positive = np.where(y, weights, 0.0)
    negative = np.where(y, 0.0, weights)
    groups = tie_group.max() + 1
    neg_in_group = np.zeros((weights.shape[0], groups))
    pos_in_group = np.zeros((weights.shape[0], groups))
    for matrix, source in ((neg_in_group, negative), (pos_in_group, positive)):
        np.add.at(matrix.T, tie_group, source.T)
    neg_below = np.cumsum(neg_in_group, axis=1) - neg_in_group
    right = (pos_in_group * (neg_below + 0.5 * neg_in_group)).sum(axis=1)
    total = positive.sum(axis=1) * negative.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return right / total


def _newton(y: np.ndarray, columns: np.ndarray, offset: np.ndarray, w: np.ndarray) -> np.ndarray:
    beta = np.zeros(columns.shape[1])
    for _ in range(50):
        p = expit(offset + columns @ beta)
        gradient = columns.T @ (w * (y - p))
        hessian = (columns * (w * p * (1 - p))[:, None]).T @ columns
        step = np.linalg.solve(hessian + 1e-9 * np.eye(len(beta)), gradient)
        beta += step
        if np.max(np.abs(step)) < 1e-9:
            break
    return beta


def weighted_calibration(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted calibration-in-the-large (slope fixed at 1) and calibration slope."""
    y = np.asarray(y, dtype=float)
    w = np.asarray(w, dtype=float) / np.mean(w)
    lp = logit(np.clip(p, _EPS, 1 - _EPS))
    ones = np.ones((len(y), 1))
    intercept = _newton(y, ones, lp, w)[0]
    slope = _newton(y, np.column_stack([ones, lp]), np.zeros(len(y)), w)[1]
    return float(intercept), float(slope)


def weighted_summary(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> dict[str, Any]:
    intercept, slope = weighted_calibration(y, p, w)
    return {
        "roc_auc": weighted_auc(y, p, w),
        "calibration_intercept": intercept,
        "calibration_slope": slope,
        "brier": float(np.average((p - y) ** 2, weights=w)),
        "observed": float(np.average(y, weights=w)),
        "mean_predicted": float(np.average(p, weights=w)),
    }


def replicate_weights(
    weight: np.ndarray, stratum: np.ndarray, psu: np.ndarray, *, replicates: int, seed: int
) -> np.ndarray:
    """(replicates, n) Rao-Wu bootstrap weights."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"stratum": stratum, "psu": psu})
    units = frame.drop_duplicates().sort_values(["stratum", "psu"]).reset_index(drop=True)
    unit_of_row = frame.merge(units.reset_index(), on=["stratum", "psu"], how="left")["index"].to_numpy()
    multipliers = np.zeros((replicates, len(units)))
    for _, members in units.groupby("stratum").groups.items():
        members = np.asarray(members)
        n_h = len(members)
        if n_h < 2:  # a stratum with one unit cannot be resampled; it keeps its weight
            multipliers[:, members] = 1.0
            continue
        draws = rng.integers(0, n_h, size=(replicates, n_h - 1))
        for r in range(replicates):
            counts = np.bincount(draws[r], minlength=n_h)
            multipliers[r, members] = counts * n_h / (n_h - 1)
    return weight[None, :] * multipliers[:, unit_of_row]


def subgroups(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Masks of the reported subgroups: sex, age band, race and Hispanic origin, income band."""
    masks: dict[str, np.ndarray] = {"all": np.ones(len(frame), dtype=bool)}
    for value in ("female", "male"):
        masks[f"sex: {value}"] = (frame["sex"] == value).to_numpy()
    age = frame["age"].to_numpy()
    for label, low, high in AGE_BANDS:
        masks[f"age: {label}"] = (age >= low) & (age <= high)
    if "race_ethnicity" in frame:
        race = frame["race_ethnicity"].to_numpy()
        for code, label in RACE_ETHNICITY.items():
            masks[f"race/ethnicity: {label}"] = race == code
    ratio = frame["income_poverty_ratio"].to_numpy()
    for label, low, high in INCOME_BANDS:
        masks[f"income: {label}"] = (ratio >= low) & (ratio < high)
    masks["income: not given"] = np.isnan(ratio)
    return masks


def _interval(value: float | None, draws: np.ndarray) -> dict[str, float | None]:
    draws = draws[np.isfinite(draws)]
    if value is None or len(draws) < 10:
        return {"value": value, "low": None, "high": None}
    return {"value": float(value), "low": float(np.quantile(draws, 0.025)), "high": float(np.quantile(draws, 0.975))}


def subgroup_table(
    *, y: np.ndarray, p: np.ndarray, weight: np.ndarray, replicates: np.ndarray, masks: dict[str, np.ndarray]
) -> dict[str, dict[str, Any]]:
    """Per subgroup: N, positives, weighted AUC and observed/expected positives, both with bootstrap intervals,
    and the weighted calibration-in-the-large and slope."""
    table: dict[str, dict[str, Any]] = {}
    for name, mask in masks.items():
        ys, ps, w, reps = y[mask], p[mask], weight[mask], replicates[:, mask]
        if mask.sum() < 30 or not 0 < ys.sum() < len(ys):
            table[name] = {"n": int(mask.sum()), "positives": int(ys.sum()), "roc_auc": None}
            continue
        intercept, slope = weighted_calibration(ys, ps, w)
        oe_draws = (reps @ ys) / (reps @ ps)
        table[name] = {
            "n": int(mask.sum()),
            "positives": int(ys.sum()),
            "observed": float(np.average(ys, weights=w)),
            "mean_predicted": float(np.average(ps, weights=w)),
            "roc_auc": _interval(weighted_auc(ys, ps, w), weighted_auc_many(ys, ps, reps)),
            "observed_over_expected": _interval(float(w @ ys / (w @ ps)), oe_draws),
            "calibration_intercept": intercept,
            "calibration_slope": slope,
        }
    return table


def paired_auc_differences(
    *,
    y: np.ndarray,
    probabilities: dict[str, np.ndarray],
    weight: np.ndarray,
    replicates: np.ndarray,
    masks: dict[str, np.ndarray],
) -> dict[str, dict[str, dict[str, dict[str, float | None]]]]:
    """Per group, every model's weighted ROC-AUC minus every other's: group -> a -> b -> AUC(a) - AUC(b) with a
    paired bootstrap 95 % interval (the same replicate draws for both models, so what they share cancels)."""
    table: dict[str, dict[str, dict[str, dict[str, float | None]]]] = {}
    for name, mask in masks.items():
        ys, w, reps = y[mask], weight[mask], replicates[:, mask]
        if mask.sum() < 30 or not 0 < ys.sum() < len(ys):
            continue
        auc = {key: weighted_auc(ys, p[mask], w) for key, p in probabilities.items()}
        draws = {key: weighted_auc_many(ys, p[mask], reps) for key, p in probabilities.items()}
        table[name] = {
            a: {
                b: _interval(auc[a] - auc[b], draws[a] - draws[b])  # type: ignore[operator]
                for b in probabilities
                if b != a
            }
            for a in probabilities
        }
    return table


# --- prior shift ------------------------------------------------------------------------------------------------


def label_shift_weights(y: np.ndarray, weight: np.ndarray, prevalence: float) -> np.ndarray:
    """Exam weights rescaled so the weighted positive share equals `prevalence` (p(x | y) unchanged)."""
    current = np.average(y, weights=weight)
    return weight * np.where(y == 1, prevalence / current, (1 - prevalence) / (1 - current))


def prior_shift(margin: np.ndarray, y: np.ndarray, weight: np.ndarray, prevalence: float) -> float:
    """The log-odds shift d such that the mean of sigmoid(margin + d), weighted to `prevalence`, equals it."""
    w = label_shift_weights(y, weight, prevalence)

    def gap(d: float) -> float:
        return float(np.average(expit(margin + d), weights=w) - prevalence)

    return float(brentq(gap, -5.0, 5.0, xtol=1e-10))


def band_table_at(
    *, y: np.ndarray, p: np.ndarray, weight: np.ndarray, thresholds: dict[str, float], prevalence: float
) -> dict[str, dict[str, float]]:
    """Sensitivity and specificity (weighted, within each class: a prior shift leaves them as they are), and PPV,
    NPV and the share flagged once positives make up `prevalence` of people."""
    table = {}
    positive = y == 1
    for band, cut in thresholds.items():
        flagged = p >= cut
        sensitivity = float(np.sum(weight * (flagged & positive)) / np.sum(weight * positive))
        specificity = float(np.sum(weight * (~flagged & ~positive)) / np.sum(weight * ~positive))
        flagged_share = sensitivity * prevalence + (1 - specificity) * (1 - prevalence)
        table[band] = {
            "threshold": float(cut),
            "sensitivity": sensitivity,
            "specificity": specificity,
            "ppv": sensitivity * prevalence / flagged_share if flagged_share else 0.0,
            "npv": specificity * (1 - prevalence) / (1 - flagged_share) if flagged_share < 1 else 0.0,
            "flagged_share": flagged_share,
        }
    return table


def _estimate_groups(p: np.ndarray, rows: np.ndarray, groups: int) -> list[np.ndarray]:
    """`rows` cut into `groups` equal-sized groups of people with similar estimates."""
    return np.array_split(rows[np.argsort(p[rows], kind="mergesort")], groups)


def _observed(y: np.ndarray, weight: np.ndarray) -> tuple[float, float, float]:
    """A group's weighted share of positive screens; the log-odds of that share, kept half a person from 0 and 1
    so they exist; and their variance from sampling alone (delta method, Kish effective size)."""
    n_eff = weight.sum() ** 2 / (weight**2).sum()
    share = float(np.average(y, weights=weight))
    kept = min(max(share, 0.5 / n_eff), 1 - 0.5 / n_eff)
    return share, float(logit(kept)), float(1 / (n_eff * kept * (1 - kept)))


def model_error_needed(
    *,
    y: np.ndarray,
    margin: np.ndarray,
    variance: np.ndarray,
    weight: np.ndarray,
    z: float,
    rows: np.ndarray,
    groups: int = 20,
    periods: np.ndarray | None = None,
) -> list[float]:
    """Per group of people with similar estimates: the smallest extra log-odds variance for which the group's
    observed share lies inside its range widened by the group's own sampling variance (see `interval_coverage`).

    With `periods` (each row's survey cycle), each period is cut into `groups` groups of its own, and the range
    itself, not widened, must hold the group's observed share: a group is then what the model card checks on
    the held-out cycle (a tenth of one survey period, about 500 people), in a period the model was not fitted
    to; its distance from its estimate includes what changed between periods and the chance of who was sampled.
    Pooled over every period and widened by sampling, groups of 1,500 average both away (v2026.12.07-3: the
    range held in 8 of 10 tenths of 2017-18)."""
    p = expit(margin)
    chunks = (
        _estimate_groups(p, rows, groups)
        if periods is None
        else [
            chunk
            for period in np.unique(periods[rows])
            for chunk in _estimate_groups(p, rows[periods[rows] == period], groups)
        ]
    )
    needed = []
    for chunk in chunks:
        w = weight[chunk]
        _, observed, sampling = _observed(y[chunk], w)
        distance = observed - float(np.average(margin[chunk], weights=w))
        allowed = float(np.average(variance[chunk], weights=w)) + (sampling if periods is None else 0.0)
        needed.append(max(0.0, (distance / z) ** 2 - allowed))
    return needed


def model_error_variance(
    *,
    y: np.ndarray,
    margin: np.ndarray,
    variance: np.ndarray,
    weight: np.ndarray,
    z: float,
    level: float,
    rows: np.ndarray,
    groups: int = 20,
    periods: np.ndarray | None = None,
) -> float:
    """The variance, on the log-odds scale, that the refit spread misses (the model's own error), set by split
    conformal calibration over groups of people with similar estimates: of the G groups' `model_error_needed`,
    the ceil(level x (G + 1))-th smallest (the second largest of 20 at 90 %), so that a new group is covered with
    probability at least `level` if groups are exchangeable."""
    needed = model_error_needed(
        y=y, margin=margin, variance=variance, weight=weight, z=z, rows=rows, groups=groups, periods=periods
    )
    rank = min(len(needed), int(np.ceil(level * (len(needed) + 1))))
    return float(np.sort(needed)[rank - 1])


def interval_coverage(
    *,
    y: np.ndarray,
    margin: np.ndarray,
    variance: np.ndarray,
    weight: np.ndarray,
    z: float,
    model_error: float,
    rows: np.ndarray | None = None,
    groups: int = 10,
) -> dict[str, Any]:
    """Coverage of the per-person range on the hold-out, by groups of people with similar estimates.

    Risk cannot be observed for one person, only for a group: people are cut into `groups` equal-sized groups by
    their estimate. A group is *covered* when its weighted observed share of positive screens lies between the
    group's mean range ends; with a few hundred people per group that share moves by chance alone by more than
    the range is wide, so a group is also reported *covered allowing for chance* when the share lies inside the
    range widened by the group's own sampling variance (log-odds scale; what a well-calibrated range gives in
    `level` of groups)."""
    rows = np.arange(len(y)) if rows is None else rows
    p = expit(margin)
    half = z * np.sqrt(variance + model_error)
    low, high = expit(margin - half), expit(margin + half)
    table = []
    for chunk in _estimate_groups(p, rows, groups):
        w = weight[chunk]
        share, observed, sampling = _observed(y[chunk], w)
        mean_low, mean_high = float(np.average(low[chunk], weights=w)), float(np.average(high[chunk], weights=w))
        centre = float(np.average(margin[chunk], weights=w))
        spread = float(np.average(variance[chunk], weights=w)) + model_error + sampling
        table.append(
            {
                "n": len(chunk),
                "mean_estimate": float(np.average(p[chunk], weights=w)),
                "mean_low": mean_low,
                "mean_high": mean_high,
                "observed": share,
                "covered": bool(mean_low <= share <= mean_high),
                "covered_allowing_for_chance": bool(abs(observed - centre) <= z * np.sqrt(spread)),
            }
        )
    return {
        "groups": table,
        "covered_share": float(np.mean([row["covered"] for row in table])),
        "covered_allowing_for_chance_share": float(np.mean([row["covered_allowing_for_chance"] for row in table])),
        "mean_width": float(np.average((high - low)[rows], weights=weight[rows])),
    }


# --- version 3: before/after per skip pattern, the range's coverage, weaker groups -------------------------------


def paired_headlines(
    *,
    y: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
    weight: np.ndarray,
    replicates: np.ndarray,
    slope_replicates: int = 100,
) -> dict[str, Any]:
    """Weighted ROC-AUC, Brier score and calibration intercept and slope of two sets of estimates for the same
    people, and after - before with a paired survey-bootstrap 95 % interval (the same replicate draws for both,
    so what they share cancels). The slope's interval uses the first `slope_replicates` replicates."""
    result: dict[str, Any] = {
        "before": weighted_summary(y, before, weight),
        "after": weighted_summary(y, after, weight),
    }
    auc = {name: weighted_auc_many(y, p, replicates) for name, p in (("before", before), ("after", after))}
    brier = {
        name: (replicates @ (p - y) ** 2) / replicates.sum(axis=1) for name, p in (("before", before), ("after", after))
    }
    slopes = {
        name: np.array([weighted_calibration(y, p, w)[1] for w in replicates[:slope_replicates]])
        for name, p in (("before", before), ("after", after))
    }
    difference = {
        key: result["after"][key] - result["before"][key] for key in ("roc_auc", "brier", "calibration_slope")
    }
    result["difference"] = {
        "roc_auc": _interval(difference["roc_auc"], auc["after"] - auc["before"]),
        "brier": _interval(difference["brier"], brier["after"] - brier["before"]),
        "calibration_slope": _interval(difference["calibration_slope"], slopes["after"] - slopes["before"]),
    }
    result["after"]["roc_auc_interval"] = _interval(result["after"]["roc_auc"], auc["after"])
    result["after"]["calibration_slope_interval"] = _interval(result["after"]["calibration_slope"], slopes["after"])
    result["before"]["roc_auc_interval"] = _interval(result["before"]["roc_auc"], auc["before"])
    return result


def range_coverage(
    *,
    y: np.ndarray,
    p: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    weight: np.ndarray,
    masks: dict[str, np.ndarray],
    groups: int = 10,
    min_n: int = 200,
) -> dict[str, Any]:
    """The range's coverage on the hold-out: for each tenth of estimated risk and each subgroup, whether the
    group's weighted observed share of positive screens lies inside the group's mean range (mean low, mean high),
    with the group's median width. Subgroups with fewer than `min_n` people are reported but not counted."""

    def row(rows: np.ndarray) -> dict[str, Any]:
        w = weight[rows]
        share = float(np.average(y[rows], weights=w))
        mean_low, mean_high = float(np.average(low[rows], weights=w)), float(np.average(high[rows], weights=w))
        return {
            "n": len(rows),
            "mean_estimate": float(np.average(p[rows], weights=w)),
            "mean_low": mean_low,
            "mean_high": mean_high,
            "observed": share,
            "covered": bool(mean_low <= share <= mean_high),
            "median_width": float(np.median(high[rows] - low[rows])),
        }

    tenths = [row(chunk) for chunk in _estimate_groups(p, np.arange(len(y)), groups)]
    subgroups = {name: row(np.flatnonzero(mask)) for name, mask in masks.items() if mask.sum() >= 30}
    counted = {name: r for name, r in subgroups.items() if r["n"] >= min_n}
    return {
        "tenths": tenths,
        "tenths_covered": int(sum(r["covered"] for r in tenths)),
        "subgroups": subgroups,
        "subgroups_counted": len(counted),
        "subgroups_covered": int(sum(r["covered"] for r in counted.values())),
        "median_width": float(np.median(high - low)),
        "mean_width": float(np.average(high - low, weights=weight)),
    }


def weaker_groups(table: dict[str, dict[str, Any]], *, gap: float, min_n: int) -> list[dict[str, Any]]:
    """Groups of a `subgroup_table` where the model is clearly less accurate: ROC-AUC more than `gap` below the
    overall one, or the group's bootstrap 95 % interval wholly below the overall value; `min_n` people at least."""
    overall = table["all"]["roc_auc"]["value"]
    weaker = []
    for name, row in table.items():
        auc = row.get("roc_auc")
        if name == "all" or not auc or auc["value"] is None or row["n"] < min_n:
            continue
        below_gap = auc["value"] < overall - gap
        interval_below = auc["high"] is not None and auc["high"] < overall
        if below_gap or interval_below:
            weaker.append(
                {
                    "label": name,
                    "n": row["n"],
                    "roc_auc": auc["value"],
                    "low": auc["low"],
                    "high": auc["high"],
                    "overall": overall,
                    "why": "more than the gap below overall" if below_gap else "interval wholly below overall",
                }
            )
    return weaker
