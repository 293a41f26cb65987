"""The one place the mystery-shop feature sends notifications from: the project-wide
`halls.notifications.notify` (in-app, and e-mail where the recipient has an address), idempotent
per recipient and dedup key. Nothing about an unpublished visit is ever sent to its hall."""

from halls.notifications import notify


def send_notification(*, recipients, kind: str, subject: str, body: str, url: str, hall=None, dedup_key: str):
    """Notify `recipients` (users) once per `dedup_key` (a second call with the same key sends nothing)."""
    return notify(
        recipients=[user for user in recipients if user is not None],
        kind=kind,
        subject=subject,
        body=body,
        url=url,
        hall=hall,
        dedup_key=dedup_key,
    )
