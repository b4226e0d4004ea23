"""Celery tasks: send one outbox row; sweep the rows whose message never ran.

Both are safe to run twice or concurrently: the row lock and its status make a repeated message a
no-op. acks_late with reject_on_worker_lost puts a message back when its worker dies mid-task.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from celery.signals import worker_process_shutdown

from .delivery import MailSession, Outcome, deliver
from .models import Notification, Status
from .outbox import PATIENT, enqueue, publish_each, take_overdue

logger = logging.getLogger(__name__)

# One SMTP session per worker process, opened on its first mail.
_session = MailSession()


@worker_process_shutdown.connect
def _close_session(**kwargs: Any) -> None:
    _session.close()


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_notification(self: Task[Any, Any], notification_id: int) -> str:
    # In-process (no broker): one connection per mail, nothing left open in a web process.
    eager = bool(self.request.is_eager)
    delivery = deliver(notification_id, connection=None if eager else _session)
    if delivery.outcome == Outcome.RETRY and delivery.retry_in is not None:
        if eager:
            logger.warning(
                "Notification %s left QUEUED: no worker to retry it (manage.py "
                "notifications_sweep sends what is due)",
                notification_id,
            )
        else:
            try:
                send_notification.apply_async(
                    (notification_id,), countdown=delivery.retry_in, **PATIENT
                )
            except Exception:
                logger.warning(
                    "Notification %s: retry not scheduled, the sweeper will", notification_id
                )
    elif delivery.outcome == Outcome.SENT:
        logger.debug(
            "Notification %s sent; recorded %.1f ms after SMTP accepted it",
            notification_id,
            (delivery.unrecorded or 0) * 1000,
        )
    return str(delivery.outcome)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def dispatch_notifications(notification_ids: list[int]) -> int:
    """Split one change's rows into one task each (published from here, not from the web)."""
    return publish_each(notification_ids)


@shared_task(ignore_result=True)
def sweep_outbox(older_than: float | None = None) -> int:
    """Re-enqueue QUEUED rows whose message should have run `older_than` seconds ago.

    Run by beat every minute. It covers a broker that was down when the change committed, a
    message lost with its broker or its worker, and a retry that could not be scheduled. A row
    it re-enqueues is not taken again before another NOTIFICATIONS_SWEEP_AFTER has passed, so a
    slow queue is not flooded with copies.
    """
    ids = take_overdue(Notification.objects.filter(status=Status.QUEUED), older_than)
    if ids:
        published = enqueue(ids, patient=True)
        logger.warning("Sweeper: %d overdue notification(s) re-enqueued", published)
    return len(ids)
