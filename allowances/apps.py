from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AllowancesConfig(AppConfig):
    name = "allowances"
    verbose_name = _("Crédit d'heures")

    def ready(self) -> None:
        from tickets import hours

        from . import pages, selectors

        pages.declare()
        # The hours the tickets' client pages show (tickets/hours.py).
        hours.provide(
            hours.HoursSource(
                balance_summary=selectors.balance_summary, ticket_time=selectors.ticket_time
            )
        )
