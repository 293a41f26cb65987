from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffingConfig(AppConfig):
    name = "staffing"
    verbose_name = _("Staffing")

    def ready(self):
        # The audit history shows these codes of staffing's events by their labels.
        from halls.audit import register_value_labels
        from staffing.models import DutyPost, Roster, SolverStatus, Staff

        roster_events = ["staffing.roster.generation_requested", "staffing.roster.generated"]
        register_value_labels(actions=roster_events, key="method", choices=Roster.Method)
        register_value_labels(actions=["staffing.roster.generated"], key="status", choices=SolverStatus)
        qualification_events = [
            "staffing.qualification.granted",
            "staffing.qualification.revoked",
        ]
        register_value_labels(actions=qualification_events, key="post", choices=DutyPost)
        staff_events = ["staffing.staff.created", "staffing.staff.updated"]
        register_value_labels(actions=staff_events, key="post", choices=Staff.Post)
        register_value_labels(actions=staff_events, key="employment_type", choices=Staff.EmploymentType)
        register_value_labels(actions=staff_events, key="status", choices=Staff.Status)
