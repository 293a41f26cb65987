from halls.exceptions import DomainError


class EmployeeNumberTaken(DomainError):
    field = "employee_no"


class StaffHallNotAllowed(DomainError):
    field = "hall"


class TransferInvalid(DomainError):
    field = "on"


class DisciplineInvalid(DomainError):
    field = "occurred_on"
