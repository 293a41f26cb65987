"""Training's expiry reminders move to the shared halls.Notification: copy every row (set-based,
keeping read and e-mailed times, with the dedup key training.reminders now uses, so no reminder
is sent again), then drop training.TrainingNotification."""

from django.db import migrations

COPY = """
INSERT INTO halls_notification
    (kind, hall_id, recipient_id, subject, body, url, dedup_key, created_at, read_at, emailed_at)
SELECT
    'training.qualification_expiry',
    s.hall_id,
    n.recipient_id,
    n.title,
    n.body,
    '/training/',
    'training.qualification_expiry:' || n.qualification_id || ':'
        || to_char(n.expires_on, 'YYYY-MM-DD') || ':' || n.days_before,
    n.created_at,
    n.read_at,
    n.emailed_at
FROM training_trainingnotification n
JOIN staffing_qualification q ON q.id = n.qualification_id
JOIN staffing_staff s ON s.id = q.staff_id
ORDER BY n.id
ON CONFLICT (recipient_id, dedup_key) DO NOTHING
"""

# Going back drops the copies (the old table comes back empty).
UNCOPY = "DELETE FROM halls_notification WHERE kind = 'training.qualification_expiry'"


class Migration(migrations.Migration):
    dependencies = [
        ("training", "0001_training_records"),
        ("halls", "0004_notification"),
    ]

    operations = [
        migrations.RunSQL(COPY, UNCOPY, elidable=False),
        migrations.DeleteModel(name="TrainingNotification"),
    ]
