"""Seed a realistic default scheme per post (version 1, in force since 2020-01) and the default
star-level policy. Complaint and training indicators arrive as later versions once those sources
exist."""

from datetime import date
from decimal import Decimal as D

from django.db import migrations

SINCE = date(2020, 1, 1)

EVALUATION = (
    "evaluation",
    "客户评价 Customer evaluation",
    "customer_evaluation",
    "evaluation_score",
    "avg",
    "linear_band",
    {"band_low": D(60), "band_high": D(95)},
    "zero",
)
SUPERVISOR = (
    "supervisor",
    "主管评价 Supervisor rating",
    "supervisor",
    "supervisor_points",
    "avg",
    "direct_points",
    {},
    "zero",
)
MYSTERY = (
    "mystery_shop",
    "明查暗访 Mystery shop",
    "mystery_shop",
    "mystery_shop_score",
    "avg",
    "linear_band",
    {"band_low": D(60), "band_high": D(100)},
    "full",
)
DISCIPLINE = (
    "discipline",
    "劳动纪律 Labour discipline",
    "discipline",
    "discipline_points",
    "sum",
    "deduction",
    {"deduction_per_unit": D(1), "floor": D(0)},
    "zero",
)
TRANSACTIONS = (
    "transactions",
    "业务量 Transactions handled",
    "kpi",
    "transactions",
    "sum",
    "ratio_to_target",
    {"target": D(600)},
    "zero",
)
RECOMMENDATIONS = (
    "recommendations",
    "多说一句话 Recommendations",
    "kpi",
    "recommendations",
    "sum",
    "ratio_to_target",
    {"target": D(120)},
    "zero",
)
SALES = ("sales", "销售额 Sales", "kpi", "sales", "sum", "ratio_to_target", {"target": D(20000)}, "zero")
VIP_SALES = ("sales", "销售额 Sales", "kpi", "sales", "sum", "ratio_to_target", {"target": D(100000)}, "zero")

# post -> (name, [(indicator, weight, max points)])
SCHEMES = {
    "clerk": (
        "营业员星级考核 Clerk star rating",
        [
            (EVALUATION, 25, 100),
            (TRANSACTIONS, 15, 100),
            (RECOMMENDATIONS, 15, 100),
            (SALES, 10, 100),
            (SUPERVISOR, 15, 100),
            (MYSTERY, 10, 100),
            (DISCIPLINE, 10, 10),
        ],
    ),
    "guide": (
        "导向考核 Guide assessment",
        [
            (EVALUATION, 30, 100),
            (SUPERVISOR, 30, 100),
            (MYSTERY, 20, 100),
            (DISCIPLINE, 20, 10),
        ],
    ),
    "duty_manager": (
        "值班经理考核 Duty manager assessment",
        [
            (EVALUATION, 20, 100),
            (SUPERVISOR, 40, 100),
            (MYSTERY, 20, 100),
            (DISCIPLINE, 20, 10),
        ],
    ),
    "vip_manager": (
        "大客户经理考核 VIP manager assessment",
        [
            (VIP_SALES, 40, 100),
            (EVALUATION, 20, 100),
            (SUPERVISOR, 30, 100),
            (DISCIPLINE, 10, 10),
        ],
    ),
    "hall_manager": (
        "厅经理考核 Hall manager assessment",
        [
            (MYSTERY, 40, 100),
            (EVALUATION, 30, 100),
            (SUPERVISOR, 20, 100),
            (DISCIPLINE, 10, 10),
        ],
    ),
}


def seed(apps, schema_editor):
    Scheme = apps.get_model("assessment", "AssessmentScheme")
    Indicator = apps.get_model("assessment", "Indicator")
    Policy = apps.get_model("assessment", "StarLevelPolicy")
    for post, (name, lines) in SCHEMES.items():
        scheme = Scheme.objects.create(post=post, version=1, name=name, status="active", effective_from=SINCE)
        for position, (spec, weight, max_points) in enumerate(lines):
            code, label, source, measure, aggregate, rule, params, when_missing = spec
            Indicator.objects.create(
                scheme=scheme,
                position=position,
                code=code,
                name=label,
                source=source,
                measure=measure,
                aggregate=aggregate,
                rule=rule,
                weight=D(weight),
                max_points=D(max_points),
                when_missing=when_missing,
                **params,
            )
    Policy.objects.create(
        name="默认星级规则 Default star-level rules",
        effective_from=SINCE,
        level_1_min=D(60),
        level_2_min=D(70),
        level_3_min=D(80),
        level_4_min=D(88),
        level_5_min=D(94),
        average_months=3,
        promote_after_months=2,
        demote_below_lowest=True,
    )


def unseed(apps, schema_editor):
    apps.get_model("assessment", "StarLevelPolicy").objects.filter(effective_from=SINCE).delete()
    Scheme = apps.get_model("assessment", "AssessmentScheme")
    apps.get_model("assessment", "Indicator").objects.filter(
        scheme__version=1, scheme__effective_from=SINCE
    ).delete()
    Scheme.objects.filter(version=1, effective_from=SINCE).delete()


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
