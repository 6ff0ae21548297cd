"""Celery settings that keep work from being lost or duplicated when a worker dies."""

from config.celery import app


def our_tasks():
    app.loader.import_default_modules()
    return [task for name, task in app.tasks.items() if not name.startswith("celery.")]


def test_every_task_is_acknowledged_only_when_it_has_run():
    assert our_tasks()
    for task in our_tasks():
        assert task.acks_late, task.name
    assert app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1


def test_the_visibility_timeout_outlasts_every_retry_countdown():
    # Redis counts a message waiting for its retry countdown as unacknowledged: a shorter
    # visibility timeout would hand it to a second worker while the first still holds it.
    longest_countdown = max(
        getattr(task, "retry_backoff_max", 0) or 0
        for task in our_tasks()
        if getattr(task, "autoretry_for", ())
    )
    visibility_timeout = app.conf.broker_transport_options["visibility_timeout"]
    assert visibility_timeout > longest_countdown
    assert visibility_timeout < 3600  # shorter than Redis's one-hour default
