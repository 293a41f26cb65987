"""Pages of the bottom-elimination list: who sees which lists and entries, review and confirmation
with stale versions (409), appeals and decisions, outcomes, the export, the rule page and API,
and query counts at N and 3N rows."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.models import Appeal, EliminationEntry, EliminationList, EliminationRule, Measure
from assessment.services import compute_month_results, publish_results
from assessment.services.elimination import (
    confirm_elimination_list,
    decide_appeal,
    elimination_version,
    file_appeal,
    generate_elimination_list,
    start_review,
)
from halls.exports import read_workbook_rows
from halls.models import AuditEvent
from tests.assessment.factories import OCTOBER, add_facts, clerk_in, fact_input

pytestmark = pytest.mark.django_db
SEPTEMBER = datetime.date(2026, 9, 1)
LISTS = reverse("assessment:elimination-lists")
APPEALS = reverse("assessment:elimination-appeals")
RULE = reverse("assessment:elimination-rule")


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def scored(staff, value, month=OCTOBER):
    add_facts(
        fact_input(
            staff,
            Measure.EVALUATION_SCORE,
            Decimal(60) + Decimal(value) * Decimal("0.35"),
            day=month.replace(day=10),
        )
    )
    return staff


def make_list(cast, *, month=OCTOBER, status="generated", rule=None) -> EliminationList:
    """The branch's list of `month`: everyone of the cast's branch listed (bottom 100 %)."""
    branch = cast.hall.region.parent
    EliminationRule.objects.update_or_create(
        branch=branch, defaults=rule or {"bottom_percent": Decimal(100), "exclude_probation": False}
    )
    run = compute_month_results(branch=branch, month=month)
    publish_results(run=run, actor=cast.branch_manager)
    elimination_list = generate_elimination_list(run=run)
    if status in ("under_review", "confirmed"):
        start_review(elimination_list=elimination_list, actor=cast.branch_manager)
    if status == "confirmed":
        confirm_elimination_list(elimination_list=elimination_list, actor=cast.branch_manager)
    return elimination_list


def detail_url(elimination_list):
    return reverse("assessment:elimination-detail", args=[elimination_list.pk])


def shown_people(response) -> list[str]:
    assert response.status_code == 200
    return sorted(entry.staff.employee_no for entry in response.context["entries"])


def test_branch_management_sees_a_generated_list_the_hall_and_clerk_only_once_under_review(
    cast, client, clerk_staff
):
    clerk_in(cast.hall, employee_no="C0002")
    clerk_in(cast.other_hall, employee_no="C0003")
    elimination_list = make_list(cast)

    client.force_login(cast.branch_manager)
    assert [item.pk for item in client.get(LISTS).context["page_obj"]] == [elimination_list.pk]
    # M0001 is the hall manager's own staff record: everyone of the branch is listed.
    assert shown_people(client.get(detail_url(elimination_list))) == ["C0001", "C0002", "C0003", "M0001"]
    client.force_login(cast.hall_manager)
    assert list(client.get(LISTS).context["page_obj"]) == []
    assert client.get(detail_url(elimination_list)).status_code == 404

    start_review(elimination_list=elimination_list, actor=cast.branch_manager)
    assert shown_people(client.get(detail_url(elimination_list))) == ["C0001", "C0002", "M0001"]
    client.force_login(cast.clerk)
    assert shown_people(client.get(detail_url(elimination_list))) == ["C0001"]
    client.force_login(cast.other_hall_manager)
    assert shown_people(client.get(detail_url(elimination_list))) == ["C0003"]


def test_the_review_page_shows_rank_total_reasons_score_card_and_audit_trail(cast, client, clerk_staff):
    scored(clerk_staff, 10)
    scored(clerk_in(cast.hall, employee_no="C0002"), 90)
    elimination_list = make_list(cast, rule={"bottom_percent": Decimal(50), "exclude_probation": False})
    client.force_login(cast.branch_manager)
    version = elimination_version("list", elimination_list.pk)
    response = client.post(
        reverse("assessment:elimination-review", args=[elimination_list.pk]), {"version": version}
    )
    assert response.status_code == 303

    page = client.get(detail_url(elimination_list))
    body = page.content.decode()
    entry = EliminationEntry.objects.get(elimination_list=elimination_list, staff=clerk_staff)
    assert "C0002" not in shown_people(page) and "C0001" in shown_people(page)
    assert "Bottom 50.0% of the branch: rank 2 of 2 eligible people; the last place is listed" in body
    assert reverse("assessment:score-card", args=[entry.result_id]) in body
    assert f"{entry.result.rank_in_branch} / {entry.result.branch_size}" in body
    assert [e.action for e in page.context["audit_events"]] == [
        "assessment.elimination.review_started",
        "assessment.elimination.generated",
    ]


def test_a_stale_review_answers_409_with_the_current_page(cast, client, clerk_staff):
    elimination_list = make_list(cast)
    client.force_login(cast.branch_manager)
    stale = elimination_version("list", elimination_list.pk)
    start_review(elimination_list=elimination_list, actor=cast.branch_manager)  # someone else, meanwhile

    response = client.post(
        reverse("assessment:elimination-review", args=[elimination_list.pk]), {"version": stale}
    )

    assert response.status_code == 409
    assert response.context["elimination_list"].status == "under_review"
    assert "Someone changed this in the meantime" in response.content.decode()
    assert AuditEvent.objects.filter(action="assessment.elimination.review_started").count() == 1


def test_confirming_goes_through_the_confirmation_page_and_refuses_pending_appeals(cast, client, clerk_staff):
    elimination_list = make_list(cast, status="under_review")
    entry = elimination_list.entries.get(staff=clerk_staff)
    appeal = file_appeal(entry=entry, actor=cast.clerk, reason="请假期间")
    url = reverse("assessment:elimination-confirm", args=[elimination_list.pk])
    client.force_login(cast.branch_manager)

    page = client.get(url)
    assert "1 appeal is still pending." in page.content.decode()
    refused = client.post(url, {"version": page.context["form"]["version"].value()})
    assert refused.status_code == 200
    assert "Decide the pending appeals before confirming the list." in refused.content.decode()

    stale = elimination_version("list", elimination_list.pk)
    decide_appeal(appeal=appeal, actor=cast.branch_manager, upheld=False, decision_reason="数据无误")
    conflict = client.post(url, {"version": stale})
    assert conflict.status_code == 409
    done = client.post(url, {"version": conflict.context["form"]["version"].value()})
    assert done.status_code == 303
    elimination_list.refresh_from_db()
    assert elimination_list.status == "confirmed"
    assert AuditEvent.objects.filter(action="assessment.elimination.confirmed").exists()


def test_a_clerk_appeals_their_own_entry_and_the_branch_manager_upholds_it(cast, client, clerk_staff):
    other = clerk_in(cast.hall, employee_no="C0002")
    elimination_list = make_list(cast, status="under_review")
    own = elimination_list.entries.get(staff=clerk_staff)
    client.force_login(cast.clerk)
    assert client.get(reverse("assessment:elimination-appeal", args=[own.pk])).status_code == 200
    foreign = elimination_list.entries.get(staff=other)
    assert client.get(reverse("assessment:elimination-appeal", args=[foreign.pk])).status_code == 404

    url = reverse("assessment:elimination-appeal", args=[own.pk])
    empty = client.post(url, {"version": elimination_version("entry", own.pk), "reason": ""})
    assert empty.context["form"].errors["reason"]
    filed = client.post(url, {"version": elimination_version("entry", own.pk), "reason": "本月休产假"})
    assert filed.status_code == 303
    appeal = Appeal.objects.get(entry=own)
    assert appeal.reason == "本月休产假" and appeal.filed_by == cast.clerk

    client.force_login(cast.branch_manager)
    decide = reverse("assessment:elimination-appeal-decide", args=[appeal.pk])
    version = elimination_version("appeal", appeal.pk)
    no_reason = client.post(decide, {"version": version, "decision": "uphold", "decision_reason": ""})
    assert no_reason.context["form"].errors["decision_reason"]
    upheld = client.post(decide, {"version": version, "decision": "uphold", "decision_reason": "假期属实"})
    assert upheld.status_code == 303
    own.refresh_from_db()
    assert own.status == "removed_on_appeal"
    trail = client.get(detail_url(elimination_list)).context["audit_events"]
    assert {"assessment.elimination.appeal_filed", "assessment.elimination.appeal_decided"} <= {
        e.action for e in trail
    }


def test_a_hall_manager_appeals_for_their_clerk_and_a_stale_form_keeps_the_reason(cast, client, clerk_staff):
    elimination_list = make_list(cast, status="under_review")
    entry = elimination_list.entries.get(staff=clerk_staff)
    stale = elimination_version("entry", entry.pk)
    file_appeal(entry=entry, actor=cast.clerk, reason="本人申诉")  # the clerk was quicker
    client.force_login(cast.hall_manager)

    response = client.post(
        reverse("assessment:elimination-appeal", args=[entry.pk]),
        {"version": stale, "reason": "主管代为申诉"},
    )

    assert response.status_code == 409
    assert response.context["form"]["reason"].value() == "主管代为申诉"
    assert response.context["form"]["version"].value() == elimination_version("entry", entry.pk)
    assert Appeal.objects.filter(entry=entry).count() == 1


def test_the_appeals_list_puts_pending_appeals_first(cast, client, clerk_staff):
    second = clerk_in(cast.hall, employee_no="C0002")
    elimination_list = make_list(cast, status="under_review")
    first = file_appeal(entry=elimination_list.entries.get(staff=clerk_staff), actor=cast.clerk, reason="一")
    decide_appeal(appeal=first, actor=cast.branch_manager, upheld=False, decision_reason="不成立")
    pending = file_appeal(
        entry=elimination_list.entries.get(staff=second), actor=cast.hall_manager, reason="二"
    )
    client.force_login(cast.branch_manager)
    assert [a.pk for a in client.get(APPEALS).context["page_obj"]] == [pending.pk, first.pk]
    client.force_login(cast.hall_manager)
    assert client.get(APPEALS).status_code == 403


def test_outcomes_are_recorded_on_confirmed_lists_and_a_stale_form_is_a_409(cast, client, clerk_staff):
    elimination_list = make_list(cast, status="confirmed")
    entry = elimination_list.entries.get(staff=clerk_staff)
    url = reverse("assessment:elimination-outcome", args=[entry.pk])
    client.force_login(cast.branch_manager)
    version = client.get(url).context["form"]["version"].value()

    assert client.post(url, {"version": version, "outcome": "warning", "note": "书面警告"}).status_code == 303
    entry.refresh_from_db()
    assert (entry.outcome, entry.outcome_note) == ("warning", "书面警告")
    stale = client.post(url, {"version": version, "outcome": "dismissal", "note": "解除合同"})
    assert stale.status_code == 409
    entry.refresh_from_db()
    assert entry.outcome == "warning"
    assert AuditEvent.objects.filter(action="assessment.elimination.outcome_recorded").count() == 1


def test_the_export_lists_the_entries_the_user_sees_and_escapes_cells(cast, client, clerk_staff):
    clerk_in(cast.hall, name='=HYPERLINK("http://evil")', employee_no="C0666")
    clerk_in(cast.other_hall, employee_no="C0003")
    elimination_list = make_list(cast, status="under_review")
    client.force_login(cast.hall_manager)
    response = client.get(reverse("assessment:elimination-export", args=[elimination_list.pk]))
    assert response.status_code == 200
    rows = read_workbook_rows(response.content)["2026-10"]
    assert rows[0][3] == "Employee number"
    assert sorted(row[3] for row in rows[1:]) == ["C0001", "C0666", "M0001"]
    assert next(row for row in rows if row[3] == "C0666")[4] == '\'=HYPERLINK("http://evil")'


def lists_page_queries(client, user) -> tuple[int, int]:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LISTS)
    assert response.status_code == 200
    return len(response.context["page_obj"]), len(queries)


def test_the_lists_page_runs_the_same_queries_at_n_and_3n_lists(cast, client, clerk_staff):
    months = [datetime.date(2026, m, 1) for m in range(1, 10)]
    for month in months[:3]:
        make_list(cast, month=month, status="under_review")
    rows_n, queries_n = lists_page_queries(client, cast.hall_manager)
    for month in months[3:]:
        make_list(cast, month=month, status="under_review")
    rows_3n, queries_3n = lists_page_queries(client, cast.hall_manager)
    assert (rows_n, rows_3n) == (3, 9)
    assert queries_n == queries_3n


def detail_page_queries(client, user, elimination_list) -> tuple[int, int]:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(detail_url(elimination_list))
    assert response.status_code == 200
    return len(response.context["entries"]), len(queries)


@pytest.mark.parametrize("role", ["branch_manager", "hall_manager"])
def test_the_review_page_runs_the_same_queries_at_n_and_3n_entries(cast, client, clerk_staff, role):
    clerk_in(cast.hall, employee_no="S0")  # with the clerk and the hall manager's record: 3
    september = make_list(cast, month=SEPTEMBER, status="under_review")
    for n in range(6):
        clerk_in(cast.hall, employee_no=f"O{n}")
    october = make_list(cast, status="under_review")
    for elimination_list in (september, october):  # one appeal per entry
        for entry in elimination_list.entries.all():
            file_appeal(entry=entry, actor=cast.hall_manager, reason="申诉")
    detail_page_queries(client, getattr(cast, role), september)  # warm per-process caches (content types)
    rows_n, queries_n = detail_page_queries(client, getattr(cast, role), september)
    rows_3n, queries_3n = detail_page_queries(client, getattr(cast, role), october)
    assert (rows_n, rows_3n) == (3, 9)
    assert queries_n == queries_3n


def test_the_appeals_page_runs_the_same_queries_at_n_and_3n_appeals(cast, client, clerk_staff):
    for n in range(7):  # with the clerk and the hall manager's record: 9 entries
        clerk_in(cast.hall, employee_no=f"A{n}")
    elimination_list = make_list(cast, status="under_review")
    entries = list(elimination_list.entries.all())
    for entry in entries[:3]:
        file_appeal(entry=entry, actor=cast.hall_manager, reason="申诉")
    client.force_login(cast.branch_manager)
    with CaptureQueriesContext(connection) as n:
        assert len(client.get(APPEALS).context["page_obj"]) == 3
    for entry in entries[3:]:
        file_appeal(entry=entry, actor=cast.hall_manager, reason="申诉")
    with CaptureQueriesContext(connection) as three_n:
        assert len(client.get(APPEALS).context["page_obj"]) == 9
    assert len(n) == len(three_n)


def test_the_rule_page_shows_errors_beside_fields_and_saves_with_an_audit_row(cast, client):
    client.force_login(cast.branch_manager)
    assert client.get(RULE).context["branch"] == cast.hall.region.parent
    base = {"min_service_months": 0, "exclude_probation": "on"}
    none = client.post(RULE, base)
    assert none.context["form"].errors["bottom_percent"] == [
        "Choose at least one of bottom percent, bottom per hall or total below."
    ]
    wrong = client.post(RULE, {**base, "bottom_percent": "150", "consecutive_months": "1"})
    assert set(wrong.context["form"].errors) == {"bottom_percent", "consecutive_months"}
    assert 'id="id_bottom_percent_errors"' in wrong.content.decode()
    saved = client.post(
        RULE, {**base, "bottom_per_hall": "2", "consecutive_months": "3", "max_leave_days": "10"}
    )
    assert saved.status_code == 303
    rule = EliminationRule.objects.get(branch=cast.hall.region.parent)
    assert (rule.bottom_per_hall, rule.consecutive_months, rule.max_leave_days, rule.exclude_probation) == (
        2,
        3,
        10,
        True,
    )
    assert AuditEvent.objects.filter(
        action="assessment.elimination.rule_set", actor=cast.branch_manager
    ).exists()
    assert client.get(RULE, {"branch": "BR90"}).status_code == 404


def test_the_rule_api_reads_and_sets_the_rule_with_field_errors(cast, api):
    url = reverse("api-assessment-elimination-rule", kwargs={"branch": "BR01"})
    api.force_authenticate(cast.branch_manager)
    assert api.get(url).status_code == 404  # no rule yet
    bad = api.put(url, {"bottom_percent": "0"}, format="json")
    assert bad.status_code == 400 and "bottom_percent" in bad.json()["errors"]
    empty = api.put(url, {"min_service_months": 3}, format="json")
    assert empty.status_code == 400 and "bottom_percent" in empty.json()["errors"]
    done = api.put(url, {"bottom_percent": "5.5", "min_service_months": 3}, format="json")
    assert done.status_code == 200
    assert api.get(url).json() | {"updated_at": None} == {
        "branch": "BR01",
        "bottom_percent": "5.50",
        "bottom_per_hall": None,
        "total_below": None,
        "consecutive_months": None,
        "exclude_probation": True,
        "min_service_months": 3,
        "max_leave_days": None,
        "updated_at": None,
    }
    assert api.get(reverse("api-assessment-elimination-rule", kwargs={"branch": "BR90"})).status_code == 404
    api.force_authenticate(cast.hall_manager)
    assert api.put(url, {"bottom_percent": "50"}, format="json").status_code == 403


def test_the_elimination_pages_are_translated_to_chinese(cast, client, clerk_staff):
    elimination_list = make_list(cast, status="under_review")
    client.force_login(cast.branch_manager)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    page = client.get(detail_url(elimination_list)).content.decode()
    assert "末位淘汰名单" in page and "确认名单" in page
    assert "末位淘汰规则" in client.get(RULE).content.decode()


def test_tied_totals_show_the_same_rank_beside_the_entry_in_its_reason_and_in_the_export(cast, client):
    """No facts for anyone: every clerk totals the same. The page shows rank 1 / 4 among the
    eligible clerks and the reason says rank 1 of 4, shared by 4 (never "bottom 1 of …")."""
    for number in range(3):
        clerk_in(cast.other_hall, employee_no=f"T{number}")
    elimination_list = make_list(cast, rule={"bottom_percent": Decimal(20), "exclude_probation": False})
    clerks = [e for e in elimination_list.entries.select_related("staff") if e.staff.post == "clerk"]
    assert len(clerks) == 4
    client.force_login(cast.branch_manager)
    page = client.get(detail_url(elimination_list)).content.decode()
    assert "Rank among the eligible" in page and "1 / 4" in page
    assert (
        "Bottom 20% of the branch: rank 1 of 4 eligible people, shared by 4 people with the same total; "
        "the last place is listed, with everyone tied into it"
    ) in page.replace("20.0%", "20%")
    assert "from the bottom" not in page
    rows = read_workbook_rows(
        client.get(reverse("assessment:elimination-export", args=[elimination_list.pk])).content
    )
    header, *body = rows["2026-10"]
    rank_column = header.index("Rank among the eligible")
    clerk_rows = [row for row in body if row[3] in {e.staff.employee_no for e in clerks}]
    assert {(row[rank_column], row[rank_column + 1]) for row in clerk_rows} == {(1, 4)}
    assert all("rank 1 of 4" in row[header.index("Why listed")] for row in clerk_rows)
