"""The month-end job: close the month's resolved tickets, debit them, credit the new month.

For each organisation and each month still open for it (normally one: the month that just
ended), in one transaction under the organisation's row lock:

1. lock its « Résolu » tickets resolved before the month ended (Paris time) and close them:
   state Fermé, closed_at, version, a history row « État : Résolu → Fermé » by the system —
   tickets.workflow.tickets_close_resolved, the state machine's bulk form of that transition;
2. debit each of them: its billable minutes rounded up to the quarter hour (a 0-minute debit
   says so, and marks the ticket as counted);
3. credit the new month with the allowance in force for it (0 included: the credit row is also
   the mark that the month was closed for this organisation);
4. compare the balance with the allowance (warnings), and queue one statement mail per
   client user who wants it; the mails leave after commit.

Idempotent and resumable by construction: a month is closed for an organisation exactly when
the next month's credit exists, and the unique indexes forbid a second credit or a second debit.
A second run (or a concurrent one, which waits for the lock) finds the credit and does nothing;
a run that crashed left whole organisations done and the others untouched; a late run catches up
month by month from the organisation's last credit, as the on-time runs would have.

No per-ticket TicketEvent is published: the month's statement is the mail, instead of one mail
per closed ticket. The query count grows with organisations (about 15 each), not with tickets.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Max, Sum
from django.utils import timezone

from accounts.models import Organisation
from atm_support.db import insert_rows
from tickets.models import Note, State, Ticket
from tickets.workflow import Actor, is_allowed, tickets_close_resolved

from . import alerts, mails
from .ledger import allowance_for, balance_of, lock_organisation, rounded_debit
from .models import Kind, LedgerEntry, Level
from .periods import current_period, next_period, period_end, period_label, previous_period

logger = logging.getLogger(__name__)


class MonthEndError(Exception):
    pass


@dataclass(frozen=True)
class ClosedTicket:
    pk: int
    number: int
    summary: str
    billable: int  # minutes
    debit: int  # minutes, rounded up to the quarter hour (positive)


@dataclass
class OrganisationMonth:
    """What the job did (or, dry, would do) for one organisation and one month."""

    organisation_id: int
    organisation: str
    period: date
    tickets: list[ClosedTicket] = field(default_factory=list)
    credit_period: date | None = None
    credit: int = 0
    balance: int = 0
    level: Level | None = None  # a new level reached, if any
    statements: int = 0
    # Private tickets closed too, never debited nor listed (see _close_tickets).
    private_closed: int = 0

    @property
    def debited(self) -> int:
        return sum(ticket.debit for ticket in self.tickets)


@dataclass
class MonthEndReport:
    period: date
    dry_run: bool
    months: list[OrganisationMonth] = field(default_factory=list)
    organisations: int = 0  # looked at
    already_done: int = 0  # organisations with nothing left to do

    @property
    def tickets_closed(self) -> int:
        return sum(len(month.tickets) for month in self.months)

    @property
    def minutes_debited(self) -> int:
        return sum(month.debited for month in self.months)


class _DryRun(Exception):
    """Raised to roll back a dry run's transaction once its report is made."""


def close_month(
    *,
    period: date | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
    progress: Callable[[OrganisationMonth], None] | None = None,
    organisation_ids: Collection[int] | None = None,
) -> MonthEndReport:
    """Close `period` (default: the month before now's, in Paris) for every organisation, or
    only for `organisation_ids` (the demo replays past month ends of its own organisations and
    must leave the others, and their clients' mailboxes, alone).

    Months an organisation still has open before `period` (missed runs) are closed first, in
    order. A dry run does exactly the same work inside transactions rolled back at the end.
    """
    now = now or timezone.now()
    target = period or previous_period(current_period(now))
    if target >= current_period(now):
        raise MonthEndError(
            f"{period_label(target)} n'est pas terminé : on ne clôt qu'un mois passé."
        )
    if not is_allowed(State.RESOLVED, State.CLOSED, Actor.SYSTEM):
        raise MonthEndError("Le workflow ne permet plus au système de fermer un ticket Résolu.")
    report = MonthEndReport(period=target, dry_run=dry_run)
    # Two queries decide where each organisation starts; the lock re-checks it below.
    last_credit = dict(
        LedgerEntry.objects.filter(kind=Kind.CREDIT)
        .values("organisation_id")
        .annotate(last=Max("period"))
        .values_list("organisation_id", "last")
        .order_by()
    )
    organisations = Organisation.objects.order_by("pk")
    if organisation_ids is not None:
        organisations = organisations.filter(pk__in=organisation_ids)
    for organisation_id, name in organisations.values_list("pk", "name"):
        report.organisations += 1
        last = last_credit.get(organisation_id)
        # The month the organisation's last credit opened is the first one to close (a new
        # organisation, never credited, only closes `target`).
        first = target if last is None else last
        if first > target:
            report.already_done += 1
            continue
        months = _close_organisation(organisation_id, name, first, target, now, dry_run)
        if not months:
            report.already_done += 1
        for month in months:
            report.months.append(month)
            if progress is not None:
                progress(month)
    return report


def _close_organisation(
    organisation_id: int, name: str, first: date, last: date, now: datetime, dry_run: bool
) -> list[OrganisationMonth]:
    done: list[OrganisationMonth] = []
    try:
        # A dry run keeps every month of the organisation in one transaction, rolled back at the
        # end, so that each month sees the previous one's work, exactly as a real run does.
        with transaction.atomic() if dry_run else contextlib.nullcontext():
            period = first
            while period <= last:
                month = _close_one(organisation_id, name, period, now)
                if month is not None:
                    done.append(month)
                period = next_period(period)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return done


def _close_one(
    organisation_id: int, name: str, period: date, now: datetime
) -> OrganisationMonth | None:
    new_month = next_period(period)
    with transaction.atomic():
        _asynchronous_commit()
        lock_organisation(organisation_id)
        credits = LedgerEntry.objects.filter(organisation_id=organisation_id, kind=Kind.CREDIT)
        if credits.filter(period__gte=new_month).exists():
            return None  # closed already (another run, or this one's earlier attempt)
        month = OrganisationMonth(organisation_id, name, period)
        month.tickets, month.private_closed = _close_tickets(organisation_id, period, now)
        insert_rows(
            LedgerEntry,
            ["organisation", "kind", "period", "minutes", "ticket", "memo", "created_at"],
            [
                (organisation_id, Kind.DEBIT.value, period, -ticket.debit, ticket.pk, "", now)
                for ticket in month.tickets
            ],
        )
        month.credit_period, month.credit = new_month, allowance_for(organisation_id, new_month)
        LedgerEntry.objects.create(
            organisation_id=organisation_id,
            kind=Kind.CREDIT,
            period=new_month,
            minutes=month.credit,
            created_at=now,
        )
        month.balance = balance_of(organisation_id)
        change, warnings = alerts.record_level(
            organisation_id=organisation_id,
            balance=month.balance,
            monthly=month.credit,
            now=now,
            publish=False,
        )
        month.level = Level(change.level) if change else None
        statements = mails.queue_statements(
            organisation_id=organisation_id,
            period=period,
            balance=month.balance,
            now=now,
            publish=False,
        )
        month.statements = len(statements)
        # One broker message per organisation and month, after commit.
        mails.publish_on_commit(warnings + statements)
    logger.info(
        "Month end %s, %s: %d ticket(s) closed and debited, %d private closed, "
        "%d min debited, %d min credited",
        period,
        name,
        len(month.tickets),
        month.private_closed,
        month.debited,
        month.credit,
    )
    return month


def _asynchronous_commit() -> None:
    """Let PostgreSQL acknowledge this transaction's COMMIT before its WAL reaches the disk.

    A thousand organisations are a thousand commits, each waiting for an fsync otherwise. The
    job can afford it: a database crash may lose the last few committed organisation-months
    (never half of one), which the next run redoes; their mails, published after commit, find
    no row and are skipped. Only this transaction is concerned (SET LOCAL).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _close_tickets(
    organisation_id: int, period: date, now: datetime
) -> tuple[list[ClosedTicket], int]:
    """Close the organisation's Résolu tickets resolved before `period` ended; return those to
    debit, and how many private ones were closed.

    A private ticket (MantisBT's private issues, shown to developers only) is internal to ATM:
    it is closed as usual, but neither debited nor listed in the statement, which the client
    reads (the statement lists the month's debits); its time is ATM's, never the client's.
    """
    rows = tickets_close_resolved(
        organisation_id=organisation_id, resolved_before=period_end(period), now=now
    )
    if not rows:
        return [], 0
    private = set(
        Ticket.objects.filter(pk__in=[pk for pk, _n, _s in rows], is_private=True).values_list(
            "pk", flat=True
        )
    )
    rows = [row for row in rows if row[0] not in private]
    ids = [pk for pk, _number, _summary in rows]
    billable = dict(
        Note.objects.filter(ticket_id__in=ids, is_billable=True)
        .values("ticket_id")
        .annotate(total=Sum("minutes_spent"))
        .values_list("ticket_id", "total")
        .order_by()
    )
    closed = [
        ClosedTicket(
            pk=pk,
            number=number,
            summary=summary,
            billable=int(billable.get(pk) or 0),
            debit=rounded_debit(int(billable.get(pk) or 0)),
        )
        for pk, number, summary in rows
    ]
    return closed, len(private)
