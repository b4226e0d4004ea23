"""The hours the client pages show with the tickets: Accueil's « Crédit d'heures » and a ticket's
« Temps passé ».

They are kept by allowances, which depends on tickets (its ledger rows point at tickets, its
month end closes them through tickets.workflow). So tickets does not import it: allowances gives
its selectors here in AllowancesConfig.ready (`provide`), and the views read them through this
module. Without a source (allowances not installed), the pages leave the two panels out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .models import Ticket


@dataclass(frozen=True)
class HoursSource:
    # Accueil's panel for an organisation (allowances.selectors.BalanceSummary).
    balance_summary: Callable[[int], Any]
    # A ticket's time, billable or not, and its debit (allowances.selectors.TicketTime).
    ticket_time: Callable[[Ticket], Any]


_source: HoursSource | None = None


def provide(source: HoursSource) -> None:
    global _source
    _source = source


def balance_summary(organisation_id: int) -> Any | None:
    return None if _source is None else _source.balance_summary(organisation_id)


def ticket_time(ticket: Ticket) -> Any | None:
    return None if _source is None else _source.ticket_time(ticket)
