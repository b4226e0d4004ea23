"""Reads of the hour ledger that pages, mails and commands share (tenancy: by organisation id)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, F, Q, Sum

from tickets.models import OPEN_STATES, Note, Ticket

from .alerts import level_for
from .ledger import QUARTER_HOUR, allowance_for, rounded_debit
from .models import Kind, LedgerEntry, Level
from .periods import current_period, previous_period


@dataclass(frozen=True)
class BalanceSummary:
    """The Accueil block: where the organisation stands now."""

    balance: int
    monthly: int
    period: date  # the current month
    credit: int | None  # the current month's credit (revisions included), None before it
    consumed_period: date  # the last month closed
    consumed: int  # minutes debited for the tickets closed at its end
    pending: int  # rounded billable minutes on tickets not closed yet (debited when closed)
    level: Level

    @property
    def is_negative(self) -> bool:
        return self.balance < 0

    @property
    def after_pending(self) -> int:
        return self.balance - self.pending


def pending_minutes(organisation_id: int) -> int:
    """What the open tickets would cost if closed now: billable minutes rounded per ticket.

    Each ticket's billable minutes are kept on it (Ticket.billable_minutes, by triggers on the
    notes: tickets migration 0016); state IN (open states) and is_private are the prefix and an
    INCLUDE of the ticket_org_state index, billable_minutes another INCLUDE: the sum reads that
    index alone, ~2,000 entries for the largest organisation, instead of each open ticket's
    notes. A private ticket is ATM's internal work: the month end never debits it (month_end),
    so it is not pending either, and the client never hears of it.
    """
    rounded = (F("billable_minutes") + (QUARTER_HOUR - 1)) / QUARTER_HOUR * QUARTER_HOUR
    total = Ticket.objects.filter(
        organisation_id=organisation_id,
        state__in=OPEN_STATES,
        is_private=False,
        billable_minutes__gt=0,
    ).aggregate(total=Sum(rounded))["total"]
    return int(total or 0)


def balance_summary(organisation_id: int, now: datetime | None = None) -> BalanceSummary:
    period = current_period(now)
    last_closed = previous_period(period)
    totals = LedgerEntry.objects.filter(organisation_id=organisation_id).aggregate(
        balance=Sum("minutes"),
        credit=Sum(
            "minutes",
            filter=Q(period=period)
            & (Q(kind=Kind.CREDIT) | Q(kind=Kind.ADJUSTMENT, revision__isnull=False)),
        ),
        has_credit=Sum("minutes", filter=Q(period=period, kind=Kind.CREDIT)),
        consumed=Sum("minutes", filter=Q(period=last_closed, kind=Kind.DEBIT)),
    )
    balance = int(totals["balance"] or 0)
    monthly = allowance_for(organisation_id, period)
    return BalanceSummary(
        balance=balance,
        monthly=monthly,
        period=period,
        credit=None if totals["has_credit"] is None else int(totals["credit"] or 0),
        consumed_period=last_closed,
        consumed=-int(totals["consumed"] or 0),
        pending=pending_minutes(organisation_id),
        level=level_for(balance, monthly),
    )


@dataclass
class MonthTotals:
    """One line of the statements' list: a month's movements and its balances."""

    period: date
    opening: int = 0
    credit: int = 0
    debited: int = 0  # positive
    adjusted: int = 0
    tickets: int = 0

    @property
    def closing(self) -> int:
        return self.opening + self.credit - self.debited + self.adjusted


def months(organisation_id: int) -> list[MonthTotals]:
    """Every month the organisation has entries in, newest first, with running balances."""
    rows = (
        LedgerEntry.objects.filter(organisation_id=organisation_id)
        .values("period", "kind")
        .annotate(total=Sum("minutes"), count=Count("pk"))
        .order_by("period")
    )
    by_period: dict[date, MonthTotals] = {}
    for row in rows:
        month = by_period.setdefault(row["period"], MonthTotals(row["period"]))
        if row["kind"] == Kind.CREDIT:
            month.credit += row["total"]
        elif row["kind"] == Kind.DEBIT:
            month.debited -= row["total"]
            month.tickets += row["count"]
        else:
            month.adjusted += row["total"]
    running = 0
    ordered = sorted(by_period.values(), key=lambda month: month.period)
    for month in ordered:
        month.opening = running
        running = month.closing
    return list(reversed(ordered))


@dataclass(frozen=True)
class StatementLine:
    entry: LedgerEntry
    balance: int  # after this entry


@dataclass
class Statement:
    period: date
    opening: int
    lines: list[StatementLine] = field(default_factory=list)

    @property
    def closing(self) -> int:
        return self.lines[-1].balance if self.lines else self.opening

    def total(self, kind: str) -> int:
        return sum(line.entry.minutes for line in self.lines if line.entry.kind == kind)

    @property
    def credit(self) -> int:
        return self.total(Kind.CREDIT)

    @property
    def debited(self) -> int:
        return -self.total(Kind.DEBIT)

    @property
    def adjusted(self) -> int:
        return self.total(Kind.ADJUSTMENT)

    @property
    def tickets(self) -> int:
        return sum(1 for line in self.lines if line.entry.kind == Kind.DEBIT)


KIND_ORDER = {Kind.CREDIT: 0, Kind.ADJUSTMENT: 1, Kind.DEBIT: 2}


def statement(organisation_id: int, period: date) -> Statement | None:
    """One month of one organisation: opening balance, its entries, running balance.

    None when the organisation has no entry that month (another organisation's month, a month
    before its contract, a month to come): the page answers 404.
    """
    entries = list(
        LedgerEntry.objects.filter(organisation_id=organisation_id, period=period).select_related(
            "ticket", "author"
        )
    )
    if not entries:
        return None
    # The credit opens the month, the debits close it; adjustments in between, by date.
    entries.sort(key=lambda e: (KIND_ORDER[Kind(e.kind)], e.ticket.number if e.ticket else 0, e.pk))
    opening = int(
        LedgerEntry.objects.filter(organisation_id=organisation_id, period__lt=period).aggregate(
            total=Sum("minutes")
        )["total"]
        or 0
    )
    result = Statement(period=period, opening=opening)
    running = opening
    for entry in entries:
        running += entry.minutes
        result.lines.append(StatementLine(entry, running))
    return result


@dataclass(frozen=True)
class TicketTime:
    """The ticket page's « Temps passé », as the client can check it against the notes they see.

    `billable` is the total billed: the public notes' billable minutes (each shown on its note)
    plus the internal work's. The internal work is only ever minutes (`internal`, summed over
    the private notes): how it was spent stays private, never its text, author or date.
    """

    billable: int
    rounded: int  # what the month end debits (or debited), allowances.ledger.rounded_debit
    debit: LedgerEntry | None  # once debited
    internal: int = 0  # every private note's minutes, billable or not
    internal_unbillable: int = 0
    unbillable: int = 0  # every non-billable minute, public and private

    @property
    def counted(self) -> int:
        return -self.debit.minutes if self.debit else self.rounded

    @property
    def unbillable_beyond_internal(self) -> bool:
        """Whether the non-billed total says more than the internal line's « dont … non
        facturé » (some public note is not billed): else it would say the same twice."""
        return self.unbillable > self.internal_unbillable


def ticket_time(ticket: Ticket) -> TicketTime:
    """Billable minutes of every note, the private ones included: the client pays for that time
    (how it was spent stays private)."""
    totals = Note.objects.filter(ticket=ticket).aggregate(
        billable=Sum("minutes_spent", filter=Q(is_billable=True)),
        internal=Sum("minutes_spent", filter=Q(is_private=True)),
        internal_unbillable=Sum("minutes_spent", filter=Q(is_private=True, is_billable=False)),
        unbillable=Sum("minutes_spent", filter=Q(is_billable=False)),
    )
    billable = int(totals["billable"] or 0)
    debit = LedgerEntry.objects.filter(ticket=ticket, kind=Kind.DEBIT).first()
    return TicketTime(
        billable=billable,
        rounded=rounded_debit(billable),
        debit=debit,
        internal=int(totals["internal"] or 0),
        internal_unbillable=int(totals["internal_unbillable"] or 0),
        unbillable=int(totals["unbillable"] or 0),
    )
