from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HallsConfig(AppConfig):
    name = "halls"
    verbose_name = _("Halls")

    def ready(self):
        from halls import api_schema  # noqa: F401  (registers the OpenAPI field extensions)
