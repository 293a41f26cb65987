from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from assessment.models import ScoreFact
from complaints import accountability_services, services
from complaints.exceptions import AccountabilityAlreadyDecided, AccountabilityInvalid, TransitionNotAllowed
from complaints.scoring import score_facts_for_accountability
from halls.models import AuditEvent
from tests.staffing.factories import StaffFactory


@pytest.fixture
def replied(in_progress, cast, second_clerk):
    in_progress.clerks.add(second_clerk)
    return services.reply_to_customer(
        actor=cast.clerk, complaint=in_progress, reply="已致歉", root_cause="用语不当"
    )


@pytest.mark.django_db
def test_an_at_fault_finding_becomes_one_score_fact_per_responsible_clerk(
    replied, cast, subject_clerk, second_clerk
):
    finding = accountability_services.record_accountability(
        actor=cast.hall_manager,
        complaint=replied,
        finding="shared",
        reason="两人均未按规范解释资费",
        shares=[(second_clerk, Decimal("1.5")), (subject_clerk, Decimal("3"))],
    )
    assert finding.month == date(2026, 11, 1) and finding.decided_by == cast.hall_manager
    facts = score_facts_for_accountability(finding)
    assert [(f.staff_id, f.value) for f in facts] == sorted(
        [(subject_clerk.pk, Decimal("3.00")), (second_clerk.pk, Decimal("1.50"))]
    )
    fact = facts[0]
    assert (fact.hall_id, fact.occurred_on, fact.source, fact.measure, fact.evidence_type) == (
        cast.hall.pk,
        date(2026, 11, 1),
        "complaint",
        "complaint_accountability",
        "complaint_accountability",
    )
    assert fact.evidence_id in set(finding.shares.values_list("pk", flat=True))
    # The finding's deductions are in assessment's fact table, written in the finding's transaction.
    stored = sorted(
        ScoreFact.objects.filter(measure="complaint_accountability").values_list(
            "staff_id", "value", "evidence_id"
        )
    )
    assert stored == sorted((f.staff_id, f.value, f.evidence_id) for f in facts)
    assert replied.number in fact.evidence_label and "两人均未按规范解释资费" in fact.evidence_label
    audit = AuditEvent.objects.for_object(finding).get()
    assert audit.action == "complaints.accountability.decided"
    assert audit.data["shares"] == {str(second_clerk.pk): "1.5", str(subject_clerk.pk): "3"}
    assert replied.events.filter(kind="accountability").count() == 1


@pytest.mark.django_db
def test_a_not_at_fault_finding_gives_no_score_facts(replied, cast):
    finding = accountability_services.record_accountability(
        actor=cast.branch_manager,
        complaint=replied,
        finding="not_at_fault",
        reason="网络故障，非营业员责任",
        shares=[],
    )
    assert score_facts_for_accountability(finding) == []
    assert not ScoreFact.objects.exists()


@pytest.mark.django_db
def test_the_finding_may_count_in_a_chosen_assessment_month(replied, cast, subject_clerk):
    finding = accountability_services.record_accountability(
        actor=cast.hall_manager,
        complaint=replied,
        finding="at_fault",
        reason="违规办理",
        shares=[(subject_clerk, Decimal("2"))],
        month=date(2026, 12, 15),
    )
    assert score_facts_for_accountability(finding)[0].occurred_on == date(2026, 12, 1)
    assert ScoreFact.objects.get(measure="complaint_accountability").occurred_on == date(2026, 12, 1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("finding", "shares", "field"),
    [
        ("at_fault", [], "shares"),
        ("not_at_fault", ["clerk:1"], "shares"),
        ("at_fault", ["clerk:0"], "shares"),
        ("at_fault", ["clerk:101"], "shares"),
        ("at_fault", ["clerk:1", "clerk:2"], "shares"),
        ("at_fault", ["stranger:1"], "shares"),
        ("guilty", ["clerk:1"], "finding"),
    ],
)
def test_invalid_findings_are_refused(replied, cast, subject_clerk, finding, shares, field):
    stranger = StaffFactory(hall=cast.hall)
    people = {"clerk": subject_clerk, "stranger": stranger}
    pairs = [(people[s.split(":")[0]], Decimal(s.split(":")[1])) for s in shares]
    with pytest.raises(AccountabilityInvalid) as error:
        accountability_services.record_accountability(
            actor=cast.hall_manager, complaint=replied, finding=finding, reason="r", shares=pairs
        )
    assert error.value.field == field


@pytest.mark.django_db
def test_a_finding_is_decided_once_after_the_reply_and_by_a_manager(in_progress, cast, subject_clerk):
    with pytest.raises(TransitionNotAllowed):
        accountability_services.record_accountability(
            actor=cast.hall_manager,
            complaint=in_progress,
            finding="at_fault",
            reason="r",
            shares=[(subject_clerk, 1)],
        )
    replied = services.reply_to_customer(actor=cast.clerk, complaint=in_progress, reply="好", root_cause="因")
    for outsider in (cast.clerk, cast.inspector, cast.other_hall_manager):
        with pytest.raises(PermissionDenied):
            accountability_services.record_accountability(
                actor=outsider, complaint=replied, finding="at_fault", reason="r", shares=[(subject_clerk, 1)]
            )
    accountability_services.record_accountability(
        actor=cast.hall_manager,
        complaint=replied,
        finding="at_fault",
        reason="r",
        shares=[(subject_clerk, 1)],
    )
    with pytest.raises(AccountabilityAlreadyDecided):
        accountability_services.record_accountability(
            actor=cast.branch_manager, complaint=replied, finding="not_at_fault", reason="r", shares=[]
        )
