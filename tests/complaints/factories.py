import datetime

import factory
from django.utils import timezone

from complaints.masking import phone_hash
from complaints.models import Channel, Complaint, Severity, SlaState, Status
from tests.halls.factories import HallFactory, UserFactory


class ComplaintFactory(factory.django.DjangoModelFactory):
    """A received complaint written straight to the table (tests of reads); workflow tests go
    through complaints.services."""

    class Meta:
        model = Complaint
        skip_postgeneration_save = True

    number = factory.Sequence(lambda n: f"TS202611-{n + 900000:06d}")
    channel = Channel.HOTLINE
    received_at = factory.LazyFunction(timezone.now)
    customer_name = "张三丰"
    customer_phone = factory.Sequence(lambda n: f"139{n:08d}")
    phone_hash = factory.LazyAttribute(lambda c: phone_hash(c.customer_phone))
    hall = factory.SubFactory(HallFactory)
    category = "billing"
    severity = Severity.NORMAL
    status = Status.RECEIVED
    subject = "话费多扣"
    first_receiver = factory.SubFactory(UserFactory)
    sla_hours = 72
    due_at = factory.LazyAttribute(lambda c: c.received_at + datetime.timedelta(hours=c.sla_hours))
    sla_state = SlaState.ON_TRACK

    @factory.post_generation
    def clerks(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.clerks.set(extracted)


def tiny_png() -> bytes:
    """A real 2×2 PNG (attachments are parsed by Pillow, so a bare header is refused)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()
