import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    """Photos go to a private folder per test (pytest-django's settings fixture resets the storage)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield
