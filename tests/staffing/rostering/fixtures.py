import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English (the msgids); zh-hans is the project's default."""
    with translation.override("en"):
        yield
