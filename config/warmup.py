"""Everything a web or worker process needs, loaded once in the parent before it forks its children.

A child forked warm serves its first request like its thousandth, and recycling one (gunicorn's max_requests)
costs a fork instead of importing Django, scikit-learn, SciPy and XGBoost again. Called by config/gunicorn.py
(on_starting) and config/celery.py (worker_init). It opens no database or Redis connection: a socket inherited
across fork would be shared by every child.
"""

from __future__ import annotations

import gc
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

    _load_cache_and_broker_clients()
    from predictor.services import model_keys, predict_many

    answers = sample_answers()
    for model_key in model_keys():
        # Loads, verifies and unpickles the active version, and runs each scorer's code path once.
        predict_many(model_key, [answers, answers])


def _load_cache_and_broker_clients() -> None:
    """Import what the first cache read and the first task published would import in each child: the cache
    backend, Celery's publishing side (AMQP layer, event dispatcher, task registry), the broker transport and the
    result backend's class. Classes and modules only: no connection is opened."""
    import celery.events.dispatcher  # noqa: F401
    from celery.app.backends import by_url
    from django.conf import settings
    from django.utils.module_loading import import_string
    from kombu.transport import get_transport_cls

    from config.celery import app

    import_string(settings.CACHES["default"]["BACKEND"])
    app.finalize(auto=True)
    app.amqp  # noqa: B018
    app.events  # noqa: B018
    get_transport_cls(app.connection_for_write().transport_cls)
    by_url(app.conf.result_backend, app.loader)


def freeze_for_fork() -> None:
    """Move every object the parent has made so far out of the garbage collector's reach, just before forking.

    Python's advice for a parent that forks without exec (the gc module's docs): the children then never traverse
    the ~240,000 objects of Django, scikit-learn, SciPy and XGBoost in a full collection (159 ms of CPU in a warmed
    process, 0 ms frozen), and never write to those objects' pages, which stay shared with the parent instead of
    being copied into every child.
    """
    gc.freeze()
