"""The ticket tables' rows (tickets/templatetags/ticket_rows.py): every cell, escaped."""

from __future__ import annotations

import pytest

from tests.factories import CategoryFactory, StaffFactory, make_ticket
from tickets.models import State, Ticket
from tickets.rows import rows_of

pytestmark = pytest.mark.django_db

HOSTILE = '<img src=x onerror="alert(1)"> & "guillemets"'


@pytest.fixture
def hostile(client_user):
    handler = StaffFactory(first_name="<b>Alice</b>", last_name="Martin")
    return make_ticket(
        reporter=client_user,
        state=State.ASSIGNED,
        handler=handler,
        summary=HOSTILE,
        category=CategoryFactory(name="<i>Anomalie</i>"),
    )


@pytest.mark.parametrize("url", ["/tickets/", "/mon-affichage/"])
def test_rows_escape_what_people_typed(client, client_user, hostile, url):
    client.force_login(client_user)
    page = client.get(url).content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &quot;guillemets&quot;" in page
    assert "<b>Alice</b>" not in page
    assert "&lt;b&gt;Alice&lt;/b&gt; Martin" in page
    assert "&lt;i&gt;Anomalie&lt;/i&gt;" in page


def test_list_row_cells(client, client_user, hostile):
    client.force_login(client_user)
    page = client.get("/tickets/").content.decode()
    url = f"/tickets/{hostile.number}/"
    assert f'<tr class="tl-row state-assigned"><td class="tl-number"><a href="{url}">' in page
    assert f">{hostile.display_number}</a>" in page
    assert '<span class="state state-assigned">Affecté</span>' in page
    assert 'd-md-table-cell" data-label="Priorité">Normale</td>' in page
    assert f'<time datetime="{hostile.updated_at.isoformat()}">' in page


def test_box_row_shows_the_handler_when_assigned(client, client_user, hostile):
    client.force_login(client_user)
    page = client.get("/mon-affichage/").content.decode()
    assert '<tr class="state-row state-assigned">' in page
    assert 'Affecté <span class="handler">(&lt;b&gt;Alice&lt;/b&gt; Martin)</span>' in page


def test_a_row_reads_what_the_model_would_show(client_user):
    """tickets.rows.TicketRow against the model it stands for: the handler's name as
    User.__str__ writes it (full name, else e-mail), none without a handler, the number, the
    link, the category; and a row is equal to its ticket, so `ticket in rows` means it."""
    named = StaffFactory(first_name="Alice", last_name="Martin")
    unnamed = StaffFactory(first_name="", last_name="")
    tickets = [
        make_ticket(reporter=client_user, state=State.ASSIGNED, handler=named),
        make_ticket(reporter=client_user, state=State.ASSIGNED, handler=unnamed),
        make_ticket(reporter=client_user, category=CategoryFactory(name="Évolution")),
    ]
    rows = rows_of(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).order_by("number"))

    assert [row.handler_name for row in rows] == ["Alice Martin", unnamed.email, ""]
    assert [row.handler_name for row in rows[:2]] == [str(named), str(unnamed)]
    for row, ticket in zip(rows, tickets, strict=True):
        assert row == ticket
        assert ticket == row
        assert hash(row) == hash(ticket.pk)
        assert (row.number, row.display_number) == (ticket.number, ticket.display_number)
        assert row.get_absolute_url() == ticket.get_absolute_url()
        assert (row.state, row.priority, row.summary) == (
            ticket.state,
            ticket.priority,
            ticket.summary,
        )
        assert row.category_name == ticket.category.name
        assert row.handler_id == ticket.handler_id
    assert rows[2].category_name == "Évolution"
    assert tickets[0] not in rows[1:]
    assert tickets[0] in rows
