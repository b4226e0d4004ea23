"""Celery tasks: the month end (beat, the 1st at 00:05 Paris), the mails and their sweeper."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from celery.signals import worker_process_shutdown

from notifications.delivery import MailSession, Outcome
from notifications.outbox import PATIENT, take_overdue

from .mails import deliver, enqueue
from .models import AllowanceMail, MailStatus
from .month_end import close_month as run_month_end

logger = logging.getLogger(__name__)

_session = MailSession()


@worker_process_shutdown.connect
def _close_session(**kwargs: Any) -> None:
    _session.close()


# Longer limits than the 5-minute default (bench/allowances_bench.py measures the real time);
# a failure (database restart...) is retried: what was done stays done, the rest is resumed.
@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=3300,
    time_limit=3600,
    autoretry_for=(Exception,),
    max_retries=5,
    retry_backoff=60,
)
def close_month() -> dict[str, int]:
    """Close the month that just ended (and any month a missed run left open).

    Safe to run again, concurrently or after a crash: see allowances.month_end.
    """
    report = run_month_end()
    logger.info(
        "Month end %s: %d organisation(s), %d ticket(s) closed, %d min debited",
        report.period,
        len({month.organisation_id for month in report.months}),
        report.tickets_closed,
        report.minutes_debited,
    )
    return {"months": len(report.months), "tickets": report.tickets_closed}


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_allowance_mails(self: Task[Any, Any], mail_ids: list[int]) -> int:
    """Send the rows of one ledger change (one organisation's statements, or a warning)."""
    eager = bool(self.request.is_eager)
    sent = 0
    for mail_id in mail_ids:
        delivery = deliver(mail_id, connection=None if eager else _session)
        if delivery.outcome == Outcome.SENT:
            sent += 1
        elif delivery.outcome == Outcome.RETRY and delivery.retry_in is not None and not eager:
            try:
                send_allowance_mails.apply_async(
                    ([mail_id],), countdown=delivery.retry_in, **PATIENT
                )
            except Exception:
                logger.warning("Allowance mail %s: retry not scheduled, the sweeper will", mail_id)
    return sent


@shared_task(ignore_result=True)
def sweep_allowance_mails(older_than: float | None = None) -> int:
    """Re-enqueue QUEUED rows whose message should have run a while ago (broker down at commit,
    message lost, retry not scheduled): the same rule as notifications.tasks.sweep_outbox."""
    ids = take_overdue(AllowanceMail.objects.filter(status=MailStatus.QUEUED), older_than)
    if ids:
        logger.warning(
            "Allowance sweeper: %d overdue mail(s) re-enqueued", enqueue(ids, patient=True)
        )
    return len(ids)
