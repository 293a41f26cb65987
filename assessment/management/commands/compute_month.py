from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from assessment.services import compute_month_results
from halls.exceptions import DomainError
from halls.models import Region


class Command(BaseCommand):
    help = "Compute one branch's monthly assessment results as a draft: compute_month 2026-10 --branch BR01"

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument("--branch", required=True, help="branch code")

    def handle(self, *args, month, branch, **options):
        try:
            first = date.fromisoformat(f"{month}-01")
        except ValueError as exc:
            raise CommandError(_("The month must look like 2026-10.")) from exc
        region = Region.objects.filter(code=branch, kind=Region.Kind.BRANCH).first()
        if region is None:
            raise CommandError(_("No branch has the code %(code)s.") % {"code": branch})
        try:
            run = compute_month_results(branch=region, month=first, actor=None)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"{run.branch.code} {run.month:%Y-%m} v{run.version} {run.status}: "
            f"{run.staff_count} staff, input {run.input_hash}"
        )
