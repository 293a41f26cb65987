from halls.exceptions import DomainError


class TrainingHallNotAllowed(DomainError):
    field = "halls"


class ProgramInvalid(DomainError):
    field = "program"


class StageInvalid(DomainError):
    field = "stage"


class SessionInvalid(DomainError):
    field = "duration_minutes"


class ExamSettingsInvalid(DomainError):
    field = "exam_pass_mark"


class AttendanceRowsInvalid(DomainError):
    """Some rows of a bulk entry are wrong; nothing was saved. `row_errors` maps a staff id to
    {field: message} for each wrong row."""

    field = "non_field_errors"

    def __init__(self, message: str, *, row_errors: dict[int, dict[str, str]], field: str | None = None):
        super().__init__(message, field=field)
        self.row_errors = row_errors


class TrainingMonthPublished(DomainError):
    """A change to attendance or exam results whose assessment month is already published."""

    field = "non_field_errors"


class OnboardingIncomplete(DomainError):
    field = "program"


class ImprovementPlanInvalid(DomainError):
    field = "weak_points"


class ImprovementPlanClosed(DomainError):
    field = "verdict"


class ImprovementStepInvalid(DomainError):
    field = "due_on"
