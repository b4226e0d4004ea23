"""The allowance mails: monthly statements and balance warnings, through an outbox of their own.

The tickets' outbox (notifications.models.Notification) cannot carry them: each of its rows hangs
on a ticket event. So these rows live here, written in the transaction of the ledger change they
report, and are sent by the same code as every outbox (mail/: publish after commit, lock then
send, retry backoff, the worker's one SMTP session, the sweeper, « Renvoyer »). This module says
who gets them and what they show.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from mail import sending
from mail.outbox import publish
from mail.rendering import Attachment, MessageSender
from mail.sending import Delivery
from notifications.selectors import access_refused

from . import selectors
from .models import AllowanceMail, BalanceLevelChange, Kind, LedgerEntry, MailKind
from .pdf import render_statement_pdf, statement_filename
from .periods import format_period, next_period

TEMPLATES = {
    MailKind.STATEMENT: "allowance_statement",
    MailKind.LOW: "allowance_warning",
    MailKind.NEGATIVE: "allowance_warning",
}


def statement_recipients(organisation_id: int) -> list[int]:
    """The organisation's active client users with an address, but those who said no."""
    return list(
        User.objects.filter(organisation_id=organisation_id, is_active=True, is_staff=False)
        .exclude(email="")
        .filter(statement_opt_out__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def warning_recipients(organisation_id: int) -> list[int]:
    """The organisation's active client users, and the active staff: both must know."""
    return list(
        User.objects.filter(
            Q(organisation_id=organisation_id, is_staff=False) | Q(is_staff=True),
            is_active=True,
        )
        .exclude(email="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _queue(rows: list[AllowanceMail], *, publish: bool) -> list[int]:
    """Write the rows; with `publish`, hand them to the workers once the transaction commits
    (without, the caller publishes them with others, in one message: see month_end)."""
    created = AllowanceMail.objects.bulk_create(rows)
    ids = [row.pk for row in created]
    if ids and publish:
        publish_on_commit(ids)
    return ids


def publish_on_commit(mail_ids: list[int]) -> None:
    if mail_ids:
        transaction.on_commit(partial(enqueue, mail_ids), robust=True)


def queue_statements(
    *, organisation_id: int, period: date, balance: int, now: datetime, publish: bool = True
) -> list[int]:
    """One statement of `period` per client user who wants it. Call it in the ledger's
    transaction: the mails leave only if the month end commits."""
    return _queue(
        [
            AllowanceMail(
                kind=MailKind.STATEMENT,
                organisation_id=organisation_id,
                recipient_id=user_id,
                period=period,
                balance=balance,
                created_at=now,
                due_at=now,
            )
            for user_id in statement_recipients(organisation_id)
        ],
        publish=publish,
    )


def queue_warning(change: BalanceLevelChange, *, publish: bool = True) -> list[int]:
    kind = MailKind.NEGATIVE if change.level == "negative" else MailKind.LOW
    return _queue(
        [
            AllowanceMail(
                kind=kind,
                organisation_id=change.organisation_id,
                recipient_id=user_id,
                level_change=change,
                balance=change.balance,
                created_at=change.created_at,
                due_at=change.created_at,
            )
            for user_id in warning_recipients(change.organisation_id)
        ],
        publish=publish,
    )


def enqueue(mail_ids: Sequence[int], *, patient: bool = False) -> int:
    """Hand rows to the workers in one message; never raises (the sweeper catches up)."""
    from .tasks import send_allowance_mails

    ids = list(mail_ids)
    if not ids:
        return 0
    return publish(send_allowance_mails, (ids,), ids, patient=patient, what="allowance mail(s)")


def _without_access(row: AllowanceMail) -> str:
    """The notifications' rule at sending time: the recipient may have been deactivated or
    moved to another organisation since the month end (a statement is never private)."""
    user = row.recipient
    return access_refused(
        is_active=user.is_active,
        is_staff=user.is_staff,
        organisation_id=user.organisation_id,
        ticket_organisation_id=row.organisation_id,
        private=False,
        ticket_private=False,
    )


def _undeliverable(row: AllowanceMail) -> str:
    if row.kind == MailKind.STATEMENT and hasattr(row.recipient, "statement_opt_out"):
        return "Le destinataire ne veut plus du relevé mensuel."
    return ""


def deliver(mail_id: int, *, connection: MessageSender | None = None) -> Delivery:
    """Send one row if it is still QUEUED (locked meanwhile); record what happened."""
    return sending.deliver(
        AllowanceMail.objects.select_related("recipient", "organisation"),
        mail_id,
        label="Allowance mail",
        template=lambda row: TEMPLATES[MailKind(row.kind)],
        context=mail_context,
        headers=_headers,
        without_access=_without_access,
        undeliverable=_undeliverable,
        attachments=_attachments,
        connection=connection,
    )


def _attachments(row: AllowanceMail) -> list[Attachment]:
    """A statement carries its month's PDF, rendered now from the ledger (append-only: a resend
    carries the same figures), in the recipient's language like the mail itself."""
    if row.kind != MailKind.STATEMENT or row.period is None:
        return []
    found = selectors.statement(row.organisation_id, row.period)
    if found is None:  # a month without entries has no statement page either
        return []
    with translation.override(row.recipient.language or settings.LANGUAGE_CODE):
        pdf = render_statement_pdf(organisation=row.organisation, statement=found)
    return [(statement_filename(row.period), pdf, "application/pdf")]


def _headers(row: AllowanceMail) -> dict[str, str]:
    return {"Message-ID": sending.message_id(row), "Auto-Submitted": "auto-generated"}


def statement_url(period: date) -> str:
    return settings.SITE_URL + reverse(
        "allowances:statement", kwargs={"period": format_period(period)}
    )


def mail_context(row: AllowanceMail) -> dict[str, Any]:
    """What the templates show. Amounts stay integers: the templates format them in the
    recipient's language (the `allowances` filters)."""
    user = row.recipient
    context: dict[str, Any] = {
        "recipient": user,
        "organisation": row.organisation,
        "kind": row.kind,
        "balance": row.balance,
        "for_staff": user.is_staff,
        "statements_url": settings.SITE_URL + reverse("allowances:statements"),
    }
    if row.kind == MailKind.STATEMENT and row.period is not None:
        entries = list(
            LedgerEntry.objects.filter(organisation_id=row.organisation_id, period=row.period)
            .select_related("ticket")
            .order_by("pk")
        )
        debits = [entry for entry in entries if entry.kind == Kind.DEBIT]
        new_month = next_period(row.period)
        credit = (
            LedgerEntry.objects.filter(
                organisation_id=row.organisation_id, kind=Kind.CREDIT, period=new_month
            )
            .values_list("minutes", flat=True)
            .first()
        )
        context.update(
            period=row.period,
            new_month=new_month,
            debits=[
                {
                    "number": entry.ticket.display_number if entry.ticket else "",
                    "summary": entry.ticket.summary if entry.ticket else "",
                    "minutes": -entry.minutes,
                    "url": settings.SITE_URL + entry.ticket.get_absolute_url()
                    if entry.ticket
                    else "",
                }
                for entry in debits
            ],
            debited=-sum(entry.minutes for entry in debits),
            adjustments=[entry for entry in entries if entry.kind == Kind.ADJUSTMENT],
            credit=credit,
            url=statement_url(row.period),
        )
    else:
        change = row.level_change
        context.update(
            monthly=change.monthly if change else 0,
            url=(
                settings.SITE_URL
                + reverse("admin:allowances_organisationbalance_change", args=[row.organisation_id])
                if user.is_staff
                else settings.SITE_URL + reverse("allowances:statements")
            ),
        )
    return context
