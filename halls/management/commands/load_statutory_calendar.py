"""`manage.py load_statutory_calendar FILE.csv` or `--from-package YEAR [YEAR ...]`: fill the
national calendar table (statutory holidays and make-up working days)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from halls.calendar_services import (
    StatutoryCalendarInvalid,
    load_statutory_calendar_csv,
    load_statutory_calendar_from_package,
)


class Command(BaseCommand):
    help = (
        "Load China's statutory holidays and make-up working days into the national calendar table, "
        "from a CSV file (date,kind,name; kind holiday or makeup_workday) or from the chinese-calendar "
        "package for the years it covers. Each loaded year replaces that year's rows; a file with any bad "
        "row loads nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="CSV file with the header date,kind,name.")
        parser.add_argument(
            "--from-package", nargs="+", type=int, metavar="YEAR", help="Copy these years from the package."
        )

    def handle(self, *args, file=None, from_package=None, **options):
        if bool(file) == bool(from_package):
            raise CommandError("Give either a CSV file or --from-package YEAR ...")
        try:
            if from_package:
                result = load_statutory_calendar_from_package(actor=None, years=from_package)
            else:
                path = Path(file)
                if not path.is_file():
                    raise CommandError(f"No such file: {file}")
                result = load_statutory_calendar_csv(actor=None, content=path.read_bytes())
        except StatutoryCalendarInvalid as exc:
            for row, column, message in exc.errors:
                self.stderr.write(f"row {row} {column}: {message}")
            raise CommandError(exc.message) from exc
        years = ", ".join(str(y) for y in result.years)
        self.stdout.write(
            f"Loaded {years}: {result.holidays} holiday(s), {result.makeup_workdays} make-up working day(s)."
        )
