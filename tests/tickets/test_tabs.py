from __future__ import annotations

import pytest

from tests.factories import ClientFactory, StaffFactory, make_ticket
from tests.utils import text
from tickets.models import State

pytestmark = pytest.mark.django_db


def test_accueil_counts_tickets_per_state(client, client_user):
    for state, count in [(State.NEW, 2), (State.FEEDBACK, 1), (State.CLOSED, 3)]:
        for _ in range(count):
            make_ticket(reporter=client_user, state=state)
    client.force_login(client_user)

    response = client.get("/")

    counts = dict((state.value, total) for state, total in response.context["counts"])
    assert counts == {
        "new": 2,
        "acknowledged": 0,
        "assigned": 0,
        "feedback": 1,
        "resolved": 0,
        "closed": 3,
    }
    assert 'data-state="new">2<' in response.content.decode()


def test_accueil_lists_tickets_awaiting_the_client(client, client_user):
    waiting = make_ticket(reporter=client_user, state=State.FEEDBACK, summary="Merci de préciser")
    make_ticket(reporter=client_user, state=State.NEW, summary="Pas en attente")
    client.force_login(client_user)
    response = client.get("/")
    assert [t.pk for t in response.context["awaiting"]] == [waiting.pk]


def test_mon_affichage_has_a_box_per_open_state_and_two_more(client, client_user, organisation):
    colleague = ClientFactory(organisation=organisation)
    mine = make_ticket(reporter=client_user, state=State.NEW, summary="Le mien")
    theirs = make_ticket(reporter=colleague, state=State.ACKNOWLEDGED, summary="Le sien")
    for _ in range(12):
        make_ticket(reporter=colleague, state=State.ASSIGNED, handler=StaffFactory())
    client.force_login(client_user)

    response = client.get("/mon-affichage/")

    boxes = {key: tickets for key, _title, tickets in response.context["boxes"]}
    assert list(boxes) == ["new", "acknowledged", "assigned", "feedback", "resolved"]
    assert boxes["new"] == [mine]
    assert boxes["acknowledged"] == [theirs]
    assert len(boxes["assigned"]) == 10  # up to 10 per box
    assert response.context["reported"] == [mine]
    assert len(response.context["recent"]) == 10
    page = text(response)
    for title in ("Nouveau", "En analyse", "Affecté", "Commentaire", "Résolu"):
        assert title in page
    assert "Rapportés par moi" in page
    assert "Modifiés récemment" in page
    assert 'class="state-row state-new"' in page


def test_tab_pages_use_a_bounded_number_of_queries(
    client, client_user, django_assert_max_num_queries
):
    client.force_login(client_user)
    for _ in range(3):
        make_ticket(reporter=client_user)
    for url in ("/", "/mon-affichage/"):
        with django_assert_max_num_queries(14):
            client.get(url)
    for state in State:
        for _ in range(4):
            make_ticket(reporter=client_user, state=state)
    for url in ("/", "/mon-affichage/"):
        with django_assert_max_num_queries(14):
            client.get(url)


def test_quick_search_by_number_opens_the_ticket(client, client_user):
    ticket = make_ticket(reporter=client_user)
    client.force_login(client_user)
    for typed in (str(ticket.number), ticket.display_number, f"#{ticket.number}"):
        response = client.get("/recherche/", {"q": typed})
        assert response["Location"] == ticket.get_absolute_url()


def test_quick_search_with_words_or_unknown_number_goes_to_the_list(client, client_user):
    client.force_login(client_user)
    assert client.get("/recherche/", {"q": "imprimante"})["Location"] == "/tickets/?q=imprimante"
    assert client.get("/recherche/", {"q": "9999999"})["Location"] == "/tickets/?q=9999999"
