"""The complaint pages: queue board, detail with its action forms, intake, attachments, summary."""

import json
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints import accountability_services, services
from complaints.masking import phone_hash
from complaints.models import Accountability, Complaint, ComplaintAttachment, ComplaintEvent
from complaints.sla import SHANGHAI
from halls.models import AuditEvent
from staffing.models import TrafficRecord
from tests.complaints.conftest import NOW
from tests.complaints.factories import ComplaintFactory, tiny_png
from tests.halls.factories import HallFactory, UserFactory
from tests.pages import error_is_beside_field, field_error
from tests.staffing.factories import StaffFactory

PNG = tiny_png()
CONFLICT = "其他人已修改此投诉"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def html(response) -> str:
    return response.content.decode()


def numbers_on(response) -> list[str]:
    """Complaint numbers in the order the page lists them."""
    return re.findall(r"(TS\d{6}-\d{6})", html(response))


def action_urls(response, complaint) -> set[str]:
    """The last path segment of every form on the page that posts to this complaint."""
    return set(
        re.findall(rf'<form method="post" action="/complaints/{complaint.pk}/([a-z-]+)/"', html(response))
    )


def queue(client, user, query: str = "", **headers):
    client.force_login(user)
    return client.get(f"{reverse('complaints:queue')}?{query}", **headers)


# --- Queue board ------------------------------------------------------------------------------


@pytest.fixture
def board(cast, frozen):
    """Open complaints of the hall with different deadlines, people, severities and channels, a
    replied one, one of the other hall and one of a foreign branch."""
    return {
        "late": ComplaintFactory(
            hall=cast.hall, number="TS202611-000001", due_at=NOW - timedelta(hours=1), channel="regulator"
        ),
        "soon": ComplaintFactory(
            hall=cast.hall, number="TS202611-000002", due_at=NOW + timedelta(hours=1), severity="major"
        ),
        "mine": ComplaintFactory(
            hall=cast.hall,
            number="TS202611-000003",
            status="assigned",
            current_handler=cast.clerk,
            due_at=NOW + timedelta(days=2),
        ),
        "paused": ComplaintFactory(
            hall=cast.hall,
            number="TS202611-000004",
            status="in_progress",
            current_handler=cast.hall_manager,
            due_at=NOW + timedelta(minutes=30),
            paused_at=NOW - timedelta(hours=2),
        ),
        "replied": ComplaintFactory(
            hall=cast.hall,
            number="TS202611-000005",
            status="replied",
            current_handler=cast.clerk,
            reply="已回复",
            replied_at=NOW,
            met_deadline=True,
        ),
        "other": ComplaintFactory(
            hall=cast.other_hall, number="TS202611-000006", due_at=NOW + timedelta(hours=5)
        ),
        "foreign": ComplaintFactory(hall=cast.foreign_hall, number="TS202611-000007"),
    }


@pytest.mark.django_db
def test_the_queue_lists_open_complaints_soonest_deadline_first_with_running_countdowns(board, cast, client):
    response = queue(client, cast.hall_manager)
    assert response.status_code == 200
    assert numbers_on(response) == [
        "TS202611-000001",
        "TS202611-000004",
        "TS202611-000002",
        "TS202611-000003",
    ]
    page = html(response)
    assert (
        '<span class="countdown" role="timer" data-due="2026-11-25T09:00:00+08:00" data-due-soon="240" '
        'data-state="overdue">超时 01:00:00</span>'
    ) in page
    assert (
        'data-due="2026-11-25T11:00:00+08:00" data-due-soon="240" data-state="due_soon">剩余 01:00:00</span>'
        in page
    )
    assert 'data-state="on_track">剩余 2天 00:00:00</span>' in page
    # A paused clock does not run: the time left when it stopped, and no due time for app.js.
    assert '<span class="countdown" data-state="paused">已暂停，剩余 02:30:00</span>' in page
    assert '<script id="countdown-labels" type="application/json">' in page
    labels = json.loads(
        re.search(r'<script id="countdown-labels" type="application/json">(.*?)</script>', page).group(1)
    )
    assert (labels["left"], labels["overdue"], labels["day"]) == ("剩余 {time}", "超时 {time}", "{n}天")
    assert "<script>" not in page and " style=" not in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("user", "query", "expected"),
    [
        ("clerk", "mine=on", ["mine"]),
        ("hall_manager", "mine=on", ["paused"]),
        ("hall_manager", "due_soon=on", ["soon"]),
        ("hall_manager", "overdue=on", ["late"]),
        ("hall_manager", "severity=major", ["soon"]),
        ("hall_manager", "channel=regulator", ["late"]),
        ("hall_manager", "status=replied", ["replied"]),
        ("hall_manager", "status=assigned", ["mine"]),
        ("hall_manager", "status=all", ["late", "paused", "soon", "mine", "replied"]),
        ("branch_manager", "", ["late", "paused", "soon", "other", "mine"]),
        ("branch_manager", "hall={other_hall}", ["other"]),
        ("other_hall_manager", "my_hall=on", ["other"]),
        ("admin_user", "overdue=on&channel=regulator", ["late"]),
    ],
)
def test_the_queue_filters_by_person_hall_deadline_severity_channel_and_status(
    board, cast, admin_user, client, user, query, expected
):
    cast.admin_user = admin_user
    response = queue(client, getattr(cast, user), query.format(other_hall=cast.other_hall.pk))
    assert numbers_on(response) == [board[name].number for name in expected]


@pytest.mark.django_db
def test_my_hall_is_offered_to_hall_people_and_the_hall_list_to_those_who_see_several(board, cast, client):
    manager_page = html(queue(client, cast.hall_manager))
    assert 'name="my_hall"' in manager_page and 'name="hall"' not in manager_page
    branch_page = html(queue(client, cast.branch_manager))
    assert 'name="my_hall"' not in branch_page and 'name="hall"' in branch_page


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["branch_manager", "inspector", "hall_manager", "clerk", "admin_user"])
def test_the_queue_shows_customers_masked_to_every_role_and_logs_nothing(
    cast, admin_user, client, frozen, role
):
    cast.admin_user = admin_user
    ComplaintFactory(
        hall=cast.hall, customer_name="张三丰", customer_phone="13812345678", first_receiver=cast.clerk
    )
    page = html(queue(client, getattr(cast, role)))
    assert "张**" in page and "138****5678" in page
    assert "张三丰" not in page and "13812345678" not in page
    assert not AuditEvent.objects.filter(action="complaints.complaint.contact_viewed").exists()


@pytest.mark.django_db
def test_htmx_gets_only_the_results_fragment_and_the_page_links_its_pages(cast, client, frozen):
    for n in range(30):
        ComplaintFactory(hall=cast.hall, due_at=NOW + timedelta(hours=n + 1))
    fragment = queue(client, cast.hall_manager, "page=2", HTTP_HX_REQUEST="true")
    assert "<html" not in html(fragment) and "countdown-labels" not in html(fragment)
    assert len(numbers_on(fragment)) == 5
    assert "HX-Request" in fragment["Vary"]
    page = html(queue(client, cast.hall_manager))
    assert 'hx-get="?page=2" hx-target="#complaint-results"' in page


@pytest.mark.django_db
def test_the_queue_costs_the_same_queries_at_n_and_3n_rows(cast, client, frozen):
    client.force_login(cast.branch_manager)
    counts = []
    for n in (6, 12):  # 6 rows, then 18
        for _ in range(n):
            ComplaintFactory(
                hall=cast.hall,
                current_handler=cast.clerk,
                status="assigned",
                clerks=[StaffFactory(hall=cast.hall)],
            )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("complaints:queue"))
        counts.append(len(queries))
        assert len(numbers_on(response)) == {6: 6, 12: 18}[n]
    assert counts[0] == counts[1] == 11, counts  # 10 + the navbar unread-notification badge


# --- Detail -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_detail_shows_the_customer_masked_and_rendering_it_logs_nothing(received, cast, client):
    client.force_login(cast.hall_manager)
    url = reverse("complaints:detail", args=[received.pk])
    for _ in range(3):  # every render, every refused action that renders the page again
        page = html(client.get(url))
        assert "张**" in page and "138****5678" in page
        assert "张三丰" not in page and "13812345678" not in page
    assert f'action="{reverse("complaints:contact", args=[received.pk])}"' in page
    client.post(reverse("complaints:pause", args=[received.pk]), {"pause-version": 1, "pause-reason": "x"})
    assert not AuditEvent.objects.filter(action="complaints.complaint.contact_viewed").exists()


@pytest.mark.django_db
def test_revealing_the_customer_is_an_explicit_act_audited_each_time(received, cast, client):
    client.force_login(cast.hall_manager)
    url = reverse("complaints:contact", args=[received.pk])
    fragment = client.post(url, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert "<html" not in html(fragment)
    assert "张三丰" in html(fragment) and "13812345678" in html(fragment)
    assert 'id="customer-contact"' in html(fragment) and "data-reveal-contact" not in html(fragment)
    page = client.post(url)  # without htmx: the whole page, the customer shown
    assert "张三丰" in html(page) and "<html" in html(page)
    events = AuditEvent.objects.filter(action="complaints.complaint.contact_viewed").order_by("pk")
    assert [(e.actor, e.subject_id, e.hall, e.data) for e in events] == [
        (cast.hall_manager, str(received.pk), cast.hall, {"purpose": "page"})
    ] * 2
    assert client.get(url).status_code == 405  # a link, a prefetch or a crawler reveals nothing


@pytest.mark.django_db
def test_someone_not_handling_the_complaint_cannot_reveal_the_customer(received, cast, second_clerk, client):
    for user in (cast.inspector, second_clerk.user):
        client.force_login(user)
        response = client.post(reverse("complaints:contact", args=[received.pk]), HTTP_HX_REQUEST="true")
        assert response.status_code == 403
        assert "13812345678" not in html(response)
    client.force_login(cast.other_hall_manager)
    assert client.post(reverse("complaints:contact", args=[received.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action="complaints.complaint.contact_viewed").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["inspector", "second_clerk"])
def test_the_detail_masks_the_customer_for_people_not_handling_it(received, cast, second_clerk, client, role):
    user = second_clerk.user if role == "second_clerk" else cast.inspector
    client.force_login(user)
    page = html(client.get(reverse("complaints:detail", args=[received.pk])))
    assert "张**" in page and "138****5678" in page and "13812345678" not in page
    assert not AuditEvent.objects.filter(action="complaints.complaint.contact_viewed").exists()


@pytest.mark.django_db
def test_the_detail_shows_the_timeline_of_events_and_messages(in_progress, cast, client):
    services.add_complaint_note(actor=cast.clerk, complaint=in_progress, message="已致电客户，约定明天回访")
    client.force_login(cast.hall_manager)
    page = html(client.get(reverse("complaints:detail", args=[in_progress.pk])))
    timeline = page[page.index("处理记录") :]
    kinds = re.findall(r'<span class="fw-semibold">([^<]+)', timeline)
    assert [kind.strip() for kind in kinds] == ["已受理", "已派单", "开始处理", "备注"]
    assert "已致电客户，约定明天回访" in timeline


@pytest.mark.django_db
def test_another_halls_complaint_is_not_found(received, cast, client):
    client.force_login(cast.other_hall_manager)
    assert client.get(reverse("complaints:detail", args=[received.pk])).status_code == 404


def _state(name, cast, received):
    """The `received` complaint brought to state `name` through the services."""
    complaint = received
    if name == "received":
        return complaint
    complaint = services.assign_complaint(actor=cast.hall_manager, complaint=complaint, handler=cast.clerk)
    if name == "assigned":
        return complaint
    complaint = services.start_handling(actor=cast.clerk, complaint=complaint)
    if name == "in_progress":
        return complaint
    if name == "paused":
        return services.pause_complaint(actor=cast.clerk, complaint=complaint, reason="等客户资料")
    complaint = services.reply_to_customer(
        actor=cast.clerk, complaint=complaint, reply="已退费", root_cause="计费错误"
    )
    if name == "replied":
        return complaint
    complaint = services.close_complaint(actor=cast.clerk, complaint=complaint, satisfaction="satisfied")
    if name == "closed":
        return complaint
    accountability_services.record_accountability(
        actor=cast.hall_manager, complaint=complaint, finding="not_at_fault", reason="系统原因", shares=[]
    )
    return complaint  # "decided": closed with its accountability finding


EVERYDAY = {"note", "attachments"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "role", "expected"),
    [
        ("received", "hall_manager", {"assign"} | EVERYDAY),
        ("received", "clerk", EVERYDAY),  # first receiver, not yet its handler
        ("received", "inspector", set()),
        ("assigned", "clerk", {"start", "hand-over"} | EVERYDAY),
        ("assigned", "second_clerk", EVERYDAY),
        ("in_progress", "clerk", {"reply", "pause", "hand-over"} | EVERYDAY),
        ("paused", "clerk", {"resume", "hand-over"} | EVERYDAY),
        ("replied", "clerk", {"close", "reopen"} | EVERYDAY),
        ("replied", "hall_manager", {"close", "reopen", "accountability"} | EVERYDAY),
        ("closed", "branch_manager", {"reopen", "accountability"} | EVERYDAY),
        ("decided", "hall_manager", {"reopen"} | EVERYDAY),
        ("decided", "inspector", set()),
    ],
)
def test_the_detail_offers_exactly_the_actions_allowed_now(
    received, cast, second_clerk, client, state, role, expected
):
    complaint = _state(state, cast, received)
    user = second_clerk.user if role == "second_clerk" else getattr(cast, role)
    client.force_login(user)
    response = client.get(reverse("complaints:detail", args=[complaint.pk]))
    actions = action_urls(response, complaint)
    # The people handling it (first receiver, handler, hall and branch managers) may reveal the customer.
    assert ("contact" in actions) == (role in ("clerk", "hall_manager", "branch_manager"))
    assert actions - {"contact"} == expected
    if "start" in expected:
        assert f'name="start-version" value="{complaint.version}"' in html(response)


def post_action(client, complaint, action, data, *, version=None):
    url = reverse(f"complaints:{action}", args=[complaint.pk])
    prefix = action.replace("-", "_")
    if action == "attachments":
        url, prefix = reverse("complaints:attach", args=[complaint.pk]), "attach"
    body = {f"{prefix}-{name}": value for name, value in data.items()}
    body[f"{prefix}-version"] = complaint.version if version is None else version
    return client.post(url, body)


ACTION_CASES = [
    # (state before, action, form data, what changed, timeline event kind, message)
    (
        "received",
        "assign",
        lambda c: {"handler": c.clerk.pk},
        lambda x, c: x.current_handler == c.clerk,
        "assigned",
        "投诉已派单。",
    ),
    ("assigned", "start", lambda c: {}, lambda x, c: x.status == "in_progress", "started", "已开始处理。"),
    (
        "in_progress",
        "hand-over",
        lambda c: {"handler": c.hall_manager.pk, "reason": "客户要求经理处理"},
        lambda x, c: (x.current_handler, x.first_receiver) == (c.hall_manager, c.clerk),
        "handed_over",
        "投诉已转交。",
    ),
    (
        "in_progress",
        "pause",
        lambda c: {"reason": "等客户提供发票"},
        lambda x, c: x.paused_at is not None,
        "paused",
        "等待客户期间已暂停计时。",
    ),
    (
        "paused",
        "resume",
        lambda c: {},
        lambda x, c: x.paused_at is None,
        "resumed",
        "已恢复计时，办结时限已顺延。",
    ),
    (
        "in_progress",
        "reply",
        lambda c: {"reply": "已为客户退还多扣费用", "root_cause": "套餐变更未生效"},
        lambda x, c: (
            (x.status, x.reply, x.root_cause, x.met_deadline)
            == ("replied", "已为客户退还多扣费用", "套餐变更未生效", True)
        ),
        "replied",
        "对客户的答复已记录。",
    ),
    (
        "replied",
        "close",
        lambda c: {"satisfaction": "basically_satisfied"},
        lambda x, c: (
            (x.status, x.satisfaction, x.root_cause) == ("closed", "basically_satisfied", "计费错误")
        ),
        "closed",
        "投诉已办结。",
    ),
    (
        "closed",
        "reopen",
        lambda c: {"reason": "客户再次来电"},
        lambda x, c: (x.status, x.reopen_count) == ("in_progress", 1),
        "reopened",
        "投诉已重新打开。",
    ),
    (
        "assigned",
        "note",
        lambda c: {"message": "已电话联系客户"},
        lambda x, c: True,
        "note",
        "留言已添加到处理记录。",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "action", "data", "changed", "kind", "message"), ACTION_CASES)
def test_each_action_form_calls_its_service_and_returns_to_the_complaint(
    received, cast, client, state, action, data, changed, kind, message
):
    complaint = _state(state, cast, received)
    client.force_login(cast.hall_manager)
    response = post_action(client, complaint, action, data(cast))
    assert response.status_code == 303 and response["Location"] == reverse(
        "complaints:detail", args=[complaint.pk]
    )
    after = Complaint.objects.get(pk=complaint.pk)
    assert changed(after, cast)
    assert after.events.order_by("-id").first().kind == kind
    assert message in html(client.get(response["Location"]))


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "action", "data", "changed", "kind", "message"), ACTION_CASES[:-1])
def test_a_stale_version_shows_the_conflict_instead_of_overwriting(
    received, cast, client, state, action, data, changed, kind, message
):
    complaint = _state(state, cast, received)
    stale = complaint.version
    services.add_complaint_note(actor=cast.clerk, complaint=complaint, message="并发留言")
    # Someone else changes the complaint after the page was rendered (a note does not bump the version).
    Complaint.objects.filter(pk=complaint.pk).update(version=stale + 1, description="另一位同事的修改")
    events = ComplaintEvent.objects.filter(complaint=complaint).count()
    client.force_login(cast.hall_manager)
    response = post_action(client, complaint, action, data(cast), version=stale)
    assert response.status_code == 409
    page = html(response)
    assert CONFLICT in page and "本次操作未保存" in page
    assert f'href="{reverse("complaints:detail", args=[complaint.pk])}">重新加载</a>' in page
    assert "另一位同事的修改" in page  # the page shows the complaint as it is now
    after = Complaint.objects.get(pk=complaint.pk)
    assert (after.version, after.status) == (stale + 1, complaint.status)
    assert ComplaintEvent.objects.filter(complaint=complaint).count() == events


@pytest.mark.django_db
def test_after_a_conflict_the_reply_typed_is_kept_with_the_current_version(received, cast, client):
    complaint = _state("in_progress", cast, received)
    Complaint.objects.filter(pk=complaint.pk).update(version=complaint.version + 1)
    client.force_login(cast.clerk)
    response = post_action(client, complaint, "reply", {"reply": "已退还多扣费用"}, version=complaint.version)
    page = html(response)
    assert response.status_code == 409
    assert f'name="reply-version" value="{complaint.version + 1}"' in page
    assert "已退还多扣费用</textarea>" in page


@pytest.mark.django_db
def test_an_action_no_longer_open_says_why_at_the_top(received, cast, client):
    client.force_login(cast.hall_manager)
    response = post_action(client, received, "start", {})
    assert response.status_code == 400  # refused input
    assert "只有已派单的投诉才能开始处理。 该投诉当前为“已受理”。" in html(response)
    assert Complaint.objects.get(pk=received.pk).status == "received"


@pytest.mark.django_db
def test_a_refusal_of_the_service_shows_beside_its_field(received, cast, client):
    complaint = _state("in_progress", cast, received)
    complaint = services.reply_to_customer(actor=cast.clerk, complaint=complaint, reply="已退费")
    client.force_login(cast.clerk)
    response = post_action(client, complaint, "close", {"satisfaction": "satisfied", "root_cause": ""})
    assert response.status_code == 400  # refused input
    assert field_error(response, "close-root_cause") == "办结前请填写问题根因。"
    assert error_is_beside_field(response, "close-root_cause")
    assert Complaint.objects.get(pk=complaint.pk).status == "replied"


@pytest.mark.django_db
def test_a_clerk_who_does_not_handle_the_complaint_is_told_so(received, cast, second_clerk, client):
    complaint = _state("assigned", cast, received)
    client.force_login(second_clerk.user)
    response = post_action(client, complaint, "start", {})
    assert response.status_code == 400  # refused input
    assert "只有当前处理人或管理人员可以处理此投诉。" in html(response)
    assert Complaint.objects.get(pk=complaint.pk).status == "assigned"


@pytest.mark.django_db
def test_the_accountability_form_records_deductions_for_responsible_clerks(
    received, cast, subject_clerk, client
):
    complaint = _state("replied", cast, received)
    client.force_login(cast.hall_manager)
    response = client.post(
        reverse("complaints:accountability", args=[complaint.pk]),
        {
            "accountability-finding": "at_fault",
            "accountability-reason": "营业员未核实套餐",
            "accountability-month": "2026-11",
            "accountability-shares-TOTAL_FORMS": "1",
            "accountability-shares-INITIAL_FORMS": "0",
            "accountability-shares-0-staff": subject_clerk.pk,
            "accountability-shares-0-deduction": "2.5",
        },
    )
    assert response.status_code == 303
    finding = Accountability.objects.get(complaint=complaint)
    assert (finding.finding, finding.reason, finding.decided_by) == (
        "at_fault",
        "营业员未核实套餐",
        cast.hall_manager,
    )
    assert [(s.staff, s.deduction) for s in finding.shares.all()] == [(subject_clerk, Decimal("2.50"))]
    page = html(client.get(response["Location"]))
    assert '<dd class="col-sm-7">有责</dd>' in page
    assert "2.50" in page and f'action="/complaints/{complaint.pk}/accountability/"' not in page


@pytest.mark.django_db
def test_an_at_fault_finding_without_clerks_is_refused_on_the_form(received, cast, client):
    complaint = _state("replied", cast, received)
    client.force_login(cast.hall_manager)
    response = client.post(
        reverse("complaints:accountability", args=[complaint.pk]),
        {
            "accountability-finding": "at_fault",
            "accountability-reason": "态度问题",
            "accountability-shares-TOTAL_FORMS": "1",
            "accountability-shares-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 400  # refused input
    assert "请列出责任营业员及其扣分。" in html(response)
    assert not Accountability.objects.exists()


# --- Intake -----------------------------------------------------------------------------------

INTAKE = {
    "channel": "hall_counter",
    "customer_name": "刘女士",
    "customer_phone": "13700001111",
    "category": "waiting_time",
    "severity": "sensitive",
    "subject": "排队一小时无人处理",
    "description": "周六上午排队过久",
}


@pytest.mark.django_db
def test_a_clerk_takes_in_a_complaint_and_becomes_its_first_receiver(cast, clerk_staff, client, frozen):
    client.force_login(cast.clerk)
    form = html(client.get(reverse("complaints:intake")))
    assert f'<option value="{cast.hall.pk}" selected>' in form
    response = client.post(
        reverse("complaints:intake"), {**INTAKE, "hall": cast.hall.pk, "clerks": [clerk_staff.pk]}
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "complaints:detail", args=[complaint.pk]
    )
    assert (complaint.first_receiver, complaint.hall, complaint.severity, complaint.received_at) == (
        cast.clerk,
        cast.hall,
        "sensitive",
        NOW,
    )
    assert list(complaint.clerks.all()) == [clerk_staff]
    page = html(client.get(response["Location"]))
    assert f"投诉 {complaint.number} 已受理。您是首问责任人，负责跟进到底。" in page


@pytest.mark.django_db
def test_intake_errors_are_shown_beside_their_fields(cast, clerk_staff, client, frozen):
    client.force_login(cast.branch_manager)
    stranger = StaffFactory(hall=cast.other_hall)
    response = client.post(
        reverse("complaints:intake"),
        {
            **INTAKE,
            "hall": cast.hall.pk,
            "customer_phone": "12",
            "customer_name": "",
            "clerks": [stranger.pk],
        },
    )
    assert response.status_code == 200 and not Complaint.objects.exists()
    assert field_error(response, "customer_phone") == "请输入 5 至 20 位数字的电话号码。"
    assert field_error(response, "customer_name") == "该字段是必填项。"
    assert field_error(response, "clerks") == "涉及的营业员必须属于该投诉所在营业厅。"
    for name in ("customer_phone", "customer_name", "clerks"):
        assert error_is_beside_field(response, name), name


@pytest.mark.django_db
def test_a_received_time_in_the_future_is_refused_beside_its_field(cast, client, frozen):
    client.force_login(cast.hall_manager)
    response = client.post(
        reverse("complaints:intake"), {**INTAKE, "hall": cast.hall.pk, "received_at": "2026-11-25T12:00"}
    )
    assert field_error(response, "received_at") == "受理时间不能晚于当前时间。"
    assert error_is_beside_field(response, "received_at")
    assert not Complaint.objects.exists()


# --- Attachments ------------------------------------------------------------------------------


def _attachment(complaint, uploaded_by):
    return ComplaintAttachment.objects.create(
        complaint=complaint,
        file=ContentFile(PNG, name="photo.png"),
        original_name="收据.png",
        content_type="image/png",
        size=len(PNG),
        uploaded_by=uploaded_by,
    )


@pytest.mark.django_db
def test_an_uploaded_file_is_linked_through_the_download_view_never_the_media_url(received, cast, client):
    client.force_login(cast.clerk)
    response = client.post(
        reverse("complaints:attach", args=[received.pk]), {"attach-file": SimpleUploadedFile("收据.png", PNG)}
    )
    assert response.status_code == 303
    attachment = ComplaintAttachment.objects.get()
    page = html(client.get(reverse("complaints:detail", args=[received.pk])))
    download = reverse("complaints:attachment-download", args=[received.pk, attachment.pk])
    assert f'<a class="text-break" href="{download}">收据.png</a>' in page
    assert "/media/" not in page and attachment.file.name not in page


@pytest.mark.django_db
def test_a_file_of_the_wrong_type_is_refused_beside_the_field(received, cast, client):
    client.force_login(cast.clerk)
    response = client.post(
        reverse("complaints:attach", args=[received.pk]), {"attach-file": SimpleUploadedFile("x.exe", PNG)}
    )
    assert response.status_code == 400  # refused input
    assert field_error(response, "attach-file") == "请上传 JPEG、PNG、PDF、MP3 或 WAV 文件。"
    assert error_is_beside_field(response, "attach-file")


@pytest.mark.django_db
def test_the_hall_manager_downloads_an_attachment_and_the_opening_is_audited(received, cast, client):
    attachment = _attachment(received, cast.clerk)
    client.force_login(cast.hall_manager)
    response = client.get(reverse("complaints:attachment-download", args=[received.pk, attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "private, no-store"
    event = AuditEvent.objects.get(action="complaints.complaint.attachment_opened")
    assert (event.actor, event.data) == (cast.hall_manager, {"attachment": attachment.pk, "name": "收据.png"})


@pytest.mark.django_db
def test_attachments_are_not_found_from_another_hall_or_under_another_complaint(received, cast, client):
    attachment = _attachment(received, cast.clerk)
    client.force_login(cast.other_hall_manager)
    assert (
        client.get(reverse("complaints:attachment-download", args=[received.pk, attachment.pk])).status_code
        == 404
    )
    elsewhere = ComplaintFactory(hall=cast.hall)
    client.force_login(cast.hall_manager)
    url = reverse("complaints:attachment-download", args=[elsewhere.pk, attachment.pk])
    assert client.get(url).status_code == 404
    assert not AuditEvent.objects.filter(action="complaints.complaint.attachment_opened").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["inspector", "second_clerk"])
def test_attachments_are_refused_to_people_not_handling_the_complaint(
    received, cast, second_clerk, client, role
):
    attachment = _attachment(received, cast.clerk)
    client.force_login(second_clerk.user if role == "second_clerk" else cast.inspector)
    assert (
        client.get(reverse("complaints:attachment-download", args=[received.pk, attachment.pk])).status_code
        == 403
    )
    page = html(client.get(reverse("complaints:detail", args=[received.pk])))
    assert "收据.png" in page and f"attachments/{attachment.pk}/" not in page
    assert not AuditEvent.objects.filter(action="complaints.complaint.attachment_opened").exists()


# --- Monthly summary --------------------------------------------------------------------------

AT = datetime(2026, 11, 10, 9, 0, tzinfo=SHANGHAI)


def _complaint(hall, *, phone="13900000001", **fields):
    fields.setdefault("received_at", AT)
    fields.setdefault("due_at", AT + timedelta(hours=72))
    return ComplaintFactory(hall=hall, customer_phone=phone, phone_hash=phone_hash(phone), **fields)


@pytest.fixture
def november(cast):
    replied = {"status": "replied", "current_handler": cast.clerk, "reply": "已回复", "replied_at": AT}
    _complaint(cast.hall, category="billing", channel="hotline", met_deadline=True, **replied)
    _complaint(cast.hall, category="service_attitude", channel="regulator", met_deadline=False, **replied)
    _complaint(
        cast.hall, phone="13900000002", category="billing", channel="online", met_deadline=True, **replied
    )
    _complaint(cast.other_hall, phone="13900000003", category="waiting_time", channel="hall_counter")
    _complaint(cast.hall, received_at=datetime(2026, 10, 31, 23, 0, tzinfo=SHANGHAI))
    _complaint(cast.foreign_hall)
    TrafficRecord.objects.create(
        hall=cast.hall, hour=AT, tickets_issued=15_000, transactions=15_000, avg_handling_seconds=300
    )


@pytest.mark.django_db
def test_the_summary_page_shows_a_halls_figures_charts_and_export_links(november, cast, client):
    client.force_login(cast.hall_manager)
    response = client.get(reverse("complaints:summary"), {"month": "2026-11", "hall": cast.hall.code})
    assert response.status_code == 200
    total = response.context["summary"].total
    assert (total.total, total.on_time, total.late, total.regulator) == (3, 2, 1, 1)
    assert (total.repeat_complainants, total.transactions, total.per_10k_transactions) == (
        1,
        15_000,
        Decimal("2.00"),
    )
    page = html(response)
    assert '<div class="stat-value">66.7%</div>' in page
    assert '<div class="stat-value">2.00</div>' in page
    assert '<canvas data-chart="chart-by-category"' in page and '<script id="chart-by-category"' in page
    assert '"data": [1, 0, 2, 0, 0, 0]' in page  # by category: service attitude 1, billing 2
    assert 'href="/complaints/export/summary.xlsx?month=2026-11&amp;hall=H001"' in page
    assert 'href="/complaints/export/list.xlsx?month=2026-11&amp;hall=H001"' in page
    assert "vendor/chart.js/chart.umd.min.js" in page


@pytest.mark.django_db
def test_the_branch_summary_has_a_row_per_hall_and_a_per_hall_chart(november, cast, client):
    client.force_login(cast.branch_manager)
    response = client.get(
        reverse("complaints:summary"), {"month": "2026-11", "region": cast.hall.region.parent.code}
    )
    summary = response.context["summary"]
    assert [(row.hall, row.total) for row in summary.rows] == [(cast.hall, 3), (cast.other_hall, 1)]
    assert (
        summary.total.total == 4 and summary.total.transactions is None
    )  # the other hall's traffic is unknown
    page = html(response)
    assert '<canvas data-chart="chart-by-hall"' in page
    assert "export/summary.xlsx?month=2026-11&amp;region=BR01" in page


@pytest.mark.django_db
def test_a_hall_manager_summary_covers_only_their_hall_by_default(november, cast, client, frozen):
    frozen.move_to(datetime(2026, 11, 28, 9, 0, tzinfo=SHANGHAI))
    client.force_login(cast.hall_manager)
    response = client.get(reverse("complaints:summary"))
    summary = response.context["summary"]
    assert summary.month.isoformat() == "2026-11-01"
    assert [row.hall for row in summary.rows] == [cast.hall]


@pytest.mark.django_db
def test_the_summary_page_costs_the_same_queries_at_n_and_3n_halls(cast, client):
    client.force_login(cast.branch_manager)
    counts = []
    for n in (3, 6):  # 3 more halls (5 in all), then 6 more (11)
        for _ in range(n):
            hall = HallFactory(region=cast.hall.region)
            for phone in ("13911111111", "13911111111", "13922222222"):
                _complaint(hall, phone=phone)
            TrafficRecord.objects.create(
                hall=hall, hour=AT, tickets_issued=100, transactions=100, avg_handling_seconds=300
            )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("complaints:summary"), {"month": "2026-11"})
        counts.append(len(queries))
        assert len(response.context["summary"].rows) == {3: 5, 6: 11}[n]
    assert counts[0] == counts[1] == 12, counts  # 11 + the navbar unread-notification badge


# --- Navigation -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_navbar_links_the_complaints_for_roles_that_see_them(cast, client):
    link = f'href="{reverse("complaints:queue")}">投诉</a>'
    client.force_login(cast.clerk)
    assert link in html(client.get(reverse("dashboard")))
    client.force_login(UserFactory())
    assert link not in html(client.get(reverse("dashboard")))
