"""Checklist versions: copying, editing a draft, putting a version in force; new checklists (a new
name, empty or copied), whose names are unique without case, in the database too. Past visits keep
the items they were judged by; a version in force or used by a visit never changes; stale edits and
empty checklists are refused; every change is audited."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from assessment.mystery_shop import checklist_services as checklists
from assessment.mystery_shop import services
from assessment.mystery_shop.checklist_services import CategorySpec, ItemSpec
from assessment.mystery_shop.exceptions import (
    ChecklistNameTaken,
    TemplateFrozen,
    TemplateInvalid,
    VersionConflict,
)
from assessment.mystery_shop.models import Answer, ChecklistItem, ChecklistTemplate
from halls.audit import action_label, data_label
from halls.models import AuditEvent
from tests.assessment.mystery_shop.factories import complete_visit, default_template, published_visit, start
from tests.concurrency import row_committed_while_blocked

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


# --- a new checklist (a new name) -----------------------------------------------------------------

PHONE = "Phone and online checklist"


def created_audit_rows():
    return list(AuditEvent.objects.filter(action="mystery.template.created").order_by("pk"))


def test_a_new_checklist_starts_as_an_empty_draft_version_1_under_the_trimmed_name_and_is_audited(inspector):
    new = checklists.create_checklist(actor=inspector, name="  B类合作营业厅检查表 ")
    new.refresh_from_db()
    assert (new.name, new.version, new.is_active, new.revision) == ("B类合作营业厅检查表", 1, False, 1)
    assert (new.categories.count(), new.items.count()) == (0, 0)
    assert checklists.edit_refusal(new) is None  # a draft: the editor takes it
    [event] = created_audit_rows()
    assert (event.actor, event.subject_id, event.hall) == (inspector, str(new.pk), None)
    assert event.data == {"name": "B类合作营业厅检查表", "version": 1, "categories": 0, "items": 0}
    assert list(ChecklistTemplate.objects.in_force()) == [default_template()]  # nothing else changed


def test_a_new_checklist_copied_from_a_version_of_another_name_leaves_the_source_untouched(
    inspector, hall, clerk_staff
):
    published_visit(inspector, hall, clerk_staff, fail_codes=("A01",))
    source = default_template()
    source_rows = list(source.items.order_by("position").values_list("pk", "code", "text", "category__name"))
    source_state = (source.revision, source.is_active, source.updated_at)

    copy = checklists.create_checklist(actor=inspector, name=PHONE, source=source)

    assert (copy.name, copy.version, copy.is_active) == (PHONE, 1, False)
    assert specs_of(copy) == specs_of(source)
    assert len(specs_of(copy)) == 4 and sum(len(c.items) for c in specs_of(copy)) == 15
    assert not set(copy.items.values_list("pk", flat=True)) & {pk for pk, *_rest in source_rows}
    assert not set(copy.categories.values_list("pk", flat=True)) & set(
        source.categories.values_list("pk", flat=True)
    )
    source.refresh_from_db()
    assert (source.revision, source.is_active, source.updated_at) == source_state
    assert list(source.items.order_by("position").values_list("pk", "code", "text", "category__name")) == (
        source_rows
    )
    [event] = created_audit_rows()
    assert event.data == {
        "name": PHONE,
        "version": 1,
        "categories": 4,
        "items": 15,
        "from": f"{source.name} v1",
    }
    # The copy is a draft of its own name: a new version of it is numbered in that name.
    assert checklists.create_template_version(actor=inspector, template=copy).version == 2
    assert ChecklistTemplate.objects.filter(name=source.name).count() == 1


@pytest.mark.parametrize("taken", [PHONE, PHONE.upper(), "phone AND online CHECKLIST", f" {PHONE.lower()} "])
def test_a_name_another_checklist_has_is_refused_whatever_its_case_and_nothing_is_saved(inspector, taken):
    checklists.create_checklist(actor=inspector, name=PHONE)
    before = ChecklistTemplate.objects.count()
    with pytest.raises(ChecklistNameTaken) as refused:
        checklists.create_checklist(actor=inspector, name=taken, source=default_template())
    assert refused.value.field == "name"
    assert "already exists" in refused.value.message
    assert ChecklistTemplate.objects.count() == before
    assert len(created_audit_rows()) == 1


def test_the_default_checklists_name_is_taken_too(inspector):
    with pytest.raises(ChecklistNameTaken):
        checklists.create_checklist(actor=inspector, name=default_template().name)
    assert ChecklistTemplate.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "Name the checklist."), (" \t ", "Name the checklist."), ("检" * 121, "at most 120")],
)
def test_a_blank_or_too_long_name_is_refused_beside_the_name(inspector, name, message):
    with pytest.raises(TemplateInvalid, match=message) as refused:
        checklists.create_checklist(actor=inspector, name=name)
    assert refused.value.field == "name"
    assert ChecklistTemplate.objects.count() == 1 and not created_audit_rows()


def test_an_empty_new_checklist_cannot_be_put_in_force_until_it_has_items(inspector):
    new = checklists.create_checklist(actor=inspector, name=PHONE)
    with pytest.raises(TemplateInvalid, match="The checklist has no items"):
        checklists.activate_template(actor=inspector, template=new, revision=new.revision)
    new.refresh_from_db()
    assert not new.is_active
    assert not AuditEvent.objects.filter(action="mystery.template.activated").exists()

    checklists.update_template(
        actor=inspector,
        template=new,
        revision=new.revision,
        categories=[
            CategorySpec(
                name="接通与应答",
                items=[ItemSpec(code="P01", text="三声内接听", deduction=Decimal(5), scope="hall")],
            )
        ],
    )
    new.refresh_from_db()
    checklists.activate_template(actor=inspector, template=new, revision=new.revision)
    # Both names are in force: an inspector starting a visit chooses between them.
    assert list(ChecklistTemplate.objects.in_force().values_list("name", flat=True)) == sorted(
        [PHONE, default_template().name]
    )


def test_only_the_market_department_creates_checklists(hall_manager, branch_manager, clerk):
    for user in (hall_manager, branch_manager, clerk):
        with pytest.raises(PermissionDenied):
            checklists.create_checklist(actor=user, name=PHONE)
    assert ChecklistTemplate.objects.count() == 1 and not created_audit_rows()


def test_the_database_keeps_one_spelling_per_checklist_name_and_names_trimmed(inspector):
    """Whatever writes the rows: the unique (lower(name), version) index, the one-spelling trigger
    (at another version too, and on a rename) and the trimmed-name check."""
    phone = checklists.create_checklist(actor=inspector, name=PHONE)
    refused = [
        {"name": PHONE.upper(), "version": 1},  # the unique index
        {"name": PHONE.lower(), "version": 7},  # the trigger
        {"name": " 电话检查表", "version": 1},  # the check: trimmed
        {"name": "", "version": 1},  # the check: not blank
    ]
    for fields in refused:
        with pytest.raises(IntegrityError), transaction.atomic():
            ChecklistTemplate.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        ChecklistTemplate.objects.filter(pk=default_template().pk).update(name=PHONE.swapcase())
    # The same spelling at a new version, and renaming a name's only row to another case, are fine.
    ChecklistTemplate.objects.create(name=PHONE, version=2)
    ChecklistTemplate.objects.filter(pk=default_template().pk).update(name="Hall checklist")
    ChecklistTemplate.objects.filter(name="Hall checklist").update(name="HALL CHECKLIST")
    assert sorted(ChecklistTemplate.objects.values_list("name", "version")) == [
        ("HALL CHECKLIST", 1),
        (PHONE, 1),
        (PHONE, 2),
    ]
    assert phone.pk


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("version", [1, 4])
def test_a_creation_racing_another_spelling_of_the_name_waits_and_is_refused(inspector, version):
    """Another connection writes the name in another spelling and commits only once this creation
    waits behind it: at version 1 the unique index makes it wait, at another version the trigger's
    lock on the lowered name does. Either way it is refused as a taken name, not a server error."""

    def other_spelling():
        ChecklistTemplate.objects.create(name=PHONE.upper(), version=version)

    with row_committed_while_blocked(other_spelling), pytest.raises(ChecklistNameTaken):
        checklists.create_checklist(actor=inspector, name=PHONE)
    assert list(ChecklistTemplate.objects.filter(name__iexact=PHONE).values_list("name", flat=True)) == [
        PHONE.upper()
    ]
    assert not created_audit_rows()


def test_the_new_checklist_audit_label_is_translated():
    with translation.override("zh-hans"):
        assert action_label("mystery.template.created") == "检查表已新建"
        assert data_label("from", "mystery.template.created") == "来源检查表"
