from halls.exceptions import DomainError


class TransitionNotAllowed(DomainError):
    field = "status"


class ComplaintVersionConflict(DomainError):
    """Someone else changed the complaint since the caller read it (the API answers 409)."""

    field = "version"


class ComplaintNotHandler(DomainError):
    field = "current_handler"


class HandlerNotAllowed(DomainError):
    field = "handler"


class ComplaintAboutHandler(DomainError):
    """The complaint is about the person asked to handle it (or acting on it): nobody handles a
    complaint about themselves."""

    field = "handler"


class ComplaintIncomplete(DomainError):
    """A required piece of the workflow is missing (reply, root cause, satisfaction)."""


class ComplaintPaused(DomainError):
    field = "paused_at"


class ComplaintHallNotAllowed(DomainError):
    field = "hall"


class ClerkNotInHall(DomainError):
    field = "clerks"


class AttachmentRejected(DomainError):
    field = "file"


class AccountabilityInvalid(DomainError):
    field = "shares"


class AccountabilityAlreadyDecided(DomainError):
    field = "finding"


class CalendarOverrideInvalid(DomainError):
    field = "branch"
