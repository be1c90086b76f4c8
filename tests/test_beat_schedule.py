"""Every periodic task celery beat is told to run exists: a misspelt name would be sent and never run."""

from config.celery import app


def test_every_beat_entry_names_a_registered_task(settings):
    app.loader.import_default_modules()  # what a worker does at start: every app's tasks module
    scheduled = {name: entry["task"] for name, entry in settings.CELERY_BEAT_SCHEDULE.items()}

    assert len(scheduled) >= 4  # the allowance, the sweep, the reclaim and the requeue
    assert {name: task for name, task in scheduled.items() if task not in app.tasks} == {}


def test_a_misspelt_entry_would_be_caught(settings):
    app.loader.import_default_modules()

    assert "screening.tasks.sweep_stuck_screening" not in app.tasks  # one letter off the real name
    assert "screening.tasks.sweep_stuck_screenings" in app.tasks
