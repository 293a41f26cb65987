"""Seed the default mystery-shop checklist (明查暗访检查表), version 1, from the market department's
practice in the source documents: service etiquette, first-contact ownership, proactive
recommendation, business accuracy, queue guidance and waiting time, cleanliness and safety."""

from decimal import Decimal as D

from django.db import migrations
from django.utils import timezone

NAME = "营业厅窗口服务明查暗访检查表"

# (category, [(code, text, guidance, deduction, scope, photo required on failure, veto)])
CHECKLIST = [
    (
        "服务礼仪",
        [
            (
                "A01",
                "使用迎宾语",
                "客户到达窗口时起身或点头微笑，主动问候“您好，请问办理什么业务？”",
                D(3),
                "clerk",
                False,
                False,
            ),
            ("A02", "使用送宾语", "业务办理完毕礼貌道别“请慢走，欢迎再次光临”", D(3), "clerk", False, False),
            ("A03", "统一着装，挂牌上岗", "着统一工装、整洁得体，佩戴工号牌", D(5), "clerk", True, False),
            (
                "A04",
                "规范服务用语",
                "使用普通话和规范服务用语，无推诿、敷衍、顶撞客户",
                D(5),
                "clerk",
                False,
                False,
            ),
        ],
    ),
    (
        "业务办理",
        [
            (
                "B01",
                "首问负责制",
                "第一个接待客户的营业员对客户提出的问题一包到底，不推给他人",
                D(10),
                "clerk",
                False,
                False,
            ),
            (
                "B02",
                "主动推荐（多说一句话）",
                "办理业务时主动向客户宣传、推荐适合的业务和电子渠道",
                D(5),
                "clerk",
                False,
                False,
            ),
            (
                "B03",
                "业务办理准确",
                "业务受理准确无差错，资费解释清楚、口径统一",
                D(10),
                "clerk",
                False,
                False,
            ),
            (
                "B04",
                "与客户争吵或拒办业务",
                "出现与客户争吵、推诿拒办等严重服务问题（一票否决）",
                D(0),
                "clerk",
                False,
                True,
            ),
        ],
    ),
    (
        "厅堂秩序",
        [
            (
                "C01",
                "导向引导分流",
                "导向人员主动询问、引导分流，对排队客户送水、复印证件、解释资费等预处理，推荐自助缴费",
                D(5),
                "hall",
                False,
                False,
            ),
            ("C02", "排队等候时间", "客户排队等候不超过15分钟", D(5), "hall", False, False),
            (
                "C03",
                "在岗人数",
                "非高峰期B类厅不少于2人、A类厅不少于3人在岗，无脱岗",
                D(5),
                "hall",
                False,
                False,
            ),
        ],
    ),
    (
        "环境与安全",
        [
            ("D01", "环境卫生", "厅内外整洁，台席无杂物，宣传资料摆放整齐", D(5), "hall", True, False),
            (
                "D02",
                "服务监督公示",
                "台席工号牌、营业人员信息公示栏、客户意见簿（箱）齐全",
                D(3),
                "hall",
                True,
                False,
            ),
            ("D03", "安全警示标识", "消防通道畅通，安全警示、提示标牌醒目", D(5), "hall", True, False),
            (
                "D04",
                "重大安全隐患",
                "存在消防通道堵塞、私拉电线等重大安全隐患（一票否决）",
                D(0),
                "hall",
                True,
                True,
            ),
        ],
    ),
]


def seed(apps, schema_editor):
    Template = apps.get_model("assessment", "ChecklistTemplate")
    Category = apps.get_model("assessment", "ChecklistCategory")
    Item = apps.get_model("assessment", "ChecklistItem")
    # Tests seed again with the current models (tests/conftest.py MIGRATION_SEEDS), where a version
    # in force also records since when (0017_checklist_first_in_force backfills migrated rows).
    since = {"first_in_force_at": timezone.now()} if hasattr(Template, "first_in_force_at") else {}
    template = Template.objects.create(name=NAME, version=1, is_active=True, **since)
    position = 0
    for cat_position, (category_name, items) in enumerate(CHECKLIST, 1):
        category = Category.objects.create(template=template, name=category_name, position=cat_position)
        for code, text, guidance, deduction, scope, photo, veto in items:
            position += 1
            Item.objects.create(
                template=template,
                category=category,
                code=code,
                text=text,
                guidance=guidance,
                position=position,
                deduction=deduction,
                scope=scope,
                photo_required=photo,
                is_veto=veto,
            )


def unseed(apps, schema_editor):
    Template = apps.get_model("assessment", "ChecklistTemplate")
    Template.objects.filter(name=NAME, version=1, visits__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("assessment", "0008_mystery_shop_models")]

    operations = [migrations.RunPython(seed, unseed)]
