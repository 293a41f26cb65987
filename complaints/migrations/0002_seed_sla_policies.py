from django.db import migrations

# (severity, channel or None for any channel, hours, due-soon minutes, branch escalation minutes overdue)
DEFAULT_POLICIES = [
    ("normal", None, 72, 8 * 60, 24 * 60),
    ("sensitive", None, 48, 6 * 60, 4 * 60),
    ("major", None, 24, 4 * 60, 0),
    ("normal", "regulator", 24, 4 * 60, 0),
    ("sensitive", "regulator", 24, 4 * 60, 0),
    ("major", "regulator", 24, 4 * 60, 0),
]


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("complaints", "SlaPolicy")
    for severity, channel, hours, due_soon, branch_after in DEFAULT_POLICIES:
        SlaPolicy.objects.get_or_create(
            severity=severity,
            channel=channel,
            defaults={
                "resolve_hours": hours,
                "count_business_hours": False,
                "due_soon_minutes": due_soon,
                "branch_escalation_minutes": branch_after,
            },
        )


def unseed(apps, schema_editor):
    SlaPolicy = apps.get_model("complaints", "SlaPolicy")
    for severity, channel, *_rest in DEFAULT_POLICIES:
        SlaPolicy.objects.filter(severity=severity, channel=channel).delete()


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
