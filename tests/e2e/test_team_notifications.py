"""A technician asks, in « Mes préférences », for the new tickets of one organisation; a client of
that organisation reports a ticket in the portal; the technician and the team's address
(SUPPORT_TEAM_EMAIL) get its mail from the real worker. The page stays accessible."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from notifications.models import Notification, Reason
from tests.e2e.axe import assert_accessible, assert_fits_every_width, axe_available
from tests.factories import PASSWORD, CategoryFactory, ClientFactory, StaffFactory
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEAM = "equipe@atm-consulting.fr"


def admin_log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page.locator("#user-tools")).to_be_visible()


def test_technician_opts_in_and_a_portal_ticket_reaches_them_and_the_team_address(
    page: Page,
    other_page: Any,
    live_server: Any,
    mail_worker: Any,
    smtp: Any,
    organisation: Any,
    other_organisation: Any,
    settings: Any,
    shoot: Any,
) -> None:
    settings.SUPPORT_TEAM_EMAIL = TEAM  # read by the live server, in this process
    settings.INBOUND_ADDRESS = ""
    CategoryFactory(name="Anomalie")
    tech = StaffFactory(email="tom@atm-consulting.fr", first_name="Tom", last_name="Leroy")
    elsewhere = StaffFactory(email="ines@atm-consulting.fr", notify_new_tickets="chosen")
    elsewhere.notify_organisations.set([other_organisation])
    reporter = ClientFactory(
        email="paul@boulangerie-martin.fr", first_name="Paul", organisation=organisation
    )
    base = live_server.url

    # The technician finds their page in the admin's user tools.
    admin_log_in(page, base, tech.email)
    page.locator("#user-tools").get_by_role("link", name="Mes préférences").click()
    expect(page.get_by_role("heading", name="Mes préférences", level=1)).to_be_visible()
    new_tickets = page.get_by_role("group", name="Nouveaux tickets")
    new_tickets.get_by_label("Ceux des organisations choisies").check()
    page.get_by_label("Réponses des clients sur les tickets sans responsable").check()
    # No organisation ticked: refused in French, the choices kept.
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".errorlist")).to_contain_text("Cochez au moins une organisation")
    expect(new_tickets.get_by_label("Ceux des organisations choisies")).to_be_checked()
    replies = page.get_by_label("Réponses des clients sur les tickets sans responsable")
    expect(replies).to_be_checked()
    page.get_by_role("group", name="Organisations choisies").get_by_label(
        "Boulangerie Martin"
    ).check()
    shoot(page, "mes-preferences-saisie")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "Vos préférences de notification sont enregistrées."
    )
    expect(
        page.get_by_role("group", name="Organisations choisies").get_by_label("Boulangerie Martin")
    ).to_be_checked()
    shoot(page, "mes-preferences")
    tech.refresh_from_db()
    assert tech.notify_new_tickets == User.NewTickets.CHOSEN
    assert list(tech.notify_organisations.values_list("name", flat=True)) == ["Boulangerie Martin"]

    # The client reports a ticket in the portal.
    customer = other_page()
    customer.goto(f"{base}/connexion/")
    customer.get_by_label("Adresse e-mail").fill(reporter.email)
    customer.get_by_label("Mot de passe").fill(PASSWORD)
    customer.get_by_role("button", name="Se connecter").click()
    customer.get_by_role("link", name="Ouvrir un ticket", exact=True).first.click()
    customer.get_by_label("Catégorie").select_option(label="Anomalie")
    customer.get_by_label("Résumé").fill("La caisse ne s'ouvre plus")
    customer.get_by_label("Description", exact=False).first.fill("Le tiroir reste bloqué.")
    customer.get_by_role("button", name="Soumettre le rapport").click()
    expect(customer.locator(".alert-success")).to_be_visible()
    ticket = Ticket.objects.get()

    # The worker mails both: the technician, and the team's address, which is no user.
    admin_link = f"{base}/admin/tickets/ticket/{ticket.pk}/change/"
    [mail] = smtp.wait_for(tech.email)
    assert mail.subject.startswith(f"[ATM {ticket.display_number}] La caisse ne s'ouvre plus")
    assert "Bonjour Tom," in mail.text
    assert "vous avez choisi de recevoir les nouveaux tickets" in mail.text
    assert f"{base}/admin/mes-preferences/" in mail.text
    assert admin_link in mail.links()
    [mail] = smtp.wait_for(TEAM)
    assert mail.text.startswith("Bonjour,")
    assert "adresse de l'équipe ATM" in mail.text
    assert mail.links() == [admin_link]
    assert set(Notification.objects.values_list("recipient__email", "address", "reason")) == {
        (tech.email, "", Reason.NEW_TICKET),
        (None, TEAM, Reason.TEAM_ADDRESS),
    }
    assert smtp.to(elsewhere.email) == []  # Cabinet Durand's only

    # The technician follows the link of the mail to the ticket, in the admin.
    page.goto(admin_link)
    expect(page).to_have_url(admin_link)
    expect(page.locator("#content")).to_contain_text("La caisse ne s'ouvre plus")


@pytest.mark.skipif(not axe_available(), reason="axe-core absent: run `npm ci`")
def test_preferences_page_is_accessible_and_fits_every_width(
    audit_page: Any, live_server: Any, organisation: Any, other_organisation: Any, shoot: Any
) -> None:
    tech: Any = StaffFactory(email="tom@atm-consulting.fr", notify_new_tickets="chosen")
    tech.notify_organisations.set([organisation])

    page = audit_page(tech)
    page.goto(f"{live_server.url}/admin/mes-preferences/")
    expect(page.get_by_role("heading", name="Mes préférences", level=1)).to_be_visible()
    assert_accessible(page, "« Mes préférences »")
    assert_fits_every_width(page, "« Mes préférences »")
    # With its errors too.
    page.get_by_role("group", name="Organisations choisies").get_by_label(
        "Boulangerie Martin"
    ).uncheck()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".errorlist")).to_contain_text("Cochez au moins une organisation")
    assert_accessible(page, "« Mes préférences » with errors")
    page.set_viewport_size({"width": 375, "height": 740})
    shoot(page, "mes-preferences-telephone")
