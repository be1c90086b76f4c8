"""The warm-up gunicorn's master and the Celery main process run before forking (config/warmup.py)."""

import sys

from config.warmup import sample_answers, warm_up


def test_the_warm_up_loads_every_model_and_view_without_touching_the_database():
    # No django_db mark: pytest-django refuses any database access here, so a query would fail this test.
    warm_up()

    assert "screening.api" in sys.modules
    assert "accounts.authentication" in sys.modules


def test_the_sample_answers_are_a_complete_valid_questionnaire():
    from predictor.services import QUESTIONS

    assert set(sample_answers()) == {question.key for question in QUESTIONS}


def test_the_warm_up_imports_the_cache_and_broker_clients_a_first_submission_would():
    warm_up()

    # Imported by the first cache read and the first task published, in every child, if not here.
    for module in ("celery.app.amqp", "celery.events.dispatcher", "django_celery_results.backends.database"):
        assert module in sys.modules, module


def test_the_parents_objects_are_frozen_before_gunicorn_and_celery_fork():
    import gc

    import config.gunicorn
    from config.celery import _warm_up

    try:
        gc.unfreeze()
        config.gunicorn.pre_fork(server=None, worker=None)
        assert gc.get_freeze_count() > 0
        gc.unfreeze()
        _warm_up()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
