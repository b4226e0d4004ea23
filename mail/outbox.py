"""Handing outbox rows to Celery, and getting back those it never ran: publish, sweep, requeue.

The web request pays for a few INSERTs and, after commit, one small publish: no SMTP, and no
more than the broker's 2-second socket timeouts when Redis is away (the rows then wait for the
sweeper, mail.tasks.sweep_outboxes, which takes every outbox in turn).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from functools import partial
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import conf
from .models import Outbox, Status

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


def publish(
    task: Any, args: tuple[Any, ...], ids: Sequence[int], *, patient: bool, what: str
) -> int:
    """`task.apply_async(args)` for these outbox rows; never raises. Returns how many rows were
    handed over: 0 when the broker refused or timed out, the rows then wait for the sweeper."""
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


def publish_each(task: Any, ids: Sequence[int]) -> int:
    """One `task(pk)` message per row, over one broker connection (in a worker)."""
    if task.app.conf.task_always_eager:
        for pk in ids:
            task.apply_async((pk,))
        return len(ids)
    published = 0
    with task.app.producer_or_acquire() as producer:
        for pk in ids:
            task.apply_async((pk,), producer=producer, **PATIENT)
            published += 1
    return published


def retry_later(task: Any, args: tuple[Any, ...], *, countdown: float, what: str) -> None:
    """Publish the retry of a failed send after its backoff; if the broker refuses, the row is
    still QUEUED and due then: the sweeper takes it."""
    try:
        task.apply_async(args, countdown=countdown, **PATIENT)
    except Exception:
        logger.warning("%s: retry not scheduled, the sweeper will", what)


def outboxes() -> list[type[Outbox]]:
    """Every installed outbox model."""
    return [model for model in apps.get_models() if issubclass(model, Outbox)]


def mark_bounced(message_ids: Sequence[str], reason: str) -> list[str]:
    """A bounce returned these mails: their rows, in whichever outbox, become FAILED with the
    reason (« Renvoyer » can send them again once the address is fixed). Returns the ids of the
    rows it marked, as « model pk »."""
    from .sending import mail_domain

    by_prefix = {model.MESSAGE_ID_PREFIX: model for model in outboxes() if model.MESSAGE_ID_PREFIX}
    wanted: dict[type[Outbox], set[int]] = {}
    for message_id in message_ids:
        prefix, _, rest = message_id.strip("<> ").partition("-")
        pk, _, domain = rest.partition("@")
        model = by_prefix.get(prefix)
        if model is not None and pk.isdigit() and domain == mail_domain():
            wanted.setdefault(model, set()).add(int(pk))
    marked = []
    for model, pks in wanted.items():
        rows = model._default_manager.filter(pk__in=pks).exclude(status=Status.FAILED)
        found = sorted(rows.values_list("pk", flat=True))
        rows.filter(pk__in=found).update(status=Status.FAILED, last_error=reason)
        marked += [f"{model._meta.verbose_name} {pk}" for pk in found]
    return marked


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


def sweep(model: type[Outbox], older_than: float | None = None) -> int:
    """Re-enqueue the QUEUED rows of one outbox whose message should have run `older_than`
    seconds ago; returns how many were taken."""
    ids = take_overdue(model._default_manager.filter(status=Status.QUEUED), older_than)
    if ids:
        published = model.enqueue(ids, patient=True)
        logger.warning("Sweeper: %d overdue %s row(s) re-enqueued", published, model._meta.label)
    return len(ids)


def requeue(rows: QuerySet[Any]) -> int:
    """Put FAILED or CANCELLED rows back in the queue (the admins' « Renvoyer »): locked, made
    due now with their attempts reset, handed to the workers once the transaction commits.
    Returns how many were requeued; SENT, QUEUED and NO_ACCESS rows are left alone."""
    model: type[Outbox] = rows.model
    with transaction.atomic():
        ids = list(
            rows.filter(status__in=[Status.FAILED, Status.CANCELLED])
            .select_for_update()
            .values_list("pk", flat=True)
        )
        model._default_manager.filter(pk__in=ids).update(
            status=Status.QUEUED, attempts=0, due_at=timezone.now()
        )
        if ids:
            transaction.on_commit(partial(model.enqueue, ids), robust=True)
    return len(ids)
