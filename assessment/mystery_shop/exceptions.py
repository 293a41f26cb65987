"""Refusals of the mystery-shop services (messages are shown beside the field they name)."""

from halls.exceptions import DomainError


class VisitInvalid(DomainError):
    pass


class TransitionNotAllowed(DomainError):
    field = None


class VersionConflict(DomainError):
    """Someone else changed the record since the page was shown: nothing was saved (HTTP 409)."""

    field = None


class PhotoRejected(DomainError):
    field = "photo"


class VisitIncomplete(DomainError):
    """Submission refused: items unanswered or photos missing; `problems` lists them."""

    field = None

    def __init__(self, message: str, *, problems: list[str]):
        super().__init__(message)
        self.problems = problems


class RectificationInvalid(DomainError):
    pass


class TemplateInvalid(DomainError):
    """A checklist that cannot be saved or put in force as it stands (the message says why)."""


class TemplateFrozen(DomainError):
    """A checklist version that can no longer change: inspections were judged by it, or it is in
    force. Changes go into a new version."""

    field = None


class ChecklistNameTaken(DomainError):
    """Another checklist already has this name (compared without case)."""

    field = "name"
