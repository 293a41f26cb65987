"""Visits through their life: entry, version checks, submission checks, scores, publication into
score facts (replaced, never duplicated, on republishing), rectification and reminders."""

import datetime
from decimal import Decimal

import pytest
from PIL import Image

from assessment.models import ScoreFact
from assessment.mystery_shop import services
from assessment.mystery_shop.exceptions import (
    PhotoRejected,
    TransitionNotAllowed,
    VersionConflict,
    VisitIncomplete,
    VisitInvalid,
)
from assessment.mystery_shop.models import Answer, ChecklistItem, Rectification, Visit, VisitScore
from halls.models import AuditEvent, Notification, Role
from tests.assessment.mystery_shop.factories import (
    answer_all,
    complete_visit,
    default_template,
    jpeg_upload,
    published_visit,
    start,
)
from tests.halls.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_default_checklist_is_seeded_with_veto_and_photo_items():
    template = default_template()
    assert (template.name, template.version) == ("营业厅窗口服务明查暗访检查表", 1)
    items = {item.code: item for item in template.items.all()}
    assert len(items) == 15
    assert items["A01"].text == "使用迎宾语"
    assert items["D04"].is_veto and items["D04"].scope == ChecklistItem.Scope.HALL
    assert items["D03"].photo_required
    assert items["B01"].scope == ChecklistItem.Scope.CLERK


def test_a_clerk_is_picked_by_badge_number_only_in_the_visited_hall(inspector, hall, other_hall, clerk_staff):
    visit = start(inspector, hall)
    clerk = services.add_clerk(actor=inspector, visit=visit, employee_no=clerk_staff.employee_no.lower())
    assert clerk.staff == clerk_staff
    other = start(inspector, other_hall)
    with pytest.raises(VisitInvalid, match="No one with this badge number"):
        services.add_clerk(actor=inspector, visit=other, employee_no=clerk_staff.employee_no)


def test_a_hall_manager_cannot_start_an_inspection(hall_manager, hall):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        start(hall_manager, hall)


def test_two_inspectors_saving_the_same_item_never_overwrite_each_other(inspector, hall, branch, clerk_staff):
    colleague = UserFactory(username="colleague", first_name="Zhao")
    MembershipFactory(user=colleague, role=Role.INSPECTOR, region=branch)
    visit = start(inspector, hall)
    item = default_template().items.get(code="C02")
    first = services.save_answer(
        actor=inspector, visit=visit, item=item, clerk=None, result="pass", version=0
    )
    # The colleague's page showed the item unanswered (version 0): refused, with who and when.
    with pytest.raises(VersionConflict, match="changed this item at"):
        services.save_answer(actor=colleague, visit=visit, item=item, clerk=None, result="fail", version=0)
    first.refresh_from_db()
    assert first.result == "pass" and first.version == 1
    second = services.save_answer(
        actor=colleague, visit=visit, item=item, clerk=None, result="fail", version=1
    )
    assert (second.result, second.deduction, second.version) == ("fail", Decimal("5.00"), 2)


def test_a_stale_visit_version_is_refused(inspector, hall):
    visit = start(inspector, hall)
    services.update_visit(
        actor=inspector,
        visit=visit,
        version=1,
        visited_at=visit.visited_at,
        mode="overt",
        wait_minutes=5,
        summary="",
    )
    with pytest.raises(VersionConflict):
        services.update_visit(
            actor=inspector,
            visit=visit,
            version=1,
            visited_at=visit.visited_at,
            mode="covert",
            wait_minutes=9,
            summary="",
        )
    visit.refresh_from_db()
    assert (visit.mode, visit.wait_minutes, visit.version) == ("overt", 5, 2)


def test_a_deduction_above_the_items_points_is_refused(inspector, hall):
    visit = start(inspector, hall)
    item = default_template().items.get(code="C02")
    with pytest.raises(VisitInvalid, match="between 0 and 5.00"):
        services.save_answer(
            actor=inspector, visit=visit, item=item, clerk=None, result="fail", deduction="6"
        )


def test_submission_lists_unanswered_items_and_missing_photos(inspector, hall, clerk_staff):
    visit = start(inspector, hall)
    services.add_clerk(actor=inspector, visit=visit, employee_no=clerk_staff.employee_no)
    answer_all(inspector, visit, fail_codes=("D01",), photo_for_failures=False)
    Answer.objects.filter(visit=visit, item__code="B02").delete()
    visit.refresh_from_db()
    with pytest.raises(VisitIncomplete) as refused:
        services.submit_visit(actor=inspector, visit=visit, version=visit.version)
    problems = refused.value.problems
    assert len(problems) == 2
    assert problems[0].startswith("Not answered: B02 主动推荐")
    assert problems[1] == "A photo is required for this failure: D01 环境卫生"
    assert Visit.objects.get(pk=visit.pk).status == "draft"


def test_photos_are_reencoded_resized_and_stripped_of_location(inspector, hall):
    visit = start(inspector, hall)
    item = default_template().items.get(code="D01")
    answer = services.save_answer(
        actor=inspector, visit=visit, item=item, clerk=None, result="fail", photo=jpeg_upload("IMG_0001.JPG")
    )
    photo = answer.photos.get()
    assert photo.file.name.startswith("inspections/") and "IMG_0001" not in photo.file.name
    with photo.file.open("rb") as handle, Image.open(handle) as image:
        assert image.format == "JPEG"
        assert max(image.size) == 1600
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info


def test_a_file_that_is_not_a_photo_is_refused(inspector, hall):
    from django.core.files.uploadedfile import SimpleUploadedFile

    visit = start(inspector, hall)
    item = default_template().items.get(code="D01")
    fake = SimpleUploadedFile("x.jpg", b"\xff\xd8\xff<?php echo 1; ?>", content_type="image/jpeg")
    with pytest.raises(PhotoRejected):
        services.save_answer(actor=inspector, visit=visit, item=item, clerk=None, result="fail", photo=fake)
    assert not Answer.objects.filter(visit=visit).exists()


def test_scores_per_clerk_and_hall_and_veto(inspector, hall, clerk_staff):
    visit = complete_visit(inspector, hall, clerk_staff, fail_codes=("A01", "B01", "D01"))
    clerk = visit.clerks.get()
    # Hall items: D01 5 points; the clerk's own: A01 3 + B01 10.
    assert clerk.score == Decimal("82.00")
    assert visit.hall_score == Decimal("82.00") and not visit.vetoed
    vetoed = complete_visit(inspector, hall, clerk_staff, fail_codes=("D04",))
    assert vetoed.hall_score == Decimal("0.00") and vetoed.vetoed
    assert vetoed.clerks.get().score == Decimal("0.00")


def test_publication_writes_facts_opens_tasks_and_notifies(inspector, hall, hall_manager, clerk_staff):
    visit = published_visit(inspector, hall, clerk_staff, fail_codes=("A01", "D01"))
    facts = ScoreFact.objects.filter(source="mystery_shop").order_by("staff_id")
    manager_staff = hall_manager.staff
    assert {(f.staff_id, f.value) for f in facts} == {
        (clerk_staff.pk, Decimal("92.00")),
        (manager_staff.pk, Decimal("92.00")),  # 100 − D01 5 − the clerks' average own deduction 3
    }
    assert {f.evidence_type for f in facts} == {"visit_score"}
    tasks = Rectification.objects.filter(visit=visit)
    assert sorted(t.answer.item.code for t in tasks) == ["A01", "D01"]
    assert {t.owner for t in tasks} == {hall_manager}
    notes = Notification.objects.filter(kind="mystery_shop.published")
    assert [(n.recipient, n.hall, n.url) for n in notes] == [
        (hall_manager, hall, f"/assessment/inspections/{visit.pk}/")
    ]
    assert AuditEvent.objects.filter(action="mystery.visit.published", hall=hall).count() == 1


def test_republishing_after_reopen_replaces_facts_and_cancels_fixed_tasks(
    inspector, hall, hall_manager, clerk_staff
):
    visit = published_visit(inspector, hall, clerk_staff, fail_codes=("A01", "D01"))
    with pytest.raises(VisitInvalid):
        services.reopen_visit(actor=inspector, visit=visit, version=visit.version, reason=" ")
    visit = services.reopen_visit(
        actor=inspector, visit=visit, version=visit.version, reason="A01 was misjudged"
    )
    assert AuditEvent.objects.get(action="mystery.visit.reopened").data == {"reason": "A01 was misjudged"}
    a01 = Answer.objects.get(visit=visit, item__code="A01")
    services.save_answer(
        actor=inspector, visit=visit, item=a01.item, clerk=a01.clerk, result="pass", version=a01.version
    )
    visit.refresh_from_db()
    visit = services.submit_visit(actor=inspector, visit=visit, version=visit.version)
    services.publish_visit(actor=inspector, visit=visit, version=visit.version)
    facts = ScoreFact.objects.filter(source="mystery_shop")
    assert facts.count() == 2 == VisitScore.objects.filter(visit=visit).count()
    assert facts.get(staff=clerk_staff).value == Decimal("95.00")
    tasks = {t.answer.item.code: t.status for t in Rectification.objects.filter(visit=visit)}
    assert tasks == {"A01": "cancelled", "D01": "open"}


def test_rectification_evidence_is_reviewed_and_the_visit_closed(inspector, hall, hall_manager, clerk_staff):
    visit = published_visit(inspector, hall, clerk_staff, fail_codes=("D01",))
    task = Rectification.objects.get(visit=visit)
    with pytest.raises(TransitionNotAllowed):
        services.close_visit(actor=inspector, visit=visit, version=visit.version)
    task = services.submit_rectification_evidence(
        actor=hall_manager, task=task, version=task.version, note="已清理台席", photo=jpeg_upload()
    )
    assert task.status == "submitted" and task.evidence_photo.name.startswith("inspections/")
    task = services.review_rectification(
        actor=inspector, task=task, version=task.version, accept=False, note="照片不清"
    )
    assert task.status == "open"
    task = services.submit_rectification_evidence(
        actor=hall_manager, task=task, version=task.version, note="重新拍照"
    )
    task = services.review_rectification(actor=inspector, task=task, version=task.version, accept=True)
    assert task.status == "accepted" and task.on_time
    visit.refresh_from_db()
    assert services.close_visit(actor=inspector, visit=visit, version=visit.version).status == "closed"


def test_reminders_and_escalations_are_sent_once(inspector, hall, hall_manager, branch_manager, clerk_staff):
    visit = published_visit(inspector, hall, clerk_staff, fail_codes=("D01",))
    task = Rectification.objects.get(visit=visit)
    today = task.deadline
    assert services.remind_rectifications(
        today=today - datetime.timedelta(days=3)
    ) == services.ReminderResult(0, 0)
    assert services.remind_rectifications(today=today) == services.ReminderResult(1, 0)
    assert services.remind_rectifications(today=today) == services.ReminderResult(0, 0)
    late = today + datetime.timedelta(days=3)
    assert services.remind_rectifications(today=late) == services.ReminderResult(0, 1)
    assert services.remind_rectifications(today=late) == services.ReminderResult(0, 0)
    due = Notification.objects.filter(kind="mystery_shop.rectification_due")
    overdue = Notification.objects.filter(kind="mystery_shop.rectification_overdue")
    assert [n.recipient for n in due] == [hall_manager]
    assert sorted(n.recipient.username for n in overdue) == sorted(
        [inspector.username, branch_manager.username]
    )
    # Even with the claim undone, notify's dedup key sends nothing twice.
    Rectification.objects.update(reminded_at=None)
    assert services.remind_rectifications(today=late) == services.ReminderResult(1, 0)
    assert Notification.objects.filter(kind="mystery_shop.rectification_due").count() == 1


def test_a_clerk_taken_off_a_reopened_visit_loses_the_visits_fact(inspector, hall, hall_manager, clerk_staff):
    from assessment.models import FactRevision

    visit = published_visit(inspector, hall, clerk_staff, fail_codes=("D01",))
    assert ScoreFact.objects.filter(source="mystery_shop", staff=clerk_staff).exists()
    visit = services.reopen_visit(actor=inspector, visit=visit, version=visit.version, reason="看错了人")
    from tests.staffing.factories import StaffFactory

    actually_seen = StaffFactory(hall=hall, hire_date=datetime.date(2024, 3, 1))
    services.add_clerk(actor=inspector, visit=visit, employee_no=actually_seen.employee_no)
    services.remove_clerk(actor=inspector, visit=visit, clerk=visit.clerks.get(staff=clerk_staff))
    answer_all(inspector, visit, fail_codes=("D01",))
    visit.refresh_from_db()
    revision = FactRevision.objects.get().revision
    visit = services.submit_visit(actor=inspector, visit=visit, version=visit.version)
    services.publish_visit(actor=inspector, visit=visit, version=visit.version)
    assert not ScoreFact.objects.filter(source="mystery_shop", staff=clerk_staff).exists()
    assert not VisitScore.objects.filter(visit=visit, staff=clerk_staff).exists()
    assert (
        ScoreFact.objects.filter(source="mystery_shop").count()
        == VisitScore.objects.filter(visit=visit).count()
        > 0
    )
    assert FactRevision.objects.get().revision > revision  # the month will be computed afresh
