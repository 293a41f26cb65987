"""A star-level change's before and after levels are labelled as star levels.

They were the bare msgids "from" and "to", which the project catalogue (it wins over the app
catalogues) translates as 调出 / 调入, a transfer out and in; they carry the msgctxt
"star-level change" now."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from assessment.models import ResultRun, StarLevelChange, StarLevelPolicy
from tests.pages import admin_column_headers

pytestmark = pytest.mark.django_db

OCTOBER = datetime.date(2026, 10, 1)


@pytest.fixture
def star_level_change(branch, clerk_staff):
    run = ResultRun.objects.create(
        branch=branch, month=OCTOBER, version=1, star_policy=StarLevelPolicy.objects.first()
    )
    return StarLevelChange.objects.create(
        staff=clerk_staff, run=run, month=OCTOBER, from_level=3, to_level=4, average_total=Decimal("91.50")
    )


@pytest.mark.parametrize(
    ("language", "before", "after"),
    [("zh-hans", "原星级", "新星级"), ("en", "From", "To")],
)
def test_a_star_level_changes_levels_are_labelled_as_star_levels_not_a_transfer(
    client, admin_user, star_level_change, language, before, after
):
    client.force_login(admin_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    response = client.get(reverse("admin:assessment_starlevelchange_changelist"))
    assert response.status_code == 200
    headers = admin_column_headers(response)
    assert (headers["from_level"], headers["to_level"]) == (before, after)
    assert not {"调出", "调入"} & set(headers.values())
