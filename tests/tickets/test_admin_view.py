"""The staff ticket list in the admin: columns, filters, search, and a bounded number of queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CategoryFactory, ClientFactory, StaffFactory, make_ticket
from tests.utils import text
from tickets.models import Impact, Priority, State, Ticket
from tickets.workflow import note_add

pytestmark = pytest.mark.django_db

LIST = "/admin/tickets/ticket/"


def numbers(response) -> list[str]:
    """The ticket numbers listed, in order."""
    return re.findall(r'class="field-display_number"><a href="[^"]+">(\d{7})</a>', text(response))


def test_list_shows_every_column_with_the_state_badge_and_the_time_spent(
    client, staff_user, client_user
):
    handler = StaffFactory(first_name="Bruno", last_name="Technicien")
    ticket = make_ticket(
        reporter=client_user,
        state=State.FEEDBACK,
        handler=handler,
        summary="Export comptable vide",
        priority=Priority.URGENT,
        impact=Impact.BLOCK,
        category=CategoryFactory(name="Question"),
    )
    note_add(ticket=ticket, author=handler, text="Analyse", minutes_spent=45)
    note_add(ticket=ticket, author=handler, text="Piste", minutes_spent=30, is_private=True)
    client.force_login(staff_user)

    response = client.get(LIST)

    assert response.status_code == 200
    page = text(response)
    row = page[page.index(ticket.display_number) :]
    row = row[: row.index("</tr>")]
    for expected in (
        "Boulangerie Martin",
        "Export comptable vide",
        '<span class="state state-feedback">Commentaire</span>',
        "urgente",
        "bloquant",
        "Question",
        "Bruno Technicien",
        str(client_user),
        "1 h 15",  # 45 + 30 minutes, private notes included: it is ATM's time
    ):
        assert expected in row, expected
    for column in ("Rapporteur", "Mis à jour", "Temps passé", "Affecté à", "Impact"):
        assert column.lower() in page.lower()


def test_list_runs_the_same_bounded_number_of_queries_for_5_or_100_tickets(
    client, staff_user, client_user, django_assert_max_num_queries
):
    handler = StaffFactory()
    other = ClientFactory(organisation__name="Cabinet Durand")
    client.force_login(staff_user)

    def list_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST, {"all": ""})  # every ticket on one page
        assert response.status_code == 200
        return len(queries)

    for index in range(5):
        ticket = make_ticket(reporter=client_user, handler=handler, state=State.ASSIGNED)
        note_add(ticket=ticket, author=handler, text=f"Note {index}", minutes_spent=10)
    small = list_queries()
    for index in range(95):
        reporter = client_user if index % 2 else other
        ticket = make_ticket(reporter=reporter, handler=handler, state=State.ASSIGNED)
        note_add(ticket=ticket, author=handler, text=f"Note {index}", minutes_spent=10)
    assert Ticket.objects.count() == 100

    with django_assert_max_num_queries(12):
        response = client.get(LIST, {"all": ""})
    assert len(numbers(response)) == 100
    assert text(response).count("10 min") == 100
    assert list_queries() == small
    # The default page (50) too, and without COUNT over the whole table (show_full_result_count).
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST)
    assert len(numbers(response)) == 50
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1, counts  # the paginator's, on the filtered tickets
    assert "JOIN" not in counts[0].upper()


def test_list_hides_closed_tickets_by_default_and_filters_by_state(client, staff_user, client_user):
    opened = make_ticket(reporter=client_user, state=State.ACKNOWLEDGED)
    closed = make_ticket(reporter=client_user, state=State.CLOSED)
    client.force_login(staff_user)

    assert numbers(client.get(LIST)) == [opened.display_number]
    assert numbers(client.get(LIST, {"state": "closed"})) == [closed.display_number]
    assert set(numbers(client.get(LIST, {"state": "all"}))) == {
        opened.display_number,
        closed.display_number,
    }
    page = text(client.get(LIST))
    assert "Ouverts (tous sauf Fermé)" in page
    assert "Tous, fermés compris" in page


def test_handler_filter_has_mine_and_unassigned(client, staff_user, client_user):
    other = StaffFactory(first_name="Bruno")
    mine = make_ticket(reporter=client_user, state=State.ASSIGNED, handler=staff_user)
    theirs = make_ticket(reporter=client_user, state=State.ASSIGNED, handler=other)
    nobody = make_ticket(reporter=client_user)
    client.force_login(staff_user)

    assert numbers(client.get(LIST, {"handler": "me"})) == [mine.display_number]
    assert numbers(client.get(LIST, {"handler": "none"})) == [nobody.display_number]
    assert numbers(client.get(LIST, {"handler": other.pk})) == [theirs.display_number]
    page = text(client.get(LIST))
    for choice in ("Moi", "Personne (non affectés)", "Bruno"):
        assert choice in page


def test_list_filters_on_organisation_category_priority_and_impact(client, staff_user, client_user):
    other = ClientFactory(organisation__name="Cabinet Durand")
    question = CategoryFactory(name="Question")
    target = make_ticket(
        reporter=other, category=question, priority=Priority.HIGH, impact=Impact.MAJOR
    )
    make_ticket(reporter=client_user)
    client.force_login(staff_user)

    for params in (
        {"organisation__id__exact": other.organisation_id},
        {"category__id__exact": question.pk},
        {"priority__exact": Priority.HIGH},
        {"impact__exact": Impact.MAJOR},
    ):
        assert numbers(client.get(LIST, params)) == [target.display_number], params


@pytest.mark.parametrize("term", ["{number}", "{padded}", "#{number}"])
def test_search_finds_a_ticket_by_its_number(client, staff_user, client_user, term):
    make_ticket(reporter=client_user, summary="Autre chose")
    ticket = make_ticket(reporter=client_user, summary="Imprimante")
    client.force_login(staff_user)

    query = term.format(number=ticket.number, padded=ticket.display_number)
    assert numbers(client.get(LIST, {"q": query})) == [ticket.display_number]


def test_search_by_summary_words_and_organisation_name(client, staff_user, client_user):
    other = ClientFactory(organisation__name="Cabinet Durand")
    printer = make_ticket(reporter=client_user, summary="L'imprimante refuse de sortir")
    durand = make_ticket(reporter=other, summary="Export comptable")
    client.force_login(staff_user)

    assert numbers(client.get(LIST, {"q": "imprimante"})) == [printer.display_number]
    assert numbers(client.get(LIST, {"q": "durand"})) == [durand.display_number]
    assert numbers(client.get(LIST, {"q": "durand imprimante"})) == []
    assert client.get(LIST, {"q": "'; DROP TABLE x; --"}).status_code == 200


def test_every_active_staff_member_works_tickets_without_granted_permissions(client, client_user):
    technician = StaffFactory()  # is_staff, not superuser, no model permission
    ticket = make_ticket(reporter=client_user)
    client.force_login(technician)

    assert client.get(LIST).status_code == 200
    assert client.get(f"{LIST}{ticket.pk}/change/").status_code == 200
    assert "Tickets ouverts : qui attend qui ?" in text(client.get("/admin/"))
    # Staff do not delete nor create tickets: clients report them, the history stays whole.
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.post(f"{LIST}{ticket.pk}/delete/").status_code == 403


def test_admin_index_counts_open_tickets_per_state_and_handler(client, staff_user, client_user):
    bruno = StaffFactory(first_name="Bruno", last_name="B")
    make_ticket(reporter=client_user)
    make_ticket(reporter=client_user)
    make_ticket(reporter=client_user, state=State.ASSIGNED, handler=bruno)
    make_ticket(reporter=client_user, state=State.FEEDBACK, handler=bruno)
    make_ticket(reporter=client_user, state=State.CLOSED, handler=bruno)
    client.force_login(staff_user)

    page = text(client.get("/admin/"))

    assert "<strong>3</strong> tickets attendent l'équipe ATM" in page
    assert "<strong>1</strong> attend la réponse d'un client" in page
    board = page[page.index('id="ticket-board"') :]
    unassigned = board[board.index("Non affecté") :]
    assert f'{LIST}?state=new&handler=none">2</a>' in unassigned
    assert f'{LIST}?state=assigned&handler={bruno.pk}">1</a>' in board
    assert f'{LIST}?state=feedback&handler={bruno.pk}">1</a>' in board
    assert "state=closed" not in board  # closed tickets wait on nobody
