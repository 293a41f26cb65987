"""The one place the mystery-shop feature sends notifications from.

`send_notification` has the signature of the project-wide `halls.notifications.notify`; until that
service is on main it e-mails the recipients who have an address (after commit) and records
nothing in-app. Switching is a change of this function only.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction


def send_notification(*, recipients, kind: str, subject: str, body: str, url: str, hall=None, dedup_key: str):
    """Notify `recipients` (users) once per `dedup_key`: callers claim the send with a
    compare-and-set on their own row first, so a second run never gets here."""
    addresses = sorted({user.email for user in recipients if getattr(user, "email", "")})
    if not addresses:
        return

    def _send():
        send_mail(subject, f"{body}\n\n{url}", settings.DEFAULT_FROM_EMAIL, addresses, fail_silently=True)

    transaction.on_commit(_send)
