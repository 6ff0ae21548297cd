import pytest


def log_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """The live server serves /static/ from the app folders, which have the plain file
    names; the production manifest storage would link hashed names it cannot find."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def tasks_run_in_process(settings):
    """No Celery worker beside the browser tests: queued tasks run at once, as in the demo."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
