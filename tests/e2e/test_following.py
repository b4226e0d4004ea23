"""A client clicks « Suivre ce ticket » and adds a colleague, who gets the next note's mail from
the real worker; the ticket page's « Suivi du ticket » stays accessible and fits every width."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.axe import assert_accessible, assert_fits_every_width, axe_available
from tests.factories import PASSWORD, ClientFactory, StaffFactory, make_ticket
from tickets.models import Follower
from tickets.workflow import note_add

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Accueil")).to_be_visible()


def test_client_follows_and_adds_a_colleague_who_gets_the_next_note(
    page: Page,
    live_server: Any,
    mail_worker: Any,
    smtp: Any,
    organisation: Any,
    shoot: Any,
) -> None:
    reporter = ClientFactory(
        email="paul@boulangerie-martin.fr",
        first_name="Paul",
        last_name="Martin",
        organisation=organisation,
    )
    me = ClientFactory(
        email="lea@boulangerie-martin.fr",
        first_name="Léa",
        last_name="Caissière",
        organisation=organisation,
    )
    colleague = ClientFactory(
        email="julie@boulangerie-martin.fr",
        first_name="Julie",
        last_name="Comptable",
        organisation=organisation,
    )
    ticket = make_ticket(reporter=reporter, summary="La caisse ne s'ouvre plus")
    base = live_server.url
    log_in(page, base, me.email)
    page.goto(f"{base}{ticket.get_absolute_url()}")

    section = page.get_by_role("region", name="Suivi du ticket")
    expect(section).to_contain_text("Paul Martin")
    section.get_by_role("button", name="Suivre ce ticket").click()
    expect(page.get_by_text("Vous suivez ce ticket")).to_be_visible()
    expect(section.get_by_role("button", name="Ne plus suivre ce ticket")).to_be_visible()
    expect(section).to_contain_text("Léa Caissière")

    section.get_by_label("Ajouter une personne à contacter").select_option(label="Julie Comptable")
    section.get_by_role("button", name="Ajouter", exact=True).click()
    expect(page.get_by_text("Julie Comptable suit maintenant ce ticket.")).to_be_visible()
    expect(
        section.get_by_role("button", name="Retirer Julie Comptable des abonnés")
    ).to_be_visible()
    shoot(page, "suivi-du-ticket")
    assert set(Follower.objects.values_list("user__email", "muted", "added_by__email")) == {
        (me.email, False, me.email),
        (colleague.email, False, me.email),
    }

    note_add(ticket=ticket, author=StaffFactory(), text="Le tiroir-caisse est-il branché ?")
    [mail] = smtp.wait_for(colleague.email)
    assert "Le tiroir-caisse est-il branché ?" in mail.text
    smtp.wait_for(me.email)


@pytest.mark.skipif(not axe_available(), reason="axe-core absent: run `npm ci`")
def test_followers_section_is_accessible_and_fits_every_width(
    audit_page: Any, live_server: Any, organisation: Any, shoot: Any
) -> None:
    reporter: Any = ClientFactory(
        email="paul@boulangerie-martin.fr",
        first_name="Paul",
        last_name="Martin",
        organisation=organisation,
    )
    colleague: Any = ClientFactory(
        email="julie.comptable-et-gestionnaire@boulangerie-martin.fr",
        first_name="Julie-Marguerite",
        last_name="Comptable-Gestionnaire",
        organisation=organisation,
    )
    ClientFactory(organisation=organisation, first_name="Marc", last_name="Vendeur")
    ticket = make_ticket(reporter=reporter)
    Follower.objects.create(ticket=ticket, user=colleague, added_by=reporter)

    page = audit_page(reporter)
    page.goto(f"{live_server.url}{ticket.get_absolute_url()}")
    section = page.get_by_role("region", name="Suivi du ticket")
    expect(section).to_contain_text("Paul Martin (vous)")
    expect(section.get_by_label("Ajouter une personne à contacter")).to_be_visible()
    assert_accessible(page, "ticket page with its followers")
    assert_fits_every_width(page, "ticket page with its followers")
    page.set_viewport_size({"width": 375, "height": 740})
    shoot(page, "suivi-du-ticket-telephone")
