"""The mail app's beat tasks.

sweep_outboxes, every minute: each outbox's rows whose message never ran go back to the
workers. It covers a broker that was down when the change committed, a message lost with its
broker or its worker, and a retry that could not be scheduled. A row it re-enqueues is not taken
again before another NOTIFICATIONS_SWEEP_AFTER has passed, so a slow queue is not flooded with
copies. Safe to run twice or concurrently: the sending task locks its row and skips what is done.

fetch_inbound, every INBOUND_FETCH_EVERY seconds: one read of the support mailbox
(mail.inbound.fetch), one at a time.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache

from . import smtp  # noqa: F401 - a worker closes its SMTP session on shutdown (mail.smtp)
from .inbound import fetch
from .inbound.mailbox import MailboxError
from .outbox import outboxes, sweep

logger = logging.getLogger(__name__)

# Held while a read of the mailbox runs; expires on its own after a worker's hard time limit.
FETCH_LOCK = "mail-inbound-fetch"


@shared_task(ignore_result=True)
def sweep_outboxes(older_than: float | None = None) -> int:
    """Re-enqueue, in every outbox, the QUEUED rows overdue by `older_than` seconds
    (NOTIFICATIONS_SWEEP_AFTER by default); returns how many rows were taken in all."""
    return sum(sweep(model, older_than) for model in outboxes())


@shared_task(ignore_result=True)
def fetch_inbound() -> int:
    """Read the support mailbox once; returns how many messages were moved. A read still
    running elsewhere (a slow server, a big batch) makes this one skip: two would only compete
    for the same messages, which the unique key keeps from being handled twice anyway."""
    if not fetch.enabled():
        return 0
    if not cache.add(FETCH_LOCK, 1, timeout=360):
        logger.info("Inbound mail: a read is still running, this one skips")
        return 0
    try:
        return sum(fetch.fetch().values())
    except MailboxError as error:
        # The server is down or refuses us: the messages wait there; the next read tries again.
        logger.error("Inbound mail: the support mailbox is unreachable: %s", error)
        return 0
    finally:
        cache.delete(FETCH_LOCK)
