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
    "mystery.visit.started": _("Inspection started"),
    "mystery.visit.submitted": _("Inspection submitted"),
    "mystery.visit.published": _("Inspection published"),
    "mystery.visit.reopened": _("Published inspection reopened"),
    "mystery.visit.closed": _("Inspection closed"),
    "mystery.rectification.submitted": _("Rectification evidence submitted"),
    "mystery.rectification.reviewed": _("Rectification evidence reviewed"),
    "mystery.template.created": _("Checklist created"),
    "mystery.template.versioned": _("Checklist version created"),
    "mystery.template.edited": _("Checklist draft edited"),
    "mystery.template.activated": _("Checklist version put in force"),
}


class AssessmentConfig(AppConfig):
    name = "assessment"
    verbose_name = _("Assessment")

    def ready(self):
        from halls.audit import ACTION_LABELS

        ACTION_LABELS.update(AUDIT_ACTION_LABELS)
        # The mystery-shop subpackage's admin, Celery tasks and demo seeding step register on import.
        from assessment.mystery_shop import admin, demo, tasks  # noqa: F401
