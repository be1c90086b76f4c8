import pytest

from symptoms.instruments import GAD7, PHQ9


def answers_totalling(instrument, total: int, **overrides) -> dict:
    """Item values adding up to `total`, filled from the first item on (3 points each), then any overrides."""
    answers, left = {}, total
    for item in instrument.items:
        value = min(3, left)
        answers[item.key] = value
        left -= value
    assert left == 0, f"{instrument.name} cannot total {total}"
    answers.update(overrides)
    return answers


@pytest.fixture
def phq9_answers() -> dict:
    """A PHQ-9 totalling 9 (mild) with item 9 at 0."""
    return {**answers_totalling(PHQ9, 9), "phq9_difficulty": 1}


@pytest.fixture
def gad7_answers() -> dict:
    return answers_totalling(GAD7, 12)
