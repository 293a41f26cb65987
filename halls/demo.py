"""Deterministic demo data for `manage.py seed_demo`, built by steps that apps register.

A seeding step is a callable ``step(rng, scale, context) -> None``:

- ``rng`` is a ``random.Random`` private to the step, seeded from ``--seed`` and the step's
  dotted name, so the same seed always gives the same rows and adding a step to one app
  never changes what the other steps generate;
- ``scale`` is the ``Scale`` being seeded (``small`` or ``province``) with its sizes;
- ``context`` is the ``DemoContext`` shared by all steps: the fixed reference date
  (``context.today``; steps never read the clock), the demo password, what earlier steps
  made (``branches``, ``counties``, ``halls`` in code order, ``users`` by username) and a
  free ``extra`` dict for anything a later step needs.

An app contributes by putting its steps in ``<app>/demo.py`` and decorating them with
``@register``. ``run_seed`` imports the ``demo`` module of every project app in
INSTALLED_APPS order, which is the import direction (halls ← staffing ← assessment ←
complaints, training), so a step always runs after the steps of the apps it builds on.
Registering from ``AppConfig.ready()`` works the same way. Steps write in bulk
(``bulk_create`` in batches, or ``copy_rows`` with ids from ``reserve_ids`` for volume):
pghistory's triggers record those inserts like any other.
"""

import hashlib
import random
import time
from base64 import urlsafe_b64encode
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from datetime import time as clock
from importlib import import_module
from pathlib import Path
from typing import Any

import pghistory
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils.module_loading import module_has_submodule

from halls.models import CLASS_MINIMUM_STAFF, Hall, Membership, OpeningHours, Region, Role
from halls.services import create_api_client, create_region

DEMO_PASSWORD = "hallops-demo"
# Every demo date derives from this day, so a seed gives the same rows whenever it runs.
REFERENCE_DATE = date(2026, 11, 2)
HR_CLIENT_NAME = "hr-demo"
BATCH_SIZE = 2000


@dataclass(frozen=True)
class Scale:
    name: str
    branches: int
    counties_per_branch: tuple[int, int]
    halls: int
    self_operated: int
    staff: int


SCALES = {
    # One branch as in the source documents: four county offices, 6 self-operated and
    # 12 partner-operated halls, about 150 people.
    "small": Scale("small", branches=1, counties_per_branch=(4, 4), halls=18, self_operated=6, staff=150),
    "province": Scale(
        "province", branches=14, counties_per_branch=(4, 6), halls=2000, self_operated=180, staff=20000
    ),
}


@dataclass
class DemoContext:
    seed: int
    scale: Scale
    today: date = REFERENCE_DATE
    password: str = DEMO_PASSWORD
    log: Callable[[str], None] = print
    branches: list[Region] = field(default_factory=list)
    counties: list[Region] = field(default_factory=list)
    halls: list[Hall] = field(default_factory=list)
    users: dict[str, Any] = field(default_factory=dict)
    hr_token: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


SeedStep = Callable[[random.Random, Scale, DemoContext], None]
SEED_STEPS: list[SeedStep] = []


def register(step: SeedStep) -> SeedStep:
    """Add a seeding step (once, however often its module is imported)."""
    name = _step_name(step)
    if all(_step_name(s) != name for s in SEED_STEPS):
        SEED_STEPS.append(step)
    return step


def _step_name(step: SeedStep) -> str:
    return f"{step.__module__}.{step.__qualname__}"


def discover_steps() -> list[SeedStep]:
    """Import `<app>.demo` for every project app (those under BASE_DIR) and return the steps in
    INSTALLED_APPS order, then registration order within an app. Sorted rather than taken in
    import order: a module imported early (by a test, a shell) must not run before the steps of
    the apps it builds on."""
    base = Path(settings.BASE_DIR).resolve()
    order: dict[str, int] = {}
    for index, config in enumerate(apps.get_app_configs()):
        order[config.name] = index
        if base in Path(config.path).resolve().parents and module_has_submodule(config.module, "demo"):
            import_module(f"{config.name}.demo")

    def app_index(step: SeedStep) -> int:
        # The app whose package holds the step's module (assessment.mystery_shop.demo belongs to
        # assessment): the longest app name the module starts with.
        owners = [name for name in order if step.__module__.startswith(name + ".")]
        return order[max(owners, key=len)] if owners else len(order)

    return sorted(SEED_STEPS, key=app_index)  # stable: registration order within an app


def hr_demo_token(seed: int) -> str:
    """The demo HR client's token: the same for the same seed, shaped like ApiClient.new_token()."""
    digest = hashlib.sha256(f"hallops-demo-hr-token:{seed}".encode()).digest()
    return "hop_" + urlsafe_b64encode(digest).decode().rstrip("=")


def run_seed(
    *, scale: str, seed: int, today: date = REFERENCE_DATE, log: Callable[[str], None] = print
) -> DemoContext:
    """Seed the demo data of `scale` from `seed`: every registered step, in one transaction.

    Deterministic: one seed gives the same rows (apart from ids and created/updated stamps).
    Expects a database without halls; the command checks that before calling."""
    context = DemoContext(seed=seed, scale=SCALES[scale], today=today, log=log)
    steps = discover_steps()
    with transaction.atomic(), pghistory.context(command="seed_demo", scale=scale, seed=seed):
        for step in steps:
            started = time.perf_counter()
            step(random.Random(f"{seed}/{_step_name(step)}"), context.scale, context)
            context.timings[_step_name(step)] = time.perf_counter() - started
    return context


def reserve_ids(model, count: int) -> list[int]:
    """Take `count` ids from the model's sequence, so rows loaded by COPY can be referenced."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(model, fields: list[str], rows: Iterable[tuple]) -> None:
    """Load rows with COPY (psycopg 3): the fast path at province scale.

    Row triggers fire as for INSERTs, so pghistory records every row; the `SELECT 1` through
    Django's cursor first sets the transaction's pghistory context, which the COPY inherits.
    Callers supply every NOT NULL column (COPY applies no auto_now)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        with cursor.cursor.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def ensure_demo_user(context: DemoContext, username: str, **flags):
    """The demo login `username`, created with the demo password when missing.

    A user of that name made by someone else keeps its password (the command says so)."""
    users = get_user_model()
    user = users.objects.filter(username=username).first()
    if user is None:
        user = users(username=username, email=f"{username}@demo.hallops.invalid", **flags)
        user.set_password(context.password)
        user.save()
    else:
        context.log(f"User {username!r} already exists; its password is left unchanged.")
    context.users[username] = user
    return user


# --- Names -------------------------------------------------------------------------

BRANCH_NAMES = [
    "城区",
    "江北",
    "临川",
    "东阳",
    "南平",
    "西山",
    "青州",
    "安平",
    "长乐",
    "永安",
    "宁远",
    "清河",
    "云阳",
    "丰城",
    "兴化",
    "梅州",
]
COUNTY_NAMES = [
    "青山",
    "临江",
    "河西",
    "云溪",
    "石门",
    "桃源",
    "龙泉",
    "白水",
    "凤凰",
    "金溪",
    "柳林",
    "平湖",
    "松阳",
    "玉山",
    "新丰",
    "乐平",
    "大通",
    "三江",
    "望城",
    "高桥",
]
ROADS = [
    "人民路",
    "解放路",
    "中山路",
    "建设路",
    "胜利路",
    "新华路",
    "和平路",
    "长江路",
    "黄河路",
    "文化路",
    "朝阳路",
    "光明路",
    "振兴路",
    "友谊路",
    "东风路",
    "青年路",
    "花园路",
    "滨江路",
    "学府路",
    "府前街",
    "南大街",
    "北大街",
    "东大街",
    "西大街",
    "站前路",
    "迎宾大道",
    "世纪大道",
    "工业路",
    "商业街",
    "体育路",
    "公园路",
    "健康路",
    "幸福路",
    "金桥路",
    "银河路",
    "望江路",
    "湖滨路",
    "古城路",
    "开发区大道",
    "环城路",
]
TOWNS = ["城关", "新桥", "石桥", "河口", "马山", "双河", "洪山", "黄土岭", "塘湾", "龙门", "西湖", "北港"]


def _county_halls(rng: random.Random, scale: Scale, counties: int) -> list[int]:
    """How many halls each county runs: as even as the total allows, at least three (one
    class A, two class B), a little uneven at province scale."""
    base, rest = divmod(scale.halls, counties)
    counts = [base + (1 if i < rest else 0) for i in range(counties)]
    if scale.name != "small":
        for _ in range(counties * 2):
            a, b = rng.randrange(counties), rng.randrange(counties)
            shift = rng.randint(0, max(0, min(counts[a] - 3, base // 3)))
            counts[a] -= shift
            counts[b] += shift
    return counts


def _opening_hours(rng: random.Random, hall: Hall) -> list[OpeningHours]:
    """Weekdays 08:30–18:00; class A keeps long weekends, class B shorter ones, some partner
    halls close on Sunday."""
    rows = [
        OpeningHours(hall=hall, weekday=d, opens_at=clock(8, 30), closes_at=clock(18, 0)) for d in range(5)
    ]
    if hall.hall_class == Hall.HallClass.A:
        weekend = [(5, clock(9, 0), clock(17, 30)), (6, clock(9, 0), clock(17, 30))]
    elif hall.operation == Hall.Operation.PARTNER and rng.random() < 0.3:
        weekend = [(5, clock(9, 0), clock(16, 0))]
    else:
        weekend = [(5, clock(9, 0), clock(16, 0)), (6, clock(9, 30), clock(15, 0))]
    rows += [OpeningHours(hall=hall, weekday=d, opens_at=o, closes_at=c) for d, o, c in weekend]
    return rows


# --- Steps -------------------------------------------------------------------------


@register
def seed_regions(rng: random.Random, scale: Scale, context: DemoContext) -> None:
    """Branches BR01… with their county offices, through create_region so paths are set."""
    county_names = list(COUNTY_NAMES)
    for b in range(1, scale.branches + 1):
        branch = create_region(
            code=f"BR{b:02d}", name=f"{BRANCH_NAMES[b - 1]}分公司", kind=Region.Kind.BRANCH
        )
        context.branches.append(branch)
        rng.shuffle(county_names)
        for c in range(1, rng.randint(*scale.counties_per_branch) + 1):
            county = create_region(
                code=f"CT{b:02d}{c:02d}",
                name=f"{county_names[c - 1]}县公司",
                kind=Region.Kind.COUNTY,
                parent=branch,
            )
            context.counties.append(county)


@register
def seed_halls(rng: random.Random, scale: Scale, context: DemoContext) -> None:
    """Halls in every county: the first is a self-operated class-A flagship, at least two are
    class B; self-operated halls are spread over the counties, the rest partner-operated."""
    counties = context.counties
    per_county = _county_halls(rng, scale, len(counties))
    self_per_county = [0] * len(counties)
    for i in range(scale.self_operated):
        self_per_county[i % len(counties)] += 1
    halls, number = [], 0
    for county, count, own in zip(counties, per_county, self_per_county, strict=True):
        short = county.name.removesuffix("县公司")
        roads = rng.sample(ROADS, k=min(count, len(ROADS)))
        for i in range(count):
            number += 1
            operation = Hall.Operation.SELF if i < own else Hall.Operation.PARTNER
            hall_class = Hall.HallClass.A if i == 0 or (i < count - 2 and rng.random() < 0.08) else "B"
            road = roads[i % len(roads)]
            town = rng.choice(TOWNS) if i and (i >= len(ROADS) or rng.random() < 0.3) else ""
            street = f"{town}镇{road}" if town else road
            if i == 0:
                name = f"{short}{road}旗舰营业厅"
            elif operation == Hall.Operation.SELF:
                name = f"{short}{street}营业厅"
            else:
                name = f"{short}{street}合作营业厅"
            offpeak, peak = CLASS_MINIMUM_STAFF[hall_class]
            halls.append(
                Hall(
                    code=f"H{number:04d}",
                    name=name,
                    hall_class=hall_class,
                    operation=operation,
                    region=county,
                    address=f"{short}县{street}{rng.randint(1, 399)}号",
                    window_count=rng.randint(8, 16) if hall_class == "A" else rng.randint(3, 6),
                    has_vip_zone=hall_class == "A" or rng.random() < 0.2,
                    min_staff_offpeak=offpeak,
                    min_staff_peak=peak,
                )
            )
    context.halls = Hall.objects.bulk_create(halls, batch_size=BATCH_SIZE)
    hours = [
        (row.hall_id, row.weekday, row.opens_at, row.closes_at)
        for hall in context.halls
        for row in _opening_hours(rng, hall)
    ]
    copy_rows(OpeningHours, ["hall", "weekday", "opens_at", "closes_at"], hours)


@register
def seed_logins(rng: random.Random, scale: Scale, context: DemoContext) -> None:
    """The region-level demo logins and the HR API client.

    admin (superuser), branch (branch manager of BR01), inspector (market inspector of BR01),
    manager (hall manager of the first hall; staffing links the Staff record) and the HR
    client `hr-demo` over every branch, whose token derives from the seed."""
    first_branch, first_hall = context.branches[0], context.halls[0]
    admin = ensure_demo_user(context, "admin", is_superuser=True, is_staff=True)
    for username, role in (("branch", Role.BRANCH_MANAGER), ("inspector", Role.INSPECTOR)):
        user = ensure_demo_user(context, username)
        Membership.objects.get_or_create(user=user, role=role, region=first_branch)
    manager = ensure_demo_user(context, "manager")
    Membership.objects.get_or_create(user=manager, role=Role.HALL_MANAGER, hall=first_hall)
    users = get_user_model()
    hr_user = users.objects.filter(username=HR_CLIENT_NAME).first()
    if hr_user is None:
        hr_user = users(username=HR_CLIENT_NAME, email=f"{HR_CLIENT_NAME}@demo.hallops.invalid")
        hr_user.set_unusable_password()
        hr_user.save()
    context.hr_token = hr_demo_token(context.seed)
    create_api_client(
        actor=admin,
        name=HR_CLIENT_NAME,
        user=hr_user,
        regions=context.branches,
        raw_token=context.hr_token,
    )
