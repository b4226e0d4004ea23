from __future__ import annotations

import pytest

from tests.factories import make_ticket
from tests.utils import text
from tickets.models import State
from tickets.workflow import note_add

pytestmark = pytest.mark.django_db


def test_staff_see_tickets_with_state_badges_in_bounded_queries(
    client, staff_user, client_user, django_assert_max_num_queries
):
    for state in State:
        make_ticket(reporter=client_user, state=state)
    client.force_login(staff_user)
    with django_assert_max_num_queries(15):
        response = client.get("/admin/tickets/ticket/")
    page = text(response)
    assert '<span class="state state-feedback">Commentaire</span>' in page
    for _ in range(20):
        make_ticket(reporter=client_user)
    with django_assert_max_num_queries(15):
        client.get("/admin/tickets/ticket/")


def test_staff_ticket_page_shows_private_notes_and_history_read_only(
    client, staff_user, client_user
):
    ticket = make_ticket(reporter=client_user)
    note_add(ticket=ticket, author=staff_user, text="Piste interne", is_private=True)
    client.force_login(staff_user)
    response = client.get(f"/admin/tickets/ticket/{ticket.pk}/change/")
    assert response.status_code == 200
    assert "Piste interne" in text(response)
    assert client.get("/admin/tickets/ticket/add/").status_code == 403
    assert client.post(f"/admin/tickets/ticket/{ticket.pk}/delete/").status_code == 403
