"""Demo data: a month of published mystery-shop visits (registered with halls.demo, imported by
assessment's AppConfig.ready). Written in bulk inside the seed's one transaction — the durable
services cannot run there — but scored by the same `scoring.compute_scores` and handed to
assessment through the same `record_score_facts`."""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from assessment.mystery_shop.models import (
    Answer,
    ChecklistItem,
    ChecklistTemplate,
    Rectification,
    Visit,
    VisitClerk,
    VisitScore,
)
from assessment.mystery_shop.scoring import Judgement, compute_scores
from assessment.mystery_shop.services import visit_score_facts
from assessment.services.facts import FactInput, record_score_facts
from halls.demo import DemoContext, Scale, register
from halls.models import Membership, Role
from staffing.models import Staff

MAX_DEMO_HALLS = 60
FAIL_RATE = 0.12


@register
def seed_mystery_shop_month(rng: random.Random, scale: Scale, context: DemoContext) -> None:
    """One published visit per hall (at most 60 halls) in the 30 days before the reference day, two
    clerks observed each, ~12 % of answers failed (with rectification tasks, some already accepted),
    plus one covert draft that only the market department sees. Judged by the first checklist in
    force by name — in a freshly migrated database the seeded default is the only one."""
    template = ChecklistTemplate.objects.in_force().first()
    inspector = context.users.get("inspector")
    if template is None or inspector is None:
        return
    items = list(template.items.order_by("position"))
    halls = context.halls[:MAX_DEMO_HALLS]
    managers = {m.hall_id: m.user for m in Membership.objects.filter(role=Role.HALL_MANAGER, hall__in=halls)}
    clerks_by_hall: dict[int, list[Staff]] = {}
    for staff in (
        Staff.objects.filter(hall__in=halls, post=Staff.Post.CLERK)
        .exclude(status=Staff.Status.LEFT)
        .order_by("pk")
    ):
        clerks_by_hall.setdefault(staff.hall_id, []).append(staff)
    hall_managers: dict[int, list[int]] = {}
    for staff in Staff.objects.filter(hall__in=halls, post=Staff.Post.HALL_MANAGER).exclude(
        status=Staff.Status.LEFT
    ):
        hall_managers.setdefault(staff.hall_id, []).append(staff.pk)
    tz = timezone.get_current_timezone()
    facts: list[FactInput] = []
    visits = 0
    for hall in halls:
        clerks = clerks_by_hall.get(hall.pk, [])[:2]
        if not clerks:
            continue
        day = context.today - timedelta(days=rng.randint(1, 30))
        visited_at = datetime.combine(day, time(rng.randint(9, 16), rng.choice((0, 15, 30, 45))), tz)
        published_at = visited_at + timedelta(days=1)
        visit = Visit.objects.create(
            template=template,
            hall=hall,
            inspector=inspector,
            visited_at=visited_at,
            mode=rng.choice([Visit.Mode.OVERT, Visit.Mode.COVERT]),
            status=Visit.Status.PUBLISHED,
            wait_minutes=rng.randint(2, 25),
            submitted_at=published_at,
            published_at=published_at,
            first_published_at=published_at,
            published_by=inspector,
            hall_score=Decimal("100"),
        )
        visit_clerks = VisitClerk.objects.bulk_create([VisitClerk(visit=visit, staff=s) for s in clerks])
        answers = []
        for item in items:
            targets = [None] if item.scope == ChecklistItem.Scope.HALL else visit_clerks
            for clerk in targets:
                failed = rng.random() < (0.02 if item.is_veto else FAIL_RATE)
                answers.append(
                    Answer(
                        visit=visit,
                        item=item,
                        clerk=clerk,
                        result=Answer.Result.FAIL if failed else Answer.Result.PASS,
                        deduction=item.deduction if failed else Decimal("0"),
                        updated_by=inspector,
                    )
                )
        Answer.objects.bulk_create(answers)
        scores = compute_scores(
            [
                Judgement(
                    a.clerk.pk if a.clerk else None,
                    a.result == Answer.Result.FAIL,
                    a.deduction,
                    a.item.is_veto,
                )
                for a in answers
            ],
            [c.pk for c in visit_clerks],
        )
        Visit.objects.filter(pk=visit.pk).update(hall_score=scores.hall, vetoed=scores.vetoed)
        for clerk in visit_clerks:
            clerk.score = scores.clerks[clerk.pk]
        VisitClerk.objects.bulk_update(visit_clerks, ["score"])
        rows = [
            VisitScore(visit=visit, staff_id=c.staff_id, kind=VisitScore.Kind.CLERK, score=c.score)
            for c in visit_clerks
        ]
        rows += [
            VisitScore(visit=visit, staff_id=pk, kind=VisitScore.Kind.HALL, score=scores.hall)
            for pk in hall_managers.get(hall.pk, [])
        ]
        facts += visit_score_facts(visit, VisitScore.objects.bulk_create(rows))
        tasks = []
        for answer in answers:
            if answer.result != Answer.Result.FAIL:
                continue
            deadline = day + timedelta(days=8)
            done = deadline < context.today and rng.random() < 0.8
            submitted = published_at + timedelta(days=rng.randint(2, 9)) if done else None
            tasks.append(
                Rectification(
                    visit=visit,
                    answer=answer,
                    hall=hall,
                    owner=managers.get(hall.pk),
                    deadline=deadline,
                    required_evidence=f"整改“{answer.item.text}”的照片或说明",
                    status=Rectification.Status.ACCEPTED if done else Rectification.Status.OPEN,
                    evidence_note="已整改并复查" if done else "",
                    submitted_at=submitted,
                    accepted_at=submitted + timedelta(days=1) if submitted else None,
                )
            )
        Rectification.objects.bulk_create(tasks)
        visits += 1
    if facts:
        record_score_facts(facts=facts)
    if halls:
        Visit.objects.create(
            template=template,
            hall=halls[0],
            inspector=inspector,
            visited_at=datetime.combine(context.today, time(10, 0), tz),
            mode=Visit.Mode.COVERT,
        )
    context.extra["mystery_shop"] = {"visits": visits, "facts": len(facts)}
