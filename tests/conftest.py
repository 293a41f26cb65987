"""The cast for access tests (healthchecks' Alice/Bob/Charlie, in hall terms):

- `branch_manager` manages the branch that holds `hall` and `other_hall`;
- `hall_manager` manages `hall`; `clerk` works in `hall`;
- `other_hall_manager` manages `other_hall` (same branch, other county);
- `inspector` is the market department of the branch;
- `hr_client` is an HR system with a token for the branch;
- `foreign_hall` belongs to another branch that nobody in the cast sees.
"""

import os
from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from halls.models import Role
from tests.halls.factories import (
    BranchFactory,
    CountyFactory,
    HallFactory,
    MembershipFactory,
    UserFactory,
    make_api_client,
)
from tests.staffing.factories import StaffFactory

os.environ.setdefault(
    "DJANGO_ALLOW_ASYNC_UNSAFE", "true"
)  # Playwright's sync API runs a loop in the test thread


@pytest.fixture
def branch(db):
    return BranchFactory(code="BR01", name="城区分公司")


@pytest.fixture
def county(branch):
    return CountyFactory(code="CT01", name="东区", parent=branch)


@pytest.fixture
def other_county(branch):
    return CountyFactory(code="CT02", name="西区", parent=branch)


@pytest.fixture
def hall(county):
    return HallFactory(code="H001", name="人民路营业厅", hall_class="A", region=county)


@pytest.fixture
def other_hall(other_county):
    return HallFactory(code="H002", name="解放路营业厅", region=other_county)


@pytest.fixture
def foreign_hall(db):
    return HallFactory(
        code="H900", name="外地营业厅", region=CountyFactory(code="CT90", parent=BranchFactory(code="BR90"))
    )


@pytest.fixture
def branch_manager(branch):
    user = UserFactory(username="branch-manager")
    MembershipFactory(user=user, role=Role.BRANCH_MANAGER, region=branch)
    return user


@pytest.fixture
def inspector(branch):
    user = UserFactory(username="inspector")
    MembershipFactory(user=user, role=Role.INSPECTOR, region=branch)
    return user


@pytest.fixture
def hall_manager(hall):
    user = UserFactory(username="hall-manager")
    MembershipFactory(user=user, role=Role.HALL_MANAGER, hall=hall)
    StaffFactory(hall=hall, post="hall_manager", user=user, name="王经理", employee_no="M0001")
    return user


@pytest.fixture
def other_hall_manager(other_hall):
    user = UserFactory(username="other-hall-manager")
    MembershipFactory(user=user, role=Role.HALL_MANAGER, hall=other_hall)
    return user


@pytest.fixture
def clerk_staff(hall):
    user = UserFactory(username="clerk")
    return StaffFactory(hall=hall, user=user, name="李营业员", employee_no="C0001")


@pytest.fixture
def clerk(clerk_staff):
    return clerk_staff.user


@pytest.fixture
def hr_client(branch):
    client, raw = make_api_client(regions=[branch], name="hr-system")
    client.raw_token = raw
    return client


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_superuser=True, is_staff=True)


@pytest.fixture
def cast(
    branch_manager,
    inspector,
    hall_manager,
    other_hall_manager,
    clerk,
    hr_client,
    hall,
    other_hall,
    foreign_hall,
):
    return SimpleNamespace(
        branch_manager=branch_manager,
        inspector=inspector,
        hall_manager=hall_manager,
        other_hall_manager=other_hall_manager,
        clerk=clerk,
        hr_client=hr_client,
        hall=hall,
        other_hall=other_hall,
        foreign_hall=foreign_hall,
    )


@pytest.fixture
def api():
    """A DRF test client; `api.as_user(user)` logs in by session, `api.as_token(raw)` by token."""
    client = APIClient()

    def as_user(user):
        client.force_authenticate(user=None)
        client.credentials()
        client.force_login(user)
        return client

    def as_token(raw):
        client.logout()
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        return client

    client.as_user = as_user
    client.as_token = as_token
    return client


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Playwright drives Debian's Chromium (scripts/install-chromium); it never downloads a browser."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


# Data the migrations seed (default assessment schemes and star-level policy, the default
# mystery-shop checklist, SLA policies): a transactional test ends with a flush that removes it,
# so every transactional test first puts back whatever is missing, with the migrations' own code.
MIGRATION_SEEDS = (
    ("assessment", "AssessmentScheme", "assessment.migrations.0002_default_schemes", "seed"),
    (
        "assessment",
        "AssessmentScheme",
        "assessment.migrations.0006_default_schemes_with_complaints_and_training",
        "add_versions",
    ),
    ("assessment", "ChecklistTemplate", "assessment.migrations.0009_mystery_shop_default_checklist", "seed"),
    ("complaints", "SlaPolicy", "complaints.migrations.0002_seed_sla_policies", "seed"),
)


def reseed_migration_data() -> None:
    import importlib

    from django.apps import apps
    from django.db import transaction

    missing = {
        (app, model)
        for app, model, _, _ in MIGRATION_SEEDS
        if not apps.get_model(app, model).objects.exists()
    }
    with transaction.atomic():
        for app, model, module, function in MIGRATION_SEEDS:
            if (app, model) in missing:
                getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture(autouse=True)
def _migration_data_after_flushes(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        reseed_migration_data()
