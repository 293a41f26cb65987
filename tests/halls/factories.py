import factory
from django.contrib.auth import get_user_model

from halls.models import ApiClient, Hall, Membership, Notification, Region, Role, hash_token


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    code = factory.Sequence(lambda n: f"BR{n:03d}")
    name = factory.Sequence(lambda n: f"Branch {n}")
    kind = Region.Kind.BRANCH
    parent = None
    path = factory.LazyAttribute(lambda r: f"/{r.code}/")


class CountyFactory(BranchFactory):
    code = factory.Sequence(lambda n: f"CT{n:03d}")
    name = factory.Sequence(lambda n: f"County {n}")
    kind = Region.Kind.COUNTY
    parent = factory.SubFactory(BranchFactory)
    path = factory.LazyAttribute(lambda r: f"{r.parent.path}{r.code}/")


class HallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hall

    code = factory.Sequence(lambda n: f"H{n:04d}")
    name = factory.Sequence(lambda n: f"Hall {n}")
    hall_class = Hall.HallClass.B
    operation = Hall.Operation.SELF
    region = factory.SubFactory(CountyFactory)
    window_count = 4
    min_staff_offpeak = factory.LazyAttribute(lambda h: 3 if h.hall_class == "A" else 2)
    min_staff_peak = factory.LazyAttribute(lambda h: 4 if h.hall_class == "A" else 3)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.HALL_MANAGER
    hall = None
    region = None


def make_api_client(*, regions, can_write=False, name=None) -> tuple[ApiClient, str]:
    """An HR API client for `regions`; returns it with its raw token."""
    user = UserFactory(username=f"api-{name or ApiClient.objects.count()}")
    raw = ApiClient.new_token()
    client = ApiClient.objects.create(
        name=name or user.username,
        user=user,
        token_prefix=raw[:8],
        token_hash=hash_token(raw),
        can_write=can_write,
    )
    client.regions.set(regions)
    return client, raw


class NotificationFactory(factory.django.DjangoModelFactory):
    """A notification as halls.notifications.notify writes it (tests of the pages use this)."""

    class Meta:
        model = Notification

    kind = "tests.notice"
    recipient = factory.SubFactory(UserFactory)
    subject = factory.Sequence(lambda n: f"Notice {n}")
    body = "正文"
    url = "/"
    dedup_key = factory.Sequence(lambda n: f"tests.notice:{n}")
