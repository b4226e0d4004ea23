"""Response targets: how long, in business hours, the ATM team takes to answer and to resolve.

Each priority has two targets (settings.TICKET_RESPONSE_TARGETS, hours): the first public
answer of a staff member, and the resolution, both counted in business hours
(tickets/business_hours.py) from the ticket's creation. The clock stops while the ticket waits
on the client (Commentaire) and while it is Résolu (a client who reopens it starts it again);
a Fermé ticket has no target.

What the ticket list filters on is kept on the ticket, in the transaction of the change
(`note_seen` from workflow.note_add, `state_moved` from workflow._apply_state, `refresh` from
services.ticket_create and editing's priority change), so that « Dépassés » is one indexed
condition on 200,000 tickets rather than a computation per row:

- first_staff_answer_at, last_staff_note_at, last_client_note_at: from the notes (a staff
  member's public notes, a client's notes);
- target_paused_seconds: the business time the clock stood still, and clock_stopped_at, since
  when it stands still now;
- response_due_at, resolution_due_at: creation + target + pauses, and due_at, the deadline
  that runs now (the first answer's until it is given, then the resolution's; null while the
  clock stands still).

`recount` rebuilds all of it from the notes and the state history (the data migration, the
tests' comparison, `bench` data written in bulk).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import Max, Min, Q
from django.utils import timezone

from .business_hours import add_business_time, business_seconds
from .models import HistoryEntry, Note, Priority, State, Ticket

# The states in which the ticket waits on the ATM team: its clock runs.
RUNNING_STATES = (State.NEW, State.ACKNOWLEDGED, State.ASSIGNED)
# « Bientôt dépassés »: less than this much business time left.
SOON = timedelta(hours=2)

# Hours of (first staff answer, resolution), per priority. settings.TICKET_RESPONSE_TARGETS
# replaces any of them.
DEFAULT_TARGETS: dict[int, tuple[float, float]] = {
    Priority.IMMEDIATE: (1, 8),
    Priority.URGENT: (2, 16),
    Priority.HIGH: (4, 24),
    Priority.NORMAL: (8, 40),
    Priority.LOW: (16, 80),
    Priority.NONE: (16, 80),
}

# The fields this module keeps on the ticket, for update_fields.
TARGET_FIELDS = (
    "first_staff_answer_at",
    "last_staff_note_at",
    "last_client_note_at",
    "target_paused_seconds",
    "clock_stopped_at",
    "response_due_at",
    "resolution_due_at",
    "due_at",
)


@dataclass(frozen=True)
class Target:
    first_answer: timedelta
    resolution: timedelta


def _priority(key: int | str) -> int:
    """A priority by value (50) or by name as TICKET_RESPONSE_TARGETS writes it (« urgent »)."""
    if isinstance(key, int) or str(key).isdigit():
        return int(key)
    try:
        return int(Priority[str(key).upper()])
    except KeyError:
        names = ", ".join(p.name.lower() for p in Priority)
        raise ImproperlyConfigured(
            f"TICKET_RESPONSE_TARGETS: unknown priority « {key} » (one of {names})"
        ) from None


def targets() -> dict[int, Target]:
    configured: Mapping[int | str, Any] = getattr(settings, "TICKET_RESPONSE_TARGETS", {}) or {}
    merged = {**DEFAULT_TARGETS, **{_priority(k): v for k, v in configured.items()}}
    return {
        priority: Target(timedelta(hours=float(answer)), timedelta(hours=float(resolution)))
        for priority, (answer, resolution) in merged.items()
    }


def target_for(priority: int) -> Target:
    known = targets()
    return known.get(priority, known[Priority.NORMAL])


def _stops(state: str) -> bool:
    return state not in RUNNING_STATES


def refresh(ticket: Any) -> None:
    """Set the deadlines from the creation, the priority and the pauses (no save)."""
    if ticket.state == State.CLOSED:
        ticket.response_due_at = ticket.resolution_due_at = ticket.due_at = None
        return
    target = target_for(ticket.priority)
    paused = timedelta(seconds=ticket.target_paused_seconds)
    ticket.response_due_at = add_business_time(ticket.created_at, target.first_answer + paused)
    ticket.resolution_due_at = add_business_time(ticket.created_at, target.resolution + paused)
    if _stops(ticket.state):
        ticket.due_at = None
    elif ticket.first_staff_answer_at is None:
        ticket.due_at = min(ticket.response_due_at, ticket.resolution_due_at)
    else:
        ticket.due_at = ticket.resolution_due_at


def state_moved(ticket: Any, old: str, new: str, now: datetime) -> None:
    """The clock stops when the ticket leaves the team's states, and starts again on return."""
    if not _stops(old) and _stops(new):
        ticket.clock_stopped_at = now
    elif _stops(old) and not _stops(new):
        # Stopped without a recorded instant (imported, or set directly): since its creation,
        # as `paused_from_history` counts it.
        since = ticket.clock_stopped_at or ticket.created_at
        ticket.target_paused_seconds += max(0, round(business_seconds(since, now)))
        ticket.clock_stopped_at = None
    refresh(ticket)


def note_seen(ticket: Any, *, by_staff: bool, is_private: bool, at: datetime) -> None:
    """A note was written: the staff's public answers and the client's messages are kept."""
    if by_staff:
        if is_private:
            return
        if ticket.first_staff_answer_at is None:
            ticket.first_staff_answer_at = at
        ticket.last_staff_note_at = at
    else:
        ticket.last_client_note_at = at
    refresh(ticket)


# --- rebuilt from the notes and the history -------------------------------------------------


def paused_from_history(
    created_at: datetime, moves: Iterable[tuple[datetime, str, str]], state: str
) -> tuple[int, datetime | None]:
    """(paused business seconds, stopped since) from the ticket's state changes
    (when, old, new), oldest first. A ticket that is in a stopped state but whose history does
    not say since when (imported, set directly) counts as stopped since its creation."""
    paused = 0
    stopped_at: datetime | None = None
    for when, old, new in moves:
        if not _stops(old) and _stops(new):
            stopped_at = when
        elif _stops(old) and not _stops(new):
            paused += max(0, round(business_seconds(stopped_at or created_at, when)))
            stopped_at = None
    if not _stops(state):
        return paused, None
    return paused, stopped_at or created_at


def recount(ticket_ids: Iterable[int], *, models: Any = None) -> int:
    """Rebuild the target fields of these tickets from their notes and history; returns how
    many were written. `models`: (Ticket, Note, HistoryEntry) of a migration, else the
    current ones."""
    if models is None:
        models = (Ticket, Note, HistoryEntry)
    ticket_model, note_model, history_model = models
    ids = list(ticket_ids)
    if not ids:
        return 0
    staff_public = Q(author__is_staff=True, is_private=False)
    notes = {
        row["ticket_id"]: row
        for row in note_model.objects.filter(ticket_id__in=ids)
        .values("ticket_id")
        .annotate(
            first_staff=Min("created_at", filter=staff_public),
            last_staff=Max("created_at", filter=staff_public),
            last_client=Max("created_at", filter=Q(author__is_staff=False)),
        )
        .order_by()
    }
    moves: dict[int, list[tuple[datetime, str, str]]] = {}
    for row in (
        history_model.objects.filter(ticket_id__in=ids, field="state")
        .order_by("ticket_id", "created_at", "pk")
        .values_list("ticket_id", "created_at", "old_value", "new_value")
    ):
        moves.setdefault(row[0], []).append((row[1], row[2], row[3]))
    tickets = list(ticket_model.objects.filter(pk__in=ids).order_by())
    for ticket in tickets:
        found = notes.get(ticket.pk, {})
        ticket.first_staff_answer_at = found.get("first_staff")
        ticket.last_staff_note_at = found.get("last_staff")
        ticket.last_client_note_at = found.get("last_client")
        ticket.target_paused_seconds, ticket.clock_stopped_at = paused_from_history(
            ticket.created_at, moves.get(ticket.pk, []), ticket.state
        )
        refresh(ticket)
    _write(ticket_model, tickets)
    return len(tickets)


def _write(ticket_model: Any, tickets: list[Any]) -> None:
    """The fields of `tickets`, one UPDATE … FROM (VALUES …) per 1,000 on PostgreSQL: Django's
    bulk_update builds a CASE per field and row in Python, 2.5 ms a ticket (8 minutes for the
    200,000 of bench/)."""
    connection = connections[ticket_model.objects.db]
    if connection.vendor != "postgresql":
        ticket_model.objects.bulk_update(tickets, TARGET_FIELDS, batch_size=500)
        return
    quote = connection.ops.quote_name
    fields = [ticket_model._meta.get_field(name) for name in TARGET_FIELDS]
    names = ", ".join(quote(field.column) for field in fields)
    sets = ", ".join(
        f"{quote(field.column)} = v.{quote(field.column)}::{field.db_type(connection)}"
        for field in fields
    )
    for start in range(0, len(tickets), 1000):
        chunk = tickets[start : start + 1000]
        row = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
        params: list[Any] = []
        for ticket in chunk:
            params.append(ticket.pk)
            params.extend(getattr(ticket, field.attname) for field in fields)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(ticket_model._meta.db_table)} AS t SET {sets} "  # noqa: S608
                f"FROM (VALUES {', '.join([row] * len(chunk))}) AS v(id, {names}) "
                "WHERE t.id = v.id",
                params,
            )


def recount_all(*, models: Any = None, batch: int = 2000) -> int:
    """recount over every ticket, `batch` at a time (by id)."""
    ticket_model = models[0] if models is not None else Ticket
    done = 0
    last = 0
    while True:
        ids = list(
            ticket_model.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return done
        done += recount(ids, models=models)
        last = ids[-1]


# --- what the list shows --------------------------------------------------------------------


@dataclass(frozen=True)
class Remaining:
    """The running deadline of a ticket, seen at one instant."""

    seconds: float  # business seconds left; negative: overdue by that much
    kind: str  # "answer" or "resolution"

    @property
    def late(self) -> bool:
        return self.seconds < 0

    @property
    def soon(self) -> bool:
        return 0 <= self.seconds < SOON.total_seconds()


def remaining(ticket: Any, now: datetime | None = None) -> Remaining | None:
    """The business time left before the running deadline, or None (no target now)."""
    if ticket.state not in RUNNING_STATES or ticket.due_at is None:
        return None
    now = now or timezone.now()
    answering = ticket.first_staff_answer_at is None and ticket.due_at == ticket.response_due_at
    kind = "answer" if answering else "resolution"
    return Remaining(business_seconds(now, ticket.due_at), kind)


def format_business(seconds: float) -> str:
    """« 45 min », « 2 h 15 », « 3 j ouvrés » (a business day is 9 hours)."""
    minutes = int(abs(seconds) // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 18:
        return f"{hours} h {rest:02d}" if rest else f"{hours} h"
    days = minutes // (9 * 60)
    return f"{days} j ouvrés"


def client_replied(ticket: Any) -> bool:
    """The client wrote after the staff's last public note (or before any): « réponse client »."""
    if ticket.state == State.CLOSED or ticket.last_client_note_at is None:
        return False
    last_staff = ticket.last_staff_note_at
    return last_staff is None or ticket.last_client_note_at > last_staff
