"""Celery tasks: the month end (beat, the 1st at 00:05 Paris) and the sending of its mails (their
sweeper is every outbox's, mail.tasks.sweep_outboxes)."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task

from mail import smtp
from mail.outbox import retry_later
from mail.sending import Outcome

from .mails import deliver
from .month_end import close_month as run_month_end

logger = logging.getLogger(__name__)


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
        delivery = deliver(mail_id, connection=smtp.connection(eager=eager))
        if delivery.outcome == Outcome.SENT:
            sent += 1
        elif delivery.outcome == Outcome.RETRY and delivery.retry_in is not None and not eager:
            retry_later(
                send_allowance_mails,
                ([mail_id],),
                countdown=delivery.retry_in,
                what=f"Allowance mail {mail_id}",
            )
    return sent
