from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from complaints.masking import phone_hash
from complaints.selectors import complaint_monthly_summary
from complaints.sla import SHANGHAI
from halls.scoping import scope_for
from staffing.models import TrafficRecord
from tests.complaints.factories import ComplaintFactory
from tests.halls.factories import HallFactory

NOVEMBER = date(2026, 11, 1)
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=SHANGHAI)


def complaint(hall, received, *, phone="13900000001", **fields):
    fields.setdefault("due_at", received + timedelta(hours=72))
    return ComplaintFactory(
        hall=hall, received_at=received, customer_phone=phone, phone_hash=phone_hash(phone), **fields
    )


@pytest.fixture
def november(cast):
    at = datetime(2026, 11, 10, 9, 0, tzinfo=SHANGHAI)
    replied = {"status": "replied", "current_handler": cast.clerk, "reply": "已回复", "replied_at": at}
    complaint(cast.hall, at, category="billing", channel="hotline", met_deadline=True, **replied)
    complaint(cast.hall, at, category="service_attitude", channel="regulator", met_deadline=False, **replied)
    complaint(cast.hall, at, phone="13900000002", category="waiting_time", channel="online", due_at=at)
    complaint(cast.hall, datetime(2026, 11, 1, 0, 0, tzinfo=SHANGHAI), phone="13900000003", severity="major")
    complaint(cast.other_hall, at, phone="13900000002", category="billing", channel="hall_counter")
    # Outside November in Shanghai, or in a hall nobody in the cast sees.
    complaint(cast.hall, datetime(2026, 10, 31, 23, 59, tzinfo=SHANGHAI))
    complaint(cast.hall, datetime(2026, 12, 1, 0, 0, tzinfo=SHANGHAI))
    complaint(cast.foreign_hall, at)


@pytest.mark.django_db
def test_the_monthly_summary_counts_per_hall_and_for_the_branch(november, cast):
    summary = complaint_monthly_summary(
        user=cast.branch_manager,
        month=NOVEMBER,
        region=cast.hall.region.parent,
        transactions_by_hall={cast.hall.pk: 20000},
        now=NOW,
    )
    hall, other = summary.rows
    assert (hall.hall, other.hall) == (cast.hall, cast.other_hall)
    assert hall.total == 4
    assert hall.by_category == {
        "service_attitude": 1,
        "handling_error": 0,
        "billing": 2,
        "network_quality": 0,
        "waiting_time": 1,
        "other": 0,
    }
    assert hall.by_channel == {
        "hall_counter": 0,
        "hotline": 2,
        "online": 1,
        "regulator": 1,
        "social_media": 0,
    }
    assert hall.by_severity == {"normal": 3, "sensitive": 0, "major": 1}
    # Late: the regulator complaint replied after its deadline, two open ones past theirs.
    assert (hall.on_time, hall.late, hall.on_time_rate) == (1, 3, Decimal("0.2500"))
    assert (hall.regulator, hall.repeat_complainants, hall.repeat_complaints) == (1, 1, 2)
    assert (hall.transactions, hall.per_10k_transactions) == (20000, Decimal("2.00"))
    assert (other.total, other.repeat_complainants, other.per_10k_transactions) == (1, 0, None)

    total = summary.total
    assert (total.total, total.on_time, total.late, total.regulator) == (5, 1, 4, 1)
    assert total.by_category["billing"] == 3
    # 13900000001 twice in H001, 13900000002 once in each hall: two repeat complainants in the branch.
    assert (total.repeat_complainants, total.repeat_complaints) == (2, 4)
    assert total.per_10k_transactions is None  # H002's traffic is unknown


@pytest.mark.django_db
def test_the_branch_total_per_10000_needs_every_halls_traffic(november, cast):
    summary = complaint_monthly_summary(
        user=cast.branch_manager,
        month=NOVEMBER,
        transactions_by_hall={cast.hall.pk: 20000, cast.other_hall.pk: 30000},
        now=NOW,
    )
    assert summary.total.transactions == 50000
    assert summary.total.per_10k_transactions == Decimal("1.00")


@pytest.mark.django_db
def test_a_hall_manager_summarises_only_their_own_hall(november, cast):
    summary = complaint_monthly_summary(user=cast.hall_manager, month=NOVEMBER, now=NOW)
    assert [row.hall for row in summary.rows] == [cast.hall]
    assert summary.total.total == 4


@pytest.mark.django_db
def test_an_empty_month_has_no_rates(cast):
    summary = complaint_monthly_summary(user=cast.branch_manager, month=date(2026, 1, 1), now=NOW)
    assert [row.total for row in summary.rows] == [0, 0]
    assert summary.total.on_time_rate is None and summary.total.by_channel["regulator"] == 0


@pytest.mark.django_db
def test_the_summary_runs_four_queries_at_n_and_3n_halls(cast, django_assert_num_queries):
    at = datetime(2026, 11, 10, 9, 0, tzinfo=SHANGHAI)
    scope_for(cast.branch_manager)  # the scope is computed once per request, before any page query

    def add_halls(n):
        for _ in range(n):
            h = HallFactory(region=cast.hall.region)
            for phone in ("13911111111", "13911111111", "13922222222"):
                complaint(h, at, phone=phone)

    for n, expected_rows in ((4, 6), (8, 14)):
        add_halls(n)
        with django_assert_num_queries(4):  # halls, counts, phones, traffic
            summary = complaint_monthly_summary(user=cast.branch_manager, month=NOVEMBER, now=NOW)
        assert len(summary.rows) == expected_rows


@pytest.mark.django_db
def test_complaints_per_10k_transactions_come_from_the_halls_traffic_records(november, cast):
    for day, transactions in ((3, 12_000), (20, 8_000)):
        TrafficRecord.objects.create(
            hall=cast.hall,
            hour=datetime(2026, 11, day, 10, 0, tzinfo=SHANGHAI),
            tickets_issued=transactions,
            transactions=transactions,
            avg_handling_seconds=300,
        )
    # October traffic does not count for November.
    TrafficRecord.objects.create(
        hall=cast.hall,
        hour=datetime(2026, 10, 31, 10, 0, tzinfo=SHANGHAI),
        tickets_issued=1,
        transactions=99_999,
        avg_handling_seconds=300,
    )
    summary = complaint_monthly_summary(user=cast.branch_manager, month=NOVEMBER, now=NOW)
    rows = {row.hall.code: row for row in summary.rows}
    assert rows["H001"].transactions == 20_000
    assert rows["H001"].per_10k_transactions == Decimal("2.00")  # 4 complaints / 20,000 × 10,000
    assert rows["H002"].transactions is None and rows["H002"].per_10k_transactions is None
    assert summary.total.per_10k_transactions is None  # not every hall's traffic is known
