import pytest


@pytest.fixture(autouse=True)
def tasks_run_in_process(settings):
    """No worker runs beside these tests: queued tasks run at once, as in the demo.
    A test that starts a real Celery worker sets this back to False itself."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
