"""Celery tasks: send one outbox row; split one change's rows into one task each.

Both are safe to run twice or concurrently: the row lock and its status make a repeated message a
no-op. acks_late with reject_on_worker_lost puts a message back when its worker dies mid-task.
The sweeper of every outbox is mail.tasks.sweep_outboxes.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task

from mail import smtp
from mail.outbox import retry_later
from mail.sending import Outcome

from .delivery import deliver
from .outbox import publish_each

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_notification(self: Task[Any, Any], notification_id: int) -> str:
    # In-process (no broker): one connection per mail, nothing left open in a web process.
    eager = bool(self.request.is_eager)
    delivery = deliver(notification_id, connection=smtp.connection(eager=eager))
    if delivery.outcome == Outcome.RETRY and delivery.retry_in is not None:
        if eager:
            logger.warning(
                "Notification %s left QUEUED: no worker to retry it (manage.py "
                "notifications_sweep sends what is due)",
                notification_id,
            )
        else:
            retry_later(
                send_notification,
                (notification_id,),
                countdown=delivery.retry_in,
                what=f"Notification {notification_id}",
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
