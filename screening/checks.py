from django.core.checks import Error, register


@register()
def model_costs_are_set(app_configs, **kwargs) -> list[Error]:
    """Every model has a price of at least one credit: a hold of zero would make submissions fail."""
    from predictor.services import model_keys, price

    errors = []
    for key in model_keys():
        cost = price(key)
        if not isinstance(cost, int) or cost < 1:
            errors.append(
                Error(
                    f"PREDICTOR_MODEL_COSTS[{key!r}] is {cost!r}; every model must cost at least 1 credit.",
                    hint=f"Set COST_{key.upper()} to a whole number ≥ 1.",
                    id="screening.E001",
                )
            )
    return errors
