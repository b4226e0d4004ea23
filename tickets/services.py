"""Creating tickets. State changes and notes live in workflow.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F

from . import counts, targets
from .events import EventKind, TicketEvent, publish
from .models import Category, Counter, HistoryEntry, Impact, Priority, Reproducibility, Ticket

if TYPE_CHECKING:
    from accounts.models import User

TICKET_SEQUENCE = "ticket"


def next_number(name: str = TICKET_SEQUENCE) -> int:
    """The next number of a gap-free sequence; call it inside the transaction that uses it.

    The UPDATE locks the counter row until commit: concurrent creations wait for each other
    instead of taking the same number, and a rolled-back creation gives its number back.
    """
    if not Counter.objects.filter(name=name).update(value=F("value") + 1):
        Counter.objects.get_or_create(name=name)
        Counter.objects.filter(name=name).update(value=F("value") + 1)
    return int(Counter.objects.values_list("value", flat=True).get(name=name))


def ticket_create(
    *,
    reporter: User,
    category: Category,
    summary: str,
    description: str,
    reproducibility: int = Reproducibility.HAVE_NOT_TRIED,
    impact: int = Impact.MINOR,
    priority: int = Priority.NORMAL,
    steps_to_reproduce: str = "",
    additional_information: str = "",
) -> Ticket:
    """A client reports a problem: the ticket is Nouveau, in the reporter's organisation."""
    if reporter.organisation_id is None:
        raise ValueError("Only a client user reports a ticket.")
    with transaction.atomic():
        ticket = Ticket(
            number=next_number(),
            organisation_id=reporter.organisation_id,
            reporter=reporter,
            category=category,
            reproducibility=reproducibility,
            impact=impact,
            priority=priority,
            summary=summary.strip(),
            description=description.strip(),
            steps_to_reproduce=steps_to_reproduce.strip(),
            additional_information=additional_information.strip(),
        )
        # The response targets run from its creation (tickets/targets.py).
        targets.refresh(ticket)
        ticket.save(force_insert=True)
        counts.ticket_added(ticket)
        HistoryEntry.objects.create(
            ticket=ticket, actor=reporter, field="created", new_value=ticket.display_number
        )
        publish(
            TicketEvent(
                kind=EventKind.CREATED,
                ticket_id=ticket.pk,
                actor_id=reporter.pk,
                new_state=ticket.state,
            )
        )
    return ticket
