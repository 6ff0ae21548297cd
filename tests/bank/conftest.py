import pytest


@pytest.fixture(autouse=True)
def tasks_run_in_process(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
