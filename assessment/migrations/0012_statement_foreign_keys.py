"""Foreign keys of the volume tables checked once per statement instead of once per row: the
ForeignKeys lose their database constraint (db_constraint=False) and statement-level triggers take
over (halls.triggers.statement_foreign_key_sql)."""

import django.db.models.deletion
from django.db import migrations, models

from halls.triggers import statement_foreign_key_sql

# (child table, column, parent table) as in assessment.models.STATEMENT_FOREIGN_KEYS on this date.
KEYS = (
    ("assessment_customerevaluation", "staff_id", "staffing_staff"),
    ("assessment_customerevaluation", "hall_id", "halls_hall"),
    ("assessment_dailykpi", "staff_id", "staffing_staff"),
    ("assessment_dailykpi", "hall_id", "halls_hall"),
    ("assessment_scorefact", "staff_id", "staffing_staff"),
    ("assessment_scorefact", "hall_id", "halls_hall"),
    ("assessment_monthlyresult", "run_id", "assessment_resultrun"),
    ("assessment_monthlyresult", "staff_id", "staffing_staff"),
    ("assessment_monthlyresult", "hall_id", "halls_hall"),
    ("assessment_monthlyresult", "scheme_id", "assessment_assessmentscheme"),
)


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0011_indicator_breakdown_on_result"),
        ("halls", "0006_api_client_scopes_logs_tombstones_webhooks"),
        ("staffing", "0004_roster_method_import"),
    ]

    operations = [
        migrations.AlterField(
            model_name="customerevaluation",
            name="hall",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="evaluations",
                to="halls.hall",
            ),
        ),
        migrations.AlterField(
            model_name="customerevaluation",
            name="staff",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="evaluations",
                to="staffing.staff",
            ),
        ),
        migrations.AlterField(
            model_name="dailykpi",
            name="hall",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="daily_kpis",
                to="halls.hall",
            ),
        ),
        migrations.AlterField(
            model_name="dailykpi",
            name="staff",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="daily_kpis",
                to="staffing.staff",
            ),
        ),
        migrations.AlterField(
            model_name="monthlyresult",
            name="hall",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="monthly_results",
                to="halls.hall",
            ),
        ),
        migrations.AlterField(
            model_name="monthlyresult",
            name="run",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="results",
                to="assessment.resultrun",
            ),
        ),
        migrations.AlterField(
            model_name="monthlyresult",
            name="scheme",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="results",
                to="assessment.assessmentscheme",
            ),
        ),
        migrations.AlterField(
            model_name="monthlyresult",
            name="staff",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="monthly_results",
                to="staffing.staff",
            ),
        ),
        migrations.AlterField(
            model_name="scorefact",
            name="hall",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="score_facts",
                to="halls.hall",
            ),
        ),
        migrations.AlterField(
            model_name="scorefact",
            name="staff",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="score_facts",
                to="staffing.staff",
            ),
        ),
    ] + [
        migrations.RunSQL(*statement_foreign_key_sql(child=child, column=column, parent=parent))
        for child, column, parent in KEYS
    ]
