"""Checklist versions: copying, editing a draft, putting a version in force. Past visits keep the
items they were judged by; a version in force or used by a visit never changes; stale edits and
empty checklists are refused; every change is audited."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from assessment.mystery_shop import checklist_services as checklists
from assessment.mystery_shop import services
from assessment.mystery_shop.checklist_services import CategorySpec, ItemSpec
from assessment.mystery_shop.exceptions import TemplateFrozen, TemplateInvalid, VersionConflict
from assessment.mystery_shop.models import Answer, ChecklistItem, ChecklistTemplate
from halls.audit import action_label
from halls.models import AuditEvent
from tests.assessment.mystery_shop.factories import complete_visit, default_template, published_visit, start

pytestmark = pytest.mark.django_db


def specs_of(template) -> list[CategorySpec]:
    return checklists.checklist_specs(ChecklistTemplate.objects.get(pk=template.pk))


def draft(inspector) -> ChecklistTemplate:
    return checklists.create_template_version(actor=inspector, template=default_template())


def small_checklist(**item) -> list[CategorySpec]:
    return [
        CategorySpec(
            name="服务礼仪",
            items=[ItemSpec(code="A01", text="使用迎宾语", deduction=Decimal("3")), ItemSpec(**item)]
            if item
            else [ItemSpec(code="A01", text="使用迎宾语", deduction=Decimal("3"))],
        ),
        CategorySpec(
            name="环境",
            items=[
                ItemSpec(
                    code="D01", text="环境卫生", deduction=Decimal("5"), scope="hall", photo_required=True
                )
            ],
        ),
    ]


def test_a_new_version_copies_everything_and_past_visits_keep_the_items_they_were_judged_by(
    inspector, hall, clerk_staff
):
    visit = published_visit(inspector, hall, clerk_staff, fail_codes=("A01",))
    old = default_template()
    old_items = list(
        old.items.order_by("position").values_list("code", "text", "deduction", "category__name")
    )
    judged = {a.pk: (a.item_id, a.deduction) for a in visit.answers.all()}

    new = checklists.create_template_version(actor=inspector, template=old)
    assert (new.name, new.version, new.is_active) == (old.name, 2, False)
    assert specs_of(new) == specs_of(old)
    edited = specs_of(new)
    edited[0].items[0] = ItemSpec(code="A01", text="使用标准迎宾语", deduction=Decimal("4"))
    del edited[-1].items[-1]  # D04
    checklists.update_template(actor=inspector, template=new, revision=new.revision, categories=edited)
    checklists.activate_template(actor=inspector, template=new)

    old.refresh_from_db()
    assert not old.is_active
    assert (
        list(old.items.order_by("position").values_list("code", "text", "deduction", "category__name"))
        == old_items
    )
    visit.refresh_from_db()
    assert visit.template_id == old.pk
    assert {a.pk: (a.item_id, a.deduction) for a in visit.answers.all()} == judged
    assert set(Answer.objects.filter(visit=visit).values_list("item__template", flat=True)) == {old.pk}
    later = start(inspector, hall, when=timezone.now() - datetime.timedelta(minutes=5))
    assert later.template_id == new.pk
    assert later.template.items.get(code="A01").deduction == Decimal("4")
    assert not later.template.items.filter(code="D04").exists()


def test_a_version_any_visit_used_is_frozen_even_by_a_covert_draft_after_it_is_retired(inspector, hall):
    new = draft(inspector)
    checklists.activate_template(actor=inspector, template=new)
    # A covert draft visit nobody outside the market department sees, then the version steps down.
    services.start_visit(
        actor=inspector,
        hall=hall,
        visited_at=timezone.now() - datetime.timedelta(hours=1),
        mode="covert",
        template=new,
    )
    checklists.activate_template(actor=inspector, template=draft(inspector))
    new.refresh_from_db()
    assert not new.is_active
    assert checklists.is_template_frozen(new)
    before = specs_of(new)
    with pytest.raises(TemplateFrozen, match="Inspections were judged by this version"):
        checklists.update_template(
            actor=inspector, template=new, revision=new.revision, categories=small_checklist()
        )
    assert specs_of(new) == before
    assert not AuditEvent.objects.filter(action="mystery.template.edited").exists()


def test_the_version_in_force_is_not_edited_in_place(inspector):
    current = default_template()
    assert not checklists.is_template_frozen(current)
    with pytest.raises(TemplateFrozen, match="This version is in force"):
        checklists.update_template(
            actor=inspector, template=current, revision=current.revision, categories=small_checklist()
        )
    assert current.items.count() == 15


def test_a_stale_revision_is_refused_and_saves_nothing(inspector):
    new = draft(inspector)
    seen = new.revision
    checklists.update_template(actor=inspector, template=new, revision=seen, categories=small_checklist())
    with pytest.raises(VersionConflict, match="changed by someone else"):
        checklists.update_template(
            actor=inspector,
            template=new,
            revision=seen,
            categories=small_checklist(code="A02", text="送宾语", deduction=Decimal("2")),
        )
    assert list(new.items.order_by("position").values_list("code", flat=True)) == ["A01", "D01"]
    new.refresh_from_db()
    assert new.revision == seen + 1


def test_an_edit_replaces_the_items_in_order_and_is_audited_with_added_and_removed_codes(inspector):
    new = draft(inspector)
    saved = checklists.update_template(
        actor=inspector,
        template=new,
        revision=new.revision,
        categories=small_checklist(code="A09", text="  主动让座  ", deduction=Decimal("1.5"), is_veto=True),
    )
    rows = list(
        ChecklistItem.objects.filter(template=saved)
        .order_by("position")
        .values_list("code", "text", "position", "category__name", "category__position", "is_veto")
    )
    assert rows == [
        ("A01", "使用迎宾语", 1, "服务礼仪", 1, False),
        ("A09", "主动让座", 2, "服务礼仪", 1, True),
        ("D01", "环境卫生", 3, "环境", 2, False),
    ]
    event = AuditEvent.objects.get(action="mystery.template.edited")
    assert (event.actor, event.subject_id, event.hall) == (inspector, str(new.pk), None)
    assert event.data["added"] == "A09"
    assert (
        event.data["removed"].split(", ")[:3] == ["A02", "A03", "A04"] and "D01" not in event.data["removed"]
    )
    assert (event.data["categories"], event.data["items"]) == (2, 3)


def test_activation_is_exclusive_per_name_and_audited(inspector):
    first = default_template()
    second = draft(inspector)
    third = draft(inspector)
    assert (second.version, third.version) == (2, 3)
    checklists.activate_template(actor=inspector, template=second)
    checklists.activate_template(actor=inspector, template=third)
    active = list(ChecklistTemplate.objects.filter(name=first.name, is_active=True))
    assert active == [third]
    events = list(AuditEvent.objects.filter(action="mystery.template.activated").order_by("pk"))
    assert [(e.subject_id, e.data["superseded"]) for e in events] == [
        (str(second.pk), "v1"),
        (str(third.pk), "v2"),
    ]
    assert list(ChecklistTemplate.objects.in_force()) == [third]
    with pytest.raises(TemplateInvalid, match="already in force"):
        checklists.activate_template(actor=inspector, template=third)


def test_activation_refuses_a_stale_revision_and_an_empty_checklist_or_category(inspector):
    new = draft(inspector)
    with pytest.raises(VersionConflict):
        checklists.activate_template(actor=inspector, template=new, revision=new.revision + 1)
    checklists.update_template(
        actor=inspector,
        template=new,
        revision=new.revision,
        categories=[*small_checklist(), CategorySpec(name="待补充")],
    )
    with pytest.raises(TemplateInvalid, match="Category “待补充” has no items"):
        checklists.activate_template(actor=inspector, template=new)
    new.refresh_from_db()
    checklists.update_template(
        actor=inspector, template=new, revision=new.revision, categories=[CategorySpec(name="待补充")]
    )
    with pytest.raises(TemplateInvalid, match="The checklist has no items"):
        checklists.activate_template(actor=inspector, template=new)
    assert ChecklistTemplate.objects.get(is_active=True) == default_template()
    assert not AuditEvent.objects.filter(action="mystery.template.activated").exists()


@pytest.mark.parametrize(
    ("categories", "message"),
    [
        ([], "at least one category"),
        ([CategorySpec(name="  ")], "Every category needs a name"),
        ([CategorySpec(name="礼仪"), CategorySpec(name="礼仪 ")], "Two categories are named “礼仪”"),
        (
            [CategorySpec(name="礼仪", items=[ItemSpec(code="A 1", text="x", deduction=Decimal(1))])],
            "Every item needs a code",
        ),
        (
            [
                CategorySpec(name="礼仪", items=[ItemSpec(code="A01", text="x", deduction=Decimal(1))]),
                CategorySpec(name="环境", items=[ItemSpec(code="a01", text="y", deduction=Decimal(1))]),
            ],
            "Two items have the code a01",
        ),
        (
            [CategorySpec(name="礼仪", items=[ItemSpec(code="A01", text=" ", deduction=Decimal(1))])],
            "needs a text",
        ),
        (
            [CategorySpec(name="礼仪", items=[ItemSpec(code="A01", text="x", deduction=Decimal("-1"))])],
            "the deduction is between 0 and 100",
        ),
        (
            [CategorySpec(name="礼仪", items=[ItemSpec(code="A01", text="x", deduction=Decimal("1.234"))])],
            "two decimals at most",
        ),
        (
            [
                CategorySpec(
                    name="礼仪", items=[ItemSpec(code="A01", text="x", deduction=Decimal(1), scope="desk")]
                )
            ],
            "per hall or per clerk",
        ),
    ],
)
def test_an_invalid_checklist_is_refused_and_nothing_changes(inspector, categories, message):
    new = draft(inspector)
    before = specs_of(new)
    with pytest.raises(TemplateInvalid, match=message):
        checklists.update_template(
            actor=inspector, template=new, revision=new.revision, categories=categories
        )
    assert specs_of(new) == before
    new.refresh_from_db()
    assert new.revision == 1


def test_only_the_market_department_manages_checklists(hall_manager, branch_manager, clerk, inspector):
    new = draft(inspector)
    for user in (hall_manager, branch_manager, clerk):
        with pytest.raises(PermissionDenied):
            checklists.create_template_version(actor=user, template=new)
        with pytest.raises(PermissionDenied):
            checklists.update_template(actor=user, template=new, revision=1, categories=small_checklist())
        with pytest.raises(PermissionDenied):
            checklists.activate_template(actor=user, template=new)
    assert ChecklistTemplate.objects.count() == 2


def test_a_copy_of_an_older_version_is_numbered_after_the_newest(inspector, hall, clerk_staff):
    complete_visit(inspector, hall, clerk_staff)
    first = default_template()
    draft(inspector)
    copy = checklists.create_template_version(actor=inspector, template=first)
    assert copy.version == 3
    event = AuditEvent.objects.filter(action="mystery.template.versioned").latest("pk")
    assert event.data == {"version": 3, "from": "v1"}


def test_the_checklist_audit_labels_are_translated():
    with translation.override("zh-hans"):
        assert action_label("mystery.template.edited") == "检查表草稿已编辑"
        assert action_label("mystery.template.activated") == "检查表版本已启用"
