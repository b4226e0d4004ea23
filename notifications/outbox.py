"""Writing the outbox in the change's transaction, and handing its rows to Celery after commit.

The web request pays for a few INSERTs and, after commit, one small publish (mail.outbox): no
SMTP, and no more than the broker's 2-second socket timeouts when Redis is away (the rows then
wait for the sweeper, mail.tasks.sweep_outboxes).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial

from django.db import transaction
from django.utils import timezone

from mail import outbox as mail_outbox
from mail.outbox import publish
from tickets.events import TicketEvent
from tickets.models import Ticket

from .models import Event, Kind, Notification
from .selectors import TicketFacts, recipients_for

logger = logging.getLogger(__name__)


class _Pending(threading.local):
    """Whether this thread's changes are mailed (see `muted`)."""

    def __init__(self) -> None:
        self.muted = False


_pending = _Pending()


@contextmanager
def muted() -> Iterator[None]:
    """No mail for what this thread changes meanwhile (demo data, imports)."""
    previous, _pending.muted = _pending.muted, True
    try:
        yield
    finally:
        _pending.muted = previous


def record_event(event: TicketEvent) -> Event | None:
    """Write the event and its outbox rows; enqueue them when the transaction commits.

    Called by the `ticket_event` receiver, inside the transaction that made the change.
    """
    if _pending.muted:
        return None
    ticket = TicketFacts(
        *Ticket.objects.values_list(
            "pk", "organisation_id", "reporter_id", "handler_id", "is_private"
        ).get(pk=event.ticket_id)
    )
    row = Event.objects.create(
        ticket_id=ticket.pk,
        kind=Kind(str(event.kind)),
        actor_id=event.actor_id,
        # A note that moved its ticket carries both states (tickets.workflow.note_add).
        old_state=event.old_state,
        new_state=event.new_state,
        note_id=event.note_id,
        is_private=event.note_is_private,
    )
    _add_rows(row, ticket, actor_id=event.actor_id, private=event.note_is_private)
    return row


def _add_rows(event: Event, ticket: TicketFacts, *, actor_id: int | None, private: bool) -> None:
    """The event's outbox rows, one per recipient (a user, or the team's address)."""
    recipients = recipients_for(ticket=ticket, actor_id=actor_id, private=private, kind=event.kind)
    if not recipients:
        return
    now = timezone.now()
    rows = Notification.objects.bulk_create(
        Notification(
            event=event,
            recipient_id=r.user_id,
            address=r.address,
            reason=r.reason,
            created_at=now,
            due_at=now,
        )
        for r in recipients
    )
    if rows:
        transaction.on_commit(partial(enqueue, [n.pk for n in rows]), robust=True)


def enqueue(notification_ids: Sequence[int], *, patient: bool = False) -> int:
    """Hand rows to the workers; never raises. Returns how many were handed over.

    One row: its `send_notification` task. Several: one `dispatch_notifications` message with
    their ids, which a worker splits into one task per row, so that a web request publishes
    once whatever the number of recipients. A broker that refuses or times out leaves the rows
    QUEUED, and the sweeper publishes them again once it is back.
    """
    from .tasks import dispatch_notifications, send_notification

    ids = list(notification_ids)
    if not ids:
        return 0
    if len(ids) == 1:
        return publish(send_notification, (ids[0],), ids, patient=patient, what="notification(s)")
    return publish(dispatch_notifications, (ids,), ids, patient=patient, what="notification(s)")


def publish_each(notification_ids: Sequence[int]) -> int:
    """One `send_notification` message per row, over one broker connection (in a worker)."""
    from .tasks import send_notification

    return mail_outbox.publish_each(send_notification, notification_ids)
