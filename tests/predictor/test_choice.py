"""The model suggestion: the cheapest affordable model unless a dearer one was measurably better for a group the
person's answers place them in, and worse in none; and the range's calibration and coverage check."""

import numpy as np
import pytest
from scipy.special import expit, logit

from predictor.choice import GROUP_RULES, group_mask, suggest
from predictor.features import answers_to_columns
from predictor.training import survey

PERSON = {"age": 67, "sex": "female", "household_size": 1, "annual_household_income": 12000}


def gap(value, low, high):
    return {"value": value, "low": low, "high": high}


def table(**groups):
    """group label -> {candidate: gap against logistic}."""
    return {label: {key: {"logistic": g} for key, g in rows.items()} for label, rows in groups.items()}


def columns(answers=PERSON):
    return answers_to_columns([answers])


def test_the_person_is_placed_in_their_sex_age_and_income_groups_only():
    placed = {rule["label"] for rule in GROUP_RULES if group_mask(rule, columns())[0]}

    assert placed == {"sex: female", "age: 60+", "income: below poverty line"}
    assert {rule["label"] for rule in GROUP_RULES if group_mask(rule, columns({"age": 30, "sex": "male"}))[0]} == {
        "sex: male",
        "age: 18-39",
    }


def test_without_a_measurable_difference_the_cheapest_is_suggested():
    differences = table(**{"age: 60+": {"ensemble": gap(0.01, -0.02, 0.04)}})

    suggestion = suggest(columns=columns(), affordable=["logistic", "ensemble"], differences=differences)

    assert suggestion.model_key == "logistic"
    assert suggestion.because == ""


def test_a_model_measurably_better_in_one_of_the_persons_groups_is_suggested_with_the_reason():
    differences = table(**{"age: 60+": {"xgboost": gap(0.05, 0.01, 0.09), "ensemble": gap(0.06, 0.02, 0.1)}})

    suggestion = suggest(columns=columns(), affordable=["logistic", "xgboost", "ensemble"], differences=differences)

    assert suggestion.model_key == "xgboost"  # the cheapest of the better ones
    assert suggestion.because == "people aged 60 or over"


def test_better_in_a_group_the_person_is_not_in_changes_nothing():
    differences = table(**{"age: 18-39": {"ensemble": gap(0.05, 0.01, 0.09)}})

    assert suggest(columns=columns(), affordable=["logistic", "ensemble"], differences=differences).model_key == (
        "logistic"
    )


def test_measurably_worse_in_another_of_the_persons_groups_vetoes_it():
    differences = table(
        **{"age: 60+": {"ensemble": gap(0.05, 0.01, 0.09)}, "sex: female": {"ensemble": gap(-0.04, -0.07, -0.01)}}
    )

    assert suggest(columns=columns(), affordable=["logistic", "ensemble"], differences=differences).model_key == (
        "logistic"
    )


def test_a_model_the_person_cannot_afford_is_never_suggested():
    differences = table(**{"age: 60+": {"ensemble": gap(0.05, 0.01, 0.09)}})

    assert suggest(columns=columns(), affordable=["logistic"], differences=differences).model_key == "logistic"
    assert suggest(columns=columns(), affordable=[], differences=differences) is None


def test_unanswered_income_places_nobody_in_an_income_group():
    placed = {rule["label"] for rule in GROUP_RULES if group_mask(rule, columns({"age": 45, "sex": "male"}))[0]}

    assert not any(label.startswith("income") for label in placed)


# --- the range ----------------------------------------------------------------------------------------------------


def simulated(*, n=20000, offset=0.0, seed=0):
    """People whose true log-odds are `margin + offset`: a model that is off by `offset` for everyone."""
    rng = np.random.default_rng(seed)
    margin = rng.normal(-2.2, 1.0, n)
    y = (rng.random(n) < expit(margin + offset)).astype(int)
    return y, margin, np.full(n, 0.001), np.ones(n)


def test_a_well_calibrated_model_needs_little_model_error_and_its_range_covers_allowing_for_chance():
    y, margin, variance, weight = simulated()
    z = 1.6448536

    error = survey.model_error_variance(
        y=y, margin=margin, variance=variance, weight=weight, z=z, level=0.9, rows=np.arange(len(y))
    )
    checked = survey.interval_coverage(y=y, margin=margin, variance=variance, weight=weight, z=z, model_error=error)

    assert error < 0.02
    assert checked["covered_allowing_for_chance_share"] >= 0.9


def test_a_model_that_is_off_gets_a_wider_range_that_then_covers_new_people():
    z = 1.6448536
    y, margin, variance, weight = simulated(offset=0.4)
    without = survey.interval_coverage(y=y, margin=margin, variance=variance, weight=weight, z=z, model_error=0.0)

    error = survey.model_error_variance(
        y=y, margin=margin, variance=variance, weight=weight, z=z, level=0.9, rows=np.arange(len(y))
    )
    fresh_y, fresh_margin, _, _ = simulated(offset=0.4, seed=1)
    checked = survey.interval_coverage(
        y=fresh_y, margin=fresh_margin, variance=variance, weight=weight, z=z, model_error=error
    )

    assert without["covered_allowing_for_chance_share"] < 0.5
    # About (0.4 / z) ** 2 = 0.06, more for the groups where averaging estimates moves the log-odds further.
    assert 0.03 < error < 0.3
    assert checked["covered_allowing_for_chance_share"] >= 0.8
    assert checked["mean_width"] > without["mean_width"]


def test_groups_cut_within_each_period_see_a_shift_between_periods_that_pooled_groups_average_away():
    # Two survey periods of 5,000 people: the model is 0.35 too high in one and 0.35 too low in the other, right
    # on average. Pooled, groups of similar estimates mix both periods and look calibrated; cut within each
    # period, each group carries its period's shift, and the range must cover it for new groups of that size.
    z = 1.6448536
    high, m_high, variance, _ = simulated(n=5000, offset=-0.35, seed=2)
    low, m_low, _, _ = simulated(n=5000, offset=0.35, seed=3)
    y, margin = np.concatenate([high, low]), np.concatenate([m_high, m_low])
    variance, weight, rows = np.full(len(y), 0.001), np.ones(len(y)), np.arange(len(y))
    periods = np.repeat(["2005-2006", "2007-2008"], 5000)
    common = {"y": y, "margin": margin, "variance": variance, "weight": weight, "z": z, "level": 0.9, "rows": rows}

    pooled = survey.model_error_variance(**common)
    by_period = survey.model_error_variance(**common, groups=10, periods=periods)
    needed = survey.model_error_needed(**{k: v for k, v in common.items() if k != "level"}, groups=10, periods=periods)

    assert len(needed) == 20
    # Pooled, the shifts cancel: little more than chance. Within each period, each shift of 0.35 counts
    # ((0.35 / z) ** 2 = 0.045) and so does the chance of a 500-person group, which the check on new people meets.
    assert pooled < 0.04
    assert by_period > 2 * pooled
    fresh_y, fresh_margin, _, _ = simulated(n=5000, offset=0.35, seed=4)

    def tenths_covered(model_error: float) -> int:
        half = z * np.sqrt(0.001 + model_error)
        low, high = expit(fresh_margin - half), expit(fresh_margin + half)
        checked = survey.range_coverage(
            y=fresh_y, p=expit(fresh_margin), low=low, high=high, weight=np.ones(5000), masks={}
        )
        return checked["tenths_covered"]

    assert tenths_covered(by_period) >= 9
    assert tenths_covered(pooled) < tenths_covered(by_period)


def test_an_observed_share_of_zero_is_kept_half_a_person_from_zero():
    share, observed, sampling = survey._observed(np.zeros(200), np.ones(200))

    assert share == 0.0
    assert observed == pytest.approx(logit(0.5 / 200))
    assert np.isfinite(sampling)


def test_paired_differences_of_a_model_with_itself_are_zero_and_a_better_model_is_told_apart():
    rng = np.random.default_rng(3)
    n = 4000
    signal = rng.normal(size=n)
    y = (rng.random(n) < expit(-2 + 1.5 * signal)).astype(int)
    weight = np.ones(n)
    replicates = rng.poisson(1.0, size=(100, n)).astype(float)
    probabilities = {"logistic": expit(signal + rng.normal(scale=2.0, size=n)), "ensemble": expit(signal)}

    table = survey.paired_auc_differences(
        y=y, probabilities=probabilities, weight=weight, replicates=replicates, masks={"all": np.ones(n, bool)}
    )

    assert table["all"]["ensemble"]["logistic"]["low"] > 0
    assert table["all"]["logistic"]["ensemble"]["high"] < 0
