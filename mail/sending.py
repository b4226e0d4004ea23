"""Sending one outbox row: lock it, skip it if done, send it, record the outcome.

The row stays locked (SELECT ... FOR UPDATE SKIP LOCKED) while the SMTP server takes the mail,
and SENT is committed right after the server's acceptance, before the SMTP session is closed.
A worker killed between the two leaves the row QUEUED: the task is delivered again and the mail
sent twice. That window is one UPDATE and one COMMIT long (bench/notifications_bench.py
measures it); everything else at-least-once delivery may repeat is skipped here.

The same code sends every outbox (mail.models.Outbox); each says, through the callables it
passes to `deliver`, what its mail shows and when its recipient may no longer have it.
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import conf
from .models import ERROR_MAX, Status
from .rendering import Attachment, MessageSender, send_templated_email

logger = logging.getLogger(__name__)

# The start of last_error on a Status.NO_ACCESS row; the reason follows.
NO_ACCESS = "Destinataire sans accès au ticket au moment de l'envoi"
# last_error of a row CANCELLED because its recipient has no address.
NO_ADDRESS = "Destinataire sans adresse e-mail."


class Outcome(StrEnum):
    SENT = "sent"
    DONE_ALREADY = "done_already"  # sent, failed or cancelled by an earlier delivery
    BUSY = "busy"  # locked by another worker right now, or gone (rolled back, deleted)
    RETRY = "retry"
    FAILED = "failed"
    CANCELLED = "cancelled"
    NO_ACCESS = "no_access"  # the recipient may no longer read it: Status.NO_ACCESS


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    retry_in: float | None = None
    # Seconds between the SMTP server's acceptance and the commit of SENT: the duplicate window.
    unrecorded: float | None = None


class TemporaryFailure(Exception):
    pass


def is_temporary(error: BaseException) -> bool:
    """May trying again later succeed? 4xx replies, network trouble, a misconfigured server.

    A 5xx about this message (refused recipient, sender or content) is permanent; a server that
    refuses us altogether (connection, HELO, authentication) is the operator's problem, and is
    retried so that fixing it within the retry window loses nothing.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return any(code < 500 for code, _ in error.recipients.values())
    if isinstance(
        error,
        smtplib.SMTPConnectError | smtplib.SMTPHeloError | smtplib.SMTPAuthenticationError,
    ):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return not 500 <= error.smtp_code < 600
    return isinstance(
        error, smtplib.SMTPException | OSError | SoftTimeLimitExceeded | TemporaryFailure
    )


def deliver(
    rows: QuerySet[Any],
    pk: int,
    *,
    label: str,
    template: Callable[[Any], str],
    context: Callable[[Any], dict[str, Any]],
    headers: Callable[[Any], dict[str, str]],
    without_access: Callable[[Any], str],
    undeliverable: Callable[[Any], str] | None = None,
    attachments: Callable[[Any], Sequence[Attachment]] | None = None,
    prepare: Callable[[Any], None] | None = None,
    connection: MessageSender | None = None,
) -> Delivery:
    """Send the outbox row `pk` of `rows` (select_related its recipient) if it is still QUEUED,
    locked meanwhile; record what happened on it.

    `prepare` completes the locked row (e.g. from a cache) before the others read it. Not sent:
    NO_ACCESS when `without_access` says why the recipient may no longer read it; CANCELLED when
    the recipient has no address, or `undeliverable` says why else it cannot leave.
    """
    with transaction.atomic():
        row = lock_queued(rows, pk)
        if isinstance(row, Delivery):
            return row
        if prepare is not None:
            prepare(row)
        delivery, accepted_at = send_locked(
            row,
            without_access=without_access(row),
            undeliverable=_undeliverable(row, undeliverable),
            template=template(row),
            context=context,
            headers=headers,
            connection=connection,
            label=label,
            attachments=attachments,
        )
    if accepted_at is None:
        return delivery
    return Delivery(Outcome.SENT, unrecorded=time.monotonic() - accepted_at)


def _undeliverable(row: Any, reason: Callable[[Any], str] | None) -> str:
    if not addressee(row)[0]:
        return NO_ADDRESS
    return reason(row) if reason is not None else ""


def addressee(row: Any) -> tuple[str, str]:
    """Where a row's mail goes, and in which language: its recipient's address and language; a
    row with no recipient names an address of its own, with no account (the team's:
    notifications.Notification.address), mailed in the site's language."""
    recipient = row.recipient
    if recipient is None:
        return getattr(row, "address", ""), settings.LANGUAGE_CODE
    return recipient.email, recipient.language


def lock_queued(rows: QuerySet[Any], pk: int) -> Any:
    """The outbox row `pk`, locked until the end of the caller's transaction, if it is still
    QUEUED; otherwise the Delivery saying why it is not sent now (BUSY, DONE_ALREADY)."""
    row = rows.select_for_update(skip_locked=True, of=("self",)).filter(pk=pk).first()
    if row is None:
        return Delivery(Outcome.BUSY)
    if row.status != Status.QUEUED:
        return Delivery(Outcome.DONE_ALREADY)
    return row


def send_locked(
    row: Any,
    *,
    undeliverable: str,
    without_access: str = "",
    template: str,
    context: Callable[[Any], dict[str, Any]],
    headers: Callable[[Any], dict[str, str]],
    connection: MessageSender | None,
    label: str,
    attachments: Callable[[Any], Sequence[Attachment]] | None = None,
) -> tuple[Delivery, float | None]:
    """Send a row `lock_queued` gave; record the outcome on the row. Not sent: NO_ACCESS when
    `without_access` says why the recipient may no longer read it, CANCELLED when `undeliverable`
    says why it cannot leave. Also returns when the SMTP server accepted the mail (monotonic),
    for the caller to measure the duplicate window up to its COMMIT."""
    if without_access:
        # Not a failure: nothing to retry, and « Renvoyer » leaves it alone (outbox.requeue).
        row.status, row.last_error = Status.NO_ACCESS, f"{NO_ACCESS} : {without_access}"
        row.save(update_fields=["status", "last_error"])
        logger.info("%s %s not sent: %s", label, row.pk, row.last_error)
        return Delivery(Outcome.NO_ACCESS), None
    if undeliverable:
        row.status, row.last_error = Status.CANCELLED, undeliverable
        row.save(update_fields=["status", "last_error"])
        return Delivery(Outcome.CANCELLED), None
    row.attempts += 1
    try:
        address, language = addressee(row)
        send_templated_email(
            template=template,
            to=[address],
            context=context(row),
            language=language,
            headers=headers(row),
            connection=connection,
            # Rendered in the try: a file that fails to render is a failed attempt, retried.
            attachments=attachments(row) if attachments else (),
        )
    except Exception as error:
        return record_failure(row, error, label=label), None
    accepted_at = time.monotonic()
    row.status, row.sent_at, row.sent_to, row.last_error = Status.SENT, timezone.now(), address, ""
    row.save(update_fields=["status", "attempts", "sent_at", "sent_to", "last_error"])
    return Delivery(Outcome.SENT), accepted_at


def record_failure(row: Any, error: Exception, *, label: str) -> Delivery:
    """A failed send of an outbox row: due again later with backoff while the error may pass and
    attempts remain, FAILED otherwise."""
    row.last_error = f"{type(error).__name__}: {error}"[:ERROR_MAX]
    temporary = is_temporary(error)
    if temporary and row.attempts < conf.value("NOTIFICATIONS_MAX_ATTEMPTS"):
        delay = conf.jittered(conf.retry_delay(row.attempts))
        row.due_at = timezone.now() + timedelta(seconds=delay)
        row.save(update_fields=["attempts", "last_error", "due_at"])
        logger.warning(
            "%s %s: attempt %d failed (%s), retry in %.0f s",
            label,
            row.pk,
            row.attempts,
            row.last_error,
            delay,
        )
        return Delivery(Outcome.RETRY, retry_in=delay)
    row.status = Status.FAILED
    row.save(update_fields=["status", "attempts", "last_error"])
    if temporary:
        logger.error("%s %s: given up after %d attempts", label, row.pk, row.attempts)
    else:
        logger.error("%s %s: permanent failure: %s", label, row.pk, row.last_error)
    return Delivery(Outcome.FAILED)


def message_id(row: Any) -> str:
    """Fixed per row: a mail client that dedupes hides the rare duplicate of a crashed worker,
    and a bounce names the row it returns."""
    return f"<{row.MESSAGE_ID_PREFIX}-{row.pk}@{mail_domain()}>"


def mail_domain() -> str:
    """The right-hand side of the Message-IDs the outboxes give their mails."""
    return settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "atm-support.local"
