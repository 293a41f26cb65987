"""Builders of mystery-shop visits through the services (the seeded default checklist)."""

import datetime
import importlib
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from assessment.mystery_shop import services
from assessment.mystery_shop.models import Answer, ChecklistItem, ChecklistTemplate, Visit


def ensure_default_checklist() -> ChecklistTemplate:
    """The checklist seeded by the data migration; a transactional test's flush removes it, so
    seed it again (with the migration's own function) when it is gone."""
    template = ChecklistTemplate.objects.filter(is_active=True).first()
    if template is None:
        from django.apps import apps

        migration = importlib.import_module("assessment.migrations.0009_mystery_shop_default_checklist")
        migration.seed(apps, None)
        template = ChecklistTemplate.objects.get(is_active=True)
    return template


def default_template() -> ChecklistTemplate:
    return ensure_default_checklist()


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


def start(inspector, hall, *, mode=Visit.Mode.COVERT, when=None) -> Visit:
    ensure_default_checklist()
    when = when or (timezone.now() - datetime.timedelta(hours=1))
    return services.start_visit(actor=inspector, hall=hall, visited_at=when, mode=mode)


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
