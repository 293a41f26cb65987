"""Writes of the checklist editor (market department): new versions, editing a draft, putting a
version in force. One use case, one function, one transaction, audited in it.

A checklist's life: `create_checklist` starts a new name with a draft version 1, empty or copied
from any version of another name (names are unique without case: also a database rule).
A version's life: `create_template_version` copies any version into a new draft (the next number);
`update_template` replaces a draft's categories and items; `activate_template` puts it in force
(the version in force before it steps down). A version in force, or one any visit was judged by,
never changes again: past visits keep exactly the items they were judged by.

Several names can be in force at once (a hall checklist, a phone checklist): a visit is started
with one of the versions in force, chosen by the inspector (services.checklist_for_new_visit), so
drafts and retired versions never get new visits.

Locking: every write locks the template rows it reads (`SELECT … FOR UPDATE`). Starting a visit
locks its version in force (FOR NO KEY UPDATE) and re-checks that it is in force, so an activation
retiring it waits for the visit, or the visit sees it retired and is refused.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.mystery_shop.exceptions import (
    ChecklistNameTaken,
    TemplateFrozen,
    TemplateInvalid,
    VersionConflict,
)
from assessment.mystery_shop.models import ChecklistCategory, ChecklistItem, ChecklistTemplate, Visit
from halls.audit import record_audit
from halls.permissions import require_permission

MAX_CATEGORIES = 30
MAX_ITEMS = 150
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class ItemSpec:
    code: str
    text: str
    deduction: Decimal
    scope: str = ChecklistItem.Scope.CLERK
    guidance: str = ""
    photo_required: bool = False
    is_veto: bool = False


@dataclass(frozen=True)
class CategorySpec:
    name: str
    items: list[ItemSpec] = field(default_factory=list)


def _item_spec(item: ChecklistItem) -> ItemSpec:
    return ItemSpec(
        code=item.code,
        text=item.text,
        deduction=item.deduction,
        scope=item.scope,
        guidance=item.guidance,
        photo_required=item.photo_required,
        is_veto=item.is_veto,
    )


def checklist_specs(template: ChecklistTemplate) -> list[CategorySpec]:
    """A version's categories and items as specs, in order: from the categories and items the
    caller prefetched (selectors.template_detail), else in two queries."""
    if "categories" in getattr(template, "_prefetched_objects_cache", {}):
        return [
            CategorySpec(name=c.name, items=[_item_spec(item) for item in c.items.all()])
            for c in template.categories.all()
        ]
    categories = {c.pk: CategorySpec(name=c.name) for c in template.categories.order_by("position")}
    for item in template.items.order_by("position"):
        categories[item.category_id].items.append(_item_spec(item))
    return list(categories.values())


def _deduction(value) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number.as_tuple().exponent < -2 or not 0 <= number <= HUNDRED:
        return None
    return number


def validate_checklist(categories: list[CategorySpec]) -> None:
    """Refuses (TemplateInvalid) a checklist without categories or with too many rows, a category
    without a name or with another's name, an item without a code or text, two items with one
    code, a deduction outside 0…100 points (two decimals at most), an unknown scope. The editor's
    forms make the same checks beside the fields; this is the rule for every caller."""
    if not categories:
        raise TemplateInvalid(_("A checklist needs at least one category."))
    if len(categories) > MAX_CATEGORIES:
        raise TemplateInvalid(_("A checklist has at most %(n)s categories.") % {"n": MAX_CATEGORIES})
    if sum(len(c.items) for c in categories) > MAX_ITEMS:
        raise TemplateInvalid(_("A checklist has at most %(n)s items.") % {"n": MAX_ITEMS})
    names, codes = set(), set()
    for category in categories:
        name = category.name.strip()
        if not name or len(name) > 120:
            raise TemplateInvalid(_("Every category needs a name of at most 120 characters."))
        if name.casefold() in names:
            raise TemplateInvalid(
                _("Two categories are named “%(name)s”; names must differ.") % {"name": name}
            )
        names.add(name.casefold())
        for item in category.items:
            code = item.code.strip()
            if not code or len(code) > 20 or any(ch.isspace() for ch in code):
                raise TemplateInvalid(_("Every item needs a code of at most 20 characters, without spaces."))
            if code.casefold() in codes:
                raise TemplateInvalid(
                    _("Two items have the code %(code)s; codes must differ.") % {"code": code}
                )
            codes.add(code.casefold())
            label = {"code": code}
            if not item.text.strip() or len(item.text.strip()) > 300:
                raise TemplateInvalid(_("Item %(code)s needs a text of at most 300 characters.") % label)
            if len(item.guidance.strip()) > 500:
                raise TemplateInvalid(_("Item %(code)s: the guidance has at most 500 characters.") % label)
            if _deduction(item.deduction) is None:
                raise TemplateInvalid(
                    _("Item %(code)s: the deduction is between 0 and 100 points, two decimals at most.")
                    % label
                )
            if item.scope not in ChecklistItem.Scope.values:
                raise TemplateInvalid(_("Item %(code)s: judge it per hall or per clerk.") % label)


def activation_problems(template: ChecklistTemplate, specs: list[CategorySpec] | None = None) -> list[str]:
    """Why `template` cannot be put in force as it stands (empty: it can): no item at all, or a
    category without items (inspectors would meet an empty heading)."""
    specs = checklist_specs(template) if specs is None else specs
    problems = []
    if not any(c.items for c in specs):
        problems.append(_("The checklist has no items."))
    for category in specs:
        if not category.items and any(c.items for c in specs):
            problems.append(
                _("Category “%(name)s” has no items: add items to it or remove it.") % {"name": category.name}
            )
    return problems


def is_template_frozen(template: ChecklistTemplate) -> bool:
    """Was any visit (whatever its status) judged by this version? Then it never changes again."""
    return Visit.objects.filter(template=template).exists()


def edit_refusal(template: ChecklistTemplate, *, used: bool | None = None) -> str | None:
    """Why this version cannot be edited, in words (None: it is a draft and can be). `used` is
    whether a visit used it, when the caller already knows (an annotated count)."""
    if used if used is not None else is_template_frozen(template):
        return _(
            "Inspections were judged by this version, so it can no longer change: past results keep "
            "the items they were judged by. Create a new version from it instead."
        )
    if template.is_active:
        return _(
            "This version is in force: new inspections use it, so it is not edited in place. "
            "Create a new version from it, edit that draft and put it in force."
        )
    return None


def lock_template(template: ChecklistTemplate, revision: int | None) -> ChecklistTemplate:
    """The version, locked; refuses a stale `revision` (None: no check)."""
    locked = ChecklistTemplate.objects.select_for_update().get(pk=template.pk)
    if revision is not None and locked.revision != revision:
        raise VersionConflict(
            _(
                "This checklist version was changed by someone else since you opened it. Nothing was "
                "saved; the page now shows it as it is."
            )
        )
    return locked


def _write_checklist(template: ChecklistTemplate, categories: list[CategorySpec]) -> None:
    """Create the categories and items in order (positions 1…n; items numbered through the whole
    checklist, category by category) in two INSERTs."""
    created = ChecklistCategory.objects.bulk_create(
        [
            ChecklistCategory(template=template, name=c.name.strip(), position=n)
            for n, c in enumerate(categories, start=1)
        ]
    )
    items, position = [], 0
    for category, spec in zip(created, categories, strict=True):
        for item in spec.items:
            position += 1
            items.append(
                ChecklistItem(
                    template=template,
                    category=category,
                    code=item.code.strip(),
                    text=item.text.strip(),
                    guidance=item.guidance.strip(),
                    position=position,
                    deduction=Decimal(str(item.deduction)),
                    scope=item.scope,
                    photo_required=item.photo_required,
                    is_veto=item.is_veto,
                )
            )
    ChecklistItem.objects.bulk_create(items)


NAME_MAX_LENGTH = ChecklistTemplate._meta.get_field("name").max_length


def _name_taken() -> ChecklistNameTaken:
    return ChecklistNameTaken(
        _("A checklist with this name already exists (names are compared without case).")
    )


@transaction.atomic(durable=True)
def create_checklist(*, actor, name: str, source: ChecklistTemplate | None = None) -> ChecklistTemplate:
    """Start a new checklist: a draft version 1 named `name` (trimmed), empty or with the
    categories and items of `source` (any version of another name; it and the visits judged by it
    stay as they are). The draft is then edited and put in force like any other. Refuses a blank
    or too long name (TemplateInvalid on `name`) and a name another checklist has, compared
    without case (ChecklistNameTaken) — also when a concurrent creation wins the race (the
    database's unique (lower(name), version) index and its one-spelling trigger). `source` is
    locked (FOR NO KEY UPDATE) so an edit of it meanwhile waits and the copy is one state of it."""
    require_permission(actor, "mystery.manage_templates")
    name = name.strip()
    if not name:
        raise TemplateInvalid(_("Name the checklist."), field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise TemplateInvalid(
            _("A checklist name has at most %(n)s characters.") % {"n": NAME_MAX_LENGTH}, field="name"
        )
    # lower() in the database, as the unique index compares (Python's lower() differs for a few
    # characters).
    if ChecklistTemplate.objects.alias(key=Lower("name")).filter(key=Lower(Value(name))).exists():
        raise _name_taken()
    if source is not None:
        source = ChecklistTemplate.objects.select_for_update(no_key=True).get(pk=source.pk)
    try:
        with transaction.atomic():
            new = ChecklistTemplate.objects.create(name=name, version=1, is_active=False)
    except IntegrityError as exc:  # a concurrent creation of the same name, in any spelling
        raise _name_taken() from exc
    specs = checklist_specs(source) if source is not None else []
    _write_checklist(new, specs)
    data = {
        "name": new.name,
        "version": new.version,
        "categories": len(specs),
        "items": sum(len(c.items) for c in specs),
    }
    if source is not None:
        data["from"] = f"{source.name} v{source.version}"
    record_audit(actor=actor, action="mystery.template.created", subject=new, data=data)
    return new


@transaction.atomic(durable=True)
def create_template_version(*, actor, template: ChecklistTemplate) -> ChecklistTemplate:
    """Copy a version (any one, in force or not) into a new draft numbered after the newest
    version of its name; the copied version and every visit judged by it stay as they are. The
    versions of the name are locked, so two copies at once get two numbers."""
    require_permission(actor, "mystery.manage_templates")
    versions = list(
        ChecklistTemplate.objects.select_for_update().filter(name=template.name).order_by("version")
    )
    source = next(t for t in versions if t.pk == template.pk)
    new = ChecklistTemplate.objects.create(
        name=source.name, version=versions[-1].version + 1, is_active=False
    )
    _write_checklist(new, checklist_specs(source))
    record_audit(
        actor=actor,
        action="mystery.template.versioned",
        subject=new,
        data={"version": new.version, "from": f"v{source.version}"},
    )
    return new


@transaction.atomic(durable=True)
def update_template(
    *, actor, template: ChecklistTemplate, revision: int, categories: list[CategorySpec]
) -> ChecklistTemplate:
    """Replace a draft's categories and items with `categories` (in order). Refuses a stale
    `revision` (VersionConflict), a version in force or used by a visit (TemplateFrozen) and an
    invalid checklist (TemplateInvalid, see validate_checklist). The items are new rows: no
    answer can point to a draft's items."""
    require_permission(actor, "mystery.manage_templates")
    template = lock_template(template, revision)
    refusal = edit_refusal(template)
    if refusal:
        raise TemplateFrozen(refusal)
    validate_checklist(categories)
    before = set(template.items.values_list("code", flat=True))
    after = {item.code.strip() for c in categories for item in c.items}
    ChecklistItem.objects.filter(template=template).delete()
    ChecklistCategory.objects.filter(template=template).delete()
    _write_checklist(template, categories)
    template.revision += 1
    template.save(update_fields=["revision", "updated_at"])
    record_audit(
        actor=actor,
        action="mystery.template.edited",
        subject=template,
        data={
            "version": template.version,
            "categories": len(categories),
            "items": len(after),
            "added": ", ".join(sorted(after - before)),
            "removed": ", ".join(sorted(before - after)),
        },
    )
    return template


@transaction.atomic(durable=True)
def activate_template(
    *, actor, template: ChecklistTemplate, revision: int | None = None
) -> ChecklistTemplate:
    """Put a version in force: new visits can be started with it and the version of its name in
    force before it steps down (one in force per name, also a database constraint). Refuses a stale `revision`
    (VersionConflict: the confirmation page showed another state), a version already in force and
    one with no items or an empty category (TemplateInvalid). Visits already started keep theirs."""
    require_permission(actor, "mystery.manage_templates")
    # Every version of the name, locked in one order: two activations of one name run one at a time.
    versions = list(ChecklistTemplate.objects.select_for_update().filter(name=template.name).order_by("pk"))
    locked = next(t for t in versions if t.pk == template.pk)
    if revision is not None and locked.revision != revision:
        raise VersionConflict(
            _(
                "This checklist version was changed by someone else since you opened it. Nothing was "
                "saved; the page now shows it as it is."
            )
        )
    if locked.is_active:
        raise TemplateInvalid(_("This version is already in force."))
    problems = activation_problems(locked)
    if problems:
        raise TemplateInvalid(" ".join(problems))
    previous = [t for t in versions if t.is_active]
    for old in previous:
        old.is_active = False
        old.revision += 1
        old.save(update_fields=["is_active", "revision", "updated_at"])
    locked.is_active = True
    locked.first_in_force_at = locked.first_in_force_at or timezone.now()
    locked.revision += 1
    locked.save(update_fields=["is_active", "first_in_force_at", "revision", "updated_at"])
    record_audit(
        actor=actor,
        action="mystery.template.activated",
        subject=locked,
        data={"version": locked.version, "superseded": ", ".join(f"v{t.version}" for t in previous)},
    )
    return locked
