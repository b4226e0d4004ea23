"""A note that moves its ticket is one event (one mail per recipient), written so by the workflow
itself: tickets.workflow.note_add's `move_to`, the client's answer, the auto-resolution."""

from __future__ import annotations

import pytest

from notifications.models import Event, Kind, Notification
from tickets.models import HistoryEntry, Note, State
from tickets.workflow import WorkflowError, note_add

pytestmark = pytest.mark.django_db


def test_a_technician_s_note_that_moves_the_ticket_is_one_event(cast) -> None:
    note = note_add(
        ticket=cast.ticket, author=cast.actor, text="Quelle imprimante ?", move_to=State.FEEDBACK
    )
    event = Event.objects.get()
    assert (event.kind, event.note_id, event.actor_id) == (Kind.NOTE_ADDED, note.pk, cast.actor.pk)
    assert (event.old_state, event.new_state) == (State.ASSIGNED, State.FEEDBACK)
    recipients = list(Notification.objects.values_list("recipient_id", flat=True))
    assert len(recipients) == len(set(recipients))  # one mail each
    moves = HistoryEntry.objects.filter(ticket=cast.ticket, field="state")
    assert list(moves.values_list("new_value", "actor_id")) == [(State.FEEDBACK, cast.actor.pk)]


def test_a_system_move_after_the_note_is_the_note_s_event_with_no_actor_in_the_history(
    cast,
) -> None:
    # From Affecté the system may not resolve: refused, and the note is not written either.
    with pytest.raises(WorkflowError):
        note_add(
            ticket=cast.ticket,
            author=cast.actor,
            text="Sans réponse : résolu.",
            move_to=State.RESOLVED,
            move_by_system=True,
        )
    assert not Event.objects.exists()
    cast.ticket.refresh_from_db()
    cast.ticket.state = State.FEEDBACK
    cast.ticket.save(update_fields=["state"])
    note = note_add(
        ticket=cast.ticket,
        author=cast.actor,
        text="Sans réponse : résolu.",
        move_to=State.RESOLVED,
        move_by_system=True,
    )
    event = Event.objects.get()
    assert (event.note_id, event.old_state, event.new_state) == (
        note.pk,
        State.FEEDBACK,
        State.RESOLVED,
    )
    last_move = HistoryEntry.objects.filter(ticket=cast.ticket, field="state").last()
    assert last_move is not None
    assert last_move.actor_id is None


def test_a_refused_move_takes_its_note_back(cast) -> None:
    notes = Note.objects.count()
    with pytest.raises(WorkflowError):
        note_add(ticket=cast.ticket, author=cast.actor, text="Fermé ?", move_to=State.CLOSED)
    assert Note.objects.count() == notes
    assert not Event.objects.exists()


def test_a_private_note_s_move_stays_its_own_event(cast) -> None:
    """Mailed to the clients, who may not read the note."""
    note_add(
        ticket=cast.ticket,
        author=cast.actor,
        text="Entre nous : on résout.",
        is_private=True,
        move_to=State.RESOLVED,
    )
    kinds = sorted(Event.objects.values_list("kind", "is_private", "new_state"))
    assert kinds == [(Kind.NOTE_ADDED, True, ""), (Kind.STATE_CHANGED, False, State.RESOLVED)]
    moved = Event.objects.get(kind=Kind.STATE_CHANGED)
    assert cast.reporter.pk in set(moved.notifications.values_list("recipient_id", flat=True))
