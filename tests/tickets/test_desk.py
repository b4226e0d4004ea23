"""The technicians' desk on the ticket list: saved queues, bulk « Affecter à… », the admin
search (numbers, words of the text and notes, organisation, reporter), a bounded number of
queries whatever the page size."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ClientFactory, StaffFactory, make_ticket
from tests.utils import text
from tickets.models import HistoryEntry, State, Ticket
from tickets.queues import QUEUES_PER_USER, SavedQueue
from tickets.workflow import note_add

pytestmark = pytest.mark.django_db

LIST = "/admin/tickets/ticket/"
SAVE = "/admin/tickets/ticket/files/enregistrer/"
DELETE = "/admin/tickets/ticket/files/supprimer/"


@pytest.fixture
def staff(client: Any, staff_user: Any) -> Any:
    client.force_login(staff_user)
    return client


# --- queues ----------------------------------------------------------------------------------


def test_built_in_queues_are_one_click_away(staff):
    page = text(staff.get(LIST))
    for name, query in (
        ("Mes tickets", "handler=me"),
        ("Non affectés", "handler=none"),
        ("Dépassés", "target=late"),
    ):
        assert f'href="{LIST}?{query}"' in page
        assert name in page
    # And from the admin's index.
    assert f'href="{LIST}?target=late">Dépassés</a>' in text(staff.get("/admin/"))
    selected = text(staff.get(LIST, {"target": "late"}))
    assert f'<a href="{LIST}?target=late"\n             aria-current="page"' in selected


def test_a_technician_saves_lists_and_deletes_their_own_filters(client, staff_user):
    other: Any = StaffFactory()
    SavedQueue.objects.create(user=other, name="Les siens", query="state=new")
    client.force_login(staff_user)

    response = client.post(
        SAVE, {"name": "  Urgences   Martin ", "query": "priority=50&q=martin"}, follow=True
    )
    page = text(response)
    assert "Filtre « Urgences Martin » enregistré." in page
    assert response.redirect_chain[-1][0] == f"{LIST}?priority=50&q=martin"
    queue = SavedQueue.objects.get(user=staff_user)
    assert (queue.name, queue.query) == ("Urgences Martin", "priority=50&q=martin")
    assert f'href="{LIST}?priority=50&q=martin"' in page
    assert "Les siens" not in page  # only one's own

    # The same name again replaces its filters.
    page = text(client.post(SAVE, {"name": "Urgences Martin", "query": "?state=new"}, follow=True))
    assert "Filtre « Urgences Martin » mis à jour." in page
    assert SavedQueue.objects.get(user=staff_user).query == "state=new"

    # Another technician's filter is not deleted by an id typed in.
    theirs = SavedQueue.objects.get(user=other)
    page = text(client.post(DELETE, {"queue": theirs.pk}, follow=True))
    assert "Ce filtre enregistré n'existe pas (ou plus)." in page
    assert SavedQueue.objects.filter(pk=theirs.pk).exists()
    page = text(client.post(DELETE, {"queue": queue.pk, "query": "state=new"}, follow=True))
    assert "Filtre « Urgences Martin » supprimé." in page
    assert not SavedQueue.objects.filter(user=staff_user).exists()


def test_a_bad_queue_name_says_why_and_is_kept(staff, staff_user):
    page = text(staff.post(SAVE, {"name": "   ", "query": "state=new"}, follow=True))
    assert "Donnez un nom à ce filtre pour l'enregistrer." in page
    long_name = "x" * 61
    page = text(staff.post(SAVE, {"name": long_name, "query": "state=new"}, follow=True))
    assert "Nom trop long : 60 caractères au plus." in page
    assert 'value="' + "x" * 60 + '"' in page  # offered again in the box
    for index in range(QUEUES_PER_USER):
        SavedQueue.objects.create(user=staff_user, name=f"File {index}")
    page = text(staff.post(SAVE, {"name": "Une de trop", "query": ""}, follow=True))
    assert "Vous avez déjà 20 filtres enregistrés : supprimez-en un d'abord." in page
    assert staff.get(SAVE).status_code == 405


def test_a_client_reaches_no_queue_page(client, client_user, staff_user):
    queue = SavedQueue.objects.create(user=staff_user, name="Mine", query="")
    client.force_login(client_user)
    for url in (SAVE, DELETE):
        response = client.post(url, {"name": "x", "queue": queue.pk})
        assert response.status_code == 302
        assert not response["Location"].startswith(LIST)
    assert SavedQueue.objects.filter(user=staff_user).count() == 1
    assert not SavedQueue.objects.filter(user=client_user).exists()


# --- bulk « Affecter à… » --------------------------------------------------------------------


def act(client: Any, tickets: list[Ticket], **data: Any) -> Any:
    return client.post(
        f"{LIST}?state=all",
        {"action": "assign_to", "_selected_action": [t.pk for t in tickets], **data},
        follow=True,
    )


def test_assign_to_asks_for_the_technician_then_assigns_each_ticket(staff, client_user):
    colleague: Any = StaffFactory(first_name="Bruno", last_name="Collègue")
    StaffFactory(first_name="Ancien", last_name="Parti", is_active=False)
    new = make_ticket(reporter=client_user)
    asked = make_ticket(reporter=client_user, state=State.FEEDBACK, handler=StaffFactory())
    closed = make_ticket(reporter=client_user, state=State.CLOSED)

    page = text(act(staff, [new, asked, closed]))
    assert "Affecter les tickets" in page
    assert "Bruno Collègue" in page
    assert "Ancien Parti" not in page
    assert Ticket.objects.filter(handler=colleague).count() == 0

    page = text(act(staff, [new, asked, closed], apply="1"))
    assert "Choisissez le technicien à qui affecter les tickets." in page

    page = text(act(staff, [new, asked, closed], apply="1", handler=colleague.pk))
    assert (
        f"2 tickets affectés à Bruno Collègue : {new.display_number}, {asked.display_number}."
        in page
    )
    assert f"{closed.display_number} : Un ticket fermé ne se modifie plus." in page
    new.refresh_from_db()
    asked.refresh_from_db()
    assert (new.handler, new.state) == (colleague, State.ASSIGNED)
    assert (asked.handler, asked.state) == (colleague, State.FEEDBACK)
    assert HistoryEntry.objects.filter(ticket=new, field="handler").count() == 1


def test_assign_to_an_inactive_or_client_user_is_refused(staff, client_user):
    gone = StaffFactory(is_active=False)
    ticket = make_ticket(reporter=client_user)
    for who in (gone, client_user):
        page = text(act(staff, [ticket], apply="1", handler=who.pk))
        assert "Ce technicien n'existe pas ou n'est plus actif." in page
    assert Ticket.objects.get(pk=ticket.pk).handler is None


def test_a_client_never_reaches_assign_to(client, client_user):
    colleague: Any = StaffFactory()
    ticket = make_ticket(reporter=client_user)
    client.force_login(client_user)
    response = client.post(
        LIST,
        {
            "action": "assign_to",
            "_selected_action": [ticket.pk],
            "apply": "1",
            "handler": colleague.pk,
        },
    )
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).handler is None


# --- search ----------------------------------------------------------------------------------


def numbers(response: Any) -> set[str]:
    import re

    return set(
        re.findall(r'class="field-display_number"><a href="[^"]+">(\d{7})</a>', text(response))
    )


def test_admin_search_finds_note_text_description_organisation_and_reporter(staff, staff_user):
    martin = ClientFactory(
        organisation__name="Boulangerie Martin",
        first_name="Paul",
        last_name="Meunier",
        email="paul@boulangerie-martin.fr",
    )
    durand = ClientFactory(organisation__name="Cabinet Durand", email="lea@durand.fr")
    by_note = make_ticket(reporter=durand, summary="Écran noir", description="Rien ne s'affiche.")
    note_add(ticket=by_note, author=staff_user, text="Remplacer la carte graphique")
    by_description = make_ticket(reporter=durand, summary="Lent", description="Facture bloquée")
    by_reporter = make_ticket(reporter=martin, summary="Autre chose", description="Texte")
    private = make_ticket(reporter=durand, summary="Caché", description="Texte")
    note_add(ticket=private, author=staff_user, text="zinzolin", is_private=True)

    assert numbers(staff.get(LIST, {"q": "carte graphique"})) == {by_note.display_number}
    assert numbers(staff.get(LIST, {"q": "factures"})) == {by_description.display_number}
    assert numbers(staff.get(LIST, {"q": "meunier"})) == {by_reporter.display_number}
    assert numbers(staff.get(LIST, {"q": "boulangerie-martin.fr"})) == {by_reporter.display_number}
    assert numbers(staff.get(LIST, {"q": "durand"})) == {
        by_note.display_number,
        by_description.display_number,
        private.display_number,
    }
    assert numbers(staff.get(LIST, {"q": f"#{by_note.number}"})) == {by_note.display_number}
    # The portal's search: private notes stay out of it.
    assert numbers(staff.get(LIST, {"q": "zinzolin"})) == set()


# --- queries ---------------------------------------------------------------------------------


def test_list_queries_do_not_grow_with_the_page(staff, staff_user, client_user):
    SavedQueue.objects.create(user=staff_user, name="Mes urgences", query="priority=50")

    def queries(**params: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = staff.get(LIST, {"all": "", **params})
        assert response.status_code == 200
        return len(captured)

    for index in range(3):
        ticket = make_ticket(reporter=client_user)
        note_add(ticket=ticket, author=client_user, text=f"Relance {index}")
    small = {name: queries(**params) for name, params in CASES}
    for index in range(60):
        ticket = make_ticket(reporter=client_user, handler=staff_user, state=State.ASSIGNED)
        note_add(ticket=ticket, author=staff_user, text=f"Réponse {index}")
    for name, params in CASES:
        assert queries(**params) == small[name], name


CASES = [
    ("default", {}),
    ("late", {"target": "late"}),
    ("soon", {"target": "soon"}),
    ("team", {"waiting": "team"}),
    ("search", {"q": "relance"}),
]
