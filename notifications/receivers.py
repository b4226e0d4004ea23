"""The `ticket_event` receiver: the outbox rows are written in the change's own transaction."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from tickets.events import TicketEvent, ticket_event
from tickets.models import Ticket

from .outbox import complete_after_save, record_event


@receiver(ticket_event, dispatch_uid="notifications.record_event")
def on_ticket_event(sender: Any, event: TicketEvent, **kwargs: Any) -> None:
    # Not send_robust: a failure here rolls the change back rather than lose its mails.
    record_event(event)


@receiver(post_save, sender=Ticket, dispatch_uid="notifications.complete_after_save")
def on_ticket_saved(sender: Any, instance: Ticket, **kwargs: Any) -> None:
    complete_after_save(instance)
