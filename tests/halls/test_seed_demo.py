from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from halls.demo import DEMO_PASSWORD, SEED_STEPS, discover_steps, hr_demo_token
from halls.models import ApiClient, Hall, OpeningHours, Region, hash_token
from staffing.models import ShiftType, Staff, StaffPosting

pytestmark = pytest.mark.django_db

LOGINS = {"admin": 18, "branch": 18, "inspector": 18, "manager": 1, "clerk": 1}


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot():
    """Everything a seed decides, without ids and clock stamps."""
    return {
        "regions": list(Region.objects.values_list("code", "name", "kind", "path")),
        "halls": list(
            Hall.objects.order_by("code").values_list(
                "code",
                "name",
                "hall_class",
                "operation",
                "region__code",
                "address",
                "window_count",
                "has_vip_zone",
                "min_staff_offpeak",
                "min_staff_peak",
            )
        ),
        "hours": list(
            OpeningHours.objects.order_by("hall__code", "weekday").values_list(
                "hall__code", "weekday", "opens_at", "closes_at"
            )
        ),
        "staff": list(
            Staff.objects.order_by("employee_no").values_list(
                "employee_no",
                "name",
                "hall__code",
                "post",
                "employment_type",
                "hire_date",
                "status",
                "star_level",
                "phone",
                "user__username",
            )
        ),
        "shift_types": list(
            ShiftType.objects.order_by("hall__code", "code").values_list(
                "hall__code", "code", "name", "start", "end", "break_minutes", "colour", "is_active"
            )
        ),
        "postings": list(
            StaffPosting.objects.order_by("staff__employee_no", "started_on").values_list(
                "staff__employee_no", "hall__code", "post", "started_on", "ended_on"
            )
        ),
    }


def seeded_snapshot(seed_value):
    with transaction.atomic():
        seed("--scale", "small", "--seed", str(seed_value))
        data = snapshot()
        transaction.set_rollback(True)
    return data


def test_small_scale_is_one_branch_of_four_counties_with_6_self_and_12_partner_halls(db):
    output = seed("--scale", "small", "--seed", "1")
    assert "halls 18, staff 150" in output
    branch = Region.objects.get(kind="branch")
    assert (branch.code, branch.name) == ("BR01", "城区分公司")
    counties = Region.objects.filter(kind="county")
    assert counties.count() == 4 and all(c.parent == branch for c in counties)
    assert Hall.objects.filter(operation="self").count() == 6
    assert Hall.objects.filter(operation="partner").count() == 12
    for county in counties:
        classes = list(county.halls.values_list("hall_class", flat=True))
        assert classes.count("A") >= 1 and classes.count("B") >= 2, county
    for hall in Hall.objects.all():
        assert (hall.min_staff_offpeak, hall.min_staff_peak) == ((3, 4) if hall.hall_class == "A" else (2, 3))
        weekdays = dict(hall.opening_hours.values_list("weekday", "closes_at"))
        assert {0, 1, 2, 3, 4, 5} <= set(weekdays) and str(weekdays[0]) == "18:00:00"


def test_small_scale_staff_have_posts_statuses_and_one_current_posting_each(db):
    seed("--scale", "small", "--seed", "1")
    assert Staff.objects.count() == 150
    for hall in Hall.objects.all():
        assert hall.staff.filter(post="hall_manager").count() == 1
        assert hall.staff.filter(post="clerk").count() >= hall.min_staff_peak
    posts = set(Staff.objects.values_list("post", flat=True))
    assert posts == {"clerk", "guide", "hall_manager", "duty_manager", "vip_manager"}
    assert Staff.objects.filter(post="clerk").count() > 75
    assert Staff.objects.filter(status="probation").exists()
    assert set(Staff.objects.values_list("employment_type", flat=True)) == {
        "formal",
        "contract",
        "temporary",
        "partner",
    }
    for person in Staff.objects.prefetch_related("postings"):
        stays = sorted(person.postings.all(), key=lambda p: p.started_on)
        assert stays[0].started_on == person.hire_date
        if person.status == "left":
            assert stays[-1].ended_on is not None
        else:
            assert (stays[-1].hall_id, stays[-1].ended_on) == (person.hall_id, None)


def test_pghistory_records_the_bulk_loaded_rows_under_the_seed_context(db):
    seed("--scale", "small", "--seed", "3")
    events = Staff.pgh_event_model.objects.filter(pgh_label="insert").select_related("pgh_context")
    assert events.count() == 150
    assert {tuple(sorted(e.pgh_context.metadata.items())) for e in events} == {
        (("command", "seed_demo"), ("scale", "small"), ("seed", 3))
    }
    assert Hall.pgh_event_model.objects.filter(pgh_label="insert").count() == 18


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(db):
    first, again, other = seeded_snapshot(1), seeded_snapshot(1), seeded_snapshot(2)
    assert first == again
    assert first["staff"] != other["staff"] and first["halls"] != other["halls"]


def test_if_empty_leaves_an_existing_database_alone_and_without_it_the_command_refuses(db):
    seed("--scale", "small", "--seed", "1")
    assert "already has halls" in seed("--scale", "small", "--seed", "2", "--if-empty")
    assert Hall.objects.count() == 18
    with pytest.raises(CommandError):
        seed("--scale", "small", "--seed", "2")


def test_every_demo_login_signs_in_reaches_its_dashboard_and_sees_its_scope_through_the_api(client):
    seed("--scale", "small", "--seed", "1", "--if-empty")
    for username, hall_count in LOGINS.items():
        # Through the real login page (and its lockout checks), as a person would.
        signed_in = client.post("/login/", {"username": username, "password": DEMO_PASSWORD}, follow=True)
        assert signed_in.status_code == 200, username
        assert signed_in.redirect_chain[-1][0] == "/", (username, signed_in.redirect_chain)
        assert signed_in.context["user"].username == username
        response = client.get("/api/v1/halls/")
        assert response.status_code == 200
        assert len(response.json()["results"]) == hall_count, username
        client.logout()
    manager_record = Staff.objects.get(user__username="manager")
    assert (manager_record.post, manager_record.hall.code) == ("hall_manager", "H0001")
    clerk_record = Staff.objects.get(user__username="clerk")
    assert (clerk_record.post, clerk_record.hall.code, clerk_record.status) == ("clerk", "H0001", "active")


def test_the_hr_token_derives_from_the_seed_and_reads_the_api(client):
    output = seed("--scale", "small", "--seed", "7")
    token = hr_demo_token(7)
    assert token in output and token != hr_demo_token(1)
    hr = ApiClient.objects.get(name="hr-demo")
    assert hr.token_hash == hash_token(token) and not hr.can_write
    assert all(scope.endswith(":read") for scope in hr.scopes) and hr.scopes
    response = client.get("/api/v1/staff/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 100  # one page of the branch's 150


def test_demo_logins_prints_each_login_its_password_and_the_hr_token(db):
    seed("--scale", "small", "--seed", "1")
    out = StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    for username in LOGINS:
        assert f"  {username} " in text
    assert text.count(DEMO_PASSWORD) == 5
    assert "18 halls and their staff in 城区分公司 (BR01)" in text
    assert hr_demo_token(1) in text
    out = StringIO()
    call_command("demo_logins", "--seed", "2", stdout=out)
    assert hr_demo_token(1) not in out.getvalue() and "not the seed-2 token" in out.getvalue()
    assert "http://127.0.0.1:8000/login/" in text
    out = StringIO()
    call_command("demo_logins", "--base-url", "http://0.0.0.0:8765/", stdout=out)
    assert "(http://0.0.0.0:8765/login/)" in out.getvalue()
    assert "http://0.0.0.0:8765/api/v1/staff/" in out.getvalue() and ":8000" not in out.getvalue()


def test_steps_are_discovered_from_each_apps_demo_module_in_app_order(db):
    names = [f"{s.__module__}.{s.__name__}" for s in discover_steps()]
    assert names[:5] == [
        "halls.demo.seed_regions",
        "halls.demo.seed_halls",
        "halls.demo.seed_logins",
        "staffing.demo.seed_staff",
        "staffing.demo.seed_staff_logins",
    ]
    discover_steps()
    assert len(SEED_STEPS) == len(names)


def test_the_small_demo_has_a_published_assessment_month_for_its_branch(db):
    from assessment.models import MonthlyResult, ResultRun

    seed("--scale", "small", "--seed", "1")
    run = ResultRun.objects.get(branch__code="BR01", status=ResultRun.Status.PUBLISHED)
    assert run.month.isoformat() == "2026-10-01"
    results = MonthlyResult.objects.filter(run=run)
    assert results.count() == run.staff_count > 100
    assert results.filter(rank_in_branch=1).exists()


def test_the_small_demo_has_published_inspections_with_their_facts_and_tasks(db):
    from assessment.models import ScoreFact
    from assessment.mystery_shop.models import Rectification, Visit, VisitScore

    seed("--scale", "small", "--seed", "1")
    published = Visit.objects.filter(status__in=["published", "closed"])
    assert published.values("hall").distinct().count() == 18  # one visit per hall
    assert Visit.objects.filter(
        status="draft", mode="covert"
    ).exists()  # one covert draft, unseen by the hall
    scores = VisitScore.objects.filter(visit__in=published)
    facts = ScoreFact.objects.filter(source="mystery_shop")
    assert facts.count() == scores.count() > 18
    assert set(facts.values_list("evidence_id", flat=True)) == set(scores.values_list("pk", flat=True))
    assert Rectification.objects.filter(visit__in=published).exists()
    # The visits are seeded before the assessment month is computed and published, so the
    # published October results count October's visits.
    from assessment.models import IndicatorScore, ResultRun

    october = facts.filter(month="2026-10-01")
    assert october.exists()
    run = ResultRun.objects.get(branch__code="BR01", month="2026-10-01", status="published")
    counted = IndicatorScore.objects.filter(
        result__run=run, indicator__source="mystery_shop", fact_count__gt=0
    )
    assert counted.count() == october.values("staff").distinct().count()


def test_a_sub_package_demo_step_runs_with_its_app_before_the_month_is_published(db):
    names = [f"{s.__module__}.{s.__name__}" for s in discover_steps()]
    mystery = names.index("assessment.mystery_shop.demo.seed_mystery_shop_month")
    assert (
        names.index("staffing.demo.seed_staff")
        < mystery
        < names.index("assessment.demo.seed_assessment_month")
    )


def test_a_demo_module_imported_early_still_runs_after_the_apps_it_builds_on(db):
    import assessment.demo
    import halls.demo as registry

    registry.discover_steps()
    saved = list(registry.SEED_STEPS)
    try:
        # As if assessment.demo had been imported (and registered) before every other demo module.
        registry.SEED_STEPS.remove(assessment.demo.seed_assessment_month)
        registry.SEED_STEPS.insert(0, assessment.demo.seed_assessment_month)
        names = [f"{s.__module__}.{s.__name__}" for s in registry.discover_steps()]
    finally:
        registry.SEED_STEPS[:] = saved
    assert names.index("staffing.demo.seed_staff") < names.index("assessment.demo.seed_assessment_month")
    assert names[0] == "halls.demo.seed_regions"
