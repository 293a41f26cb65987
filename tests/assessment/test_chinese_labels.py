"""English words shared with other apps ("Open", "Pending", "Deadline", "Finding", "Change",
"Category") carry a message context in the assessment, so the Chinese interface shows the
assessment's own term and never another app's translation of the same word (查看 for an open
rectification, 待投递 — a webhook's "pending" — for an appeal, 变更内容 for a rank change)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from assessment.models import Appeal
from assessment.mystery_shop.checklist_forms import ItemForm
from assessment.mystery_shop.models import Answer, Rectification
from assessment.services.elimination import file_appeal
from tests.assessment.factories import OCTOBER, clerk_in
from tests.assessment.mystery_shop.factories import published_visit
from tests.assessment.test_elimination_pages import APPEALS, make_list
from tests.assessment.test_views import publish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_an_open_rectification_shows_its_status_deadline_and_finding_in_rectification_terms(
    client, inspector, hall, hall_manager, clerk_staff
):
    visit = published_visit(inspector, hall, clerk_staff, fail_codes=("D01",))
    task = Rectification.objects.get(visit=visit)
    Answer.objects.filter(pk=task.answer_id).update(comment="地面有纸屑")
    client.force_login(hall_manager)

    listing = client.get(reverse("assessment:mystery:rectification-list")).content.decode()
    assert '<span class="badge text-bg-light">待整改</span>' in listing
    detail = client.get(reverse("assessment:mystery:rectification-detail", args=[task.pk])).content.decode()
    assert "待整改" in detail and "查看" not in detail.split("<main", 1)[1]
    assert ">整改期限</dt>" in detail and ">检查发现</dt>" in detail


def test_a_pending_appeal_is_awaiting_a_decision_not_a_delivery(cast, client, clerk_staff):
    elimination_list = make_list(cast, status="under_review")
    file_appeal(entry=elimination_list.entries.get(staff=clerk_staff), actor=cast.clerk, reason="一")
    assert Appeal.objects.get().status == Appeal.Status.PENDING
    client.force_login(cast.branch_manager)
    html = client.get(APPEALS, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "待处理" in html and "待投递" not in html


def test_the_ranking_calls_its_change_column_a_change_of_rank(cast, client):
    clerk_in(cast.hall)
    clerk_in(cast.other_hall)
    branch = cast.hall.region.parent
    publish(branch, datetime.date(2026, 9, 1), cast.branch_manager)
    publish(branch, OCTOBER, cast.branch_manager)
    client.force_login(cast.hall_manager)
    html = client.get(reverse("assessment:ranking"), {"branch": "BR01", "month": "2026-10"}).content.decode()
    assert '<th scope="col" class="text-end">名次变化</th>' in html
    assert "变更内容" not in html


def test_a_checklist_category_is_an_inspection_category():
    with translation.override("zh-hans"):
        assert str(ItemForm.base_fields["category"].label) == "检查类别"
