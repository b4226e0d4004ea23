"""The `ticket_event` receiver: the outbox rows are written in the change's own transaction."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from tickets.events import TicketEvent, ticket_event

from .outbox import record_event


@receiver(ticket_event, dispatch_uid="notifications.record_event")
def on_ticket_event(sender: Any, event: TicketEvent, **kwargs: Any) -> None:
    # Not send_robust: a failure here rolls the change back rather than lose its mails.
    record_event(event)
