"""The one sweeper: every minute (beat), each outbox's rows whose message never ran go back to
the workers.

It covers a broker that was down when the change committed, a message lost with its broker or
its worker, and a retry that could not be scheduled. A row it re-enqueues is not taken again
before another NOTIFICATIONS_SWEEP_AFTER has passed, so a slow queue is not flooded with copies.
Safe to run twice or concurrently: the sending task locks its row and skips what is done.
"""

from __future__ import annotations

from celery import shared_task

from . import smtp  # noqa: F401 - a worker closes its SMTP session on shutdown (mail.smtp)
from .outbox import outboxes, sweep


@shared_task(ignore_result=True)
def sweep_outboxes(older_than: float | None = None) -> int:
    """Re-enqueue, in every outbox, the QUEUED rows overdue by `older_than` seconds
    (NOTIFICATIONS_SWEEP_AFTER by default); returns how many rows were taken in all."""
    return sum(sweep(model, older_than) for model in outboxes())
