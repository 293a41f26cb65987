"""complaints 0003 and training 0002 copy the old notification tables into halls.Notification,
with the dedup keys the jobs now use, so nothing already sent is sent again."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from complaints.deadline_services import escalation_dedup_key
from complaints.models import Escalation
from halls.models import Notification
from halls.notifications import notify
from tests.complaints.factories import ComplaintFactory
from tests.staffing.factories import qualify
from training.reminders import NOTIFICATION_KIND, reminder_dedup_key

BEFORE = [("complaints", "0002_seed_sla_policies"), ("training", "0001_training_records")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_old_notifications_are_copied_then_the_old_tables_dropped(cast, clerk_staff):
    complaint = ComplaintFactory(hall=cast.hall, current_handler=cast.clerk)
    escalation = Escalation.objects.create(complaint=complaint, kind="overdue", level=1)
    qualification = qualify(clerk_staff, granted_on=date(2025, 1, 1), expires_on=date(2026, 12, 31))
    read, emailed = timezone.now() - timedelta(hours=2), timezone.now() - timedelta(hours=3)
    try:
        old = migrate(BEFORE)
        old.get_model("complaints", "Notification").objects.create(
            recipient_id=cast.hall_manager.pk,
            complaint_id=complaint.pk,
            escalation_id=escalation.pk,
            title="投诉已超时",
            body="正文",
            read_at=read,
            emailed_at=emailed,
        )
        old.get_model("complaints", "Notification").objects.create(
            recipient_id=cast.clerk.pk, complaint_id=complaint.pk, title="手工通知"
        )
        old.get_model("training", "TrainingNotification").objects.create(
            recipient_id=cast.clerk.pk,
            qualification_id=qualification.pk,
            expires_on=qualification.expires_on,
            days_before=30,
            title="资格即将到期",
            body="正文",
        )
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    rows = {n.subject: n for n in Notification.objects.all()}
    assert set(rows) == {"投诉已超时", "手工通知", "资格即将到期"}
    overdue = rows["投诉已超时"]
    assert (overdue.kind, overdue.hall_id, overdue.recipient_id, overdue.url) == (
        "complaints.overdue",
        cast.hall.pk,
        cast.hall_manager.pk,
        f"/complaints/{complaint.pk}/",
    )
    assert (overdue.read_at, overdue.emailed_at) == (read, emailed)
    assert rows["手工通知"].kind == "complaints.notification"
    reminder = rows["资格即将到期"]
    assert (reminder.kind, reminder.hall_id, reminder.read_at) == (NOTIFICATION_KIND, cast.hall.pk, None)
    # The jobs' keys match the copies: the same escalation or reminder is not notified again.
    sent_again = notify(
        recipients=[cast.hall_manager],
        kind="complaints.overdue",
        subject="x",
        body="",
        url="",
        dedup_key=escalation_dedup_key(escalation),
    )
    reminded_again = notify(
        recipients=[cast.clerk],
        kind=NOTIFICATION_KIND,
        subject="x",
        body="",
        url="",
        dedup_key=reminder_dedup_key(qualification, 30),
    )
    assert sent_again == reminded_again == []
    tables = connection.introspection.table_names()
    assert "complaints_notification" not in tables and "training_trainingnotification" not in tables
