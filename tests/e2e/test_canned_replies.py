"""A technician answers with a canned reply: picked beside the note, inserted in one click filled
for the ticket, sent; and the same reply, from the list's « Demander au client », filled for each
ticket."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from notifications.models import Notification
from tests.factories import PASSWORD, ClientFactory, make_ticket
from tickets.canned import CannedReply
from tickets.models import Note, State, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = (
    "Bonjour {prénom},\n\nPourriez-vous nous dire la version installée ({numéro}) ?\n{technicien}"
)


def sign_in(page: Page, base: str, user: Any, next_url: str) -> None:
    page.goto(f"{base}/admin/login/?next={next_url}")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()


def test_a_canned_reply_is_inserted_filled_for_the_ticket_and_sent_to_the_client(
    page: Page, live_server: Any, staff_user: Any, client_user: Any, shoot: Any
) -> None:
    base = live_server.url
    ticket = make_ticket(reporter=client_user, state=State.ACKNOWLEDGED)
    note_of_client = "Le logiciel plante à l'ouverture du module Caisse."
    Note.objects.create(ticket=ticket, author=client_user, text=note_of_client)
    reply = CannedReply.objects.create(title="Demander la version", text=TEXT, position=1)
    CannedReply.objects.create(title="Relance", text="Bonjour {prénom}, des nouvelles ?")
    CannedReply.objects.create(title="Ancienne formule", text="Retirée", is_active=False)

    sign_in(page, base, staff_user, f"/admin/tickets/ticket/{ticket.pk}/change/")
    # The client's last word and the note form are at the top of the page.
    expect(page.locator(".ticket-latest-client")).to_contain_text(note_of_client)
    # (The inline's hidden « empty form » template has its own picker: this is the shown one.)
    note_form = page.locator(".new-note #notes-0")
    picker = note_form.get_by_label("Réponse type")
    expect(picker.locator("option")).to_have_text(
        ["— Choisir une réponse type —", "Relance", "Demander la version"]
    )
    textarea = page.locator('textarea[name="notes-0-text"]')
    picker.select_option(label="Demander la version")
    note_form.get_by_role("button", name="Insérer").click()

    filled = (
        f"Bonjour {client_user.first_name},\n\nPourriez-vous nous dire la version installée "
        f"({ticket.display_number}) ?\n{staff_user.first_name}"
    )
    expect(textarea).to_have_value(filled)
    expect(textarea).to_be_focused()
    note_form.get_by_label("Temps passé (minutes)").fill("5")
    shoot(page, "canned-01-reponse-inseree")
    page.get_by_role("button", name="Enregistrer la note").click()

    expect(page.locator(".messagelist")).to_contain_text("modifié")
    expect(page.locator(".ticket-notes .ticket-note").first).to_contain_text("version installée")
    expect(page.locator(".ticket-notes .ticket-note").first).to_contain_text(
        "5 minutes facturables"
    )
    expect(page.locator(".field-time_spent_total")).to_contain_text(
        "5 min : 5 min facturables, 0 min non facturables"
    )
    shoot(page, "canned-02-note-envoyee")
    note = Note.objects.get(ticket=ticket, author=staff_user)
    assert (note.text, note.is_private, note.minutes_spent) == (filled, False, 5)
    # The client's mail is in the outbox, written with the note.
    assert Notification.objects.filter(event__note=note, recipient=client_user).count() == 1
    assert reply.pk  # the reply itself is unchanged: a template, not a draft
    assert CannedReply.objects.get(pk=reply.pk).text == TEXT


def test_a_canned_reply_in_ask_client_is_filled_for_each_ticket(
    page: Page, live_server: Any, staff_user: Any, client_user: Any, organisation: Any, shoot: Any
) -> None:
    base = live_server.url
    other = ClientFactory(organisation=organisation, first_name="Léa")
    tickets = [
        make_ticket(reporter=client_user, state=State.ACKNOWLEDGED),
        make_ticket(reporter=other, state=State.ACKNOWLEDGED, summary="Pas de ticket de caisse"),
    ]
    CannedReply.objects.create(title="Demander la version", text=TEXT)

    sign_in(page, base, staff_user, "/admin/tickets/ticket/")
    for ticket in tickets:
        page.locator(f'input[name="_selected_action"][value="{ticket.pk}"]').check()
    page.locator('select[name="action"]').first.select_option("ask_client")
    page.get_by_role("button", name="Exécuter").first.click()
    expect(page.get_by_text("remplis pour chaque ticket")).to_be_visible()
    page.get_by_label("Réponse type").select_option(label="Demander la version")
    page.get_by_role("button", name="Insérer").click()
    # Several tickets: the text as written, filled when the action runs.
    expect(page.get_by_label("Question au client")).to_have_value(TEXT)
    shoot(page, "canned-03-action-plusieurs-tickets")
    page.get_by_role("button", name="Demander au client").click()

    expect(page.locator(".messagelist")).to_contain_text("2 tickets passés « Commentaire »")
    for ticket, name in zip(tickets, ("Camille", "Léa"), strict=True):
        note = Note.objects.get(ticket=ticket)
        assert note.text.startswith(f"Bonjour {name},")
        assert f"({ticket.display_number})" in note.text
        assert Ticket.objects.get(pk=ticket.pk).state == State.FEEDBACK
        assert Notification.objects.filter(event__note=note, recipient=ticket.reporter).exists()


def test_the_replies_admin_and_the_picker_pass_the_accessibility_checks(
    audit_page: Any, live_server: Any, staff_user: Any, client_user: Any, shoot: Any
) -> None:
    """axe at a desktop's and a phone's width, as tests/e2e/test_accessibility.py checks the
    admin's ticket pages: the replies' list, their form with its error, the ticket page."""
    from tests.e2e.axe import (
        DESKTOP,
        PHONE,
        assert_accessible,
        assert_fits_every_width,
        assert_layout_holds,
        axe_available,
    )

    assert axe_available(), "axe-core is missing: `make test` runs `npm ci`."

    def check(page: Page, where: str) -> None:
        assert_fits_every_width(page, where, (DESKTOP["width"], PHONE["width"]))
        for size in (DESKTOP, PHONE):
            page.set_viewport_size(size)
            assert_layout_holds(page, f"{where}, {size['width']} px")
            assert_accessible(page, f"{where}, {size['width']} px")
        shoot(page, f"a11y-{where}")
        page.set_viewport_size(DESKTOP)

    base = live_server.url
    ticket = make_ticket(reporter=client_user, state=State.ACKNOWLEDGED)
    CannedReply.objects.create(title="Demander la version", text=TEXT)
    page = audit_page(staff_user)

    page.goto(f"{base}/admin/tickets/cannedreply/")
    expect(page.locator("#result_list")).to_contain_text("Demander la version")
    check(page, "admin-reponses-types")
    page.goto(f"{base}/admin/tickets/cannedreply/add/")
    page.get_by_label("Titre").fill("Relance")
    page.get_by_label("Texte").fill("Bonjour {prenon}")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator(".errorlist")).to_contain_text("Champ inconnu : {prenon}.")
    check(page, "admin-reponse-type-erreur")
    page.goto(f"{base}/admin/tickets/ticket/{ticket.pk}/change/")
    note_form = page.locator(".new-note #notes-0")
    note_form.get_by_label("Réponse type").select_option(label="Demander la version")
    note_form.get_by_role("button", name="Insérer").click()
    expect(page.locator('textarea[name="notes-0-text"]')).to_have_value(re.compile("^Bonjour"))
    check(page, "admin-ticket-reponse-type")
