"""« Rapport de temps »: per technician, organisation and month, the billable and non-billable
minutes and the tickets, counted as the month end debits them; the clients' ratings per
technician; its CSV and the month's chart.

Which month a ticket's time counts in. The month end debits a ticket once, for the month it was
resolved in, with its billable minutes rounded up to the quarter hour *per ticket*
(ledger.rounded_debit). The report follows it exactly, ticket by ticket, so that its billable
figure of an organisation and a month equals the ledger's debits of that month:
- a ticket the ledger debited counts in the debit's month, for the debit (rounded) as billable;
- a Résolu ticket not debited yet counts in the month it was resolved in, for what the month end
  will debit (the same rounding), shown apart as « à décompter »;
- a ticket closed without a debit (a private ticket, which the client never pays; a ticket
  closed before the ledger existed, imported from MantisBT) counts in the month it was resolved
  in, all its time as non-billable;
- a ticket still open counts nowhere yet: its time counts in the month it is resolved in.
Non-billable minutes are therefore the time the client does not pay: the notes marked non
billable, and every minute of a ticket that is never debited.

The technicians. A ticket's minutes belong to the authors of its notes. The rounding (at most
14 minutes, the debit minus the notes' billable minutes) is given whole to one of them: the one
with the most billable minutes on the ticket, the ticket's handler breaking a tie, then the
smallest id. The technicians' billable minutes of an organisation therefore add up to the
organisation's billable figure, hence to the ledger's debits; a technician counts the tickets
they recorded time on (an organisation counts every ticket of the month, with time or not).

The ratings (tickets.satisfaction) count with their ticket's month, for the ticket's handler
when the client rated it (the technician who resolved it).

Bounded: one query per table (ledger, tickets, notes, ratings, names), each aggregated in SQL,
and the latest ratings' comments (at most COMMENTS_SHOWN),
whatever the number of tickets; the debited tickets are read by their ids, the others through
the partial index of the resolution moment (tickets migration 0014 « ticket_resolved_on »). On the
benchmark data (200,000 tickets, bench/README.md), the busiest month (6,697 tickets, 908
organisations) is 7 queries and about 100 ms of SQL.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce

from accounts.models import Organisation, User
from atm_support.minutes import decimal_hours, format_minutes
from tickets.models import Note, State, Ticket
from tickets.satisfaction import Rating

from .ledger import rounded_debit
from .models import Kind, LedgerEntry
from .periods import format_period, period_end, period_label, period_start

# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Line:
    """One technician's time on one organisation's tickets in the month."""

    technician_id: int | None
    technician: str
    organisation_id: int
    organisation: str
    billable: int = 0
    non_billable: int = 0
    tickets: int = 0
    satisfied: int = 0
    unsatisfied: int = 0


@dataclass
class OrganisationTotal:
    organisation_id: int
    organisation: str
    billable: int = 0  # = debited + pending
    debited: int = 0  # the ledger's debits of the month (positive)
    pending: int = 0  # Résolu, not closed yet: what the month end will debit
    non_billable: int = 0
    tickets: int = 0


@dataclass
class Opinion:
    technician_id: int | None
    technician: str
    satisfied: int = 0
    unsatisfied: int = 0


@dataclass(frozen=True)
class Comment:
    """A client's rating with a comment, for the technicians to read why."""

    ticket_pk: int
    ticket_number: str
    summary: str
    organisation: str
    technician: str
    client: str
    satisfied: bool
    comment: str


# Above this many (technician, organisation) lines, the page asks for a filter (or the CSV,
# which has them all) instead of a table no one reads: 20 technicians x 900 organisations.
DETAIL_MAX = 300

# The comments shown under the report: the latest ones (the CSV holds the counts only).
COMMENTS_SHOWN = 50


@dataclass
class TimeReport:
    period: date
    lines: list[Line] = field(default_factory=list)
    organisations: list[OrganisationTotal] = field(default_factory=list)
    opinions: list[Opinion] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)

    @property
    def label(self) -> str:
        return period_label(self.period)

    @property
    def technicians(self) -> list[Line]:
        """One line per technician, all organisations together (a ticket has one organisation:
        the tickets add up)."""
        totals: dict[int | None, Line] = {}
        for line in self.lines:
            total = totals.setdefault(
                line.technician_id, Line(line.technician_id, line.technician, 0, "")
            )
            total.billable += line.billable
            total.non_billable += line.non_billable
            total.tickets += line.tickets
            total.satisfied += line.satisfied
            total.unsatisfied += line.unsatisfied
        return list(totals.values())  # in the lines' order: by name

    @property
    def detail_shown(self) -> bool:
        return len(self.lines) <= DETAIL_MAX

    @property
    def billable(self) -> int:
        return sum(total.billable for total in self.organisations)

    @property
    def debited(self) -> int:
        return sum(total.debited for total in self.organisations)

    @property
    def pending(self) -> int:
        return sum(total.pending for total in self.organisations)

    @property
    def non_billable(self) -> int:
        return sum(total.non_billable for total in self.organisations)

    @property
    def tickets(self) -> int:
        return sum(total.tickets for total in self.organisations)


@dataclass(frozen=True)
class _Ticket:
    organisation_id: int
    handler_id: int | None
    debit: int | None  # the ledger's (positive), None when not debited
    billed: bool  # debited or to be debited (not private, not closed without a debit)


def month_tickets(period: date, organisation_id: int | None = None) -> dict[int, _Ticket]:
    """The tickets whose time counts in `period` (see the module's docstring): two queries."""
    debits = LedgerEntry.objects.filter(kind=Kind.DEBIT, period=period)
    if organisation_id is not None:
        debits = debits.filter(organisation_id=organisation_id)
    debited = dict(debits.values_list("ticket_id", "minutes").order_by())
    not_debited = (
        Ticket.objects.filter(state__in=(State.RESOLVED, State.CLOSED))
        .annotate(resolved_on=Coalesce("resolved_at", "updated_at"))
        .filter(resolved_on__gte=period_start(period), resolved_on__lt=period_end(period))
        .exclude(Exists(LedgerEntry.objects.filter(kind=Kind.DEBIT, ticket_id=OuterRef("pk"))))
    )
    if organisation_id is not None:
        not_debited = not_debited.filter(organisation_id=organisation_id)
    fields = ("pk", "organisation_id", "handler_id", "state", "is_private")
    # One query: the debited tickets by their ids (from the ledger's index), the others by the
    # moment they were resolved (a partial index of the tickets resolved).
    rows = (
        # The ids read above, not a subquery: PostgreSQL would hash the ledger against a scan of
        # every ticket, where a list of ids is read through the primary key.
        Ticket.objects.filter(pk__in=list(debited))
        .values_list(*fields)
        .order_by()
        .union(not_debited.values_list(*fields).order_by(), all=True)
        .order_by()
    )
    found = {}
    for pk, organisation, handler, state, private in rows:
        debit = debited.get(pk)
        found[pk] = _Ticket(
            organisation_id=organisation,
            handler_id=handler,
            debit=None if debit is None else -int(debit),
            billed=debit is not None or (state == State.RESOLVED and not private),
        )
    return found


def _rounding_owner(billable: dict[int, int], handler_id: int | None) -> int | None:
    """Who takes the ticket's rounding: most billable minutes, then the handler, then lowest id."""
    if not billable:
        return handler_id
    return min(billable, key=lambda author: (-billable[author], author != handler_id, author))


def time_report(
    period: date, *, technician_id: int | None = None, organisation_id: int | None = None
) -> TimeReport:
    """The month's report, for every technician and organisation or one of each."""
    tickets = month_tickets(period, organisation_id)
    ids = list(tickets)
    # (ticket, author) → [billable, non-billable] minutes, summed by PostgreSQL.
    spent: dict[int, dict[int, list[int]]] = defaultdict(dict)
    rows = (
        Note.objects.filter(ticket_id__in=ids, minutes_spent__gt=0)
        .values("ticket_id", "author_id")
        .annotate(
            billable=Coalesce(Sum("minutes_spent", filter=Q(is_billable=True)), 0),
            non_billable=Coalesce(Sum("minutes_spent", filter=Q(is_billable=False)), 0),
        )
        .values_list("ticket_id", "author_id", "billable", "non_billable")
        .order_by()
    )
    for ticket_id, author_id, billable, non_billable in rows:
        spent[ticket_id][author_id] = [int(billable), int(non_billable)]

    lines: dict[tuple[int | None, int], Line] = {}
    line_tickets: dict[tuple[int | None, int], set[int]] = defaultdict(set)
    totals: dict[int, OrganisationTotal] = {}
    total_tickets: dict[int, set[int]] = defaultdict(set)

    def line(author: int | None, organisation: int) -> Line:
        key = (author, organisation)
        if key not in lines:
            lines[key] = Line(author, "", organisation, "")
        return lines[key]

    for ticket_id, ticket in tickets.items():
        authors = spent.get(ticket_id, {})
        billable = {author: minutes[0] for author, minutes in authors.items() if minutes[0]}
        raw = sum(billable.values())
        debit = ticket.debit if ticket.debit is not None else rounded_debit(raw)
        shares: dict[int | None, list[int]] = {
            author: [minutes[0], minutes[1]] for author, minutes in authors.items()
        }
        if ticket.billed and debit != raw:
            owner = _rounding_owner(billable, ticket.handler_id)
            shares.setdefault(owner, [0, 0])[0] += debit - raw
        if not ticket.billed:
            # Never debited: all its time is time the client does not pay.
            shares = {author: [0, b + n] for author, (b, n) in shares.items()}
        total = totals.get(ticket.organisation_id)
        if total is None:
            total = totals[ticket.organisation_id] = OrganisationTotal(ticket.organisation_id, "")
        for author, (billable_share, non_billable_share) in shares.items():
            if technician_id is not None and author != technician_id:
                continue
            entry = line(author, ticket.organisation_id)
            entry.billable += billable_share
            entry.non_billable += non_billable_share
            line_tickets[(author, ticket.organisation_id)].add(ticket_id)
            total.billable += billable_share
            total.non_billable += non_billable_share
            if ticket.billed:
                if ticket.debit is not None:
                    total.debited += billable_share
                else:
                    total.pending += billable_share
        if technician_id is None or technician_id in shares:
            total_tickets[ticket.organisation_id].add(ticket_id)

    opinions: dict[int | None, Opinion] = {}
    ratings = Rating.objects.filter(ticket_id__in=ids)
    if technician_id is not None:
        ratings = ratings.filter(handler_id=technician_id)
    for handler, organisation, satisfied, unsatisfied in (
        ratings.values("handler_id", "ticket__organisation_id")
        .annotate(
            happy=Count("pk", filter=Q(satisfied=True)),
            unhappy=Count("pk", filter=Q(satisfied=False)),
        )
        .values_list("handler_id", "ticket__organisation_id", "happy", "unhappy")
        .order_by()
    ):
        entry = line(handler, organisation)
        entry.satisfied += satisfied
        entry.unsatisfied += unsatisfied
        opinion = opinions.setdefault(handler, Opinion(handler, ""))
        opinion.satisfied += satisfied
        opinion.unsatisfied += unsatisfied
        if organisation not in totals:
            totals[organisation] = OrganisationTotal(organisation, "")

    for key, found in line_tickets.items():
        lines[key].tickets = len(found)
    if technician_id is not None:
        # An organisation only shows when the technician worked for it or was rated by it.
        totals = {
            pk: total
            for pk, total in totals.items()
            if pk in total_tickets or any(key[1] == pk for key in lines)
        }
    for pk, found in total_tickets.items():
        if pk in totals:
            totals[pk].tickets = len(found)

    names = _names(
        users={pk for pk, _organisation in lines if pk is not None},
        organisations=set(totals),
    )
    users, organisation_names = names
    for entry in lines.values():
        entry.technician = _technician(users, entry.technician_id)
        entry.organisation = organisation_names.get(entry.organisation_id, "")
    for total in totals.values():
        total.organisation = organisation_names.get(total.organisation_id, "")
    for opinion in opinions.values():
        opinion.technician = _technician(users, opinion.technician_id)
    commented = (
        ratings.exclude(comment="")
        .select_related("ticket__organisation", "user", "handler")
        .order_by("-updated_at", "-pk")[:COMMENTS_SHOWN]
    )
    comments = [
        Comment(
            ticket_pk=rating.ticket_id,
            ticket_number=rating.ticket.display_number,
            summary=rating.ticket.summary,
            organisation=rating.ticket.organisation.name,
            technician=str(rating.handler) if rating.handler else _technician({}, None),
            client=str(rating.user),
            satisfied=rating.satisfied,
            comment=rating.comment,
        )
        for rating in commented
    ]
    return TimeReport(
        period=period,
        comments=comments,
        lines=sorted(lines.values(), key=lambda e: (e.technician.lower(), e.organisation.lower())),
        organisations=sorted(totals.values(), key=lambda t: (-t.billable, t.organisation.lower())),
        opinions=sorted(opinions.values(), key=lambda o: o.technician.lower()),
    )


def _names(
    *, users: Iterable[int], organisations: Iterable[int]
) -> tuple[dict[int, str], dict[int, str]]:
    people = {user.pk: str(user) for user in User.objects.filter(pk__in=list(users))}
    names = dict(Organisation.objects.filter(pk__in=list(organisations)).values_list("pk", "name"))
    return people, names


def _technician(users: dict[int, str], pk: int | None) -> str:
    if pk is None:
        return "(sans technicien)"
    return users.get(pk, "")


# --- The chart of the month: horizontal bars, one per organisation ------------------------

CHART_WIDTH = 760
LABEL_WIDTH = 230
BAR_AREA = 400
BAR_HEIGHT = 20
ROW_HEIGHT = 30
TOP = 34
CHART_MAX_BARS = 25
LABEL_CHARS = 30


@dataclass(frozen=True)
class Bar:
    organisation: str
    label: str  # cut to fit the left margin; `organisation` in the bar's <title>
    y: int
    text_y: int
    billable_width: float
    non_billable_width: float
    non_billable_x: float
    value_x: float
    billable: int
    non_billable: int

    @property
    def summary(self) -> str:
        return (
            f"{self.organisation} : {format_minutes(self.billable)} facturables, "
            f"{format_minutes(self.non_billable)} non facturables"
        )

    @property
    def value(self) -> str:
        return format_minutes(self.billable)


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    height: int
    width: int
    label_width: int
    legend_y: int
    left_out: int  # organisations beyond CHART_MAX_BARS, named in the table only
    scale: int  # the longest bar's minutes (billable + non billable)
    description: str


def chart(report: TimeReport) -> Chart:
    """One bar per organisation (the most billable first), its billable part and its
    non-billable part side by side, their lengths proportional to the minutes."""
    shown = report.organisations[:CHART_MAX_BARS]
    scale = max((total.billable + total.non_billable for total in shown), default=0)
    bars = []
    for index, total in enumerate(shown):
        y = TOP + index * ROW_HEIGHT
        billable = BAR_AREA * total.billable / scale if scale else 0.0
        non_billable = BAR_AREA * total.non_billable / scale if scale else 0.0
        name = total.organisation
        label = name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"
        bars.append(
            Bar(
                organisation=name,
                label=label,
                y=y,
                text_y=y + BAR_HEIGHT - 5,
                billable_width=round(billable, 2),
                non_billable_width=round(non_billable, 2),
                non_billable_x=round(LABEL_WIDTH + billable, 2),
                value_x=round(LABEL_WIDTH + billable + non_billable + 6, 2),
                billable=total.billable,
                non_billable=total.non_billable,
            )
        )
    height = TOP + max(len(bars), 1) * ROW_HEIGHT + 10
    description = (
        f"Temps de {report.label} par organisation : "
        + "; ".join(bar.summary for bar in bars)
        + "."
        if bars
        else f"Aucun temps compté en {report.label}."
    )
    return Chart(
        bars=bars,
        height=height,
        width=CHART_WIDTH,
        label_width=LABEL_WIDTH,
        legend_y=14,
        left_out=max(len(report.organisations) - CHART_MAX_BARS, 0),
        scale=scale,
        description=description,
    )


# --- CSV --------------------------------------------------------------------------------------


def _cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


CSV_HEADER = [
    "Mois",
    "Technicien",
    "Organisation",
    "Facturable (minutes)",
    "Facturable (heures)",
    "Non facturable (minutes)",
    "Non facturable (heures)",
    "Tickets",
    "Satisfaits",
    "Pas satisfaits",
]


def report_csv(report: TimeReport) -> str:
    """As the statement's CSV (allowances.views.statement_csv): `;`, a BOM for French Excel,
    minutes and decimal hours with a French comma; one line per technician and organisation."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(CSV_HEADER)
    month = format_period(report.period)
    for entry in report.lines:
        writer.writerow(
            [
                month,
                _cell(entry.technician),
                _cell(entry.organisation),
                entry.billable,
                decimal_hours(entry.billable),
                entry.non_billable,
                decimal_hours(entry.non_billable),
                entry.tickets,
                entry.satisfied,
                entry.unsatisfied,
            ]
        )
    return "\ufeff" + buffer.getvalue()
