"""The guide's first steps in a real browser: invitation mail → password → Accueil → every tab."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Invitation, User
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABS = ["Accueil", "Mon affichage", "Afficher les tickets", "Ouvrir un ticket", "Mon compte"]
NEW_PASSWORD = "Baguette-Tradition-31"


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_staff_invites_client_who_creates_password_and_visits_every_tab(
    page: Page, live_server: Any, smtp: Any, staff_user: Any, organisation: Any, shoot: Any
) -> None:
    # ATM staff invite the client from the organisation's page in the admin.
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.get_by_label("Adresse e-mail").fill(staff_user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.goto(f"{live_server.url}/admin/accounts/organisation/{organisation.pk}/change/")
    page.get_by_role("link", name="Inviter un utilisateur").click()
    page.get_by_label("Adresse e-mail").fill("lea@boulangerie-martin.fr")
    page.get_by_label("Prénom").fill("Léa")
    shoot(page, "01-admin-invite")
    page.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.locator(".messagelist")).to_contain_text("Invitation envoyée")
    page.context.clear_cookies()

    # The client opens the link of the mail she received.
    [mail] = smtp.wait_for("lea@boulangerie-martin.fr")
    [link] = [url for url in mail.links() if "/invitation/" in url]
    assert link.startswith(live_server.url)
    page.goto(link)
    expect(page.get_by_role("heading", name="Création du mot de passe")).to_be_visible()
    shoot(page, "02-creation-mot-de-passe")

    # A weak password is refused in French, then a good one is accepted.
    page.get_by_label("Mot de passe*", exact=True).fill("123")
    page.get_by_label("Confirmation du mot de passe").fill("123")
    page.get_by_role("button", name="Créer mon mot de passe").click()
    expect(page.locator(".invalid-feedback, .text-danger").first).to_contain_text("trop court")
    page.get_by_label("Mot de passe*", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirmation du mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Créer mon mot de passe").click()

    # She lands on Accueil, signed in.
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Accueil")).to_be_visible()
    expect(page.locator("#last-login")).to_contain_text("première connexion")
    assert Invitation.objects.get(user__email="lea@boulangerie-martin.fr").used_at is not None
    shoot(page, "03-accueil")

    # Every tab of the guide, by clicking the top bar.
    for index, tab in enumerate(TABS, start=4):
        page.get_by_role("navigation", name="Navigation principale").get_by_role(
            "link", name=tab, exact=True
        ).click()
        expect(page.get_by_role("heading", name=tab, exact=True)).to_be_visible()
        expect(
            page.get_by_role("link", name=tab, exact=True).and_(page.locator("[aria-current=page]"))
        ).to_be_visible()
        shoot(page, f"{index:02d}-{tab.lower().replace(' ', '-')}")

    # The quick search box leads to the list.
    page.get_by_label("Rechercher un ticket (numéro ou texte)").fill("imprimante")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/tickets/\?q=imprimante$"))

    # « Fermer la session », then a later login shows the previous one on Accueil.
    page.get_by_role("button", name="Fermer la session").click()
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    page.get_by_label("Adresse e-mail").fill("lea@boulangerie-martin.fr")
    page.get_by_label("Mot de passe*", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#last-login")).to_contain_text("Dernière connexion : ")
    expect(page.locator("#last-login")).not_to_contain_text("première connexion")
    assert User.objects.get(email="lea@boulangerie-martin.fr").previous_login is not None


def test_every_page_fits_a_phone_and_the_menu_opens(
    page: Page, live_server: Any, client_user: Any, shoot: Any
) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/connexion/")
    assert no_horizontal_scroll(page)
    shoot(page, "phone-connexion")
    page.get_by_label("Adresse e-mail").fill(client_user.email)
    page.get_by_label("Mot de passe*", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    for path in ["/", "/mon-affichage/", "/tickets/", "/tickets/nouveau/", "/mon-compte/"]:
        page.goto(f"{live_server.url}{path}")
        assert no_horizontal_scroll(page), path
    shoot(page, "phone-mon-compte")

    # The tabs fold into a menu button that opens with the keyboard.
    menu = page.get_by_role("button", name="Ouvrir le menu")
    expect(menu).to_be_visible()
    menu.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#menu")).to_have_class(re.compile(r"\bshow\b"))
    expect(
        page.get_by_role("link", name="Fermer la session").or_(
            page.get_by_role("button", name="Fermer la session")
        )
    ).to_be_visible()
    shoot(page, "phone-menu")
