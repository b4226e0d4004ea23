from __future__ import annotations

import pytest

from tests.factories import StaffFactory, make_ticket
from tests.utils import text
from tickets.models import Note, State
from tickets.workflow import note_add, ticket_assign

pytestmark = pytest.mark.django_db


@pytest.fixture
def tech():
    return StaffFactory(first_name="Tom", last_name="Technicien")


def test_page_shows_fields_state_handler_and_public_notes_only(client, client_user, tech):
    ticket = make_ticket(reporter=client_user, steps_to_reproduce="Cliquer sur Imprimer")
    ticket_assign(ticket=ticket, handler=tech, by=tech)
    note_add(ticket=ticket, author=tech, text="Je regarde ça.")
    note_add(ticket=ticket, author=tech, text="Secret interne", is_private=True, minutes_spent=15)
    client.force_login(client_user)

    response = client.get(ticket.get_absolute_url())

    page = text(response)
    assert ticket.display_number in page
    assert ticket.summary in page
    assert 'class="state state-assigned" id="ticket-state">Affecté<' in page
    assert "Tom Technicien" in page
    assert "Cliquer sur Imprimer" in page
    assert "Je regarde ça." in page
    assert "Secret interne" not in page
    assert "Note privée ajoutée" not in page  # not even in the history
    assert "Note ajoutée" in page
    assert "État" in page
    assert "Nouveau → Affecté" in page


def test_typed_text_is_never_html_but_links_work(client, client_user):
    ticket = make_ticket(
        reporter=client_user,
        description='<script>alert("x")</script>\nLigne 2 https://erp.example.fr/facture/12',
    )
    client.force_login(client_user)
    body = client.get(ticket.get_absolute_url()).content.decode()
    assert '<script>alert("x")</script>' not in body
    assert "&lt;script&gt;" in body
    assert "<br>Ligne 2" in body
    assert 'href="https://erp.example.fr/facture/12"' in body


def test_client_answers_a_feedback_ticket_and_it_turns_assigned(client, client_user, tech):
    ticket = make_ticket(reporter=client_user, state=State.FEEDBACK, handler=tech)
    client.force_login(client_user)
    assert "L'équipe ATM attend votre réponse" in text(client.get(ticket.get_absolute_url()))

    response = client.post(ticket.get_absolute_url(), {"action": "note", "text": "Voilà."})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == State.ASSIGNED
    assert Note.objects.get(ticket=ticket).author == client_user


def test_client_reopens_a_resolved_ticket(client, client_user, tech):
    ticket = make_ticket(reporter=client_user, state=State.RESOLVED, handler=tech)
    client.force_login(client_user)
    page = text(client.get(ticket.get_absolute_url()))
    assert "Réouvrir le ticket" in page

    client.post(ticket.get_absolute_url(), {"action": "reopen", "text": "Toujours pas."})

    ticket.refresh_from_db()
    assert ticket.state == State.ASSIGNED


def test_reopen_needs_a_note(client, client_user, tech):
    ticket = make_ticket(reporter=client_user, state=State.RESOLVED, handler=tech)
    client.force_login(client_user)
    response = client.post(ticket.get_absolute_url(), {"action": "reopen", "text": "  "})
    assert response.status_code == 400
    assert "Écrivez votre note avant d'envoyer." in text(response)
    ticket.refresh_from_db()
    assert ticket.state == State.RESOLVED


def test_reopen_of_an_open_ticket_is_refused_and_the_note_kept(client, client_user, tech):
    ticket = make_ticket(reporter=client_user, state=State.ASSIGNED, handler=tech)
    client.force_login(client_user)
    response = client.post(
        ticket.get_absolute_url(), {"action": "reopen", "text": "Mon long message"}
    )
    assert response.status_code == 409
    page = text(response)
    assert "Seul un ticket résolu peut être réouvert." in page
    assert "Mon long message" in page
    assert not Note.objects.exists()


def test_closed_ticket_is_read_only(client, client_user):
    ticket = make_ticket(reporter=client_user, state=State.CLOSED)
    client.force_login(client_user)
    page = text(client.get(ticket.get_absolute_url()))
    assert "il ne peut plus être modifié" in page
    assert "Ajouter la note" not in page

    response = client.post(ticket.get_absolute_url(), {"action": "note", "text": "Encore"})

    assert response.status_code == 409
    assert not Note.objects.exists()


def test_private_flag_and_minutes_posted_by_a_client_are_ignored(client, client_user):
    ticket = make_ticket(reporter=client_user)
    client.force_login(client_user)
    client.post(
        ticket.get_absolute_url(),
        {"action": "note", "text": "Note", "is_private": "on", "minutes_spent": "600"},
    )
    note = Note.objects.get()
    assert (note.is_private, note.minutes_spent) == (False, 0)


def test_ticket_page_queries_do_not_grow_with_notes(
    client, client_user, tech, django_assert_max_num_queries
):
    ticket = make_ticket(reporter=client_user)
    client.force_login(client_user)
    for i in range(3):
        note_add(ticket=ticket, author=tech, text=f"Note {i}")
    with django_assert_max_num_queries(12):
        client.get(ticket.get_absolute_url())
    for i in range(40):
        note_add(ticket=ticket, author=tech, text=f"Note {i}")
    with django_assert_max_num_queries(12):
        response = client.get(ticket.get_absolute_url())
    assert text(response).count('class="note"') == 43


def test_history_names_edited_fields_in_french(client, client_user, tech):
    from tickets.editing import ticket_update_details
    from tickets.models import Priority

    ticket = make_ticket(reporter=client_user)
    ticket_update_details(ticket=ticket, by=tech, changes={"priority": Priority.URGENT})
    client.force_login(client_user)
    page = " ".join(text(client.get(ticket.get_absolute_url())).split())
    assert "Priorité : Normale → Urgente" in page
    assert "priority" not in page


def test_history_the_mantis_import_kept_for_staff_is_never_shown_to_a_client(
    client, client_user, tech
):
    """mantis.importer keeps links, moves between projects and note edits of MantisBT's history
    under « private_… » fields: they name other tickets or organisations."""
    from tickets.models import HistoryEntry
    from tickets.views.detail import history_lines

    ticket = make_ticket(reporter=client_user)
    HistoryEntry.objects.create(
        ticket=ticket, actor=tech, field="private_project_moved", old_value="7", new_value="3"
    )
    HistoryEntry.objects.create(
        ticket=ticket,
        actor=tech,
        field="private_relationship_added",
        old_value="1",
        new_value="4242",
    )
    client.force_login(client_user)
    page = text(client.get(ticket.get_absolute_url()))
    assert "4242" not in page
    assert "private_" not in page
    assert "Projet MantisBT changé" not in page

    staff_lines = [line.what for line in history_lines(ticket, tech)]
    assert "Projet MantisBT changé" in staff_lines
    assert "Relation ajoutée (MantisBT)" in staff_lines


def test_rendered_page_reads_the_ticket_once(client, client_user, settings):
    """The parts and the follow panel share one reading of the ticket (its visibility and link
    flags): a page rendered without the page cache pays that query once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.PAGE_CACHE = False
    ticket = make_ticket(reporter=client_user)
    client.force_login(client_user)
    client.get(ticket.get_absolute_url())  # the session and the user, read once

    with CaptureQueriesContext(connection) as captured:
        response = client.get(ticket.get_absolute_url())

    assert response.status_code == 200
    readings = [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith('SELECT "tickets_ticket"."id"')
        and '"tickets_ticket"."number" =' in query["sql"]
    ]
    assert len(readings) == 1, readings
