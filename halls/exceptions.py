"""Domain errors: a message and, where it belongs to one, a field.

Views turn them into form errors beside the field; the API into a JSON 400.
"""


class DomainError(Exception):
    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field


class CannotDeactivateSelf(DomainError):
    field = "user"


class RegionParentInvalid(DomainError):
    field = "parent"


class HallCodeTaken(DomainError):
    field = "code"


class ApiClientNameTaken(DomainError):
    field = "name"
