"""The ticket page's « Temps passé » as a client reads it, with every kind of time on it: each
public note's minutes, the internal work's one line, the non-billed time and what the month end
will debit. Nothing serious for axe, no sideways scroll at any width."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.axe import (
    DESKTOP,
    PHONE,
    WIDTHS,
    assert_accessible,
    assert_fits_every_width,
    axe_available,
)
from tests.factories import StaffFactory, make_ticket
from tickets.models import State
from tickets.workflow import note_add, ticket_change_state

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_client_reads_each_note_time_the_internal_work_and_what_will_be_debited(
    audit_page: Callable[..., Page], live_server: Any, client_user: Any, staff_user: Any, shoot: Any
) -> None:
    if not axe_available():
        pytest.fail("axe-core is missing: `make test` runs `npm ci` (node_modules/axe-core).")
    ticket = make_ticket(
        reporter=client_user,
        state=State.ASSIGNED,
        handler=staff_user,
        summary="L'export FEC ne contient pas les écritures de clôture",
    )
    note_add(
        ticket=ticket,
        author=staff_user,
        text="Analyse du journal des ventes : les écritures d'à-nouveaux manquent.",
        minutes_spent=40,
    )
    note_add(
        ticket=ticket,
        author=staff_user,
        text="Correctif installé, sans frais.",
        minutes_spent=10,
        is_billable=False,
    )
    hidden = StaffFactory(first_name="Gédéon", last_name="Cachottier")
    note_add(ticket=ticket, author=hidden, text="Accès serveur", minutes_spent=25, is_private=True)
    ticket_change_state(ticket=ticket, to=State.RESOLVED, by=staff_user)
    page = audit_page(client_user)

    page.goto(f"{live_server.url}/tickets/{ticket.number}/")

    time = page.locator("#ticket-time")
    expect(time).to_contain_text("1 h 05 facturable")
    expect(time).to_contain_text("travail interne : 0 h 25")
    expect(time).to_contain_text("temps non facturé : 0 h 10")
    expect(time).to_contain_text("sera décompté à la fin du mois : 1 h 15")
    expect(page.locator("#notes")).to_contain_text("temps passé : 0 h 40")
    expect(page.locator("#notes")).to_contain_text("temps passé : 0 h 10 (non facturé)")
    expect(page.locator("body")).not_to_contain_text("Cachottier")
    assert_fits_every_width(page, "ticket, temps passé", WIDTHS)
    for size, where in ((DESKTOP, "1280 px"), (PHONE, "375 px")):
        page.set_viewport_size(size)
        assert_accessible(page, f"ticket, temps passé, {where}")
        shoot(page, f"ticket-temps-passe-{size['width']}")
