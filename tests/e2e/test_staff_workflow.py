"""A technician works a ticket in the admin; the client watches its colour change in the portal."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.factories import PASSWORD, make_ticket
from tickets.models import Note, State, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# PRODUCT.md's Mantis colours, as getComputedStyle reports them.
PINK = "rgb(252, 189, 189)"  # Nouveau, #fcbdbd
ORANGE = "rgb(255, 205, 133)"  # En analyse, #ffcd85
BLUE = "rgb(194, 223, 255)"  # Affecté, #c2dfff
PURPLE = "rgb(227, 183, 235)"  # Commentaire, #e3b7eb


def badge(page: Page) -> tuple[str, str]:
    """The state badge of the portal's ticket page: (label, background colour)."""
    state = page.locator("#ticket-state")
    colour = state.evaluate("element => getComputedStyle(element).backgroundColor")
    return state.inner_text().strip(), str(colour)


def client_sees(page: Page, url: str, label: str, colour: str) -> None:
    page.goto(url)
    expect(page.locator("#ticket-state")).to_have_text(label)
    assert badge(page) == (label, colour)


def test_technician_acknowledges_assigns_and_asks_while_the_client_sees_each_colour(
    page: Page, browser: Browser, live_server: Any, staff_user: Any, client_user: Any, shoot: Any
) -> None:
    base = live_server.url
    ticket = make_ticket(reporter=client_user, summary="L'export comptable est vide")

    # The client, in a browser of her own, looks at her ticket: pink, « Nouveau ».
    portal = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    customer = portal.new_page()
    customer.goto(f"{base}/connexion/")
    customer.get_by_label("Adresse e-mail").fill(client_user.email)
    customer.get_by_label("Mot de passe").fill(PASSWORD)
    customer.get_by_role("button", name="Se connecter").click()
    expect(customer.get_by_role("heading", name="Accueil")).to_be_visible()
    ticket_url = f"{base}/tickets/{ticket.number}/"
    client_sees(customer, ticket_url, "Nouveau", PINK)

    # The technician signs in to the admin and opens the ticket from the list.
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.get_by_label("Adresse e-mail").fill(staff_user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page.locator("#ticket-board")).to_contain_text("1 ticket attend l'équipe ATM")
    shoot(page, "staff-01-tableau-de-bord")
    page.goto(f"{base}/admin/tickets/ticket/")
    expect(page.locator("#result_list .state-new")).to_have_text("Nouveau")
    shoot(page, "staff-02-liste")
    page.get_by_role("link", name=ticket.display_number).click()
    shoot(page, "staff-03-ticket-nouveau")

    # 1. Acknowledge in one click → En analyse (orange).
    page.get_by_role("button", name="Accuser réception (→ En analyse)").click()
    expect(page.locator(".messagelist")).to_contain_text("réception accusée")
    expect(page.locator(".ticket-banner .state")).to_have_text("En analyse")
    client_sees(customer, ticket_url, "En analyse", ORANGE)
    shoot(customer, "staff-04-client-en-analyse")

    # 2. Assign it (to herself, from the « Affecté à » list) → Affecté (blue).
    page.get_by_label("Affecté à").select_option(label=str(staff_user))
    page.get_by_role("button", name="Enregistrer et continuer les modifications").click()
    expect(page.locator(".ticket-banner")).to_contain_text(f"Affecté à {staff_user}")
    expect(page.locator(".ticket-banner .state")).to_have_text("Affecté")
    shoot(page, "staff-05-ticket-affecte")
    client_sees(customer, ticket_url, "Affecté", BLUE)
    expect(customer.locator("#ticket-handler")).to_have_text(str(staff_user))

    # 3. Ask the client a question with the list's action → Commentaire (purple).
    page.goto(f"{base}/admin/tickets/ticket/")
    page.locator(f'input[name="_selected_action"][value="{ticket.pk}"]').check()
    page.locator('select[name="action"]').first.select_option("ask_client")
    page.get_by_role("button", name="Exécuter").first.click()
    page.get_by_label("Question au client").fill("Sur quel exercice comptable ?")
    page.get_by_label("Temps passé (minutes), par ticket").fill("10")
    shoot(page, "staff-06-question")
    page.get_by_role("button", name="Demander au client").click()
    expect(page.locator(".messagelist")).to_contain_text("Question posée")
    expect(page.locator("#result_list .state-feedback")).to_have_text("Commentaire")
    expect(page.locator("#result_list .field-time_spent").first).to_have_text("10 min")
    shoot(page, "staff-07-liste-commentaire")
    client_sees(customer, ticket_url, "Commentaire", PURPLE)
    expect(customer.get_by_text("Sur quel exercice comptable ?")).to_be_visible()
    expect(customer.get_by_text("L'équipe ATM attend votre réponse")).to_be_visible()
    shoot(customer, "staff-08-client-commentaire")

    ticket.refresh_from_db()
    assert (ticket.state, ticket.handler_id) == (State.FEEDBACK, staff_user.pk)
    assert Note.objects.filter(ticket=ticket, is_private=False, minutes_spent=10).count() == 1
    portal.close()


def test_private_note_is_marked_in_the_admin_and_absent_from_the_portal(
    page: Page, browser: Browser, live_server: Any, staff_user: Any, client_user: Any, shoot: Any
) -> None:
    base = live_server.url
    ticket = make_ticket(reporter=client_user, state=State.ACKNOWLEDGED)
    page.goto(f"{base}/admin/login/?next=/admin/tickets/ticket/{ticket.pk}/change/")
    page.get_by_label("Adresse e-mail").fill(staff_user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()

    private = page.locator("#id_notes-0-is_private")
    expect(page.locator('label[for="id_notes-0-is_private"]')).to_have_text(
        "Note privée (invisible du client)"
    )
    expect(private).not_to_be_checked()
    page.locator('textarea[name="notes-0-text"]').fill("Piste interne : index corrompu")
    form = page.locator(".new-note #notes-0")
    plain = form.evaluate("element => getComputedStyle(element).backgroundColor")
    private.check()
    # Ticked, the whole form turns amber: nobody posts a private note by mistake, or the reverse.
    expect(form).not_to_have_css("background-color", plain)
    shoot(page, "staff-09-note-privee")
    page.get_by_role("button", name="Enregistrer et continuer les modifications").click()
    expect(page.locator(".ticket-note-private")).to_contain_text("Privée — invisible du client")
    shoot(page, "staff-10-note-privee-enregistree")

    portal = browser.new_context(locale="fr-FR")
    customer = portal.new_page()
    customer.goto(f"{base}/connexion/?next=/tickets/{ticket.number}/")
    customer.get_by_label("Adresse e-mail").fill(client_user.email)
    customer.get_by_label("Mot de passe").fill(PASSWORD)
    customer.get_by_role("button", name="Se connecter").click()
    expect(customer.locator("#ticket-state")).to_have_text("En analyse")
    expect(customer.get_by_text("Piste interne")).to_have_count(0)
    assert Ticket.objects.get(pk=ticket.pk).notes.get().is_private
    portal.close()
