"""`manage.py demo_logins [--seed N]`: the demo logins, what each can see, and the HR token."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import translation

from halls.demo import DEMO_PASSWORD, HR_CLIENT_NAME, hr_demo_token
from halls.models import ApiClient, Hall, Membership, Region, Role, hash_token
from halls.scoping import scope_for

DEMO_LOGINS = ("admin", "branch", "inspector", "manager", "clerk")


class Command(BaseCommand):
    help = "Print the demo logins made by seed_demo: username, role, password and what they see."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="The seed the demo data was made from.")
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the server listens (make run passes its HOST and PORT).",
        )

    def handle(self, *args, seed, base_url, **options):
        # The table is English throughout, role names included (they line up in a terminal).
        with translation.override("en"):
            self._print(seed, base_url.rstrip("/"))

    def _print(self, seed: int, base_url: str) -> None:
        users = {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_LOGINS)}
        if not users:
            self.stdout.write("No demo logins: run `manage.py seed_demo` on an empty database first.")
            return
        rows = [("username", "role", "password", "sees")]
        for username in DEMO_LOGINS:
            user = users.get(username)
            if user is None:
                continue
            password = DEMO_PASSWORD if user.check_password(DEMO_PASSWORD) else "(changed)"
            rows.append((username, self._role(user), password, self._sees(user)))
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        self.stdout.write(f"Demo logins ({base_url}/login/):")
        for row in rows:
            self.stdout.write(
                "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[3]
            )
        self._hr_client(seed, base_url)

    def _role(self, user) -> str:
        if user.is_superuser:
            return "administrator"
        roles = scope_for(user).roles
        if len(roles) > 1:
            # A hall manager's own staff record also makes them a clerk of the hall; show the office.
            roles = roles - {Role.CLERK}
        return ", ".join(str(Role(role).label) for role in sorted(roles)) or "no role"

    def _sees(self, user) -> str:
        halls = Hall.objects.visible_to(user)
        count = halls.count()
        if user.is_superuser:
            return f"everything: all {count} halls, /admin/"
        scope = scope_for(user)
        if scope.region_paths:
            regions = Region.objects.filter(path__in=scope.region_paths).order_by("path")
            names = ", ".join(str(r) for r in regions)
            return f"{count} halls and their staff in {names}"
        if scope.managed_hall_ids:
            return f"hall {', '.join(str(h) for h in halls)} and its staff"
        if scope.own_staff_id:
            return f"own hall {', '.join(str(h) for h in halls)}, own staff record only"
        memberships = Membership.objects.filter(user=user).count()
        return f"{count} halls ({memberships} memberships)"

    def _hr_client(self, seed: int, base_url: str) -> None:
        client = ApiClient.objects.filter(name=HR_CLIENT_NAME).prefetch_related("regions").first()
        if client is None:
            return
        regions = ", ".join(r.code for r in client.regions.all())
        token = hr_demo_token(seed)
        if client.token_hash == hash_token(token):
            shown = token
        else:
            shown = f"(not the seed-{seed} token: pass the seed used, or rotate it in /admin/)"
        self.stdout.write(f"HR API client {HR_CLIENT_NAME} (read-only, regions {regions}):")
        self.stdout.write(f"  curl -H 'Authorization: Token {shown}' {base_url}/api/v1/staff/")
