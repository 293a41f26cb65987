import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Service messages are asserted in English here; test_messages_are_translated checks the catalogue."""
    with translation.override("en"):
        yield
