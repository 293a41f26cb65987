from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "assessment"
    verbose_name = _("Assessment")

    def ready(self):
        # The mystery-shop subpackage's admin, Celery tasks and demo seeding step register on import.
        from assessment.mystery_shop import admin, demo, tasks  # noqa: F401
