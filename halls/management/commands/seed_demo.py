"""`manage.py seed_demo --scale small|province --seed N [--if-empty]`: see halls.demo."""

import time

from django.core.management.base import BaseCommand, CommandError

from halls.demo import SCALES, run_seed
from halls.models import Hall, Region


class Command(BaseCommand):
    help = "Load deterministic demo data (regions, halls, staff, logins) into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has halls (used by `make run`).",
        )

    def handle(self, *args, scale, seed, if_empty, **options):
        if Hall.objects.exists() or Region.objects.exists():
            if if_empty:
                self.stdout.write("The database already has halls; demo data left as it is.")
                return
            raise CommandError("The database already has halls or regions; seed_demo fills an empty one.")
        started = time.perf_counter()
        context = run_seed(scale=scale, seed=seed, log=lambda line: self.stdout.write(line))
        elapsed = time.perf_counter() - started
        staff = context.extra.get("staff_count", 0)
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded scale {scale!r} from seed {seed}: branches {len(context.branches)}, "
                f"county offices {len(context.counties)}, halls {len(context.halls)}, staff {staff}, "
                f"in {elapsed:.1f} s."
            )
        )
        for name, seconds in context.timings.items():
            self.stdout.write(f"  {name}: {seconds:.2f} s")
        self.stdout.write(f"Demo password: {context.password}")
        self.stdout.write(f"HR API token (client hr-demo): {context.hr_token}")
