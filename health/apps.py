from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthConfig(AppConfig):
    name = "health"
    verbose_name = _("Surveillance")

    def ready(self) -> None:
        from . import system_checks  # noqa: F401  (registers them with Django)
