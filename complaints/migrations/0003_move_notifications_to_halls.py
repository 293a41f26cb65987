"""Complaints' notifications move to the shared halls.Notification: copy every row (set-based,
keeping read and e-mailed times, with the dedup key the deadline job now uses, so no escalation
is notified again), then drop complaints.Notification."""

from django.db import migrations

COPY = """
INSERT INTO halls_notification
    (kind, hall_id, recipient_id, subject, body, url, dedup_key, created_at, read_at, emailed_at)
SELECT
    COALESCE('complaints.' || e.kind, 'complaints.notification'),
    c.hall_id,
    n.recipient_id,
    n.title,
    n.body,
    CASE WHEN c.id IS NULL THEN '' ELSE '/complaints/' || c.id || '/' END,
    CASE WHEN n.escalation_id IS NULL THEN 'complaints.notification:' || n.id
         ELSE 'complaints.escalation:' || n.escalation_id END,
    n.created_at,
    n.read_at,
    n.emailed_at
FROM complaints_notification n
LEFT JOIN complaints_escalation e ON e.id = n.escalation_id
LEFT JOIN complaints_complaint c ON c.id = COALESCE(n.complaint_id, e.complaint_id)
ORDER BY n.id
ON CONFLICT (recipient_id, dedup_key) DO NOTHING
"""

# Going back drops the copies (the old table comes back empty).
UNCOPY = "DELETE FROM halls_notification WHERE kind LIKE 'complaints.%'"


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0002_seed_sla_policies"),
        ("halls", "0004_notification"),
    ]

    operations = [
        migrations.RunSQL(COPY, UNCOPY, elidable=False),
        migrations.DeleteModel(name="Notification"),
    ]
