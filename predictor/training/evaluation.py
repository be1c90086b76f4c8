"""Validation metrics for a vector of predicted probabilities against observed outcomes."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

AGE_BANDS: tuple[tuple[str, int, int], ...] = (("18-39", 18, 39), ("40-59", 40, 59), ("60+", 60, 200))
_EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def _logistic_fit(y: np.ndarray, columns: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Unpenalised logistic regression by Newton's method (a few columns, so no solver settings to get wrong)."""
    beta = np.zeros(columns.shape[1])
    for _ in range(50):
        eta = offset + columns @ beta
        p = expit(eta)
        gradient = columns.T @ (y - p)
        hessian = (columns * (p * (1 - p))[:, None]).T @ columns
        step = np.linalg.solve(hessian + 1e-9 * np.eye(len(beta)), gradient)
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def calibration_intercept_slope(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """Calibration-in-the-large (intercept with the slope fixed at 1) and the calibration slope.

    A perfectly calibrated model has intercept 0 and slope 1; a slope below 1 means overconfident predictions.
    """
    y = np.asarray(y, dtype=float)
    lp = _logit(np.asarray(p, dtype=float))
    ones = np.ones((len(y), 1))
    intercept = _logistic_fit(y, ones, lp)[0]
    slope = _logistic_fit(y, np.column_stack([ones, lp]), np.zeros(len(y)))[1]
    return float(intercept), float(slope)


def threshold_stats(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    y = np.asarray(y).astype(bool)
    flagged = np.asarray(p) >= threshold
    tp, fp = np.sum(flagged & y), np.sum(flagged & ~y)
    fn, tn = np.sum(~flagged & y), np.sum(~flagged & ~y)
    return {
        "threshold": float(threshold),
        "sensitivity": float(tp / max(tp + fn, 1)),
        "specificity": float(tn / max(tn + fp, 1)),
        "ppv": float(tp / max(tp + fp, 1)),
        "flagged_share": float(flagged.mean()),
    }


def choose_thresholds(
    y: np.ndarray, p: np.ndarray, *, sensitivity: float = 0.80, specificity: float = 0.95
) -> dict[str, float]:
    """Band cut-offs: `moderate` from the highest cut that still finds `sensitivity` of positives, `high` from the
    lowest cut that keeps `specificity` of negatives below it."""
    y = np.asarray(y).astype(bool)
    p = np.asarray(p, dtype=float)
    positives = np.sort(p[y])[::-1]
    moderate = positives[max(int(np.ceil(sensitivity * len(positives))) - 1, 0)]
    negatives = np.sort(p[~y])
    high = negatives[min(int(np.ceil(specificity * len(negatives))), len(negatives) - 1)]
    return {"moderate": round(float(moderate), 4), "high": round(float(max(high, moderate)), 4)}


def _auc(y: np.ndarray, p: np.ndarray) -> float | None:
    return float(roc_auc_score(y, p)) if 0 < np.sum(y) < len(y) else None


def evaluate(
    *, y: np.ndarray, p: np.ndarray, sex: np.ndarray, age: np.ndarray, thresholds: dict[str, float] | None
) -> dict[str, Any]:
    y = np.asarray(y).astype(int)
    p = np.asarray(p, dtype=float)
    intercept, slope = calibration_intercept_slope(y, p)
    metrics: dict[str, Any] = {
        "n": len(y),
        "prevalence": float(y.mean()),
        "mean_predicted": float(p.mean()),
        "roc_auc": _auc(y, p),
        "pr_auc": float(average_precision_score(y, p)),
        "brier": float(brier_score_loss(y, p)),
        "calibration_intercept": intercept,
        "calibration_slope": slope,
        "subgroup_roc_auc": {},
    }
    for value in ("female", "male"):
        mask = np.asarray(sex) == value
        metrics["subgroup_roc_auc"][f"sex={value}"] = _auc(y[mask], p[mask])
    for label, low, high in AGE_BANDS:
        mask = (np.asarray(age) >= low) & (np.asarray(age) <= high)
        metrics["subgroup_roc_auc"][f"age={label}"] = _auc(y[mask], p[mask])
    if thresholds:
        metrics["bands"] = {band: threshold_stats(y, p, cut) for band, cut in thresholds.items()}
    return metrics
