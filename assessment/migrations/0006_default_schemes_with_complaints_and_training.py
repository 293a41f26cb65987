"""The next version of each default scheme, in force from 2026-12: complaint accountability and
training join the indicators, and the other weights make room so that they still sum to 100.

Follows the rules of assessment/services/schemes.py (create_scheme_version + activate_scheme):
version = last + 1; weights sum to exactly 100 and each rule has its parameters; the version in
force before ends on 2026-11-30. A post is left alone when a version already starts on or after
2026-12-01 or a month from then on is already published with its scheme (history is never
rewritten), and when its version in force is not the seeded default (someone edited the rules:
their next version is theirs to make).

Indicators added:
- complaints: sum of the month's accountable-complaint deductions (the points each finding
  deducts from each responsible clerk), deduction 1 per point from 10, floor 0 — with weight 10
  and 10 maximum points a finding's deduction comes off the total one for one.
- training_absences: sum of unexcused absences from training sessions, 1 point each from 5,
  floor 0 (excused absences and attendance count nothing).
- training_exam: average exam score as % of the maximum, direct points out of 100; a month
  without an exam earns full points.
"""

from datetime import date, timedelta
from decimal import Decimal as D

from django.db import migrations
from django.db.models import Max

FROM = date(2026, 12, 1)
SEEDED_FROM = date(2020, 1, 1)

COMPLAINTS = {
    "code": "complaints",
    "name": "客户投诉 Accountable complaints",
    "source": "complaint",
    "measure": "complaint_accountability",
    "aggregate": "sum",
    "rule": "deduction",
    "max_points": D(10),
    "deduction_per_unit": D(1),
    "floor": D(0),
    "when_missing": "zero",
}
TRAINING_ABSENCES = {
    "code": "training_absences",
    "name": "培训出勤 Training attendance",
    "source": "training",
    "measure": "training_absences",
    "aggregate": "sum",
    "rule": "deduction",
    "max_points": D(5),
    "deduction_per_unit": D(1),
    "floor": D(0),
    "when_missing": "zero",
}
TRAINING_EXAM = {
    "code": "training_exam",
    "name": "培训考试 Training exams",
    "source": "training",
    "measure": "exam_score",
    "aggregate": "avg",
    "rule": "direct_points",
    "max_points": D(100),
    "when_missing": "full",
}
ADDED = [(COMPLAINTS, D(10)), (TRAINING_ABSENCES, D(5)), (TRAINING_EXAM, D(5))]

# post -> (name, {existing indicator code: new weight}); the seeded indicators keep their rules.
SCHEMES = {
    "clerk": (
        "营业员星级考核 Clerk star rating",
        {
            "evaluation": 20,
            "transactions": 12,
            "recommendations": 12,
            "sales": 8,
            "supervisor": 10,
            "mystery_shop": 10,
            "discipline": 8,
        },
    ),
    "guide": (
        "导向考核 Guide assessment",
        {"evaluation": 25, "supervisor": 25, "mystery_shop": 15, "discipline": 15},
    ),
    "duty_manager": (
        "值班经理考核 Duty manager assessment",
        {"evaluation": 15, "supervisor": 35, "mystery_shop": 15, "discipline": 15},
    ),
    "vip_manager": (
        "大客户经理考核 VIP manager assessment",
        {"sales": 35, "evaluation": 15, "supervisor": 25, "discipline": 5},
    ),
    "hall_manager": (
        "厅经理考核 Hall manager assessment",
        {"mystery_shop": 35, "evaluation": 25, "supervisor": 15, "discipline": 5},
    ),
}

COPIED = (
    "code",
    "name",
    "source",
    "measure",
    "aggregate",
    "max_points",
    "rule",
    "target",
    "band_low",
    "band_high",
    "deduction_per_unit",
    "floor",
    "when_missing",
)


def _check(lines: list[dict]) -> None:
    """The checks of schemes.validate_indicators that these fixed lines could fail."""
    total = sum((line["weight"] for line in lines), D(0))
    codes = [line["code"] for line in lines]
    if total != D(100) or len(set(codes)) != len(codes):
        raise ValueError(f"default scheme invalid: weights {total}, codes {codes}")
    for line in lines:
        if line["rule"] == "deduction" and not (0 <= line["floor"] <= line["max_points"]):
            raise ValueError(f"default scheme invalid: {line['code']}")


def add_versions(apps, schema_editor):
    Scheme = apps.get_model("assessment", "AssessmentScheme")
    Indicator = apps.get_model("assessment", "Indicator")
    ResultRun = apps.get_model("assessment", "ResultRun")
    for post, (name, weights) in SCHEMES.items():
        active = Scheme.objects.select_for_update().filter(post=post, status="active")
        current = active.filter(effective_from__lt=FROM).order_by("-effective_from").first()
        if (
            current is None
            or current.version != 1
            or current.effective_from != SEEDED_FROM
            or active.filter(effective_from__gte=FROM).exists()
            or ResultRun.objects.filter(
                published_at__isnull=False, month__gte=FROM, schemes__post=post
            ).exists()
        ):
            continue
        seeded = {i.code: i for i in Indicator.objects.filter(scheme=current)}
        if set(seeded) != set(weights):
            continue
        lines = [
            {**{field: getattr(seeded[code], field) for field in COPIED}, "weight": D(weight)}
            for code, weight in weights.items()
        ]
        lines += [{**spec, "weight": weight} for spec, weight in ADDED]
        _check(lines)
        last = Scheme.objects.filter(post=post).aggregate(v=Max("version"))["v"]
        scheme = Scheme.objects.create(
            post=post, version=last + 1, name=name, status="active", effective_from=FROM
        )
        Indicator.objects.bulk_create(
            [Indicator(scheme=scheme, position=n, **line) for n, line in enumerate(lines)]
        )
        active.filter(pk=current.pk).update(effective_to=FROM - timedelta(days=1))


def remove_versions(apps, schema_editor):
    Scheme = apps.get_model("assessment", "AssessmentScheme")
    Indicator = apps.get_model("assessment", "Indicator")
    for post, (name, _weights) in SCHEMES.items():
        added = Scheme.objects.filter(post=post, name=name, status="active", effective_from=FROM).filter(
            indicators__code="training_exam"
        )
        for scheme in added:
            Indicator.objects.filter(scheme=scheme).delete()
            scheme.delete()
            Scheme.objects.filter(
                post=post, version=1, effective_from=SEEDED_FROM, effective_to=FROM - timedelta(days=1)
            ).update(effective_to=None)


class Migration(migrations.Migration):
    dependencies = [("assessment", "0005_training_measures_and_evidence")]

    operations = [migrations.RunPython(add_versions, remove_versions)]
