from screening.checks import model_costs_are_set


def test_every_model_must_cost_at_least_one_credit(settings):
    settings.PREDICTOR_MODEL_COSTS = {"logistic": 0, "forest": 3, "xgboost": 5}

    errors = model_costs_are_set(None)

    assert {error.msg.split("]")[0] for error in errors} == {
        "PREDICTOR_MODEL_COSTS['logistic'",
        "PREDICTOR_MODEL_COSTS['ensemble'",
    }


def test_the_default_costs_pass(settings):
    assert model_costs_are_set(None) == []
