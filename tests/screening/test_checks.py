from screening.checks import model_costs_are_set


def test_every_model_must_cost_at_least_one_credit(settings):
    settings.PREDICTOR_MODEL_COSTS = {"logistic": 0, "forest": 3, "xgboost": 5, "ensemble": -2}

    errors = model_costs_are_set(None)

    assert {error.msg.split("]")[0] for error in errors} == {
        "PREDICTOR_MODEL_COSTS['logistic'",
        "PREDICTOR_MODEL_COSTS['ensemble'",
    }
    assert {error.hint for error in errors} == {
        "Set COST_LOGISTIC to a whole number ≥ 1.",
        "Set COST_ENSEMBLE to a whole number ≥ 1.",
    }


def test_a_model_the_setting_does_not_name_costs_its_catalogue_price(settings):
    settings.PREDICTOR_MODEL_COSTS = {"logistic": 2}

    assert model_costs_are_set(None) == []


def test_the_default_costs_pass(settings):
    assert model_costs_are_set(None) == []
