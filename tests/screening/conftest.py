import pytest


@pytest.fixture
def answers() -> dict:
    """A complete, valid questionnaire."""
    return {
        "age": 34,
        "sex": "female",
        "education": "some_college",
        "marital_status": "never_married",
        "household_size": 2,
        "annual_household_income": 42000,
        "employment": "working",
        "smoking": "never",
        "alcohol_drinks_per_day": 1,
        "physical_activity": "moderate",
        "sitting_hours": 8,
        "diet_quality": "good",
        "sleep_hours": 5.5,
        "sleep_trouble_told_doctor": "yes",
        "height_cm": 168,
        "weight_kg": 70,
        "conditions": ["asthma"],
        "general_health": "fair",
        "mental_health_visit": "no",
    }


@pytest.fixture
def minimal_answers() -> dict:
    """Only the two required questions; everything else "prefer not to say"."""
    return {"age": 61, "sex": "male"}


@pytest.fixture
def replace_model(monkeypatch):
    """Score with `predict(model_key, answers)`, one screening at a time, instead of the real models.

    The batch call fails, so the service falls back to one call per screening, as it does when a batch holds a
    screening the model cannot score.
    """
    from screening import scoring

    def replace(predict) -> None:
        def batch_unavailable(model_key, answers_list, **kwargs):
            raise RuntimeError("the batch call is unavailable in this test")

        monkeypatch.setattr(scoring, "predict_many", batch_unavailable)
        monkeypatch.setattr(scoring, "predict", predict)

    return replace
