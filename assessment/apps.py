from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# How audit trails name the actions this app's services record (halls.audit.ACTION_LABELS).
AUDIT_ACTION_LABELS = {
    "assessment.results.computed": _("Results computed"),
    "assessment.results.published": _("Results published"),
    "assessment.scheme.created": _("Scheme version created"),
    "assessment.scheme.updated": _("Scheme changed"),
    "assessment.scheme.activated": _("Scheme version put in force"),
    "assessment.supervisor_rating.saved": _("Supervisor rating saved"),
    "assessment.elimination.rule_set": _("Elimination rule set"),
    "assessment.elimination.generated": _("Elimination list generated"),
    "assessment.elimination.review_started": _("Review started"),
    "assessment.elimination.confirmed": _("List confirmed"),
    "assessment.elimination.appeal_filed": _("Appeal filed"),
    "assessment.elimination.appeal_decided": _("Appeal decided"),
    "assessment.elimination.outcome_recorded": _("Outcome recorded"),
}


class AssessmentConfig(AppConfig):
    name = "assessment"
    verbose_name = _("Assessment")

    def ready(self):
        from halls.audit import ACTION_LABELS

        ACTION_LABELS.update(AUDIT_ACTION_LABELS)
        # The mystery-shop subpackage's admin, Celery tasks and demo seeding step register on import.
        from assessment.mystery_shop import admin, demo, tasks  # noqa: F401
