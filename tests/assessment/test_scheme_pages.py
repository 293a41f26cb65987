"""The scheme editor pages and the monthly beat fan-out."""

import datetime
from unittest import mock

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.models import AssessmentScheme, Indicator, ResultRun, StarLevelPolicy
from assessment.services import compute_month_results, publish_results
from assessment.tasks import compute_previous_month
from halls.models import AuditEvent, Role
from tests.assessment.factories import OCTOBER, clerk_in
from tests.halls.factories import BranchFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
SCHEMES = reverse("assessment:schemes")


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def clerk_scheme() -> AssessmentScheme:
    return AssessmentScheme.objects.filter(post="clerk", status="active").latest("version")


def clerk_versions() -> list[int]:
    return list(
        AssessmentScheme.objects.filter(post="clerk").order_by("-version").values_list("version", flat=True)
    )


def formset_post(
    scheme, *, name="柜员考核方案 2027", start="2027-01", change=None, extra=None, updated_at=None
) -> dict:
    """The editor's POST for the scheme's indicators, with `change` applied to row fields
    ({index: {field: value}}), `extra` as an added row and the page's `updated_at` token."""
    rows = [
        {
            f: getattr(i, f)
            for f in ("code", "name", "source", "measure", "aggregate", "weight", "max_points", "rule")
        }
        | {
            f: getattr(i, f)
            for f in ("target", "band_low", "band_high", "deduction_per_unit", "floor", "when_missing")
        }
        for i in scheme.indicators.order_by("position", "id")
    ]
    for index, fields in (change or {}).items():
        rows[index].update(fields)
    if extra:
        rows.append(extra)
    data = {
        "name": name,
        "effective_from": start,
        "indicators-TOTAL_FORMS": str(len(rows) + 1),
        "indicators-INITIAL_FORMS": "0",
        "indicators-MIN_NUM_FORMS": "0",
        "indicators-MAX_NUM_FORMS": "1000",
        f"indicators-{len(rows)}-when_missing": "zero",  # the untouched empty row
    }
    if updated_at is not None:
        data["updated_at"] = updated_at
    for n, row in enumerate(rows):
        for field, value in row.items():
            data[f"indicators-{n}-{field}"] = "" if value is None else str(value)
    return data


def test_the_scheme_list_shows_every_post_with_versions_in_constant_queries(cast, client):
    client.force_login(cast.branch_manager)
    with CaptureQueriesContext(connection) as before:
        response = client.get(SCHEMES)
    posts = dict(response.context["posts"])
    assert [s.version for s in posts["Clerk"]] == clerk_versions()  # the seeded v1 and December's v2
    assert all(s.weight_total == 100 for s in posts["Clerk"])
    for _ in range(3):
        client.post(
            reverse("assessment:scheme-new-version", args=[clerk_scheme().pk]), formset_post(clerk_scheme())
        )
    with CaptureQueriesContext(connection) as after:
        response = client.get(SCHEMES)
    assert [s.version for s in dict(response.context["posts"])["Clerk"]] == clerk_versions()
    assert len(clerk_versions()) == len(posts["Clerk"]) + 3
    assert len(before) == len(after)


def test_a_new_version_starts_from_the_current_one_and_weights_must_sum_to_100(cast, client):
    scheme = clerk_scheme()
    url = reverse("assessment:scheme-new-version", args=[scheme.pk])
    client.force_login(cast.branch_manager)
    versions = clerk_versions()
    page = client.get(url)
    assert [f.initial["code"] for f in page.context["formset"].forms if f.initial] == list(
        scheme.indicators.order_by("position", "id").values_list("code", flat=True)
    )

    first_weight = scheme.indicators.order_by("position", "id").first().weight
    wrong = client.post(url, formset_post(scheme, change={0: {"weight": first_weight + 5}}))
    assert wrong.status_code == 200
    message = f"The weights add up to {100 + 5:.2f}; they must add up to 100."
    assert all(message in f.errors["weight"] for f in wrong.context["formset"].forms[:-1])
    assert message in wrong.context["formset"].non_form_errors()
    assert 'id="id_indicators-0-weight_errors"' in wrong.content.decode()
    assert clerk_versions() == versions  # nothing written

    created = client.post(url, formset_post(scheme))
    assert created.status_code == 303
    new = AssessmentScheme.objects.get(post="clerk", version=scheme.version + 1)
    assert (new.status, new.effective_from, new.name) == (
        "draft",
        datetime.date(2027, 1, 1),
        "柜员考核方案 2027",
    )
    assert new.indicators.count() == scheme.indicators.count()
    assert AuditEvent.objects.filter(action="assessment.scheme.created", actor=cast.branch_manager).exists()


def test_rule_parameters_and_measures_are_checked_beside_the_fields(cast, client):
    scheme = clerk_scheme()
    client.force_login(cast.branch_manager)
    extra = {
        "code": "bad",
        "name": "错配",
        "source": "kpi",
        "measure": "evaluation_score",
        "aggregate": "sum",
        "weight": "1",
        "max_points": "10",
        "rule": "linear_band",
        "band_low": "50",
        "band_high": "40",
        "when_missing": "zero",
    }
    response = client.post(
        reverse("assessment:scheme-new-version", args=[scheme.pk]), formset_post(scheme, extra=extra)
    )
    row = response.context["formset"].forms[-2]
    assert row.errors["measure"] == ["This measure does not belong to the chosen source."]
    assert row.errors["band_high"] == ["The band's high must be above its low."]


def test_a_scheme_used_by_a_published_month_is_read_only_and_can_only_be_superseded(
    cast, client, clerk_staff
):
    publish_results(
        run=compute_month_results(branch=cast.hall.region.parent, month=OCTOBER), actor=cast.branch_manager
    )
    scheme = AssessmentScheme.objects.filter(post="clerk", effective_from__lte=OCTOBER).latest("version")
    client.force_login(cast.branch_manager)
    detail = client.get(reverse("assessment:scheme-detail", args=[scheme.pk])).content.decode()
    assert "can no longer change" in detail
    assert reverse("assessment:scheme-edit", args=[scheme.pk]) not in detail
    edit = client.get(reverse("assessment:scheme-edit", args=[scheme.pk]))
    assert edit.context["mode"] == "frozen" and edit.context["formset"] is None
    before = list(scheme.indicators.values_list("weight", flat=True))
    client.post(reverse("assessment:scheme-edit", args=[scheme.pk]), formset_post(scheme))
    assert list(scheme.indicators.values_list("weight", flat=True)) == before


def test_a_draft_is_edited_and_put_in_force(cast, client):
    scheme = clerk_scheme()
    client.force_login(cast.branch_manager)
    client.post(reverse("assessment:scheme-new-version", args=[scheme.pk]), formset_post(scheme))
    draft = AssessmentScheme.objects.get(post="clerk", status="draft")
    token = (
        client.get(reverse("assessment:scheme-edit", args=[draft.pk])).context["form"]["updated_at"].value()
    )
    edited = client.post(
        reverse("assessment:scheme-edit", args=[draft.pk]),
        formset_post(draft, name="改名后", change={0: {"name": "新名称"}}, updated_at=token),
    )
    assert edited.status_code == 303
    draft.refresh_from_db()
    assert draft.name == "改名后"
    assert draft.indicators.order_by("position", "id").first().name == "新名称"

    activate_page = client.get(reverse("assessment:scheme-activate", args=[draft.pk]))
    activated = client.post(
        reverse("assessment:scheme-activate", args=[draft.pk]),
        {"effective_from": "2027-01", "updated_at": activate_page.context["form"]["updated_at"].value()},
    )
    assert activated.status_code == 303
    draft.refresh_from_db()
    scheme.refresh_from_db()
    assert draft.status == "active" and scheme.effective_to == datetime.date(2026, 12, 31)


def page_token(response) -> str:
    """The `updated_at` token the page's form carries (as the browser would post it back)."""
    token = response.context["form"]["updated_at"].value()
    assert token and f'name="updated_at" value="{token}"' in response.content.decode()
    return token


@pytest.fixture
def draft(cast, client) -> AssessmentScheme:
    client.force_login(cast.branch_manager)
    scheme = clerk_scheme()
    client.post(reverse("assessment:scheme-new-version", args=[scheme.pk]), formset_post(scheme))
    return AssessmentScheme.objects.get(post="clerk", status="draft")


@pytest.fixture
def second_manager(cast):
    user = UserFactory(username="second-branch-manager")
    MembershipFactory(user=user, role=Role.BRANCH_MANAGER, region=cast.hall.region.parent)
    return user


def test_the_second_of_two_managers_editing_one_version_gets_409_and_saves_nothing(
    cast, client, draft, second_manager
):
    url = reverse("assessment:scheme-edit", args=[draft.pk])
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login(second_manager)
    first_token = page_token(client.get(url))
    second_token = page_token(other.get(url))
    assert first_token == second_token

    first = client.post(
        url, formset_post(draft, name="甲的名称", change={0: {"name": "甲"}}, updated_at=first_token)
    )
    assert first.status_code == 303
    stale = other.post(
        url, formset_post(draft, name="乙的名称", change={0: {"name": "乙"}}, updated_at=second_token)
    )

    assert stale.status_code == 409
    page = stale.content.decode()
    assert "Someone else changed this scheme version since you opened it. Nothing was saved" in page
    draft.refresh_from_db()
    assert draft.name == "甲的名称"
    assert draft.indicators.order_by("position", "id").first().name == "甲"
    # The page shows the version as it is now, with the new token: a save from it goes through.
    assert stale.context["form"]["name"].value() == "甲的名称"
    assert stale.context["formset"].forms[0]["name"].value() == "甲"
    fresh = page_token(stale)
    assert fresh != second_token
    assert (
        AuditEvent.objects.filter(action="assessment.scheme.updated", subject_id=str(draft.pk)).count() == 1
    )
    again = other.post(url, formset_post(draft, name="乙的名称", updated_at=fresh))
    assert again.status_code == 303
    draft.refresh_from_db()
    assert draft.name == "乙的名称"


def test_an_edit_posted_without_the_token_is_refused_with_409(cast, client, draft):
    url = reverse("assessment:scheme-edit", args=[draft.pk])
    for token in (None, "", "not-a-time", "2026-10-01T00:00:00"):
        response = client.post(url, formset_post(draft, name="无令牌", updated_at=token))
        assert response.status_code == 409
        assert "Nothing was saved" in response.content.decode()
    draft.refresh_from_db()
    assert draft.name != "无令牌"


def test_putting_in_force_from_a_stale_confirmation_page_is_refused_with_409(
    cast, client, draft, second_manager
):
    activate = reverse("assessment:scheme-activate", args=[draft.pk])
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login(second_manager)
    stale_token = page_token(other.get(activate))
    edit = reverse("assessment:scheme-edit", args=[draft.pk])
    changed = client.post(edit, formset_post(draft, name="改过", updated_at=page_token(client.get(edit))))
    assert changed.status_code == 303

    refused = other.post(activate, {"effective_from": "2027-01", "updated_at": stale_token})
    assert refused.status_code == 409
    assert "Someone else changed this scheme version" in refused.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"
    activated = other.post(activate, {"effective_from": "2027-01", "updated_at": page_token(refused)})
    assert activated.status_code == 303
    draft.refresh_from_db()
    assert draft.status == "active"


def test_the_conflict_message_is_translated_to_chinese(cast, client, draft):
    url = reverse("assessment:scheme-edit", args=[draft.pk])
    token = page_token(client.get(url))
    client.post(url, formset_post(draft, name="先", updated_at=token))
    stale = client.post(url, formset_post(draft, name="后", updated_at=token), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert stale.status_code == 409
    assert (
        stale.context["conflict"]
        == "您打开此方案版本后，他人已修改了它。未保存任何内容；页面现显示其最新状态。"
    )


def test_hall_managers_cannot_open_the_scheme_editor(cast, client):
    client.force_login(cast.hall_manager)
    assert client.get(SCHEMES).status_code == 403
    assert Indicator.objects.exists()


# --- the monthly beat fan-out ------------------------------------------------------------------


def test_the_beat_computes_last_month_on_the_2nd_in_shanghai_time():
    entry = settings.CELERY_BEAT_SCHEDULE["assessment-compute-previous-month"]
    assert entry["task"] == "assessment.tasks.compute_previous_month"
    assert entry["schedule"] == crontab(day_of_month=2, hour=2, minute=0)
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"


def test_the_fan_out_queues_one_compute_per_branch_and_skips_computing_or_published_months(cast, clerk_staff):
    branch, foreign = cast.hall.region.parent, cast.foreign_hall.region.parent
    idle = BranchFactory(code="BR50")
    publish_results(run=compute_month_results(branch=branch, month=OCTOBER), actor=cast.branch_manager)
    ResultRun.objects.create(
        branch=idle, month=OCTOBER, version=1, status="computing", star_policy=StarLevelPolicy.objects.first()
    )

    with mock.patch("assessment.tasks.compute_month_results_task.delay") as delay:
        queued = compute_previous_month("2026-11-02")

    assert queued == [foreign.pk]
    delay.assert_called_once_with(foreign.pk, "2026-10-01")


def test_running_the_fan_out_twice_computes_each_branch_once(cast, clerk_staff):
    clerk_in(cast.foreign_hall)
    first = compute_previous_month("2026-11-02")  # tasks run eagerly in tests
    runs = ResultRun.objects.filter(month=OCTOBER).count()
    second = compute_previous_month("2026-11-02")
    assert sorted(first) == sorted([cast.hall.region.parent.pk, cast.foreign_hall.region.parent.pk])
    assert second == first  # drafts only: queued again, and the compute writes nothing new
    assert ResultRun.objects.filter(month=OCTOBER).count() == runs == 2
