from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from halls.exceptions import DomainError
from training.services import record_training_facts


class Command(BaseCommand):
    help = (
        "Record the assessment score facts of a month's training attendance and exam results "
        "(idempotent): backfill_training_facts --month 2026-10"
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--batch-size", type=int, default=10_000, help="records per batch")

    def handle(self, *args, month, batch_size, **options):
        try:
            first = date.fromisoformat(f"{month}-01")
        except ValueError as exc:
            raise CommandError(_("The month must look like 2026-10.")) from exc
        if batch_size < 1:
            raise CommandError(_("The batch size must be at least 1."))
        try:
            result = record_training_facts(actor=None, month=first, batch_size=batch_size)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"{first:%Y-%m}: {result.attendance} attendance, {result.exams} exams; facts "
            f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged"
        )
