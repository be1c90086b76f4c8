"""Everything a web or worker process needs, loaded once in the parent before it forks its children.

A child forked warm serves its first request like its thousandth, and recycling one (gunicorn's max_requests)
costs a fork instead of importing Django, scikit-learn, SciPy and XGBoost again. Called by config/gunicorn.py
(on_starting) and config/celery.py (worker_init). It opens no database or Redis connection: a socket inherited
across fork would be shared by every child.
"""

from __future__ import annotations

from typing import Any


def sample_answers() -> dict[str, Any]:
    """A complete, valid set of answers built from the questionnaire itself (the lowest value, the first choice)."""
    from predictor.services import QUESTIONS, validate_answers

    raw: dict[str, Any] = {}
    for question in QUESTIONS:
        if question.kind == "multichoice":
            raw[question.key] = []
        elif question.kind == "choice":
            raw[question.key] = question.choices[0][0]
        else:
            raw[question.key] = question.min_value
    return validate_answers(raw)


def warm_up() -> None:
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from django.urls import get_resolver

    # Resolving the URL configuration imports every view, serializer and authentication class.
    get_resolver().url_patterns  # noqa: B018
    import screening.tasks  # noqa: F401
    from predictor.services import model_keys, predict_many

    answers = sample_answers()
    for model_key in model_keys():
        # Loads, verifies and unpickles the active version, and runs each scorer's code path once.
        predict_many(model_key, [answers, answers])
