"""When a checklist version was first put in force. The halls read the versions that have been in
force (the one in force and the retired ones that judged them), never drafts.

Existing rows: a version in force, or used by a visit (a visit starts only on a version in force),
has been in force since its first visit or, without one, since its last change."""

from django.db import migrations, models

BACKFILL = """
UPDATE assessment_checklisttemplate t
SET first_in_force_at = coalesce(
    (SELECT min(v.created_at) FROM assessment_visit v WHERE v.template_id = t.id), t.updated_at)
WHERE t.is_active OR EXISTS (SELECT 1 FROM assessment_visit v WHERE v.template_id = t.id)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0016_elimination_entry_eligible_rank"),
    ]

    operations = [
        migrations.AddField(
            model_name="checklisttemplate",
            name="first_in_force_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="first in force"),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AddConstraint(
            model_name="checklisttemplate",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("is_active", False), ("first_in_force_at__isnull", False), _connector="OR"
                ),
                name="mystery_template_in_force_since",
            ),
        ),
    ]
