"""E-mail in, as people meet it in Chromium (issue #14): a client's reply by mail is a note she
reads on her ticket; staff decide in the admin what an unknown sender's mail becomes.

The mails are put in a real Dovecot (tests/mail/conftest.py) with IMAP APPEND and read by one
pass of mail.inbound.fetch in the test's process; the live server shares its database.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from mail.inbound import fetch, tokens
from mail.inbound.mailbox import PROCESSED
from notifications.models import Inbound, InboundMail
from tests.e2e.axe import assert_accessible, assert_fits_every_width, axe_available
from tests.e2e.test_accessibility import ADMIN_EXCLUDED_RULES, ADMIN_WIDTHS
from tests.factories import PASSWORD, CategoryFactory, make_ticket
from tests.mail.conftest import dovecot, mailbox_url  # noqa: F401
from tests.mail.test_inbound import PNG, SUPPORT, message
from tickets.models import Attachment, Note, State, Ticket
from tickets.workflow import ticket_assign, ticket_change_state

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A French Gmail answer: the new text on top, then Gmail's attribution line and the quoted mail.
GMAIL_REPLY = (
    "Bonjour,\n"
    "\n"
    "C'est bon, la facture F-2026-118 s'imprime de nouveau. Merci !\n"
    "\n"
    "Le jeu. 3 déc. 2026 à 09:00, ATM Support <support@atm-consulting.fr> a écrit :\n"
    "> Bonjour,\n"
    ">\n"
    "> Pouvez-vous réessayer d'imprimer la facture depuis la liste ?\n"
    ">\n"
    "> --\n"
    "> L'équipe ATM Support\n"
)


@pytest.fixture
def inbound(mailbox_url: str, settings: Any, smtp: Any, tmp_path: Path) -> str:  # noqa: F811
    """The support mailbox, emptied; the mails' .eml and attachments in a media of the test."""
    settings.INBOUND_IMAP_URL = mailbox_url
    settings.INBOUND_ADDRESS = SUPPORT
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    return mailbox_url


def portal_login(page: Page, base: str, user: Any, next_url: str) -> None:
    page.goto(f"{base}/connexion/?next={next_url}")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def admin_login(page: Page, base: str, user: Any) -> None:
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()


def test_a_clients_reply_by_mail_is_a_note_she_reads_on_her_ticket(
    page: Page,
    live_server: Any,
    inbound: str,
    dovecot: Any,  # noqa: F811
    client_user: Any,
    staff_user: Any,
    shoot: Any,
) -> None:
    base = live_server.url
    ticket = make_ticket(reporter=client_user, summary="La facture ne s'imprime pas")
    ticket_assign(ticket=ticket, handler=staff_user, by=staff_user)
    ticket_change_state(ticket=ticket, to=State.FEEDBACK, by=staff_user)

    # The client answers the notification from Gmail: the mail goes to its signed Reply-To.
    dovecot.append(
        message(
            sender=f"Paul Martin <{client_user.email}>",
            to=tokens.reply_address(ticket.number, client_user.pk),
            subject=f"Re: [ATM {ticket.display_number}] La facture ne s'imprime pas",
            text=GMAIL_REPLY,
        )
    )
    assert fetch.fetch(url=inbound) == {PROCESSED: 1}

    portal_login(page, base, client_user, f"/tickets/{ticket.number}/")
    expect(page.locator("#ticket-state")).to_have_text("Affecté")
    notes = page.locator("#notes article.note")
    expect(notes).to_have_count(1)
    expect(notes.first).to_contain_text(str(client_user))
    expect(notes.first).to_contain_text("la facture F-2026-118 s'imprime de nouveau. Merci !")
    # Gmail's attribution and the quoted mail stay out of the note (they are in the .eml).
    expect(notes.first).not_to_contain_text("a écrit")
    expect(notes.first).not_to_contain_text("Pouvez-vous réessayer")
    expect(page.locator("#notes")).not_to_contain_text(">")
    shoot(page, "inbound-01-reponse-par-courriel")

    note = Note.objects.get(ticket=ticket)
    assert note.author == client_user
    assert "F-2026-118" in note.text
    assert "a écrit" not in note.text
    mail = InboundMail.objects.get()
    assert (mail.status, mail.ticket, mail.note) == (Inbound.NOTE, ticket, note)
    ticket.refresh_from_db()
    assert ticket.state == State.ASSIGNED


def test_staff_open_a_ticket_from_an_unknown_senders_mail(
    page: Page,
    audit_page: Callable[..., Page],
    live_server: Any,
    inbound: str,
    dovecot: Any,  # noqa: F811
    client_user: Any,
    staff_user: Any,
    shoot: Any,
) -> None:
    base = live_server.url
    category = CategoryFactory(name="Question")
    dovecot.append(
        message(
            sender="Jeanne Roux <jeanne.roux@inconnu.fr>",
            subject="Export des factures impossible",
            text="Bonjour,\n\nL'export des factures de novembre renvoie une page blanche.\n",
            files=[("capture.png", PNG, "image/png")],
        )
    )
    assert fetch.fetch(url=inbound) == {PROCESSED: 1}
    mail = InboundMail.objects.get()
    assert mail.status == Inbound.UNATTACHED
    assert not Ticket.objects.exists()

    # From the admin's index to the list of waiting mails, then to the mail.
    admin_login(page, base, staff_user)
    page.get_by_role("link", name="Courriels non rattachés").first.click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("jeanne.roux@inconnu.fr")
    expect(rows.first).to_contain_text("Export des factures impossible")
    shoot(page, "inbound-02-courriels-non-rattaches")
    rows.first.locator("a").first.click()
    expect(
        page.get_by_text("L'export des factures de novembre renvoie une page blanche.")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Télécharger le courriel (.eml)")).to_be_visible()
    expect(page.locator("#content-main")).to_contain_text("capture.png")
    shoot(page, "inbound-03-decision")

    # « L'ajouter en note » without a number: the error, and the choice kept.
    attach = page.get_by_label("L'ajouter en note à un ticket")
    attach.check()
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text("Indiquez le numéro du ticket.")).to_be_visible()
    expect(page.get_by_label("L'ajouter en note à un ticket")).to_be_checked()
    shoot(page, "inbound-04-decision-erreur")
    assert InboundMail.objects.get().status == Inbound.UNATTACHED

    # « Ouvrir un ticket au nom d'un client »: the client, a category, and the ticket is there.
    page.get_by_label("Ouvrir un ticket au nom d'un client").check()
    page.get_by_label("Client rapporteur").select_option(
        label=f"{client_user.organisation} — {client_user} <{client_user.email}>"
    )
    page.get_by_label("Catégorie").select_option(label=str(category))
    page.get_by_role("button", name="Valider").click()
    ticket = Ticket.objects.get()
    expect(page.locator(".messagelist")).to_have_text(
        f"Ticket {ticket.display_number} ouvert à partir du courriel."
    )
    assert page.url.endswith(f"/admin/tickets/ticket/{ticket.pk}/change/")
    shoot(page, "inbound-05-ticket-ouvert")
    assert (ticket.summary, ticket.reporter, ticket.category) == (
        "Export des factures impossible",
        client_user,
        category,
    )
    assert "page blanche" in ticket.description
    assert [a.original_name for a in Attachment.objects.filter(ticket=ticket)] == ["capture.png"]
    mail.refresh_from_db()
    assert (mail.status, mail.ticket, mail.handled_by) == (Inbound.TICKET, ticket, staff_user)

    # Nothing waits any more.
    page.goto(f"{base}/admin/notifications/unattachedmail/")
    expect(page.locator("#result_list tbody tr")).to_have_count(0)
    shoot(page, "inbound-06-liste-vide")

    # The decision page is checked by axe as the other admin pages are, with and without its
    # error, on a mail of its own (the first one is handled now).
    if not axe_available():
        pytest.fail("axe-core is missing: `make test` runs `npm ci` (node_modules/axe-core).")
    dovecot.append(message(sender="autre@inconnu.fr", subject="Une autre question"))
    assert fetch.fetch(url=inbound) == {PROCESSED: 1}
    other = InboundMail.objects.get(status=Inbound.UNATTACHED)
    audit = audit_page(staff_user)
    audit.goto(f"{base}/admin/notifications/unattachedmail/{other.pk}/change/")
    expect(audit.get_by_role("button", name="Valider")).to_be_visible()
    assert_fits_every_width(audit, "admin-courriel-non-rattache", ADMIN_WIDTHS)
    assert_accessible(audit, "admin-courriel-non-rattache", disabled_rules=ADMIN_EXCLUDED_RULES)
    audit.get_by_label("L'ajouter en note à un ticket").check()
    audit.get_by_role("button", name="Valider").click()
    expect(audit.get_by_text("Indiquez le numéro du ticket.")).to_be_visible()
    assert_accessible(
        audit, "admin-courriel-non-rattache-erreur", disabled_rules=ADMIN_EXCLUDED_RULES
    )
