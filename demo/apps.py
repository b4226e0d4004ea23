from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo data (`manage.py seed_demo`): above the apps, it uses them all."""

    name = "demo"
    verbose_name = _("Démonstration")
