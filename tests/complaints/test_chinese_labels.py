"""English words shared with other apps ("Open", "Deadline", "Category", "Finding") carry a
message context on the complaint pages, so the Chinese interface shows the complaint's own term
and never another app's translation of the same word (查看, 整改期限, 检查类别, 检查发现)."""

import re

import pytest
from django.urls import reverse

from complaints import accountability_services, services

pytestmark = pytest.mark.django_db


def label_of(html: str, field: str) -> str:
    match = re.search(rf'<label[^>]*for="id_{field}"[^>]*>(.*?)</label>', html, re.S)
    assert match, f"no label for {field}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip().rstrip(" *")  # without the required mark


def test_the_queue_says_open_and_deadline_in_complaint_terms(client, cast, in_progress):
    client.force_login(cast.hall_manager)
    html = client.get(reverse("complaints:queue")).content.decode()
    assert '<option value="" selected>未办结</option>' in html
    assert '<th scope="col">办结时限</th>' in html
    assert "整改期限" not in html and ">查看</option>" not in html


def test_the_complaint_form_and_detail_say_complaint_category_and_accountability_finding(
    client, cast, clerk_staff, in_progress
):
    replied = services.reply_to_customer(
        actor=cast.clerk, complaint=in_progress, reply="已致歉", root_cause="用语不当"
    )
    client.force_login(cast.clerk)
    assert label_of(client.get(reverse("complaints:intake")).content.decode(), "category") == "投诉类别"
    client.force_login(cast.hall_manager)
    detail = client.get(reverse("complaints:detail", args=[replied.pk])).content.decode()
    assert "投诉类别" in detail and "检查类别" not in detail
    assert label_of(detail, "accountability-finding") == "认定结果"
    accountability_services.record_accountability(
        actor=cast.hall_manager, complaint=replied, finding="not_at_fault", reason="已按规范解释", shares=[]
    )
    detail = client.get(reverse("complaints:detail", args=[replied.pk])).content.decode()
    assert '<dt class="col-sm-5">认定结果</dt>' in detail
    assert "检查发现" not in detail
