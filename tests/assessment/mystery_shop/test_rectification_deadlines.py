"""Rectification deadlines: overdue tasks (badge and filter, against Shanghai's today, computed in
the query), evidence brought after the deadline shown as late to the inspector, owners by name."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.mystery_shop import services
from assessment.mystery_shop.models import Rectification
from assessment.mystery_shop.selectors import SHANGHAI, filter_rectifications
from tests.assessment.mystery_shop.factories import published_visit

pytestmark = pytest.mark.django_db

# 07:30 on Thu 26 Nov in Shanghai is still Wed 25 Nov in UTC: a deadline of the 25th has passed
# in the hall but not on a UTC calendar.
NOW = datetime.datetime(2026, 11, 26, 7, 30, tzinfo=SHANGHAI)
YESTERDAY, TODAY = datetime.date(2026, 11, 25), datetime.date(2026, 11, 26)
LIST = reverse("assessment:mystery:rectification-list")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def tasks(inspector, hall, hall_manager, clerk_staff, frozen):
    """Two tasks of one published covert visit: A01 due yesterday, D01 due today."""
    visit = published_visit(inspector, hall, clerk_staff, fail_codes=("A01", "D01"))
    by_code = {
        t.answer.item.code: t
        for t in Rectification.objects.filter(visit=visit).select_related("answer__item")
    }
    Rectification.objects.filter(pk=by_code["A01"].pk).update(deadline=YESTERDAY)
    Rectification.objects.filter(pk=by_code["D01"].pk).update(deadline=TODAY)
    return {code: Rectification.objects.get(pk=task.pk) for code, task in by_code.items()}


def rows(response) -> list[str]:
    return re.findall(
        r'<a class="list-group-item[^"]*" href="[^"]*">(.*?)</a>', response.content.decode(), re.S
    )


def test_an_open_task_past_its_shanghai_deadline_is_overdue_and_one_due_today_is_not(tasks, hall_manager):
    flags = {
        t.answer.item.code: t.is_overdue
        for t in filter_rectifications(user=hall_manager).select_related("answer__item")
    }
    assert flags == {"A01": True, "D01": False}
    assert [t.pk for t in filter_rectifications(user=hall_manager, overdue=True)] == [tasks["A01"].pk]


def test_submitted_and_accepted_tasks_are_not_overdue(tasks, hall_manager, inspector):
    task = services.submit_rectification_evidence(
        actor=hall_manager, task=tasks["A01"], version=tasks["A01"].version, note="已整改"
    )
    assert not filter_rectifications(user=hall_manager, overdue=True).exists()
    services.review_rectification(
        actor=inspector, task=task, version=task.version, accept=False, note="照片不清"
    )
    # Sent back after the deadline: the hall owes evidence again.
    assert [t.pk for t in filter_rectifications(user=hall_manager, overdue=True)] == [task.pk]


def test_the_list_badges_overdue_tasks_and_filters_them(tasks, hall_manager, client):
    client.force_login(hall_manager)
    everything = rows(client.get(LIST))
    assert len(everything) == 2
    badged = [row for row in everything if '<span class="badge text-bg-danger">Overdue</span>' in row]
    assert len(badged) == 1 and "A01" in badged[0]
    overdue = rows(client.get(LIST, {"overdue": "on"}))
    assert len(overdue) == 1 and "A01" in overdue[0] and "Overdue" in overdue[0]
    page = client.get(LIST, {"overdue": "on"}).content.decode()
    assert 'name="overdue"' in page and "checked" in re.search(
        r'<input[^>]*name="overdue"[^>]*>', page
    ).group(0)


def test_the_overdue_filter_shows_nothing_of_halls_out_of_scope(tasks, other_hall_manager, client):
    client.force_login(other_hall_manager)
    assert rows(client.get(LIST, {"overdue": "on"})) == []


def test_evidence_after_the_deadline_is_shown_to_the_inspector_as_late_with_the_days(
    tasks, hall_manager, inspector, client, frozen
):
    Rectification.objects.filter(pk=tasks["A01"].pk).update(deadline=TODAY - datetime.timedelta(days=3))
    late = Rectification.objects.get(pk=tasks["A01"].pk)
    services.submit_rectification_evidence(actor=hall_manager, task=late, version=late.version, note="已整改")
    on_time = tasks["D01"]
    services.submit_rectification_evidence(
        actor=hall_manager, task=on_time, version=on_time.version, note="已整改"
    )
    client.force_login(inspector)
    detail = client.get(
        reverse("assessment:mystery:rectification-detail", kwargs={"pk": late.pk})
    ).content.decode()
    assert "Submitted late (3 days)" in detail
    assert (
        "Submitted late"
        not in client.get(
            reverse("assessment:mystery:rectification-detail", kwargs={"pk": on_time.pk})
        ).content.decode()
    )
    listed = [row for row in rows(client.get(LIST)) if "Submitted late" in row]
    assert len(listed) == 1 and "A01" in listed[0] and "Submitted late (3 days)" in listed[0]


def test_evidence_on_the_deadline_day_late_in_the_evening_is_not_late(tasks, hall_manager, frozen):
    frozen.move_to(datetime.datetime(2026, 11, 26, 23, 50, tzinfo=SHANGHAI))  # 15:50 UTC
    task = tasks["D01"]
    services.submit_rectification_evidence(actor=hall_manager, task=task, version=task.version, note="已整改")
    row = filter_rectifications(user=hall_manager).get(pk=task.pk)
    assert row.submitted_late_by == datetime.timedelta(0)
    frozen.move_to(datetime.datetime(2026, 11, 27, 0, 10, tzinfo=SHANGHAI))  # still the 26th in UTC
    Rectification.objects.filter(pk=task.pk).update(status="open")
    task = Rectification.objects.get(pk=task.pk)
    services.submit_rectification_evidence(actor=hall_manager, task=task, version=task.version, note="补交")
    assert filter_rectifications(user=hall_manager).get(pk=task.pk).submitted_late_by == datetime.timedelta(
        days=1
    )


def test_the_task_owner_is_shown_by_staff_name(tasks, inspector, client):
    client.force_login(inspector)
    detail = client.get(reverse("assessment:mystery:rectification-detail", kwargs={"pk": tasks["A01"].pk}))
    assert '<dd class="col-7 col-sm-9">王经理</dd>' in detail.content.decode()
    assert "Owner: 王经理" in rows(client.get(LIST))[0]


def test_the_list_with_overdue_and_late_tasks_costs_the_same_queries_at_n_and_3n(
    inspector, hall, hall_manager, clerk_staff, client, frozen
):
    client.force_login(hall_manager)

    def publish(n):
        for _ in range(n):
            visit = published_visit(inspector, hall, clerk_staff, fail_codes=("A01", "D01"))
            Rectification.objects.filter(visit=visit).update(deadline=YESTERDAY)
            late = Rectification.objects.filter(visit=visit).order_by("pk").first()
            services.submit_rectification_evidence(
                actor=hall_manager, task=late, version=late.version, note="迟交"
            )

    def count(query):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST, query)
        assert response.status_code == 200
        return len(queries), response

    publish(1)
    small, page = count({})
    small_overdue, _ = count({"overdue": "on"})
    assert len(rows(page)) == 2
    publish(2)
    large, page = count({})
    large_overdue, overdue_page = count({"overdue": "on"})
    assert len(rows(page)) == 6 and len(rows(overdue_page)) == 3
    assert sum("Submitted late (1 day)" in row for row in rows(page)) == 3
    assert (large, large_overdue) == (small, small_overdue)
