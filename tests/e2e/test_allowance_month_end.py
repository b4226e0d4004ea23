"""The client watches the month end: the balance drops by the ticket's time, the ticket turns
grey, and the month's statement lists it (desktop and phone widths)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from allowances.ledger import adjustment_create, revision_create
from allowances.models import Kind, LedgerEntry
from allowances.month_end import close_month
from allowances.periods import current_period, format_period, period_label, previous_period
from atm_support.minutes import MINUS
from tests.allowances.conftest import paris, resolved_ticket
from tests.factories import PASSWORD, ClientFactory, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GREEN = "rgb(210, 245, 176)"  # Résolu, #d2f5b0
GREY = "rgb(201, 204, 196)"  # Fermé, #c9ccc4


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Accueil")).to_be_visible()


def badge(page: Page) -> tuple[str, str]:
    state = page.locator("#ticket-state")
    colour = state.evaluate("element => getComputedStyle(element).backgroundColor")
    return state.inner_text().strip(), str(colour)


def test_client_sees_the_balance_drop_and_the_ticket_turn_grey_after_month_end(
    page: Page,
    browser: Browser,
    live_server: Any,
    client_user: Any,
    staff_user: Any,
    shoot: Any,
) -> None:
    base = live_server.url
    this_month = current_period()
    last_month = previous_period(this_month)
    start = previous_period(last_month)
    organisation = client_user.organisation
    # 1 h a month since two months ago; the month end of that month ran on time.
    revision_create(
        organisation=organisation,
        minutes_per_month=60,
        effective_from=start,
        by=staff_user,
        now=paris(start.year, start.month, 2),
    )
    close_month(period=start)
    # Last month: a ticket worked 1 h 20 (counted 1 h 30), resolved, not closed yet.
    ticket = resolved_ticket(
        reporter=client_user,
        technician=staff_user,
        resolved_at=paris(last_month.year, last_month.month, 20, 16),
        minutes=(50, 30),
        summary="Les relances clients ne partent plus",
    )

    log_in(page, base, client_user.email)
    expect(page.locator("#balance")).to_have_text("2 h")
    expect(page.locator("#balance-pending")).to_have_text("1 h 30")
    shoot(page, "allowance-01-accueil-avant")
    page.goto(f"{base}{ticket.get_absolute_url()}")
    assert badge(page) == ("Résolu", GREEN)
    expect(page.locator("#ticket-time")).to_contain_text("1 h 20")
    expect(page.locator("#ticket-time")).to_contain_text("sera décompté à la fin du mois : 1 h 30")

    # Beat's run on the 1st at 00:05 (Paris).
    close_month(period=last_month)

    page.goto(f"{base}/")
    # 2 h - 1 h 30 + 1 h credited for this month.
    expect(page.locator("#balance")).to_have_text("1 h 30")
    expect(page.locator("#balance-pending")).to_have_text("0 h")
    expect(page.locator("#balance-consumed")).to_have_text("1 h 30")
    shoot(page, "allowance-02-accueil-apres")
    page.goto(f"{base}{ticket.get_absolute_url()}")
    assert badge(page) == ("Fermé", GREY)
    debit = LedgerEntry.objects.get(ticket=ticket, kind=Kind.DEBIT)
    expect(page.locator("#ticket-time")).to_contain_text(
        f"décompté le {timezone.localtime(debit.created_at):%d/%m/%Y} : 1 h 30"
    )
    expect(page.locator("#ticket-time")).to_contain_text(
        f"sur le relevé de {period_label(last_month)}"
    )
    shoot(page, "allowance-03-ticket-ferme")

    # The statement of last month, from Accueil's link, lists the ticket with a link to it.
    page.goto(f"{base}/")
    page.locator("#statements-link").click()
    expect(page.get_by_role("heading", name="Relevé d'heures")).to_be_visible()
    page.get_by_role("link", name=period_label(last_month).capitalize()).click()
    expect(page.locator("#statement-debited")).to_have_text("1 h 30")
    expect(page.locator("#statement-closing")).to_contain_text("0 h 30")
    shoot(page, "allowance-04-releve-mois")
    page.get_by_role("link", name=ticket.display_number).click()
    expect(page.locator("#ticket-state")).to_have_text("Fermé")

    # A phone, and an overage: the same pages at 375 px, the negative balance in red.
    adjustment_create(organisation=organisation, minutes=-150, memo="Reprise", by=staff_user)
    phone = browser.new_context(locale="fr-FR", viewport={"width": 375, "height": 812})
    mobile = phone.new_page()
    log_in(mobile, base, client_user.email)
    expect(mobile.locator("#balance")).to_have_text(f"{MINUS}1 h")
    colour = mobile.locator("#balance").evaluate("e => getComputedStyle(e).color")
    assert colour == "rgb(220, 53, 69)"  # Bootstrap's danger red
    expect(mobile.locator("#balance-overage")).to_have_text("Dépassement")
    shoot(mobile, "allowance-05-accueil-mobile")
    mobile.goto(f"{base}/releve-heures/")
    shoot(mobile, "allowance-06-releves-mobile")
    mobile.goto(f"{base}/releve-heures/{format_period(last_month)}/")
    shoot(mobile, "allowance-07-releve-mobile")
    # Nothing wider than the phone's screen.
    width = mobile.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width
    phone.close()
    page.goto(f"{base}/releve-heures/")
    shoot(page, "allowance-08-releves")


def test_staff_see_organisations_by_balance_and_adjust_one(
    page: Page, live_server: Any, staff_user: Any, shoot: Any
) -> None:
    base = live_server.url
    for name, minutes in (("Atelier Bois", 240), ("Cabinet Durand", -75), ("Pharmacie Leroy", 20)):
        organisation = OrganisationFactory(name=name)
        ClientFactory(organisation=organisation)
        revision_create(
            organisation=organisation,
            minutes_per_month=120,
            effective_from=current_period(),
            by=staff_user,
        )
        adjustment_create(
            organisation=organisation, minutes=minutes - 120, memo="Reprise", by=staff_user
        )
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.get_by_label("Adresse e-mail").fill(staff_user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.goto(f"{base}/admin/allowances/organisationbalance/")
    rows = page.locator("#result_list tbody tr")
    expect(rows.first).to_contain_text("Cabinet Durand")
    expect(rows.first).to_contain_text(f"{MINUS}1 h 15")
    shoot(page, "allowance-09-admin-soldes")
    rows.first.get_by_role("link", name="Ajuster le solde").click()
    page.get_by_label("Minutes").fill("120")
    page.get_by_label("Motif").fill("Geste commercial : incident serveur")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".messagelist")).to_contain_text("Ajustement de +2 h enregistré")
    expect(page.locator("body")).to_contain_text("Geste commercial : incident serveur")
    shoot(page, "allowance-10-admin-organisation")
