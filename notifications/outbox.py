"""Writing the outbox in the change's transaction, and handing its rows to Celery after commit.

The web request pays for a few INSERTs and, after commit, one small publish: no SMTP, and no
more than the broker's 2-second socket timeouts when Redis is away (the rows then wait for the
sweeper, see tasks.sweep_outbox).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from tickets.events import EventKind, TicketEvent
from tickets.models import Ticket

from . import conf
from .models import Event, Kind, Notification, Status
from .selectors import TicketFacts, recipients_for

logger = logging.getLogger(__name__)

# Publishing from a web request: one attempt, bounded by the broker's socket timeouts (2 s, see
# CELERY_BROKER_TRANSPORT_OPTIONS), then the rows are left to the sweeper. redis-py replaces by
# itself a pooled connection that a Redis restart made stale. (retry=False would be worse: the
# connection would then follow the broker_connection_* settings, several seconds of retries.)
IMPATIENT: dict[str, Any] = {
    "retry": True,
    "retry_policy": {"max_retries": 0, "interval_start": 0, "interval_step": 0, "interval_max": 0},
}
# Publishing from a worker (retries, sweeps): waiting a few seconds for the broker is fine there.
PATIENT: dict[str, Any] = {
    "retry": True,
    "retry_policy": {"max_retries": 3, "interval_start": 0, "interval_step": 1, "interval_max": 2},
}


class _Pending(threading.local):
    """What this thread's current change has recorded so far."""

    def __init__(self) -> None:
        # The last public note: (ticket id, actor id, event id), for _merge_into_note.
        self.last_note: tuple[int, int, int] | None = None
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
    if _pending.muted or _merge_into_note(event):
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
        old_state=event.old_state if event.kind == EventKind.STATE_CHANGED else "",
        new_state=event.new_state,
        note_id=event.note_id,
        is_private=event.note_is_private,
    )
    if event.kind == EventKind.NOTE_ADDED and event.actor_id and not event.note_is_private:
        _pending.last_note = (ticket.pk, event.actor_id, row.pk)
        transaction.on_commit(_forget_note, robust=True)
    _add_rows(row, ticket, actor_id=event.actor_id, private=event.note_is_private, fresh=True)
    return row


def _add_rows(
    event: Event, ticket: TicketFacts, *, actor_id: int | None, private: bool, fresh: bool = False
) -> None:
    """The event's outbox rows for whoever should have one and has none yet."""
    recipients = recipients_for(ticket=ticket, actor_id=actor_id, private=private)
    if not recipients:
        return
    already: set[int] = set()
    if not fresh:
        already = set(
            Notification.objects.filter(event=event).values_list("recipient_id", flat=True)
        )
    now = timezone.now()
    rows = Notification.objects.bulk_create(
        Notification(
            event=event, recipient_id=r.user_id, reason=r.reason, created_at=now, due_at=now
        )
        for r in recipients
        if r.user_id not in already
    )
    if rows:
        transaction.on_commit(partial(enqueue, [n.pk for n in rows]), robust=True)


def _merge_into_note(event: TicketEvent) -> bool:
    """A note that moves its ticket in the same transaction makes one mail, not two.

    A client's answer to « Commentaire » (or reopening) publishes NOTE_ADDED then STATE_CHANGED
    from tickets.workflow.note_add; the daily auto-resolve adds its explanatory note then makes a
    system change (no actor) to Résolu. The state change is added to the note's event. The note
    is forgotten when its transaction commits; if it was rolled back instead, the update below
    finds nothing and the state change gets its own event.
    """
    key, _pending.last_note = _pending.last_note, None
    if event.kind != EventKind.STATE_CHANGED or key is None or key[0] != event.ticket_id:
        return False
    if event.actor_id is not None and key[1] != event.actor_id:
        return False
    merged = Event.objects.filter(
        pk=key[2], kind=Kind.NOTE_ADDED, new_state="", is_private=False
    ).update(old_state=event.old_state, new_state=event.new_state)
    return bool(merged)


def _forget_note() -> None:
    _pending.last_note = None


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


def publish(
    task: Any, args: tuple[Any, ...], ids: Sequence[int], *, patient: bool, what: str
) -> int:
    """`task.apply_async(args)` for these outbox rows; never raises. Returns how many rows were
    handed over: 0 when the broker refused or timed out, the rows then wait for their sweeper."""
    try:
        task.apply_async(args, **(PATIENT if patient else IMPATIENT))
    except Exception:
        if task.app.conf.task_always_eager:
            # No broker: the tasks ran here; a failure is recorded on its row.
            logger.exception("%s %s: in-process sending failed", what, ids)
        else:
            logger.warning(
                "Broker unreachable: %d %s left QUEUED for the sweeper",
                len(ids),
                what,
                exc_info=True,
            )
        return 0
    return len(ids)


def take_overdue(queued: QuerySet[Any], older_than: float | None = None) -> list[int]:
    """The ids of `queued` rows due more than `older_than` seconds ago (NOTIFICATIONS_SWEEP_AFTER
    by default), a batch at most, rows locked by a sending worker skipped; they are made due now,
    so that a slow queue does not get them again before another `older_than`."""
    if older_than is None:
        older_than = conf.value("NOTIFICATIONS_SWEEP_AFTER")
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            queued.filter(due_at__lte=now - timedelta(seconds=older_than))
            .order_by("due_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[: int(conf.value("NOTIFICATIONS_SWEEP_BATCH"))]
        )
        queued.model.objects.filter(pk__in=ids).update(due_at=now)
    return ids


def publish_each(notification_ids: Sequence[int]) -> int:
    """One `send_notification` message per row, over one broker connection (in a worker)."""
    from .tasks import send_notification

    if send_notification.app.conf.task_always_eager:
        for pk in notification_ids:
            send_notification.apply_async((pk,))
        return len(notification_ids)
    published = 0
    with send_notification.app.producer_or_acquire() as producer:
        for pk in notification_ids:
            send_notification.apply_async((pk,), producer=producer, **PATIENT)
            published += 1
    return published


def requeue(notifications: QuerySet[Notification]) -> int:
    """Put FAILED or CANCELLED rows back in the queue (the admin's « Renvoyer »)."""
    with transaction.atomic():
        ids = list(
            notifications.filter(status__in=[Status.FAILED, Status.CANCELLED])
            .select_for_update()
            .values_list("pk", flat=True)
        )
        Notification.objects.filter(pk__in=ids).update(
            status=Status.QUEUED, attempts=0, due_at=timezone.now()
        )
        if ids:
            transaction.on_commit(partial(enqueue, ids), robust=True)
    return len(ids)
