"""Bulk actions on the ticket list: each ticket through the workflow, refusals named with why."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import StaffFactory, make_ticket
from tests.utils import text
from tickets.models import HistoryEntry, Note, State, Ticket

pytestmark = pytest.mark.django_db

LIST = "/admin/tickets/ticket/"


def act(client: Any, action: str, tickets: list[Ticket], **data: Any) -> Any:
    """Run `action` from the list showing every state (closed ones are hidden by default)."""
    return client.post(
        f"{LIST}?state=all",
        {"action": action, "_selected_action": [t.pk for t in tickets], **data},
        follow=True,
    )


def states(*tickets: Ticket) -> list[str]:
    return [Ticket.objects.get(pk=t.pk).state for t in tickets]


@pytest.fixture
def staff(client: Any, staff_user: Any) -> Any:
    client.force_login(staff_user)
    return client


def test_the_actions_are_offered_in_french(staff):
    page = text(staff.get(LIST))
    for label in (
        "M'affecter les tickets sélectionnés",
        "Passer les tickets sélectionnés « En analyse »",
        "Demander au client (→ Commentaire), avec une question…",
        "Résoudre (→ Résolu), avec une résolution et une note…",
    ):
        assert label in page
    assert "delete_selected" not in page


def test_take_assigns_open_tickets_and_names_those_it_could_not(staff, staff_user, client_user):
    new = make_ticket(reporter=client_user)
    feedback = make_ticket(reporter=client_user, state=State.FEEDBACK, handler=StaffFactory())
    closed = make_ticket(reporter=client_user, state=State.CLOSED)
    mine = make_ticket(reporter=client_user, state=State.ASSIGNED, handler=staff_user)

    response = act(staff, "take", [new, feedback, closed, mine])

    page = text(response)
    assert (
        f"2 tickets vous sont affectés : {new.display_number}, {feedback.display_number}." in page
    )
    assert "2 tickets n'ont pas pu être modifiés" in page
    assert f"{closed.display_number} : Un ticket fermé ne se modifie plus." in page
    assert f"{mine.display_number} : Il vous est déjà affecté." in page
    new.refresh_from_db()
    feedback.refresh_from_db()
    assert (new.state, new.handler) == (State.ASSIGNED, staff_user)
    # Taking a ticket that waits for the client does not change whose move it is.
    assert (feedback.state, feedback.handler) == (State.FEEDBACK, staff_user)
    assert states(closed) == [State.CLOSED]


def test_acknowledge_moves_what_the_workflow_allows(staff, staff_user, client_user):
    new = make_ticket(reporter=client_user)
    resolved = make_ticket(reporter=client_user, state=State.RESOLVED)
    already = make_ticket(reporter=client_user, state=State.ACKNOWLEDGED)
    closed = make_ticket(reporter=client_user, state=State.CLOSED)

    page = text(act(staff, "acknowledge", [new, resolved, already, closed]))

    assert states(new, resolved, already, closed) == [
        State.ACKNOWLEDGED,
        State.ACKNOWLEDGED,
        State.ACKNOWLEDGED,
        State.CLOSED,
    ]
    assert "2 tickets passés « En analyse »" in page
    assert (
        f"{already.display_number} : Impossible de passer le ticket de « En analyse » à "
        "« En analyse »." in page
    )
    assert (
        f"{closed.display_number} : Impossible de passer le ticket de « Fermé » à « En analyse »."
        in page
    )
    assert HistoryEntry.objects.filter(ticket=new, field="state", actor=staff_user).count() == 1


def test_ask_client_first_asks_for_the_question(staff, client_user):
    ticket = make_ticket(reporter=client_user, state=State.ACKNOWLEDGED)

    response = act(staff, "ask_client", [ticket])

    assert response.status_code == 200
    page = text(response)
    assert "Question au client" in page
    assert ticket.display_number in page
    assert ticket.summary in page
    assert f'name="_selected_action" value="{ticket.pk}"' in page
    assert states(ticket) == [State.ACKNOWLEDGED]
    # An empty question is refused on that page.
    page = text(act(staff, "ask_client", [ticket], apply="1", text="   "))
    assert "La note est vide." in page or "Ce champ est obligatoire." in page
    assert states(ticket) == [State.ACKNOWLEDGED]
    assert not Note.objects.filter(ticket=ticket).exists()


def test_ask_client_adds_the_question_and_moves_to_commentaire(
    staff, client, staff_user, client_user
):
    asked = make_ticket(reporter=client_user, state=State.ASSIGNED, handler=staff_user)
    closed = make_ticket(reporter=client_user, state=State.CLOSED)
    waiting = make_ticket(reporter=client_user, state=State.FEEDBACK)

    page = text(
        act(
            staff,
            "ask_client",
            [asked, closed, waiting],
            apply="1",
            text="Quelle version utilisez-vous ?",
            minutes_spent="10",
            is_billable="on",
        )
    )

    assert states(asked, closed, waiting) == [State.FEEDBACK, State.CLOSED, State.FEEDBACK]
    assert f"Question posée, 1 ticket passé « Commentaire » : {asked.display_number}." in page
    assert f"{closed.display_number} : Ce ticket est fermé : il n'accepte plus de note." in page
    assert f"{waiting.display_number} : Impossible de passer le ticket de « Commentaire »" in page
    note = Note.objects.get(ticket=asked)
    assert (note.text, note.is_private, note.minutes_spent, note.is_billable) == (
        "Quelle version utilisez-vous ?",
        False,
        10,
        True,
    )
    # A refused move takes its note back.
    assert not Note.objects.filter(ticket__in=[closed, waiting]).exists()
    client.force_login(client_user)
    assert "Quelle version utilisez-vous ?" in text(client.get(f"/tickets/{asked.number}/"))


def test_resolve_writes_the_resolution_and_the_note(staff, staff_user, client_user):
    ticket = make_ticket(reporter=client_user, state=State.ASSIGNED, handler=staff_user)
    closed = make_ticket(reporter=client_user, state=State.CLOSED)

    response = act(staff, "resolve", [ticket, closed])
    assert "Résolution" in text(response)
    assert "corrigé" in text(response)

    page = text(
        act(
            staff,
            "resolve",
            [ticket, closed],
            apply="1",
            resolution="fixed",
            text="Corrigé en version 3.2.",
            minutes_spent="40",
        )
    )

    ticket.refresh_from_db()
    assert ticket.state == State.RESOLVED
    assert ticket.resolved_at is not None
    note = Note.objects.get(ticket=ticket)
    assert note.text == "Résolution : corrigé.\n\nCorrigé en version 3.2."
    assert (note.minutes_spent, note.is_billable, note.is_private) == (40, False, False)
    assert f"1 ticket résolu : {ticket.display_number}." in page
    assert f"{closed.display_number} : Ce ticket est fermé" in page
    assert states(closed) == [State.CLOSED]


def test_an_action_on_every_matching_ticket_follows_the_filters(staff, client_user):
    new_ones = [make_ticket(reporter=client_user) for _ in range(3)]
    other = make_ticket(reporter=client_user, state=State.FEEDBACK)

    staff.post(
        f"{LIST}?state=new",
        {"action": "acknowledge", "select_across": "1", "_selected_action": [new_ones[0].pk]},
    )

    assert states(*new_ones, other) == [State.ACKNOWLEDGED] * 3 + [State.FEEDBACK]
