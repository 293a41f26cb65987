"""Demo staff and shift types for `manage.py seed_demo` (see halls.demo for the step registry).

Every hall gets one hall manager and mostly clerks, with guides, duty managers and VIP
account managers where the hall's class and VIP zone call for them. Each person gets a
StaffPosting from the hire date; a few have worked in another hall of the county before
(two postings), a few have left (a closed posting).
"""

import random
from datetime import datetime, time, timedelta

from django.db.models import Max, Min
from django.utils import timezone

from halls.demo import BATCH_SIZE, DemoContext, Scale, copy_rows, ensure_demo_user, register, reserve_ids
from halls.models import Hall, OpeningHours
from staffing.models import ShiftType, Staff, StaffPosting

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
# The commonest surnames are much commoner: the first twenty carry half the weight.
SURNAME_WEIGHTS = [6 if i < 20 else 1 for i in range(len(SURNAMES))]
GIVEN = "丽娜静敏燕艳芳婷雪慧洁琳颖倩玲欣悦晨浩杰磊强伟军勇涛明华鹏飞宇轩博文斌超凯晓佳思梦雨嘉子春秋海红霞兰萍英建国志平瑶琪璐"

# Relative headcount of a class-A and a class-B hall.
HALL_WEIGHT = {"A": 13, "B": 7}
PROBATION_DAYS = 180
# Share of front-line staff hired within the probation period (recruitment batches).
RECENT_HIRES = 0.1
STAFF_COLUMNS = [
    "id",
    "employee_no",
    "name",
    "hall",
    "post",
    "employment_type",
    "hire_date",
    "status",
    "star_level",
    "phone",
    "created_at",
    "updated_at",
]
POSTING_COLUMNS = ["staff", "hall", "post", "started_on", "ended_on", "created_at"]


def _name(rng: random.Random) -> str:
    surname = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
    return surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _headcounts(rng: random.Random, halls: list[Hall], total: int) -> list[int]:
    """People per hall, summing exactly to `total`: proportional to the class weight give or
    take a fifth, the remainder handed out at random."""
    weights = [round(HALL_WEIGHT[h.hall_class] * rng.uniform(80, 125)) for h in halls]
    whole = sum(weights)
    counts = [total * w // whole for w in weights]
    for i in rng.sample(range(len(halls)), k=total - sum(counts)):
        counts[i] += 1
    return counts


def _posts(rng: random.Random, hall: Hall, headcount: int) -> list[str]:
    posts = [Staff.Post.HALL_MANAGER]
    if hall.hall_class == Hall.HallClass.A:
        posts += [Staff.Post.DUTY_MANAGER] * rng.randint(1, 2) + [Staff.Post.GUIDE] * 2
    else:
        posts += [Staff.Post.DUTY_MANAGER] * (headcount >= 8) + [Staff.Post.GUIDE] * (headcount >= 7)
    if hall.has_vip_zone:
        posts.append(Staff.Post.VIP_MANAGER)
    posts = posts[: max(1, headcount - hall.min_staff_peak)]
    return posts + [Staff.Post.CLERK] * (headcount - len(posts))


def _employment_type(rng: random.Random, hall: Hall, post: str) -> str:
    if hall.operation == Hall.Operation.PARTNER:
        return Staff.EmploymentType.PARTNER if rng.random() < 0.85 else Staff.EmploymentType.TEMPORARY
    if post != Staff.Post.CLERK:
        return Staff.EmploymentType.FORMAL
    return rng.choices(
        [Staff.EmploymentType.FORMAL, Staff.EmploymentType.CONTRACT, Staff.EmploymentType.TEMPORARY],
        weights=[50, 35, 15],
    )[0]


@register
def seed_staff(rng: random.Random, scale: Scale, context: DemoContext) -> None:
    """Exactly `scale.staff` people with their postings, loaded with COPY; employee numbers are
    the branch number and a sequence (0100001…)."""
    today, halls, now = context.today, context.halls, timezone.now()
    county_halls: dict[int, list[Hall]] = {}
    for hall in halls:
        county_halls.setdefault(hall.region_id, []).append(hall)
    branch_no = {county.pk: int(county.code[2:4]) for county in context.counties}
    sequence: dict[int, int] = {}
    headcounts = _headcounts(rng, halls, scale.staff)
    ids = iter(reserve_ids(Staff, scale.staff))
    people, postings = [], []
    for hall, headcount in zip(halls, headcounts, strict=True):
        for post in _posts(rng, hall, headcount):
            senior = post not in (Staff.Post.CLERK, Staff.Post.GUIDE)
            if senior:
                days = rng.randint(3 * 365, 15 * 365)
            elif rng.random() < RECENT_HIRES:
                days = rng.randint(7, PROBATION_DAYS - 1)
            else:
                days = int(rng.triangular(PROBATION_DAYS, 10 * 365, 600))
            hire_date = today - timedelta(days=days)
            if days < PROBATION_DAYS:
                status, star = Staff.Status.PROBATION, rng.choice((0, 0, 1))
            else:
                status = rng.choices(
                    [Staff.Status.ACTIVE, Staff.Status.ON_LEAVE, Staff.Status.LEFT], weights=[95, 3, 2]
                )[0]
                if post == Staff.Post.HALL_MANAGER:
                    status = Staff.Status.ACTIVE
                star = min(5, days // 900 + rng.choice((0, 0, 1, 1, 2)) + (1 if senior else 0))
            b = branch_no[hall.region_id]
            sequence[b] = sequence.get(b, 0) + 1
            pk = next(ids)
            people.append(
                (
                    pk,
                    f"{b:02d}{sequence[b]:05d}",
                    _name(rng),
                    hall.pk,
                    post,
                    _employment_type(rng, hall, post),
                    hire_date,
                    status,
                    star,
                    f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
                    now,
                    now,
                )
            )
            plan = _posting_plan(rng, hall, post, hire_date, status, today, county_halls[hall.region_id])
            postings += [(pk, where.pk, post, start, end, now) for where, start, end in plan]
    copy_rows(Staff, STAFF_COLUMNS, people)
    copy_rows(StaffPosting, POSTING_COLUMNS, postings)
    context.extra["staff_count"] = len(people)


def _posting_plan(rng, hall, post, hire_date, status, today, neighbours):
    """(hall, from, until) stays: one open stay, or an earlier stay in a neighbouring hall
    before a transfer, or a closed stay for someone who left."""
    tenure = (today - hire_date).days
    if status == Staff.Status.LEFT:
        return [(hall, hire_date, hire_date + timedelta(days=rng.randint(tenure // 2, tenure - 1)))]
    others = [h for h in neighbours if h.pk != hall.pk]
    if post == Staff.Post.CLERK and tenure > 3 * 365 and others and rng.random() < 0.08:
        moved = hire_date + timedelta(days=rng.randint(365, tenure - 30))
        return [(rng.choice(others), hire_date, moved - timedelta(days=1)), (hall, moved, None)]
    return [(hall, hire_date, None)]


@register
def seed_staff_logins(rng: random.Random, scale: Scale, context: DemoContext) -> None:
    """Link `manager` to the first hall's hall-manager record and create `clerk`, linked to
    the first active clerk of that hall."""
    first_hall = context.halls[0]
    manager = context.users["manager"]
    if not Staff.objects.filter(user=manager).exists():
        Staff.objects.filter(hall=first_hall, post=Staff.Post.HALL_MANAGER).update(user=manager)
    record = (
        Staff.objects.filter(
            hall=first_hall, post=Staff.Post.CLERK, status=Staff.Status.ACTIVE, user__isnull=True
        )
        .order_by("employee_no")
        .first()
    )
    clerk = ensure_demo_user(context, "clerk")
    if record is not None and not Staff.objects.filter(user=clerk).exists():
        Staff.objects.filter(pk=record.pk).update(user=clerk)


# The shift types every demo hall works: (code, name, colour). Their times follow the hall's
# opening hours (`_shift_types`).
DEMO_SHIFTS = (
    ("D", "早班", "#4e79a7"),
    ("L", "晚班", "#e15759"),
    ("AM", "上午班", "#f6b26b"),
    ("PM", "下午班", "#93c47d"),
)
FULL_SHIFT = timedelta(hours=8, minutes=30)  # 7.5 hours of work and a one-hour unpaid break
HALF_DAY_SPLIT = time(13, 0)


def _clock(moment: datetime) -> time:
    return moment.time()


def _shift_types(hall_id: int, opens: time, closes: time) -> list[ShiftType]:
    """A hall's shifts within its opening hours (earliest opening to latest closing of the
    week): 早班 D from opening, 晚班 L up to closing (8½ hours with a one-hour break each), and
    half-day 上午班 AM / 下午班 PM split at 13:00 for short weekend days and peaks."""
    day = datetime(2000, 1, 1)
    start, end = datetime.combine(day, opens), datetime.combine(day, closes)
    full = min(FULL_SHIFT, end - start)
    times = {
        "D": (start, start + full, 60),
        "L": (end - full, end, 60),
        "AM": (start, datetime.combine(day, HALF_DAY_SPLIT), 0),
        "PM": (datetime.combine(day, HALF_DAY_SPLIT), end, 0),
    }
    return [
        ShiftType(
            hall_id=hall_id,
            code=code,
            name=name,
            start=_clock(times[code][0]),
            end=_clock(times[code][1]),
            break_minutes=times[code][2],
            colour=colour,
        )
        for code, name, colour in DEMO_SHIFTS
        if times[code][0] < times[code][1]  # a hall closed by 13:00 has no afternoon shift
    ]


@register
def seed_shift_types(rng: random.Random, scale: Scale, context: DemoContext) -> None:
    """Four active shift types for every hall, timed to its opening hours, in one bulk insert, so
    a hall manager can generate a roster straight away. Draws nothing from `rng`: the times
    follow the halls' (seeded) opening hours."""
    hours = (
        OpeningHours.objects.filter(hall__in=context.halls)
        .values("hall")
        .annotate(opens=Min("opens_at"), closes=Max("closes_at"))
        .order_by("hall")
    )
    rows = [row for h in hours for row in _shift_types(h["hall"], h["opens"], h["closes"])]
    ShiftType.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    context.extra["shift_types"] = len(rows)
