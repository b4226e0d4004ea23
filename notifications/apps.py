from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from . import inbound, receivers  # noqa: F401 - connects the ticket_event receiver

        inbound.register()  # what a mail read from the support mailbox does
