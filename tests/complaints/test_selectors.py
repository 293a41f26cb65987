from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.models import Complaint
from complaints.selectors import complaint_detail, complaint_queue, handler_candidates
from halls.scoping import scope_for
from tests.complaints.conftest import NOW
from tests.complaints.factories import ComplaintFactory
from tests.staffing.factories import StaffFactory


@pytest.mark.django_db
def test_the_queue_board_filters_mine_due_soon_overdue_and_severity(cast, frozen):
    mine = ComplaintFactory(
        hall=cast.hall, status="assigned", current_handler=cast.clerk, due_at=NOW + timedelta(days=2)
    )
    due_soon = ComplaintFactory(
        hall=cast.hall, sla_state="due_soon", due_at=NOW + timedelta(hours=1), severity="major"
    )
    late = ComplaintFactory(hall=cast.hall, sla_state="overdue", due_at=NOW - timedelta(hours=1))
    ComplaintFactory(hall=cast.hall, status="replied", current_handler=cast.clerk, reply="好", replied_at=NOW)
    ComplaintFactory(hall=cast.other_hall)
    user = cast.hall_manager
    assert list(complaint_queue(user=user)) == [late, due_soon, mine]
    assert list(complaint_queue(user=cast.clerk, mine=True)) == [mine]
    assert list(complaint_queue(user=user, due_soon=True)) == [due_soon]
    assert list(complaint_queue(user=user, overdue=True)) == [late]
    assert list(complaint_queue(user=user, severity="major")) == [due_soon]


@pytest.mark.django_db
def test_the_queue_costs_the_same_queries_at_n_and_3n_rows(cast, frozen):
    scope_for(cast.branch_manager)  # computed once per request, before the page's queries
    counts = []
    for n in (3, 6):
        for _ in range(n):
            ComplaintFactory(hall=cast.hall, clerks=[StaffFactory(hall=cast.hall)])
        with CaptureQueriesContext(connection) as queries:
            rows = [
                (c.hall.code, c.first_receiver.username, [s.name for s in c.clerks.all()])
                for c in complaint_queue(user=cast.branch_manager)
            ]
        counts.append(len(queries))
    assert len(rows) == 9 and counts == [2, 2]  # complaints with joins, then their clerks


@pytest.mark.django_db
def test_the_detail_loads_its_timeline_and_hides_other_halls(received, cast):
    scope_for(cast.hall_manager)
    with CaptureQueriesContext(connection) as queries:
        complaint = complaint_detail(user=cast.hall_manager, pk=received.pk)
        kinds = [(e.kind, e.actor.username) for e in complaint.events.all()]
    assert kinds == [("received", "clerk")]
    assert len(queries) == 4  # the complaint with joins, clerks, timeline, attachments
    with pytest.raises(Complaint.DoesNotExist):
        complaint_detail(user=cast.other_hall_manager, pk=received.pk)


@pytest.mark.django_db
def test_handler_candidates_are_the_halls_staff_and_managers(cast, clerk_staff):
    names = set(handler_candidates(hall=cast.hall).values_list("username", flat=True))
    assert names == {"clerk", "hall-manager", "branch-manager"}
