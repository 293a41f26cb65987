from halls.exceptions import DomainError


class SchemeInvalid(DomainError):
    field = "indicators"


class SchemeFrozen(DomainError):
    field = "scheme"


class SchemeEditConflict(DomainError):
    """Someone else changed the scheme version since the page was shown (its `updated_at` moved):
    nothing was saved (HTTP 409)."""

    field = "updated_at"


class FactInvalid(DomainError):
    field = "facts"


class FactsFrozen(DomainError):
    field = "facts"


class ImportRejected(DomainError):
    """An import refused as a whole; `errors` lists (line, column, message) for every bad row."""

    field = "file"

    def __init__(self, message: str, *, errors: list[tuple[int, str, str]]):
        super().__init__(message)
        self.errors = errors


class MonthBeingComputed(DomainError):
    field = "month"


class MonthAlreadyPublished(DomainError):
    field = "month"


class MonthNotBegun(DomainError):
    """A month after the current one (local date): there is nothing to compute yet."""

    field = "month"


class NoSchemeInForce(DomainError):
    field = "month"


class RunNotPublishable(DomainError):
    field = "run"


class MonthNotEnded(RunNotPublishable):
    """The run's month has not ended yet (local date): its results are only a preview."""


class RatingInvalid(DomainError):
    field = "month"


class EliminationStateError(DomainError):
    field = "status"


class AppealInvalid(DomainError):
    field = "reason"


class OutcomeInvalid(DomainError):
    field = "outcome"


class EliminationRuleInvalid(DomainError):
    field = "bottom_percent"


class EliminationVersionConflict(DomainError):
    """The page showed an older state of the list, entry or appeal than the one now stored."""

    field = "version"
