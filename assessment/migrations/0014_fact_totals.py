"""Per-person monthly totals of the facts (FactTotal), kept by statement-level triggers on the fact
table and filled from the facts already there."""

from django.db import migrations, models


# The delta of a statement's rows, +1/+value for new rows and -1/-value for old ones, grouped by
# key: existing totals are updated, missing ones inserted (one statement; a CHECK is tested on an
# INSERT's proposed row before ON CONFLICT, so a negative delta must never be proposed); then the
# totals that reached 0 facts are removed, found through a partial index. One function per
# operation: a function may only name the transition tables its trigger defines.
def _function(name: str, delta_sql: str) -> str:
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH delta AS (
        SELECT staff_id, month, source, measure, sum(dn)::int AS dn, sum(dv) AS dv
        FROM ({delta_sql}) AS d(staff_id, month, source, measure, dn, dv)
        GROUP BY staff_id, month, source, measure
        HAVING sum(dn) <> 0 OR sum(dv) <> 0
    ), updated AS (
        UPDATE assessment_facttotal t SET fact_count = t.fact_count + d.dn, total = t.total + d.dv
        FROM delta d
        WHERE t.staff_id = d.staff_id AND t.month = d.month AND t.source = d.source AND t.measure = d.measure
        RETURNING t.staff_id, t.month, t.source, t.measure
    )
    INSERT INTO assessment_facttotal AS t (staff_id, month, source, measure, fact_count, total)
    SELECT d.staff_id, d.month, d.source, d.measure, d.dn, d.dv FROM delta d
    WHERE NOT EXISTS (
        SELECT 1 FROM updated u
        WHERE u.staff_id = d.staff_id AND u.month = d.month AND u.source = d.source AND u.measure = d.measure)
    ON CONFLICT (staff_id, month, source, measure) DO UPDATE
        SET fact_count = t.fact_count + EXCLUDED.fact_count, total = t.total + EXCLUDED.total;
    DELETE FROM assessment_facttotal WHERE fact_count = 0;
    RETURN NULL;
END $$;
"""


NEW = "SELECT staff_id, month, source, measure, 1, value FROM new_rows"
OLD = "SELECT staff_id, month, source, measure, -1, -value FROM old_rows"

FORWARD = (
    _function("assessment_fact_totals_insert", NEW)
    + _function("assessment_fact_totals_update", f"{NEW} UNION ALL {OLD}")
    + _function("assessment_fact_totals_delete", OLD)
    + """
CREATE INDEX fact_total_emptied ON assessment_facttotal (staff_id) WHERE fact_count = 0;
CREATE TRIGGER fact_totals_insert AFTER INSERT ON assessment_scorefact
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION assessment_fact_totals_insert();
CREATE TRIGGER fact_totals_update AFTER UPDATE ON assessment_scorefact
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION assessment_fact_totals_update();
CREATE TRIGGER fact_totals_delete AFTER DELETE ON assessment_scorefact
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION assessment_fact_totals_delete();
INSERT INTO assessment_facttotal (staff_id, month, source, measure, fact_count, total)
SELECT staff_id, month, source, measure, count(*), sum(value) FROM assessment_scorefact
GROUP BY staff_id, month, source, measure;
"""
)

BACKWARD = """
DROP TRIGGER fact_totals_insert ON assessment_scorefact;
DROP TRIGGER fact_totals_update ON assessment_scorefact;
DROP TRIGGER fact_totals_delete ON assessment_scorefact;
DROP FUNCTION assessment_fact_totals_insert();
DROP FUNCTION assessment_fact_totals_update();
DROP FUNCTION assessment_fact_totals_delete();
DROP INDEX fact_total_emptied;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0013_mystery_template_revision"),
    ]

    operations = [
        migrations.CreateModel(
            name="FactTotal",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "staff_id",
                        "month",
                        "source",
                        "measure",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("staff_id", models.BigIntegerField()),
                ("month", models.DateField(verbose_name="month")),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("mystery_shop", "Mystery shop"),
                            ("customer_evaluation", "Customer evaluation"),
                            ("supervisor", "Supervisor rating"),
                            ("kpi", "Quantitative indicator (KPI)"),
                            ("complaint", "Complaint"),
                            ("discipline", "Labour discipline"),
                            ("training", "Training"),
                        ],
                        max_length=30,
                        verbose_name="source",
                    ),
                ),
                (
                    "measure",
                    models.CharField(
                        choices=[
                            (
                                "evaluation_score",
                                "Evaluation score (very satisfied 100, satisfied 80, dissatisfied 0)",
                            ),
                            ("transactions", "Transactions handled"),
                            ("recommendations", "Recommendations made (say one more sentence)"),
                            ("sales", "Sales"),
                            ("supervisor_points", "Supervisor rating points"),
                            ("discipline_points", "Discipline deduction points"),
                            ("mystery_shop_score", "Mystery-shop score"),
                            ("complaint_accountability", "Accountable complaints"),
                            ("training_absences", "Training sessions missed without excuse"),
                            ("exam_score", "Exam score (percent of the maximum)"),
                            ("training_score", "Training and exam score (legacy, not written)"),
                        ],
                        max_length=40,
                        verbose_name="measure",
                    ),
                ),
                ("fact_count", models.PositiveIntegerField(verbose_name="facts")),
                ("total", models.DecimalField(decimal_places=2, max_digits=18, verbose_name="total")),
            ],
            options={
                "verbose_name": "fact total",
                "verbose_name_plural": "fact totals",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("fact_count__gte", 0)), name="fact_total_count_not_negative"
                    )
                ],
            },
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
