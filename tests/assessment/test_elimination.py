"""Bottom-elimination list: rules, exclusions, ties, idempotent generation, workflow, appeals,
outcomes, audit rows, HR visibility and the task queued by publishing."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessment.elimination_selectors import describe_reason
from assessment.exceptions import AppealInvalid, EliminationRuleInvalid, EliminationStateError, OutcomeInvalid
from assessment.models import Appeal, EliminationEntry, EliminationList, EliminationRule, Measure, ResultRun
from assessment.services import compute_month_results, publish_results
from assessment.services.elimination import (
    confirm_elimination_list,
    decide_appeal,
    file_appeal,
    generate_elimination_list,
    record_outcome,
    set_elimination_rule,
    start_review,
)
from halls.models import AuditEvent
from staffing.models import Leave, Staff
from tests.assessment.factories import OCTOBER, add_facts, clerk_in, fact_input

pytestmark = pytest.mark.django_db
SEPTEMBER = datetime.date(2026, 9, 1)
LISTS = "/api/v1/assessment/elimination-lists/"
ENTRIES = "/api/v1/assessment/elimination-entries/"


def scored(staff, value, month=OCTOBER):
    """Only an evaluation score inside the scheme's band (60–95): the total grows with `value`
    (0–100), equal values give equal totals."""
    score = Decimal(60) + Decimal(value) * Decimal("0.35")
    add_facts(fact_input(staff, Measure.EVALUATION_SCORE, score, day=month.replace(day=10)))
    return staff


def publish(branch, actor, month=OCTOBER) -> ResultRun:
    run = compute_month_results(branch=branch, month=month)
    publish_results(run=run, actor=actor)
    return run


def listed(elimination_list) -> set[str]:
    return set(elimination_list.entries.filter(status="listed").values_list("staff__employee_no", flat=True))


def clerks(hall, values, prefix):
    return [scored(clerk_in(hall, employee_no=f"{prefix}{i}"), v) for i, v in enumerate(values)]


def test_bottom_percent_lists_the_lowest_of_the_post_in_the_branch(branch, hall, other_hall, branch_manager):
    EliminationRule.objects.create(branch=branch, bottom_percent=Decimal("20"))
    clerks(hall, [10, 20, 30, 40, 50], "A")
    clerks(other_hall, [15, 60, 70, 80, 90], "B")
    elimination_list = generate_elimination_list(run=publish(branch, branch_manager))
    assert listed(elimination_list) == {"A0", "B0"}  # ceil(20 % of 10) = 2
    reasons = EliminationEntry.objects.get(staff__employee_no="A0").reasons
    assert reasons == [
        {
            "rule": "bottom_percent",
            "percent": 20.0,
            "rank_from_bottom": 1,
            "ranked": 10,
            "rank": 10,
            "tied": 1,
            "places": 2,
        }
    ]
    entry = EliminationEntry.objects.get(staff__employee_no="A0")
    assert (entry.branch_position, entry.hall_position) == ((10, 10), (5, 5))
    assert describe_reason(reasons[0]) == (
        "Bottom 20.0% of the branch: rank 10 of 10 eligible people; the last 2 places are listed"
    )


def test_ties_the_reason_and_the_shown_rank_name_one_position_in_one_group(
    branch, hall, other_hall, branch_manager, english
):
    """Everyone tied: each is rank 1 of 6 (RANK(), the results' rule) and the reason says so, with
    the tie; an ineligible person (probation) counts in neither figure."""
    EliminationRule.objects.create(branch=branch, bottom_percent=Decimal("20"), exclude_probation=True)
    clerks(hall, [10, 10, 10], "A")
    clerks(other_hall, [10, 10, 10], "B")
    on_probation = scored(clerk_in(other_hall, employee_no="P0"), 10)
    Staff.objects.filter(pk=on_probation.pk).update(status="probation")
    elimination_list = generate_elimination_list(run=publish(branch, branch_manager))
    assert listed(elimination_list) == {"A0", "A1", "A2", "B0", "B1", "B2"}  # quota 2, all tied
    for entry in elimination_list.entries.select_related("result"):
        assert entry.result.rank_in_branch == 1 and entry.result.branch_size == 7  # everyone of the post
        assert entry.branch_position == (1, 6)  # the eligible people the rule ranked
        assert entry.hall_position == (1, 3)
        (reason,) = entry.reasons
        assert (reason["rank"], reason["ranked"], reason["tied"]) == (*entry.branch_position, 6)
        assert describe_reason(reason) == (
            "Bottom 20.0% of the branch: rank 1 of 6 eligible people, shared by 6 people with the same "
            "total; the last 2 places are listed, with everyone tied into them"
        )


def test_a_tie_at_the_cut_off_names_the_same_rank_as_the_list(branch, hall, branch_manager, english):
    EliminationRule.objects.create(branch=branch, bottom_percent=Decimal("20"), bottom_per_hall=1)
    clerks(hall, [50, 40, 30, 10, 10], "A")  # ranks 1, 2, 3, 4, 4; the last place is shared
    generate_elimination_list(run=publish(branch, branch_manager))
    entries = {e.staff.employee_no: e for e in EliminationEntry.objects.select_related("staff", "result")}
    assert set(entries) == {"A3", "A4"}
    for entry in entries.values():
        assert entry.branch_position == (entry.result.rank_in_branch, entry.result.branch_size) == (4, 5)
        texts = [describe_reason(r) for r in entry.reasons]
        assert texts == [
            "Bottom 20.0% of the branch: rank 4 of 5 eligible people, shared by 2 people with the same "
            "total; the last place is listed, with everyone tied into it",
            "Bottom 1 of the hall: rank 4 of 5 eligible people in the hall, shared by 2 people with the "
            "same total; the last place is listed, with everyone tied into it",
        ]


def test_everyone_tied_at_the_cut_off_is_listed(branch, hall, branch_manager):
    EliminationRule.objects.create(branch=branch, bottom_percent=Decimal("20"))
    clerks(hall, [10, 10, 30, 40, 50], "A")  # quota ceil(20 % of 5) = 1, two share rank 1
    elimination_list = generate_elimination_list(run=publish(branch, branch_manager))
    assert listed(elimination_list) == {"A0", "A1"}


def test_bottom_n_per_hall_takes_the_lowest_of_each_hall(branch, hall, other_hall, branch_manager):
    EliminationRule.objects.create(branch=branch, bottom_per_hall=1)
    clerks(hall, [10, 20, 30], "A")
    clerks(other_hall, [50, 60, 70], "B")
    elimination_list = generate_elimination_list(run=publish(branch, branch_manager))
    assert listed(elimination_list) == {"A0", "B0"}
    assert EliminationEntry.objects.get(staff__employee_no="B0").reasons[0]["rule"] == "bottom_per_hall"


def test_a_total_below_the_threshold_is_listed_whatever_the_rank(branch, hall, branch_manager):
    clerks(hall, [10, 20, 90, 100], "A")
    run = publish(branch, branch_manager)
    threshold = run.results.get(staff__employee_no="A1").total + Decimal("0.01")
    EliminationRule.objects.create(branch=branch, total_below=threshold)
    elimination_list = generate_elimination_list(run=run)
    assert listed(elimination_list) == {"A0", "A1"}
    assert {r["rule"] for r in elimination_list.entries.get(staff__employee_no="A0").reasons} == {
        "total_below"
    }


def test_consecutive_months_lists_only_people_in_the_bottom_group_every_month(branch, hall, branch_manager):
    EliminationRule.objects.create(branch=branch, bottom_per_hall=1, consecutive_months=2)
    a, b, c = (clerk_in(hall, employee_no=no) for no in ("A", "B", "C"))
    for staff, value in ((a, 10), (b, 50), (c, 90)):
        scored(staff, value, SEPTEMBER)
    september = generate_elimination_list(run=publish(branch, branch_manager, SEPTEMBER))
    assert listed(september) == set()  # no earlier published month yet
    scored(a, 10)
    scored(b, 10)
    scored(c, 90)
    october = generate_elimination_list(run=publish(branch, branch_manager))
    assert listed(october) == {"A"}  # B is in the bottom group in October only
    rules = [r["rule"] for r in october.entries.get().reasons]
    assert rules == ["bottom_per_hall", "consecutive_months"]


def test_probation_short_service_and_long_leave_are_excluded_before_ranking(branch, hall, branch_manager):
    EliminationRule.objects.create(
        branch=branch, bottom_per_hall=1, min_service_months=6, max_leave_days=10, exclude_probation=True
    )
    scored(clerk_in(hall, employee_no="P", status=Staff.Status.PROBATION), 5)
    scored(clerk_in(hall, employee_no="N", since=datetime.date(2026, 6, 1)), 6)  # 5 months by October's end
    on_leave = scored(clerk_in(hall, employee_no="L"), 7)
    Leave.objects.create(
        staff=on_leave,
        kind="sick",
        start_date=datetime.date(2026, 9, 25),
        end_date=datetime.date(2026, 10, 10),
        approved=True,
    )
    asked = scored(clerk_in(hall, employee_no="U"), 8)
    Leave.objects.create(
        staff=asked, kind="annual", start_date=OCTOBER, end_date=datetime.date(2026, 10, 20), approved=False
    )
    scored(clerk_in(hall, employee_no="S", since=datetime.date(2026, 5, 1)), 9)  # 6 months: eligible
    elimination_list = generate_elimination_list(run=publish(branch, branch_manager))
    assert listed(elimination_list) == {"U"}  # unapproved leave does not count


def test_leave_below_the_limit_does_not_exclude(branch, hall, branch_manager):
    EliminationRule.objects.create(branch=branch, bottom_per_hall=1, max_leave_days=10)
    staff = scored(clerk_in(hall, employee_no="L"), 5)
    scored(clerk_in(hall, employee_no="M"), 50)
    Leave.objects.create(
        staff=staff,
        kind="sick",
        start_date=datetime.date(2026, 10, 23),
        end_date=datetime.date(2026, 11, 5),
        approved=True,
    )  # 14 days, 9 of them in October
    assert listed(generate_elimination_list(run=publish(branch, branch_manager))) == {"L"}


def test_generating_twice_changes_nothing(branch, hall, branch_manager):
    EliminationRule.objects.create(branch=branch, bottom_per_hall=1)
    clerks(hall, [10, 20], "A")
    run = publish(branch, branch_manager)
    first = generate_elimination_list(run=run)
    before = list(EliminationEntry.objects.values_list("pk", "updated_at"))
    with CaptureQueriesContext(connection) as queries:
        again = generate_elimination_list(run=run)
    assert again.pk == first.pk and EliminationList.objects.count() == 1
    assert list(EliminationEntry.objects.values_list("pk", "updated_at")) == before
    assert not [q for q in queries.captured_queries if q["sql"].startswith(("INSERT", "UPDATE"))]
    assert AuditEvent.objects.filter(action="assessment.elimination.generated").count() == 1
    assert AuditEvent.objects.get(action="assessment.elimination.generated").data["listed"] == 1


def test_no_list_without_a_rule_or_for_a_draft(branch, hall, branch_manager):
    clerks(hall, [10, 20], "A")
    draft = compute_month_results(branch=branch, month=OCTOBER)
    EliminationRule.objects.create(branch=branch, bottom_per_hall=1)
    assert generate_elimination_list(run=draft) is None
    EliminationRule.objects.all().delete()
    publish_results(run=draft, actor=branch_manager)
    assert generate_elimination_list(run=draft) is None
    assert not EliminationList.objects.exists()


def test_publishing_queues_the_generation_on_commit(
    branch, hall, branch_manager, django_capture_on_commit_callbacks
):
    EliminationRule.objects.create(branch=branch, bottom_per_hall=1)
    clerks(hall, [10, 20], "A")
    run = compute_month_results(branch=branch, month=OCTOBER)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        publish_results(run=run, actor=branch_manager)
    assert len(callbacks) == 1
    assert listed(EliminationList.objects.get(run=run)) == {"A0"}


@pytest.fixture
def generated(branch, hall, branch_manager, clerk_staff):
    """A generated list with the cast's clerk (lowest) and one more person of the hall listed."""
    EliminationRule.objects.create(branch=branch, bottom_per_hall=2)
    scored(clerk_staff, 5)
    clerks(hall, [10, 90], "A")
    return generate_elimination_list(run=publish(branch, branch_manager))


def test_the_workflow_refuses_steps_out_of_order(generated, branch_manager, hall_manager):
    with pytest.raises(EliminationStateError, match="Only a list under review can be confirmed"):
        confirm_elimination_list(elimination_list=generated, actor=branch_manager)
    with pytest.raises(PermissionDenied):
        start_review(elimination_list=generated, actor=hall_manager)
    start_review(elimination_list=generated, actor=branch_manager)
    with pytest.raises(EliminationStateError, match="Only a generated list"):
        start_review(elimination_list=generated, actor=branch_manager)
    entry = generated.entries.get(staff__employee_no="A0")
    with pytest.raises(EliminationStateError, match="confirmed lists only"):
        record_outcome(entry=entry, actor=branch_manager, outcome="warning")
    with pytest.raises(PermissionDenied):
        confirm_elimination_list(elimination_list=generated, actor=hall_manager)
    confirmed = confirm_elimination_list(elimination_list=generated, actor=branch_manager)
    assert (confirmed.status, confirmed.confirmed_by) == ("confirmed", branch_manager)
    actions = list(
        AuditEvent.objects.filter(action__startswith="assessment.elimination.")
        .values_list("action", flat=True)
        .order_by("pk")
    )
    assert actions == [
        "assessment.elimination.generated",
        "assessment.elimination.review_started",
        "assessment.elimination.confirmed",
    ]


def test_appeals_are_filed_by_the_clerk_or_hall_manager_and_block_confirmation(
    generated, branch_manager, hall_manager, clerk, clerk_staff, other_hall_manager
):
    own = generated.entries.get(staff=clerk_staff)
    other = generated.entries.get(staff__employee_no="A0")
    with pytest.raises(EliminationStateError, match="under review"):
        file_appeal(entry=own, actor=clerk, reason="系统故障")
    start_review(elimination_list=generated, actor=branch_manager)
    with pytest.raises(PermissionDenied):
        file_appeal(entry=other, actor=clerk, reason="不是我的")
    with pytest.raises(PermissionDenied):
        file_appeal(entry=other, actor=other_hall_manager, reason="别的厅")
    with pytest.raises(PermissionDenied):
        file_appeal(entry=other, actor=branch_manager, reason="分公司")
    with pytest.raises(AppealInvalid, match="Give the reason"):
        file_appeal(entry=own, actor=clerk, reason="  ")
    appeal = file_appeal(entry=own, actor=clerk, reason="当月病假未录入")
    with pytest.raises(AppealInvalid, match="already pending"):
        file_appeal(entry=own, actor=hall_manager, reason="再次")
    file_appeal(entry=other, actor=hall_manager, reason="设备故障")
    with pytest.raises(EliminationStateError, match="pending appeals"):
        confirm_elimination_list(elimination_list=generated, actor=branch_manager)
    assert AuditEvent.objects.filter(action="assessment.elimination.appeal_filed").count() == 2
    assert appeal.filed_by == clerk and appeal.status == "pending"


def test_an_upheld_appeal_removes_the_entry_and_keeps_the_row(
    generated, branch_manager, hall_manager, clerk, clerk_staff
):
    start_review(elimination_list=generated, actor=branch_manager)
    entry = generated.entries.get(staff=clerk_staff)
    rejected_entry = generated.entries.get(staff__employee_no="A0")
    appeal = file_appeal(entry=entry, actor=clerk, reason="当月病假未录入")
    second = file_appeal(entry=rejected_entry, actor=hall_manager, reason="设备故障")
    stamp = EliminationEntry.objects.get(pk=entry.pk).updated_at
    with pytest.raises(PermissionDenied):
        decide_appeal(appeal=appeal, actor=hall_manager, upheld=True, decision_reason="同意")
    with pytest.raises(AppealInvalid, match="reason for the decision"):
        decide_appeal(appeal=appeal, actor=branch_manager, upheld=True, decision_reason="")
    decide_appeal(appeal=appeal, actor=branch_manager, upheld=True, decision_reason="病假属实")
    decide_appeal(appeal=second, actor=branch_manager, upheld=False, decision_reason="数据无误")
    with pytest.raises(AppealInvalid, match="already decided"):
        decide_appeal(appeal=second, actor=branch_manager, upheld=True, decision_reason="改判")
    entry.refresh_from_db()
    assert entry.status == "removed_on_appeal" and entry.updated_at > stamp
    assert EliminationEntry.objects.get(pk=rejected_entry.pk).status == "listed"
    assert list(Appeal.objects.order_by("pk").values_list("status", "decided_by")) == [
        ("upheld", branch_manager.pk),
        ("rejected", branch_manager.pk),
    ]
    assert AuditEvent.objects.filter(action="assessment.elimination.appeal_decided").count() == 2
    with pytest.raises(AppealInvalid, match="already removed"):
        file_appeal(entry=entry, actor=clerk, reason="再次")
    confirm_elimination_list(elimination_list=generated, actor=branch_manager)
    with pytest.raises(OutcomeInvalid, match="removed on appeal"):
        record_outcome(entry=entry, actor=branch_manager, outcome="warning")


def test_outcomes_are_recorded_on_confirmed_lists_by_branch_management(
    generated, branch_manager, hall_manager
):
    start_review(elimination_list=generated, actor=branch_manager)
    confirm_elimination_list(elimination_list=generated, actor=branch_manager)
    entry = generated.entries.get(staff__employee_no="A0")
    with pytest.raises(PermissionDenied):
        record_outcome(entry=entry, actor=hall_manager, outcome="warning")
    with pytest.raises(OutcomeInvalid, match="Choose"):
        record_outcome(entry=entry, actor=branch_manager, outcome="promotion")
    record_outcome(entry=entry, actor=branch_manager, outcome="improvement_plan", note="三个月改进计划")
    entry.refresh_from_db()
    assert (entry.outcome, entry.outcome_note, entry.outcome_recorded_by) == (
        "improvement_plan",
        "三个月改进计划",
        branch_manager,
    )
    assert AuditEvent.objects.get(action="assessment.elimination.outcome_recorded").data == {
        "outcome": "improvement_plan"
    }


def test_hr_sees_only_confirmed_lists_and_syncs_removals_as_tombstones(
    cast, api, generated, branch_manager, clerk, clerk_staff
):
    hr = api.as_token(cast.hr_client.raw_token)
    assert hr.get(LISTS).json()["results"] == []
    assert hr.get(ENTRIES).json()["results"] == []
    bm = api.as_user(branch_manager)
    assert [row["status"] for row in bm.get(LISTS).json()["results"]] == ["generated"]
    assert bm.post(f"{LISTS}{generated.pk}/review/").json()["status"] == "under_review"
    clerk_view = api.as_user(clerk).get(ENTRIES).json()["results"]
    assert [row["employee_no"] for row in clerk_view] == [clerk_staff.employee_no]
    response = api.as_user(clerk).post(
        f"{ENTRIES}{clerk_view[0]['id']}/appeal/", {"reason": "病假未录入"}, format="json"
    )
    assert response.status_code == 201
    appeal_id = response.json()["id"]
    bm = api.as_user(branch_manager)
    refused = bm.post(f"{LISTS}{generated.pk}/confirm/")
    # The API answers in the default language (zh-hans).
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"status": ["请先处理待决的申诉，再确认名单。"]}
    decided = bm.post(
        f"/api/v1/assessment/elimination-appeals/{appeal_id}/decide/",
        {"upheld": True, "decision_reason": "病假属实"},
        format="json",
    )
    assert decided.json()["status"] == "upheld"
    assert bm.post(f"{LISTS}{generated.pk}/confirm/").json()["status"] == "confirmed"
    entry_id = EliminationEntry.objects.get(staff__employee_no="A0").pk
    outcome = bm.post(
        f"{ENTRIES}{entry_id}/outcome/", {"outcome": "warning", "note": "书面警告"}, format="json"
    )
    assert outcome.json()["outcome"] == "warning"
    hr = api.as_token(cast.hr_client.raw_token)
    body = hr.get(LISTS).json()["results"]
    # The hall manager is alone in their post in the hall: the bottom of it (bottom 2 per hall).
    assert [(row["status"], len(row["entries"])) for row in body] == [("confirmed", 3)]
    rows = hr.get(ENTRIES, {"page_size": 2}).json()
    assert len(rows["results"]) == 2 and rows["next"]
    second = hr.get(rows["next"]).json()
    assert second["next"] is None
    statuses = {
        row["employee_no"]: (row["status"], row["outcome"]) for row in rows["results"] + second["results"]
    }
    assert statuses == {
        clerk_staff.employee_no: ("removed_on_appeal", ""),
        "A0": ("listed", "warning"),
        "M0001": ("listed", ""),
    }
    later = hr.get(ENTRIES, {"updated_since": "2099-01-01T00:00:00Z"}).json()["results"]
    assert later == []


def test_the_entries_endpoint_runs_the_same_queries_at_n_and_3n_rows(cast, api, branch, hall, branch_manager):
    EliminationRule.objects.create(branch=branch, total_below=Decimal("100"))

    def count(n):
        clerks(hall, [10] * n, f"N{n}-")
        elimination_list = generate_elimination_list(run=publish(branch, branch_manager, month))
        start_review(elimination_list=elimination_list, actor=branch_manager)
        confirm_elimination_list(elimination_list=elimination_list, actor=branch_manager)
        client = api.as_token(cast.hr_client.raw_token)
        client.get(ENTRIES)  # warm the per-process caches (content types, token lookup path)
        with CaptureQueriesContext(connection) as queries:
            rows = client.get(ENTRIES, {"month": f"{month:%Y-%m}"}).json()["results"]
        return len(rows), len(queries)

    month = SEPTEMBER
    small = count(2)
    month = OCTOBER
    large = count(6)
    assert small[0] < large[0] and small[1] == large[1]


def test_branch_management_sets_the_rule_with_an_audit_row(branch, branch_manager, hall_manager):
    with pytest.raises(PermissionDenied):
        set_elimination_rule(branch=branch, actor=hall_manager, bottom_per_hall=1)
    with pytest.raises(EliminationRuleInvalid, match="at least one"):
        set_elimination_rule(branch=branch, actor=branch_manager, consecutive_months=2)
    set_elimination_rule(branch=branch, actor=branch_manager, bottom_per_hall=1)
    rule = set_elimination_rule(
        branch=branch, actor=branch_manager, bottom_percent=Decimal("5"), max_leave_days=15
    )
    assert (rule.bottom_per_hall, rule.bottom_percent, rule.max_leave_days) == (None, Decimal("5"), 15)
    assert EliminationRule.objects.count() == 1
    audit = AuditEvent.objects.filter(action="assessment.elimination.rule_set").order_by("pk").last()
    assert audit.data["bottom_percent"] == "5" and audit.actor == branch_manager
