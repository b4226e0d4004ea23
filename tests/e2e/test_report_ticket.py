"""A client reports a problem with a screenshot, then finds it again, as the guide tells."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, CategoryFactory
from tickets.models import Attachment, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PINK = "rgb(252, 189, 189)"  # #fcbdbd, Mantis' « Nouveau »


def screenshot_file(tmp_path: Path) -> Path:
    image = Image.new("RGB", (640, 400), "white")
    for x in range(100, 540):
        for y in range(150, 170):
            image.putpixel((x, y), (200, 30, 30))
    path = tmp_path / "capture-erreur.png"
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Accueil")).to_be_visible()


def test_client_reports_a_ticket_with_a_screenshot_and_finds_it(
    page: Page, live_server: Any, client_user: Any, shoot: Any, tmp_path: Path, settings: Any
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    CategoryFactory(name="Anomalie")
    CategoryFactory(name="Question")
    base = live_server.url
    log_in(page, base, client_user.email)

    page.get_by_role("link", name="Ouvrir un ticket", exact=True).first.click()
    expect(page.get_by_role("heading", name="Ouvrir un ticket")).to_be_visible()
    # Submitting empty keeps the user on the form with French messages.
    page.get_by_role("button", name="Soumettre le rapport").click()
    expect(page.locator(".invalid-feedback").first).to_contain_text("Ce champ est obligatoire.")

    page.get_by_label("Catégorie").select_option(label="Anomalie")
    page.get_by_label("Reproductibilité").select_option(label="Toujours")
    page.get_by_label("Impact").select_option(label="Majeur")
    page.get_by_label("Priorité").select_option(label="Élevée")
    page.get_by_label("Résumé").fill("Le bouton Imprimer ne répond plus")
    page.get_by_label("Description", exact=False).first.fill("Rien ne se passe au clic.")
    page.get_by_label("Étapes pour reproduire").fill("1. Ouvrir une facture\n2. Imprimer")
    page.get_by_label("Informations complémentaires").fill("Contact : Léa, poste 12")
    page.get_by_label("Joindre un fichier").set_input_files(str(screenshot_file(tmp_path)))
    shoot(page, "20-ouvrir-un-ticket")
    page.get_by_role("button", name="Soumettre le rapport").click()

    ticket = Ticket.objects.get()
    expect(page).to_have_url(f"{base}/tickets/{ticket.number}/")
    expect(page.locator(".alert-success")).to_contain_text(ticket.display_number)
    badge = page.locator("#ticket-state")
    expect(badge).to_have_text("Nouveau")
    assert badge.evaluate("e => getComputedStyle(e).backgroundColor") == PINK
    thumbnail = page.get_by_role("img", name="Aperçu de capture-erreur.png")
    expect(thumbnail).to_be_visible()
    assert thumbnail.evaluate("img => img.naturalWidth") > 0
    assert Attachment.objects.get(ticket=ticket).original_name == "capture-erreur.png"
    shoot(page, "21-ticket-cree")

    # Pink in « Mon affichage », in the Nouveau box.
    page.get_by_role("link", name="Mon affichage").click()
    box = page.locator("section", has=page.locator("#box-new"))
    row = box.locator("tr.state-row", has_text=ticket.display_number)
    expect(row).to_be_visible()
    cell_colour = row.locator("td").first.evaluate("td => getComputedStyle(td).backgroundColor")
    assert cell_colour == PINK
    shoot(page, "22-mon-affichage")

    # The quick search by number jumps to it.
    page.get_by_label("Rechercher un ticket (numéro ou texte)").fill(str(ticket.number))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/tickets/{ticket.number}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Le bouton Imprimer")

    # « Afficher les tickets »: the filters find it, and exclude it when they should.
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Afficher les tickets"
    ).click()
    page.get_by_label("Texte", exact=True).fill("imprimer")
    page.get_by_label("Catégorie").select_option(label="Anomalie")
    page.get_by_role("checkbox", name="Nouveau").check()
    page.get_by_role("button", name="Filtrer").click()
    row = page.locator("tbody tr", has_text=ticket.display_number)
    expect(row).to_be_visible()
    expect(row.locator(".state")).to_have_text("Nouveau")
    assert "q=imprimer" in page.url  # the view can be bookmarked
    shoot(page, "23-afficher-les-tickets")
    page.get_by_role("checkbox", name="Nouveau").uncheck()
    page.get_by_role("checkbox", name="Résolu").check()
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_text("Aucun ticket ne correspond à ces critères.")).to_be_visible()
