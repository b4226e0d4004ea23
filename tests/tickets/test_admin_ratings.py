"""The clients' ratings on the ticket's admin page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import ClientFactory, StaffFactory, make_ticket
from tickets.models import State
from tickets.satisfaction import rating_save
from tickets.workflow import ticket_change_state

pytestmark = pytest.mark.django_db


def test_the_ticket_page_shows_each_clients_rating_escaped(client, organisation):
    tech = StaffFactory()
    reporter = ClientFactory(organisation=organisation, first_name="Paul", last_name="Martin")
    colleague = ClientFactory(organisation=organisation, first_name="Marc", last_name="Dupont")
    ticket = make_ticket(reporter=reporter)
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    client.force_login(tech)
    assert "field-ratings_shown" in client.get(url).text

    ticket_change_state(ticket=ticket, to=State.RESOLVED, by=tech)
    ticket.refresh_from_db()
    rating_save(ticket=ticket, user=reporter, satisfied=True, comment="Rapide <b>merci</b>")
    rating_save(ticket=ticket, user=colleague, satisfied=False)
    page = client.get(url).text
    assert "Paul Martin : <strong>satisfait</strong> — « Rapide &lt;b&gt;merci&lt;/b&gt; »" in page
    assert "Marc Dupont : <strong>pas satisfait</strong>" in page
