from django.conf import settings
from django.core.checks import Error, register


@register()
def model_costs_are_set(app_configs, **kwargs) -> list[Error]:
    """Every model has a price of at least one credit: a hold of zero would make submissions fail."""
    from predictor.registry import MODEL_KEYS

    costs = settings.PREDICTOR_MODEL_COSTS
    errors = []
    for key in MODEL_KEYS:
        cost = costs.get(key)
        if not isinstance(cost, int) or cost < 1:
            errors.append(
                Error(
                    f"PREDICTOR_MODEL_COSTS[{key!r}] is {cost!r}; every model must cost at least 1 credit.",
                    hint="Set COST_LOGISTIC, COST_FOREST, COST_XGBOOST and COST_ENSEMBLE to whole numbers ≥ 1.",
                    id="screening.E001",
                )
            )
    return errors
