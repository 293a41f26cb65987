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


def test_the_score_card_names_each_indicator_once_in_the_readers_language(cast, client, clerk_staff):
    from assessment.models import Measure
    from tests.assessment.factories import add_facts, fact_input
    from tests.assessment.test_views import result_of

    add_facts(fact_input(clerk_staff, Measure.EVALUATION_SCORE, "80"))
    publish(cast.hall.region.parent, OCTOBER, cast.branch_manager)
    url = reverse("assessment:score-card", args=[result_of(clerk_staff).pk])
    client.force_login(cast.clerk)

    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<h2 class="h5 mb-1" id="indicator-1">客户评价</h2>' in chinese
    assert "Customer evaluation" not in chinese
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<h2 class="h5 mb-1" id="indicator-1">Customer evaluation</h2>' in english
    assert "客户评价" not in english


def test_a_bilingual_default_name_splits_and_any_other_name_stays_whole():
    from assessment.models import bilingual_part

    with translation.override("zh-hans"):
        assert bilingual_part("多说一句话 Recommendations") == "多说一句话"
        assert bilingual_part("业务差错") == "业务差错"
        assert bilingual_part("VIP 销售额") == "VIP 销售额"
    with translation.override("en"):
        assert bilingual_part("培训出勤 Training attendance") == "Training attendance"
        assert bilingual_part("业务差错") == "业务差错"
