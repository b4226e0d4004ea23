"""Sending one outbox row: lock it, skip it if done, send it, record the outcome.

The row stays locked (SELECT ... FOR UPDATE SKIP LOCKED) while the SMTP server takes the mail,
and SENT is committed right after the server's acceptance, before the SMTP session is closed.
A worker killed between the two leaves the row QUEUED: the task is delivered again and the mail
sent twice. That window is one UPDATE and one COMMIT long (bench/notifications_bench.py
measures it); everything else at-least-once delivery may repeat is skipped here.
"""

from __future__ import annotations

import contextlib
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
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from tickets.models import State, Ticket

from . import conf
from .emails import Attachment, MessageSender, send_templated_email
from .models import Event, Notification, Status
from .selectors import access_refused

logger = logging.getLogger(__name__)

TEMPLATE = "ticket_notification"

# The start of last_error on a Status.NO_ACCESS row; the reason follows.
NO_ACCESS = "Destinataire sans accès au ticket au moment de l'envoi"

# The colours of the states, as in static/css (e-mail clients ignore style sheets: inline it).
STATE_COLOURS = {
    State.NEW: "#fcbdbd",
    State.ACKNOWLEDGED: "#ffcd85",
    State.ASSIGNED: "#c2dfff",
    State.FEEDBACK: "#e3b7eb",
    State.RESOLVED: "#d2f5b0",
    State.CLOSED: "#c9ccc4",
}


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


def _stale_connection(error: BaseException) -> bool:
    """Errors a reused SMTP session gives when the server has dropped it meanwhile."""
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code == 421
    return isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError)


class MailSession:
    """One SMTP connection kept open across the mails a worker process sends.

    Saves a TCP handshake, EHLO and QUIT per mail, and lets SENT be committed before the QUIT.
    A session the server dropped while idle is reopened once, on the spot.
    """

    def __init__(self) -> None:
        self._backend: Any = None
        self._last_used = 0.0

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        reused = self._open()
        try:
            sent = int(self._backend.send_messages(email_messages))
        except Exception as error:
            self.close()
            if not (reused and _stale_connection(error)):
                raise
            self._open()
            try:
                sent = int(self._backend.send_messages(email_messages))
            except Exception:
                self.close()
                raise
        self._last_used = time.monotonic()
        return sent

    def _open(self) -> bool:
        """Open the session if needed; True when an existing one is reused."""
        idle = time.monotonic() - self._last_used
        if self._backend is not None and idle > conf.value("NOTIFICATIONS_SMTP_IDLE"):
            self.close()
        if self._backend is not None:
            return True
        backend = mailers.default
        backend.open()
        self._backend = backend
        return False

    def close(self) -> None:
        backend, self._backend = self._backend, None
        if backend is not None:
            with contextlib.suppress(Exception):  # discarded anyway
                backend.close()


class EventCache:
    """The events a worker process mails about, kept a few seconds: an event's ten recipients
    are ten tasks, and its row, ticket, actor and note do not change once committed."""

    def __init__(self, ttl: float = 10, size: int = 256) -> None:
        self.ttl, self.size = ttl, size
        self._entries: dict[int, tuple[float, Event]] = {}

    def get(self, event_id: int) -> Event:
        now = time.monotonic()
        entry = self._entries.get(event_id)
        if entry is not None and now - entry[0] < self.ttl:
            return entry[1]
        event = Event.objects.select_related("ticket__handler", "actor", "note").get(pk=event_id)
        if len(self._entries) >= self.size:
            self._entries = {k: v for k, v in self._entries.items() if now - v[0] < self.ttl}
            while len(self._entries) >= self.size:
                del self._entries[next(iter(self._entries))]
        self._entries[event_id] = (now, event)
        return event

    def clear(self) -> None:
        self._entries.clear()


_events = EventCache()


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
        address = row.recipient.email
        send_templated_email(
            template=template,
            to=[address],
            context=context(row),
            language=row.recipient.language,
            headers=headers(row),
            connection=connection,
            # Rendered in the try: a file that fails to render is a failed attempt, retried.
            attachments=attachments(row) if attachments else (),
        )
    except Exception as error:
        return record_failure(row, error, failed=Status.FAILED, label=label), None
    accepted_at = time.monotonic()
    row.status, row.sent_at, row.sent_to, row.last_error = Status.SENT, timezone.now(), address, ""
    row.save(update_fields=["status", "attempts", "sent_at", "sent_to", "last_error"])
    return Delivery(Outcome.SENT), accepted_at


def deliver(notification_id: int, *, connection: MessageSender | None = None) -> Delivery:
    """Send one outbox row if it is still QUEUED; record what happened."""
    with transaction.atomic():
        row = lock_queued(Notification.objects.select_related("recipient"), notification_id)
        if isinstance(row, Delivery):
            return row
        row.event = _events.get(row.event_id)
        delivery, accepted_at = send_locked(
            row,
            without_access=_without_access(row),
            undeliverable=_undeliverable(row),
            template=TEMPLATE,
            context=notification_context,
            headers=_headers,
            connection=connection,
            label="Notification",
        )
    if accepted_at is None:
        return delivery
    return Delivery(Outcome.SENT, unrecorded=time.monotonic() - accepted_at)


def _without_access(row: Notification) -> str:
    """The recipients' rule again, at sending time: since the event, the recipient may have
    been deactivated, moved to another organisation or made a client (a ticket never changes
    organisation, so the cached event's is right), or the ticket made private: that is read
    afresh for a client (one small query), the cached event may be seconds old."""
    user = row.recipient
    ticket = row.event.ticket
    ticket_private = ticket.is_private
    if not user.is_staff and not ticket_private:
        ticket_private = Ticket.objects.filter(pk=ticket.pk, is_private=True).exists()
    return access_refused(
        is_active=user.is_active,
        is_staff=user.is_staff,
        organisation_id=user.organisation_id,
        ticket_organisation_id=ticket.organisation_id,
        private=row.event.is_private,
        ticket_private=ticket_private,
    )


def _undeliverable(row: Notification) -> str:
    if not row.recipient.email:
        return "Destinataire sans adresse e-mail."
    return ""


def record_failure(row: Any, error: Exception, *, failed: str, label: str) -> Delivery:
    """A failed send of an outbox row (a notification, an allowance mail: `attempts`,
    `last_error`, `due_at`, `status`): due again later with backoff while the error may pass
    and attempts remain, `failed` otherwise."""
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
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
    row.status = failed
    row.save(update_fields=["status", "attempts", "last_error"])
    if temporary:
        logger.error("%s %s: given up after %d attempts", label, row.pk, row.attempts)
    else:
        logger.error("%s %s: permanent failure: %s", label, row.pk, row.last_error)
    return Delivery(Outcome.FAILED)


def mail_domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "atm-support.local"


def _headers(row: Notification) -> dict[str, str]:
    """A Message-ID fixed per row lets mail clients that dedupe hide a rare duplicate; the
    ticket's thread id groups its mails into one conversation."""
    domain = mail_domain()
    thread = f"<ticket-{row.event.ticket.number}@{domain}>"
    return {
        "Message-ID": f"<notification-{row.pk}@{domain}>",
        "In-Reply-To": thread,
        "References": thread,
        "Auto-Submitted": "auto-generated",
    }


def ticket_url(row: Notification) -> str:
    """Clients read the ticket in the portal; staff work it in the admin."""
    ticket = row.event.ticket
    if row.recipient.is_staff:
        path = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    else:
        path = ticket.get_absolute_url()
    return settings.SITE_URL + path


def notification_context(row: Notification) -> dict[str, Any]:
    event = row.event
    new_state = State(event.new_state) if event.new_state else None
    old_state = State(event.old_state) if event.old_state else None
    return {
        "recipient": row.recipient,
        "reason": row.reason,
        "ticket": event.ticket,
        "number": event.ticket.display_number,
        "summary": event.ticket.summary,
        "kind": event.kind,
        "actor": event.actor,
        # The month-end job and the auto-resolution act without a person.
        "actor_name": str(event.actor) if event.actor else "ATM Support",
        "note": event.note,
        "old_state": old_state,
        "new_state": new_state,
        "old_colour": STATE_COLOURS.get(old_state) if old_state else "",
        "new_colour": STATE_COLOURS.get(new_state) if new_state else "",
        "handler": event.ticket.handler,
        "url": ticket_url(row),
        "account_url": settings.SITE_URL + reverse("accounts:account"),
    }
