"""The staff ticket page: fields, handler and state through the workflow, notes, stale saves,
read-only Fermé, and what the client then sees in the portal."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.factories import CategoryFactory, StaffFactory, make_ticket
from tests.utils import text
from tickets.models import Attachment, HistoryEntry, Note, Priority, State, Ticket
from tickets.workflow import note_add, ticket_change_state

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


def change_url(ticket: Ticket) -> str:
    return f"/admin/tickets/ticket/{ticket.pk}/change/"


def page_data(ticket: Ticket, **changes: Any) -> dict[str, Any]:
    """What the ticket page posts when saved unchanged (as shown now), with `changes`."""
    ticket.refresh_from_db()
    data: dict[str, Any] = {
        "state": ticket.state,
        "handler": ticket.handler_id or "",
        "category": ticket.category_id,
        "reproducibility": ticket.reproducibility,
        "impact": ticket.impact,
        "priority": ticket.priority,
        "summary": ticket.summary,
        "description": ticket.description,
        "steps_to_reproduce": ticket.steps_to_reproduce,
        "additional_information": ticket.additional_information,
        "resolution": ticket.resolution,
        "is_private": "on" if ticket.is_private else None,
        "seen_version": ticket.version,
        # The « Ajouter une note » inline: one empty form.
        "notes-TOTAL_FORMS": 1,
        "notes-INITIAL_FORMS": 0,
        "notes-MIN_NUM_FORMS": 0,
        "notes-MAX_NUM_FORMS": 1,
        "notes-0-text": "",
        "notes-0-minutes_spent": 0,
        "notes-0-is_billable": "on",
        "_save": "Enregistrer",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def png(name: str = "capture.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def staff(client: Any, staff_user: Any) -> Any:
    client.force_login(staff_user)
    return client


def test_page_shows_the_form_with_the_version_and_an_unticked_private_flag(staff, client_user):
    ticket = make_ticket(reporter=client_user)

    response = staff.get(change_url(ticket))

    assert response.status_code == 200
    page = text(response)
    assert f'name="seen_version" value="{ticket.version}"' in page
    assert 'name="notes-0-is_private"' in page
    flag = page[
        page.index('name="notes-0-is_private"') - 200 : page.index('name="notes-0-is_private"') + 80
    ]
    assert "checked" not in flag
    assert "Note privée (invisible du client)" in page
    assert 'name="notes-0-attachments"' in page
    assert "multipart/form-data" in page
    # Fermé is the month end's: staff cannot choose it.
    assert '<option value="closed"' not in page


def test_saving_fields_records_history_and_bumps_the_version(staff, staff_user, client_user):
    ticket = make_ticket(reporter=client_user)
    question = CategoryFactory(name="Question")

    response = staff.post(
        change_url(ticket),
        page_data(
            ticket, priority=Priority.URGENT, category=question.pk, summary="  Nouveau titre "
        ),
    )

    assert response.status_code == 302
    before = ticket.version
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.category, ticket.summary) == (
        Priority.URGENT,
        question,
        "Nouveau titre",
    )
    assert ticket.version == before + 1
    entries = {e.field: e for e in HistoryEntry.objects.filter(ticket=ticket, actor=staff_user)}
    assert (entries["priority"].old_value, entries["priority"].new_value) == ("normale", "urgente")
    assert entries["category"].new_value == "Question"
    assert "Priorité" in text(staff.get(change_url(ticket)))  # the history names the field


def test_choosing_a_handler_for_a_new_ticket_makes_it_assigned(staff, staff_user, client_user):
    ticket = make_ticket(reporter=client_user)
    bruno = StaffFactory(first_name="Bruno")

    response = staff.post(change_url(ticket), page_data(ticket, handler=bruno.pk))

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.state, ticket.handler) == (State.ASSIGNED, bruno)
    fields = list(HistoryEntry.objects.filter(ticket=ticket).values_list("field", "new_value"))
    assert ("handler", str(bruno)) in fields
    assert ("state", State.ASSIGNED) in fields


def test_state_and_handler_change_together_in_the_right_order(staff, staff_user, client_user):
    ticket = make_ticket(reporter=client_user, state=State.ASSIGNED, handler=staff_user)

    # Clearing the handler of an « Affecté » ticket is fine when it leaves that state too.
    response = staff.post(
        change_url(ticket), page_data(ticket, handler="", state=State.ACKNOWLEDGED)
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.state, ticket.handler) == (State.ACKNOWLEDGED, None)


def test_a_transition_the_workflow_refuses_is_shown_and_nothing_is_saved(
    staff, staff_user, client_user
):
    ticket = make_ticket(reporter=client_user)
    version = ticket.version

    response = staff.post(
        change_url(ticket),
        page_data(
            ticket,
            state=State.ASSIGNED,  # without a handler
            priority=Priority.HIGH,
            **{"notes-0-text": "Je regarde."},
        ),
    )

    assert response.status_code == 200
    page = text(response)
    assert "Un ticket « Affecté » doit avoir un responsable." in page
    assert "Je regarde." in page  # the technician's input is kept
    ticket.refresh_from_db()
    assert (ticket.state, ticket.priority, ticket.version) == (State.NEW, Priority.NORMAL, version)
    assert not Note.objects.filter(ticket=ticket).exists()


def test_the_later_of_two_saves_is_refused_instead_of_overwriting(staff, client_user):
    ticket = make_ticket(reporter=client_user)
    seen_by_second = page_data(ticket)  # the second technician's page, shown now
    first = StaffFactory()
    ticket_change_state(ticket=ticket, to=State.ACKNOWLEDGED, by=first)  # the first one saves

    response = staff.post(change_url(ticket), {**seen_by_second, "priority": Priority.IMMEDIATE})

    assert response.status_code == 200
    assert "Le ticket a été modifié entre-temps par quelqu'un d'autre : rechargez-le." in text(
        response
    )
    ticket.refresh_from_db()
    assert (ticket.state, ticket.priority) == (State.ACKNOWLEDGED, Priority.NORMAL)
    # Reloaded, the page carries the new version and the same change goes through.
    response = staff.post(change_url(ticket), page_data(ticket, priority=Priority.IMMEDIATE))
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.state, ticket.priority) == (State.ACKNOWLEDGED, Priority.IMMEDIATE)


def test_a_note_alone_is_added_even_if_the_ticket_moved_meanwhile(staff, staff_user, client_user):
    ticket = make_ticket(reporter=client_user, state=State.ACKNOWLEDGED)
    shown = page_data(ticket)
    note_add(ticket=ticket, author=StaffFactory(), text="Note d'un collègue")

    # Nothing of the ticket changed on this page: no overwrite possible, the note is kept.
    response = staff.post(change_url(ticket), {**shown, "notes-0-text": "Complément"})

    assert response.status_code == 302
    assert Note.objects.filter(ticket=ticket, text="Complément", author=staff_user).exists()


def test_private_note_with_time_and_file_is_kept_from_the_client(
    staff, client, staff_user, client_user
):
    ticket = make_ticket(reporter=client_user, state=State.ASSIGNED, handler=staff_user)

    response = staff.post(
        change_url(ticket),
        page_data(
            ticket,
            **{
                "notes-0-text": "Piste interne : base corrompue",
                "notes-0-is_private": "on",
                "notes-0-minutes_spent": 25,
                "notes-0-is_billable": None,
                "notes-0-attachments": [png("trace-interne.png")],
            },
        ),
    )

    assert response.status_code == 302
    note = Note.objects.get(ticket=ticket)
    assert (note.is_private, note.minutes_spent, note.is_billable, note.author) == (
        True,
        25,
        False,
        staff_user,
    )
    attachment = Attachment.objects.get(note=note)
    assert attachment.original_name == "trace-interne.png"
    staff_page = text(staff.get(change_url(ticket)))
    assert "Privée — invisible du client" in staff_page
    assert "25 minutes" in staff_page
    assert "non facturables" in staff_page

    client.force_login(client_user)
    portal = text(client.get(f"/tickets/{ticket.number}/"))
    assert "Piste interne" not in portal
    assert "trace-interne.png" not in portal
    assert client.get(f"/pieces-jointes/{attachment.pk}/").status_code == 404


def test_public_note_from_the_admin_reaches_the_portal(staff, client, staff_user, client_user):
    ticket = make_ticket(reporter=client_user, state=State.ASSIGNED, handler=staff_user)

    staff.post(
        change_url(ticket),
        page_data(
            ticket, state=State.FEEDBACK, **{"notes-0-text": "Quelle version utilisez-vous ?"}
        ),
    )

    ticket.refresh_from_db()
    assert ticket.state == State.FEEDBACK
    note = Note.objects.get(ticket=ticket)
    assert note.is_private is False
    client.force_login(client_user)
    portal = text(client.get(f"/tickets/{ticket.number}/"))
    assert "Quelle version utilisez-vous ?" in portal
    assert "L'équipe ATM attend votre réponse" in portal


def test_notes_are_listed_newest_first(staff, staff_user, client_user):
    ticket = make_ticket(reporter=client_user)
    note_add(ticket=ticket, author=staff_user, text="Première note")
    note_add(ticket=ticket, author=client_user, text="Deuxième note")

    page = text(staff.get(change_url(ticket)))

    assert page.index("Deuxième note") < page.index("Première note")


def test_a_closed_ticket_is_read_only(staff, staff_user, client_user):
    ticket = make_ticket(reporter=client_user, state=State.CLOSED, handler=staff_user)

    response = staff.get(change_url(ticket))

    assert response.status_code == 200
    page = text(response)
    assert "Ce ticket est fermé" in page
    assert 'name="summary"' not in page
    assert 'name="notes-0-text"' not in page
    assert "Accuser réception" not in page
    assert "M'affecter" not in page
    response = staff.post(
        change_url(ticket),
        page_data(ticket, priority=Priority.URGENT, **{"notes-0-text": "Encore ?"}),
    )
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert (ticket.state, ticket.priority) == (State.CLOSED, Priority.NORMAL)
    assert not Note.objects.filter(ticket=ticket).exists()
    acknowledge = f"/admin/tickets/ticket/{ticket.pk}/accuser-reception/"
    assert staff.post(acknowledge, {"version": ticket.version}).status_code == 403


def test_acknowledge_in_one_click_moves_a_new_ticket_to_en_analyse(staff, staff_user, client_user):
    ticket = make_ticket(reporter=client_user)
    page = text(staff.get(change_url(ticket)))
    assert "Accuser réception (→ En analyse)" in page
    url = f"/admin/tickets/ticket/{ticket.pk}/accuser-reception/"

    assert staff.get(url).status_code == 405
    response = staff.post(url, {"version": ticket.version}, follow=True)

    ticket.refresh_from_db()
    assert ticket.state == State.ACKNOWLEDGED
    assert "réception accusée" in text(response)
    assert HistoryEntry.objects.filter(ticket=ticket, field="state", actor=staff_user).exists()
    assert "Accuser réception" not in text(staff.get(change_url(ticket)))


def test_acknowledge_from_a_stale_page_is_refused(staff, staff_user, client_user):
    ticket = make_ticket(reporter=client_user)
    shown_version = ticket.version
    other = StaffFactory()
    from tickets.workflow import ticket_assign

    ticket_assign(ticket=ticket, handler=other, by=other)  # Affecté meanwhile

    response = staff.post(
        f"/admin/tickets/ticket/{ticket.pk}/accuser-reception/",
        {"version": shown_version},
        follow=True,
    )

    assert "modifié entre-temps" in text(response)
    ticket.refresh_from_db()
    assert (ticket.state, ticket.handler) == (State.ASSIGNED, other)


def test_take_in_one_click_assigns_the_ticket_to_me(staff, staff_user, client_user):
    ticket = make_ticket(reporter=client_user, state=State.ACKNOWLEDGED)

    staff.post(f"/admin/tickets/ticket/{ticket.pk}/m-affecter/", {"version": ticket.version})

    ticket.refresh_from_db()
    assert (ticket.state, ticket.handler) == (State.ASSIGNED, staff_user)
    assert "M'affecter" not in text(staff.get(change_url(ticket)))
