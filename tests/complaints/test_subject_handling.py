"""Nobody handles a complaint about themselves; the close form has no satisfaction by default;
people are shown by their staff names."""

import re
from html import unescape

import pytest
from django.urls import reverse

from complaints import services
from complaints.exceptions import ComplaintAboutHandler
from complaints.models import Complaint, ComplaintEvent
from tests.complaints.test_views import html, post_action
from tests.pages import error_is_beside_field, field_error

ABOUT_THEM = "该投诉涉及此人，请另选处理人。"
ABOUT_YOU = "该投诉涉及您本人，须由管理人员转交他人处理。"


def select_options(response, name: str) -> dict[str, str]:
    """The options of select `name` on the page: {value: label}."""
    page = html(response)
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None, name
    return {
        value: unescape(label).strip()
        for value, label in re.findall(r'<option value="([^"]*)"[^>]*>(.*?)</option>', select.group(1), re.S)
    }


def handled_by_its_subject(complaint, subject_clerk, **fields) -> Complaint:
    """Data from before the rule: the complaint in progress with the clerk it is about as handler."""
    Complaint.objects.filter(pk=complaint.pk).update(
        status=fields.pop("status", "in_progress"), current_handler=subject_clerk.user, **fields
    )
    return Complaint.objects.get(pk=complaint.pk)


# --- Assigning ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_service_refuses_to_assign_a_complaint_to_the_clerk_it_is_about(received, cast, subject_clerk):
    with pytest.raises(ComplaintAboutHandler) as refused:
        services.assign_complaint(actor=cast.hall_manager, complaint=received, handler=subject_clerk.user)
    assert (refused.value.field, refused.value.message) == ("handler", ABOUT_THEM)
    after = Complaint.objects.get(pk=received.pk)
    assert (after.status, after.current_handler_id, after.version) == ("received", None, 1)
    assert not ComplaintEvent.objects.filter(complaint=received, kind="assigned").exists()


@pytest.mark.django_db
def test_the_service_refuses_to_hand_a_complaint_over_to_the_clerk_it_is_about(
    in_progress, cast, subject_clerk
):
    with pytest.raises(ComplaintAboutHandler):
        services.hand_over_complaint(
            actor=cast.hall_manager, complaint=in_progress, to_handler=subject_clerk.user
        )
    assert Complaint.objects.get(pk=in_progress.pk).current_handler == cast.clerk


@pytest.mark.django_db
def test_the_assign_form_offers_staff_names_without_the_clerk_the_complaint_is_about(
    received, cast, subject_clerk, second_clerk, client
):
    client.force_login(cast.hall_manager)
    options = select_options(client.get(reverse("complaints:detail", args=[received.pk])), "assign-handler")
    assert options == {
        "": "---------",
        str(cast.hall_manager.pk): "王经理 · 厅经理 · 人民路营业厅",
        str(cast.clerk.pk): "李营业员 · 营业员 · 人民路营业厅",
        str(second_clerk.user.pk): "赵营业员 · 营业员 · 人民路营业厅",
        str(cast.branch_manager.pk): "branch-manager",
    }
    assert str(subject_clerk.user.pk) not in options


@pytest.mark.django_db
def test_assigning_the_clerk_the_complaint_is_about_on_the_page_shows_why_beside_the_field(
    received, cast, subject_clerk, client
):
    client.force_login(cast.hall_manager)
    response = post_action(client, received, "assign", {"handler": subject_clerk.user.pk})
    assert response.status_code == 400
    assert field_error(response, "assign-handler") == ABOUT_THEM
    assert error_is_beside_field(response, "assign-handler")
    assert Complaint.objects.get(pk=received.pk).status == "received"


@pytest.mark.django_db
def test_assigning_the_clerk_the_complaint_is_about_through_the_api_is_a_400_naming_the_field(
    received, cast, subject_clerk, api
):
    client = api.as_user(cast.hall_manager)
    response = client.post(
        f"/api/v1/complaints/{received.pk}/assign/",
        {"version": 1, "handler": "subject-clerk"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"detail": ABOUT_THEM, "errors": {"handler": [ABOUT_THEM]}}
    assert Complaint.objects.get(pk=received.pk).current_handler_id is None


# --- Acting on a complaint about oneself (data from before the rule) -------------------------


@pytest.mark.django_db
def test_the_clerk_a_complaint_is_about_cannot_reply_even_when_it_was_assigned_to_them(
    received, subject_clerk
):
    complaint = handled_by_its_subject(received, subject_clerk)
    with pytest.raises(ComplaintAboutHandler) as refused:
        services.reply_to_customer(actor=subject_clerk.user, complaint=complaint, reply="我没错")
    assert refused.value.message == ABOUT_YOU
    assert Complaint.objects.get(pk=complaint.pk).status == "in_progress"


@pytest.mark.django_db
def test_the_page_offers_the_clerk_a_complaint_is_about_no_handling_step_and_refuses_a_posted_reply(
    received, subject_clerk, client
):
    complaint = handled_by_its_subject(received, subject_clerk)
    client.force_login(subject_clerk.user)
    page = html(client.get(reverse("complaints:detail", args=[complaint.pk])))
    assert "/reply/" not in page and "/close/" not in page and "/hand-over/" not in page
    response = post_action(client, complaint, "reply", {"reply": "我没错"})
    assert response.status_code == 400
    assert ABOUT_YOU in html(response)
    assert Complaint.objects.get(pk=complaint.pk).status == "in_progress"


@pytest.mark.django_db
def test_the_api_refuses_reply_and_close_by_the_clerk_the_complaint_is_about(received, subject_clerk, api):
    complaint = handled_by_its_subject(received, subject_clerk)
    client = api.as_user(subject_clerk.user)
    url = f"/api/v1/complaints/{complaint.pk}/"
    reply = client.post(url + "reply/", {"version": complaint.version, "reply": "我没错"}, format="json")
    assert reply.status_code == 400 and reply.json()["errors"] == {"current_handler": [ABOUT_YOU]}
    replied = handled_by_its_subject(
        received, subject_clerk, status="replied", reply="已致歉", replied_at=complaint.received_at
    )
    close = client.post(
        url + "close/",
        {"version": replied.version, "satisfaction": "satisfied", "root_cause": "用语不当"},
        format="json",
    )
    assert close.status_code == 400 and close.json()["errors"] == {"current_handler": [ABOUT_YOU]}
    assert Complaint.objects.get(pk=complaint.pk).status == "replied"


@pytest.mark.django_db
def test_a_manager_hands_a_complaint_handled_by_its_subject_to_someone_else(received, cast, subject_clerk):
    complaint = handled_by_its_subject(received, subject_clerk)
    after = services.hand_over_complaint(actor=cast.hall_manager, complaint=complaint, to_handler=cast.clerk)
    assert after.current_handler == cast.clerk
    replied = services.reply_to_customer(actor=cast.clerk, complaint=after, reply="已致歉")
    assert replied.status == "replied"


# --- Closing: satisfaction is chosen, never defaulted -----------------------------------------


@pytest.fixture
def replied(in_progress, cast):
    return services.reply_to_customer(
        actor=cast.clerk, complaint=in_progress, reply="已致歉", root_cause="用语不当"
    )


@pytest.mark.django_db
def test_the_close_form_preselects_no_satisfaction(replied, cast, client):
    client.force_login(cast.clerk)
    response = client.get(reverse("complaints:detail", args=[replied.pk]))
    select = re.search(r'<select name="close-satisfaction"[^>]*>(.*?)</select>', html(response), re.S).group(
        1
    )
    first = re.search(r"<option ([^>]*)>(.*?)</option>", select)
    assert first.group(1).startswith('value=""') and "selected" in first.group(1)
    assert select.count("selected") == 1
    assert list(select_options(response, "close-satisfaction")) == [
        "",
        "satisfied",
        "basically_satisfied",
        "dissatisfied",
    ]


@pytest.mark.django_db
def test_closing_without_choosing_the_satisfaction_shows_an_error_beside_it(replied, cast, client):
    client.force_login(cast.clerk)
    response = post_action(client, replied, "close", {"satisfaction": "", "root_cause": ""})
    assert response.status_code == 400
    assert field_error(response, "close-satisfaction") == "请选择客户满意度。"
    assert error_is_beside_field(response, "close-satisfaction")
    after = Complaint.objects.get(pk=replied.pk)
    assert (after.status, after.satisfaction) == ("replied", None)


# --- Names instead of usernames --------------------------------------------------------------


@pytest.mark.django_db
def test_the_queue_and_the_detail_show_people_by_their_staff_names(in_progress, cast, client):
    client.force_login(cast.hall_manager)
    queue = html(client.get(reverse("complaints:queue")))
    assert '<td class="d-none d-lg-table-cell">李营业员</td>' in queue
    detail = html(client.get(reverse("complaints:detail", args=[in_progress.pk])))
    assert '<dt class="col-sm-4">首问责任人</dt><dd class="col-sm-8">李营业员</dd>' in detail
    assert re.search(r'text-nowrap">[^<]* · 王经理</span>', detail)  # the timeline's assigning manager
