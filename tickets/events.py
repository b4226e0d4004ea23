"""What happened to a ticket, published inside the transaction that made it happen.

The notifications app listens to `ticket_event` and writes its outbox rows in that same
transaction: a change that rolls back leaves no mail behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.dispatch import Signal


class EventKind(StrEnum):
    CREATED = "created"
    STATE_CHANGED = "state_changed"
    NOTE_ADDED = "note_added"


@dataclass(frozen=True)
class TicketEvent:
    kind: EventKind
    ticket_id: int
    actor_id: int | None
    old_state: str = ""
    new_state: str = ""
    note_id: int | None = None
    note_is_private: bool = False


ticket_event = Signal()

# Tickets changed by a bulk UPDATE, which sends no model signal (the month end closing the Résolu
# tickets of an organisation): sent with `organisation_ids`, inside the change's transaction.
tickets_bulk_changed = Signal()


def publish(event: TicketEvent) -> None:
    ticket_event.send(sender=TicketEvent, event=event)
