"""Builders of mystery-shop visits through the services (the seeded default checklist)."""

import datetime
import importlib
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from assessment.mystery_shop import services
from assessment.mystery_shop.models import Answer, ChecklistItem, ChecklistTemplate, Visit

DEFAULT_CHECKLIST = importlib.import_module("assessment.migrations.0009_mystery_shop_default_checklist")


def ensure_default_checklist() -> ChecklistTemplate:
    """The version in force of the checklist seeded by the data migration; a transactional test's
    flush removes it, so seed it again (with the migration's own function) when it is gone."""
    template = ChecklistTemplate.objects.in_force().filter(name=DEFAULT_CHECKLIST.NAME).first()
    if template is None:
        from django.apps import apps

        DEFAULT_CHECKLIST.seed(apps, None)
        template = ChecklistTemplate.objects.in_force().get(name=DEFAULT_CHECKLIST.NAME)
    return template


def default_template() -> ChecklistTemplate:
    return ensure_default_checklist()


def phone_checklist(inspector, *, name="电话及网上营业厅暗访检查表") -> ChecklistTemplate:
    """A second checklist name put in force beside the default one (through the editor's
    services): one hall item and one clerk item."""
    from assessment.mystery_shop import checklist_services as checklists

    ensure_default_checklist()
    template = ChecklistTemplate.objects.create(name=name, version=1)
    checklists.update_template(
        actor=inspector,
        template=template,
        revision=template.revision,
        categories=[
            checklists.CategorySpec(
                name="接通与应答",
                items=[
                    checklists.ItemSpec(code="P01", text="三声内接听", deduction=Decimal("5"), scope="hall"),
                    checklists.ItemSpec(code="P02", text="使用规范用语", deduction=Decimal("3")),
                ],
            )
        ],
    )
    return checklists.activate_template(actor=inspector, template=template)


def jpeg_upload(name="photo.jpg", size=(1800, 600), exif_gps=True) -> SimpleUploadedFile:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    kwargs = {}
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}  # GPSInfo
        kwargs["exif"] = exif
    image.save(out, format="JPEG", **kwargs)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def start(inspector, hall, *, mode=Visit.Mode.COVERT, when=None, template=None) -> Visit:
    """A draft visit judged by `template` (default: the default checklist's version in force)."""
    template = template or ensure_default_checklist()
    when = when or (timezone.now() - datetime.timedelta(hours=1))
    return services.start_visit(actor=inspector, hall=hall, visited_at=when, mode=mode, template=template)


def answer_all(inspector, visit: Visit, *, fail_codes=(), photo_for_failures=True) -> None:
    """Answer every required item: pass, or fail for `fail_codes` (with a photo where required)."""
    clerks = list(visit.clerks.all())
    for item in visit.template.items.order_by("position"):
        targets = [None] if item.scope == ChecklistItem.Scope.HALL else clerks
        for clerk in targets:
            failed = item.code in fail_codes
            existing = Answer.objects.filter(visit=visit, item=item, clerk=clerk).first()
            services.save_answer(
                actor=inspector,
                visit=visit,
                item=item,
                clerk=clerk,
                result=Answer.Result.FAIL if failed else Answer.Result.PASS,
                version=existing.version if existing else 0,
                photo=jpeg_upload() if failed and item.photo_required and photo_for_failures else None,
            )


def complete_visit(
    inspector, hall, clerk_staff, *, fail_codes=("A01", "D01"), mode=Visit.Mode.COVERT, when=None
):
    """A submitted visit of `hall` observing `clerk_staff`."""
    visit = start(inspector, hall, mode=mode, when=when)
    services.add_clerk(actor=inspector, visit=visit, employee_no=clerk_staff.employee_no)
    answer_all(inspector, visit, fail_codes=fail_codes)
    visit.refresh_from_db()
    return services.submit_visit(actor=inspector, visit=visit, version=visit.version)


def published_visit(inspector, hall, clerk_staff, **kwargs) -> Visit:
    visit = complete_visit(inspector, hall, clerk_staff, **kwargs)
    return services.publish_visit(actor=inspector, visit=visit, version=visit.version)
