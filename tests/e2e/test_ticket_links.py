"""In Chromium, a client reads a ticket's links (« Doublon de 0000002 »), follows one to the other
ticket, which reads it back (« A pour doublon 0000001 »); a private ticket of their own
organisation is nowhere: not linked, not listed, not found by its number. The page with its
links stays accessible and fits every width."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.axe import assert_accessible, assert_fits_every_width, axe_available
from tests.factories import PASSWORD, ClientFactory, StaffFactory, make_ticket
from tickets.models import LinkKind, Resolution, Ticket, TicketLink
from tickets.workflow import note_add

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HIDDEN = "Kerguelen-interne"


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Accueil")).to_be_visible()


def linked_tickets(organisation: Any) -> tuple[Any, Ticket, Ticket, Ticket]:
    reporter = ClientFactory(
        email="paul@boulangerie-martin.fr", first_name="Paul", organisation=organisation
    )
    duplicate = make_ticket(reporter=reporter, summary="La caisse ne s'ouvre plus")
    original = make_ticket(reporter=reporter, summary="Tiroir-caisse bloqué")
    hidden = make_ticket(reporter=reporter, summary=f"{HIDDEN} caisse")
    note_add(ticket=hidden, author=StaffFactory(), text=f"{HIDDEN} caisse à remplacer")
    Ticket.objects.filter(pk=hidden.pk).update(is_private=True)
    duplicate.resolution = Resolution.DUPLICATE
    duplicate.save(update_fields=["resolution"])
    TicketLink.objects.create(source=duplicate, target=original, kind=LinkKind.DUPLICATE_OF)
    TicketLink.objects.create(source=hidden, target=duplicate, kind=LinkKind.PARENT_OF)
    return reporter, duplicate, original, hidden


def test_client_follows_a_link_and_never_meets_the_private_ticket(
    page: Page, live_server: Any, organisation: Any, shoot: Any
) -> None:
    reporter, duplicate, original, hidden = linked_tickets(organisation)
    base = live_server.url
    log_in(page, base, reporter.email)
    expect(page.locator("main")).not_to_contain_text(HIDDEN)

    page.goto(f"{base}{duplicate.get_absolute_url()}")
    links = page.locator("#ticket-links")
    expect(links).to_have_text(f"Doublon de {original.display_number} — {original.summary}")
    expect(page.locator("#ticket-resolution")).to_have_text("Doublon")
    expect(page.locator("main")).not_to_contain_text(hidden.display_number)
    expect(page.locator("main")).not_to_contain_text("Enfant de")
    shoot(page, "tickets-lies")

    links.get_by_role("link", name=original.display_number).click()
    expect(page).to_have_url(f"{base}{original.get_absolute_url()}")
    expect(page.locator("#ticket-links")).to_have_text(
        f"A pour doublon {duplicate.display_number} — {duplicate.summary}"
    )

    page.goto(f"{base}/tickets/?q=caisse")
    expect(page.locator("main")).to_contain_text(duplicate.display_number)
    expect(page.locator("main")).not_to_contain_text(hidden.display_number)
    expect(page.locator("main")).not_to_contain_text(HIDDEN)
    response = page.goto(f"{base}{hidden.get_absolute_url()}")
    assert response is not None
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text(HIDDEN)


@pytest.mark.skipif(not axe_available(), reason="axe-core absent: run `npm ci`")
def test_ticket_page_with_links_is_accessible_and_fits_every_width(
    audit_page: Any, live_server: Any, organisation: Any
) -> None:
    reporter, duplicate, _original, _hidden = linked_tickets(organisation)
    page = audit_page(reporter)
    page.goto(f"{live_server.url}{duplicate.get_absolute_url()}")
    expect(page.locator("#ticket-links")).to_be_visible()
    assert_accessible(page, "ticket page with its links")
    assert_fits_every_width(page, "ticket page with its links")
