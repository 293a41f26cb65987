from halls.exceptions import DomainError


class EmployeeNumberTaken(DomainError):
    field = "employee_no"


class StaffHallNotAllowed(DomainError):
    field = "hall"


class TransferInvalid(DomainError):
    field = "on"


class QualificationInvalid(DomainError):
    field = "expires_on"


class QualificationOverlap(DomainError):
    field = "granted_on"


class RosterNotEditable(DomainError):
    field = "roster"


class RosterRuleBroken(DomainError):
    """A change would break roster rules; `violations` lists them (rostering.rules.Violation)."""

    field = "non_field_errors"

    def __init__(self, message: str, *, violations=(), field: str | None = None):
        super().__init__(message, field=field)
        self.violations = list(violations)


class RosterPeriodInvalid(DomainError):
    field = "period_end"


class ShiftTypeInvalid(DomainError):
    field = "shift_type"


class RosterGenerationRefused(DomainError):
    field = "roster"


class HallHasNoShiftTypes(RosterGenerationRefused):
    """A roster version asked for a hall without an active shift type: there is nothing to roster."""

    field = "hall"


class TrafficImportInvalid(DomainError):
    """A traffic file with errors; nothing was saved. `errors` lists (row, field, message)."""

    field = "file"

    def __init__(self, message: str, *, errors=(), field: str | None = None):
        super().__init__(message, field=field)
        self.errors = list(errors)


class LeaveInvalid(DomainError):
    field = "end_date"


class StaffRequestInvalid(DomainError):
    field = "kind"


class LoanInvalid(DomainError):
    field = "to_hall"


class DisciplineInvalid(DomainError):
    field = "occurred_on"
