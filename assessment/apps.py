from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "assessment"
    verbose_name = _("Assessment")

    def ready(self):
        # Celery's autodiscovery finds assessment.tasks only; the mystery-shop tasks live in a subpackage.
        from assessment.mystery_shop import tasks  # noqa: F401
