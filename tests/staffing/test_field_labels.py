"""Labels of the first day of a date range (a posting, a roster period, a leave, a loan).

The bare msgid "from" once meant "transferred from" (调出) in the project catalogue, which wins over
every app catalogue, so these start dates showed as 调出. They carry the msgctxt
"first day of a date range" now; the admin lists render them, so that is where they are read."""

import datetime

import pytest
from django.urls import reverse

from staffing.models import Leave, LoanRecord
from tests.pages import admin_column_headers
from tests.staffing.factories import RosterFactory

pytestmark = pytest.mark.django_db

# model -> (first day, last day) columns of its admin change list
DATE_RANGE_COLUMNS = {
    "staffposting": ("started_on", "ended_on"),
    "roster": ("period_start", "period_end"),
    "leave": ("start_date", "end_date"),
    "loanrecord": ("start_date", "end_date"),
}


@pytest.fixture
def one_of_each(hall, other_hall, clerk_staff):
    """A posting (made with the clerk), a roster, a leave and a loan, so every change list has a row
    and renders its header."""
    RosterFactory(hall=hall)
    Leave.objects.create(
        staff=clerk_staff,
        kind=Leave.Kind.ANNUAL,
        start_date=datetime.date(2026, 3, 2),
        end_date=datetime.date(2026, 3, 3),
    )
    LoanRecord.objects.create(
        staff=clerk_staff,
        from_hall=hall,
        to_hall=other_hall,
        start_date=datetime.date(2026, 3, 9),
        end_date=datetime.date(2026, 3, 10),
    )


@pytest.mark.parametrize("model", sorted(DATE_RANGE_COLUMNS))
def test_a_date_ranges_first_day_is_labelled_start_date_in_chinese_not_transfer_out(
    client, admin_user, one_of_each, model
):
    client.force_login(admin_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    response = client.get(reverse(f"admin:staffing_{model}_changelist"))
    assert response.status_code == 200
    first_day, last_day = DATE_RANGE_COLUMNS[model]
    headers = admin_column_headers(response)
    assert (headers[first_day], headers[last_day]) == ("起始日期", "截止日期")
    assert "调出" not in headers.values()


@pytest.mark.parametrize("model", sorted(DATE_RANGE_COLUMNS))
def test_a_date_ranges_first_day_keeps_its_english_label(client, admin_user, one_of_each, model):
    client.force_login(admin_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    headers = admin_column_headers(client.get(reverse(f"admin:staffing_{model}_changelist")))
    first_day, last_day = DATE_RANGE_COLUMNS[model]
    assert (headers[first_day], headers[last_day]) == ("From", "Until")
