"""The ticket state machine: every state change (portal, admin, command, task) goes through here.

Each change runs in a transaction with the ticket's row locked, checks its guard, writes the
history and publishes a TicketEvent for the notifications.

Who may move a ticket where:
- staff (ATM) move it freely between the open states; Affecté needs a handler, and setting a
  handler on a Nouveau or En analyse ticket makes it Affecté;
- a client's note on a Commentaire ticket sends it back to Affecté (Nouveau without handler);
- a client may reopen a Résolu ticket with a note: Affecté (Nouveau without handler);
- the system alone closes (month end, from Résolu) and auto-resolves unanswered Commentaire;
- Fermé is read-only for everybody.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from . import counts, targets
from .events import EventKind, TicketEvent, publish, tickets_bulk_changed
from .models import HistoryEntry, Note, State, Ticket

if TYPE_CHECKING:
    from accounts.models import User


class Actor(StrEnum):
    CLIENT = "client"
    STAFF = "staff"
    SYSTEM = "system"


class WorkflowError(Exception):
    """A change the rules refuse; the message is meant for the person who tried it."""


STAFF_STATES = frozenset(
    {State.NEW, State.ACKNOWLEDGED, State.ASSIGNED, State.FEEDBACK, State.RESOLVED}
)


def actor_kind(user: User | None) -> Actor:
    if user is None:
        return Actor.SYSTEM
    return Actor.STAFF if user.is_staff else Actor.CLIENT


def is_allowed(from_state: str, to_state: str, actor: Actor) -> bool:
    """The guard, as a pure function of (from, to, actor): the transition table's truth."""
    if from_state == State.CLOSED or from_state == to_state:
        return False
    if actor == Actor.STAFF:
        return from_state in STAFF_STATES and to_state in STAFF_STATES
    if actor == Actor.CLIENT:
        # Only through a note: answering a Commentaire, or reopening a Résolu ticket.
        return from_state in (State.FEEDBACK, State.RESOLVED) and to_state in (
            State.ASSIGNED,
            State.NEW,
        )
    # The system: month end closes resolved tickets; unanswered Commentaire get resolved.
    return (from_state, to_state) in {
        (State.RESOLVED, State.CLOSED),
        (State.FEEDBACK, State.RESOLVED),
    }


def _record(ticket: Ticket, by: User | None, field: str, old: object, new: object) -> None:
    HistoryEntry.objects.create(
        ticket=ticket,
        actor=by,
        field=field,
        old_value="" if old is None else str(old),
        new_value="" if new is None else str(new),
    )


def _lock(ticket: Ticket | int) -> Ticket:
    pk = ticket if isinstance(ticket, int) else ticket.pk
    return Ticket.objects.select_for_update().get(pk=pk)


def lock_current(ticket: Ticket | int, *, expected_version: int | None) -> Ticket:
    """Lock the ticket's row and refuse a change based on an older page (optimistic locking).

    `expected_version` is the version the page showed; None skips the check (commands, tasks).
    """
    locked = _lock(ticket)
    if expected_version is not None and locked.version != expected_version:
        raise WorkflowError(
            _("Le ticket a été modifié entre-temps par quelqu'un d'autre : rechargez-le.")
        )
    return locked


def _apply_state(locked: Ticket, to: str, by: User | None) -> TicketEvent:
    """Set the state (guard already passed), its dates and history; returns the event to publish.

    Events are published once the ticket is saved, so that receivers read it as it now is.
    """
    old = locked.state
    now = timezone.now()
    locked.state = to
    if to == State.RESOLVED:
        locked.resolved_at = now
    elif to == State.CLOSED:
        locked.closed_at = now
    elif old == State.RESOLVED:
        locked.resolved_at = None
    targets.state_moved(locked, old, to, now)
    counts.state_moved(locked, old)
    _record(locked, by, "state", old, to)
    return TicketEvent(
        kind=EventKind.STATE_CHANGED,
        ticket_id=locked.pk,
        actor_id=by.pk if by else None,
        old_state=old,
        new_state=to,
    )


def _save(locked: Ticket, fields: Sequence[str], events: Sequence[TicketEvent] = ()) -> None:
    locked.updated_at = timezone.now()
    locked.version += 1
    # The response targets' fields follow every state change and note (tickets/targets.py).
    locked.save(update_fields=[*fields, *targets.TARGET_FIELDS, "updated_at", "version"])
    for event in events:
        publish(event)


def _check_move(locked: Ticket, to: str, by: User | None) -> None:
    """The guard for a move to `to` by `by` (None: the system), or WorkflowError saying why not."""
    if not is_allowed(locked.state, to, actor_kind(by)):
        raise WorkflowError(
            _("Impossible de passer le ticket de « %(old)s » à « %(new)s ».")
            % {"old": State(locked.state).label, "new": State(to).label}
        )
    if to == State.ASSIGNED and locked.handler_id is None:
        raise WorkflowError(_("Un ticket « Affecté » doit avoir un responsable."))


def ticket_change_state(
    *, ticket: Ticket | int, to: str, by: User | None, expected_version: int | None = None
) -> Ticket:
    """Move a ticket to `to`, or raise WorkflowError saying why not."""
    with transaction.atomic():
        locked = lock_current(ticket, expected_version=expected_version)
        _check_move(locked, to, by)
        event = _apply_state(locked, to, by)
        _save(locked, ["state", "resolved_at", "closed_at"], [event])
    return locked


def ticket_assign(
    *, ticket: Ticket | int, handler: User | None, by: User, expected_version: int | None = None
) -> Ticket:
    """Set or clear the handler; a Nouveau or En analyse ticket given a handler becomes Affecté."""
    if not by.is_staff:
        raise WorkflowError(_("Seule l'équipe ATM affecte les tickets."))
    if handler is not None and not handler.is_staff:
        raise WorkflowError(_("Le responsable doit être un membre de l'équipe ATM."))
    with transaction.atomic():
        locked = lock_current(ticket, expected_version=expected_version)
        if locked.is_closed:
            raise WorkflowError(_("Un ticket fermé ne se modifie plus."))
        if handler is None and locked.state == State.ASSIGNED:
            raise WorkflowError(_("Un ticket « Affecté » doit avoir un responsable."))
        if locked.handler_id != (handler.pk if handler else None):
            _record(locked, by, "handler", locked.handler, handler)
            locked.handler = handler
        events = []
        if handler is not None and locked.state in (State.NEW, State.ACKNOWLEDGED):
            events.append(_apply_state(locked, State.ASSIGNED, by))
        _save(locked, ["handler", "state", "resolved_at", "closed_at"], events)
    return locked


def note_add(
    *,
    ticket: Ticket | int,
    author: User,
    text: str,
    is_private: bool = False,
    minutes_spent: int = 0,
    is_billable: bool = True,
    reopen: bool = False,
    move_to: str | None = None,
    move_by_system: bool = False,
) -> Note:
    """Add a note. A client's note answers a Commentaire; with `reopen`, it reopens a Résolu ticket.

    A client can set neither privacy nor time: those are staff-only and silently dropped.

    With `move_to`, the ticket then moves to that state in the same change, with the guard of
    ticket_change_state (refused, the note is not written either): by the note's author (staff
    asking the client, resolving), or by the system with `move_by_system` (the daily
    auto-resolution's explanatory note and « Résolu »).

    A public note that moves its ticket is one event carrying the note and both states: one
    mail, not two. A private note's move stays an event of its own, mailed to those who may
    not read the note.
    """
    text = text.strip()
    if not text:
        raise WorkflowError(_("La note est vide."))
    actor = actor_kind(author)
    if actor == Actor.CLIENT:
        is_private, minutes_spent, is_billable = False, 0, False
    with transaction.atomic():
        locked = _lock(ticket)
        if locked.is_closed:
            raise WorkflowError(_("Ce ticket est fermé : il n'accepte plus de note."))
        if actor == Actor.CLIENT and author.organisation_id != locked.organisation_id:
            raise WorkflowError(_("Ce ticket n'appartient pas à votre organisation."))
        if reopen and (actor != Actor.CLIENT or locked.state != State.RESOLVED):
            raise WorkflowError(_("Seul un ticket résolu peut être réouvert."))
        note = Note.objects.create(
            ticket=locked,
            organisation_id=locked.organisation_id,
            author=author,
            text=text,
            is_private=is_private,
            minutes_spent=minutes_spent,
            is_billable=is_billable,
        )
        fields = ["state", "resolved_at", "closed_at"]
        targets.note_seen(
            locked, by_staff=actor == Actor.STAFF, is_private=is_private, at=note.created_at
        )
        if not is_private:
            locked.public_note_count += 1
            fields.append("public_note_count")
        # A private note's existence stays hidden from clients, in the history too.
        _record(locked, author, "private_note" if is_private else "note", "", note.pk)
        event = TicketEvent(
            kind=EventKind.NOTE_ADDED,
            ticket_id=locked.pk,
            actor_id=author.pk,
            note_id=note.pk,
            note_is_private=is_private,
        )
        moves: list[TicketEvent] = []
        if actor == Actor.CLIENT and (locked.state == State.FEEDBACK or reopen):
            to = State.ASSIGNED if locked.handler_id else State.NEW
            moves.append(_apply_state(locked, to, author))
        if move_to is not None:
            mover = None if move_by_system else author
            _check_move(locked, move_to, mover)
            moves.append(_apply_state(locked, move_to, mover))
        if moves and not is_private:
            event = replace(event, old_state=moves[0].old_state, new_state=moves[-1].new_state)
            moves = []
        _save(locked, fields, [event, *moves])
    return note


def tickets_close_resolved(
    *, organisation_id: int, resolved_before: datetime, now: datetime
) -> list[tuple[int, int, str]]:
    """Month end: close an organisation's Résolu tickets resolved before `resolved_before`.

    The system's Résolu → Fermé transition, in bulk: the rows are locked, the history row of
    each ticket is the one `ticket_change_state` writes, and no per-ticket event is published
    (clients get one monthly statement instead of a mail per ticket). Call it inside the
    caller's transaction; returns (id, number, summary) of the tickets closed.
    A Résolu ticket without resolved_at (imported, or set by hand) counts from its last update.
    """
    if not is_allowed(State.RESOLVED, State.CLOSED, Actor.SYSTEM):  # pragma: no cover
        raise WorkflowError("Résolu → Fermé is not a system transition any more.")
    resolved = (
        Ticket.objects.filter(organisation_id=organisation_id, state=State.RESOLVED)
        .annotate(resolved_on=Coalesce("resolved_at", "updated_at"))
        .filter(resolved_on__lt=resolved_before)
    )
    # FOR UPDATE: a client reopening one of them now waits, or has reopened it already (then
    # PostgreSQL re-checks the state of the row it waited for and leaves it out).
    locked = list(
        resolved.select_for_update(of=("self",))
        .order_by("number")
        .values_list("pk", "number", "summary", "is_private")
    )
    if not locked:
        return []
    rows = [(pk, number, summary) for pk, number, summary, _private in locked]
    ids = [pk for pk, _number, _summary in rows]
    # « Accueil »'s counters, in this transaction (tickets/counts.py).
    counts.bulk_moved(
        organisation_id, State.RESOLVED, State.CLOSED, (private for *_row, private in locked)
    )
    # Fermé has no target (tickets/targets.py refresh).
    Ticket.objects.filter(pk__in=ids).update(
        state=State.CLOSED,
        closed_at=now,
        updated_at=now,
        version=F("version") + 1,
        response_due_at=None,
        resolution_due_at=None,
        due_at=None,
    )
    # An UPDATE and a bulk INSERT send no model signal: say it (the page cache listens).
    tickets_bulk_changed.send(sender=Ticket, organisation_ids=[organisation_id])
    HistoryEntry.objects.bulk_create(
        HistoryEntry(
            ticket_id=pk,
            actor=None,
            created_at=now,
            field="state",
            old_value=State.RESOLVED.value,
            new_value=State.CLOSED.value,
        )
        for pk in ids
    )
    return rows
