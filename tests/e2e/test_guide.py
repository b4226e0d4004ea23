"""The acceptance test: the client guide (« Guide mise en place assistance mensuelle ATM »),
walked end to end in Chromium, with a real Celery worker on Redis and a real SMTP server.

ATM invites a client → she opens the link of the mail, creates her password, signs in → visits
every tab → opens a ticket with every field and a screenshot → sees its number and the pink state
in Mon affichage → a technician acknowledges it (orange), takes it (blue), asks a question
(purple) → she answers (blue again) → resolved (green) → she reopens it, it is resolved again →
month end: grey and read-only, the hours debited from the balance.

Every step checks the state's colour as the browser computes it against PRODUCT.md's values,
and the mails it sends: who receives one (exactly), what it says, where its link leads. Every
step leaves a screenshot in var/screenshots/guide-*.png; `make screenshots` picks some for
docs/guide.md.
"""

from __future__ import annotations

import io
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from PIL import Image, ImageDraw
from playwright.sync_api import Locator, Page, expect

from accounts.models import User
from allowances.ledger import revision_create
from allowances.models import Kind, LedgerEntry
from allowances.periods import current_period, period_end, previous_period
from mail.models import Status
from notifications.models import Notification
from tests.conftest import ReceivedMail, SMTPSink
from tests.e2e.conftest import SCREENSHOTS
from tests.factories import (
    PASSWORD,
    CategoryFactory,
    ClientFactory,
    OrganisationFactory,
    StaffFactory,
)
from tickets.models import Impact, Note, Priority, Reproducibility, State, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_MD = ROOT.parent / "shared" / "PRODUCT.md"

# PRODUCT.md, « States (exact colours from MantisBT) »: label → colour.
STATE_COLOURS = {
    "Nouveau": "#fcbdbd",
    "En analyse": "#ffcd85",
    "Affecté": "#c2dfff",
    "Commentaire": "#e3b7eb",
    "Résolu": "#d2f5b0",
    "Fermé": "#c9ccc4",
}
TABS = ["Accueil", "Mon affichage", "Afficher les tickets", "Ouvrir un ticket", "Mon compte"]
LEA = "lea@boulangerie-martin.fr"  # invited during the walk
PAUL = "paul@boulangerie-martin.fr"  # her colleague, who follows every ticket
ALICE = "alice@atm-consulting.fr"  # the ATM technician
LEA_PASSWORD = "Baguette-Tradition-31"
SUMMARY = "Le bouton Imprimer ne répond plus"


def rgb(colour: str) -> str:
    """'#fcbdbd' as getComputedStyle writes it: 'rgb(252, 189, 189)'."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def background(locator: Locator) -> str:
    return str(locator.evaluate("element => getComputedStyle(element).backgroundColor"))


def assert_state(badge: Locator, label: str) -> None:
    """The badge says the state in words, in the state's colour (never colour alone)."""
    expect(badge).to_have_text(label)
    assert background(badge) == rgb(STATE_COLOURS[label]), f"{label}: {background(badge)}"


class Shots:
    """The steps' screenshots, numbered in order: var/screenshots/guide-NN-name.png.

    `make screenshots` finds the ones docs/guide.md shows by name (tests/e2e/docs_images.py).
    """

    def __init__(self) -> None:
        self.taken = 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for old in SCREENSHOTS.glob("guide-*.png"):
            old.unlink()  # a renamed step leaves no stale picture behind

    def __call__(self, page: Page, name: str, *, full_page: bool = True) -> None:
        self.taken += 1
        path = SCREENSHOTS / f"guide-{self.taken:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)


def screenshot_file(tmp_path: Path) -> Path:
    """A client's screenshot of the problem: a window with a greyed-out button."""
    image = Image.new("RGB", (800, 500), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 799, 40), fill=(40, 70, 120))
    draw.rectangle((560, 420, 760, 470), fill=(200, 200, 200), outline=(120, 120, 120))
    draw.text((600, 438), "Imprimer", fill=(110, 110, 110))
    path = tmp_path / "bouton-imprimer.png"
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


class Inbox:
    """The SMTP server's mail, step by step: each step says who must receive what, and no one
    else may receive anything (the next step, or the end, would see the stray mail)."""

    def __init__(self, sink: SMTPSink, worker: Any) -> None:
        self.sink = sink
        self.worker = worker
        self.counted = 0

    def expect(
        self, step: str, recipients: Iterable[str], *, subject: str, timeout: float = 20
    ) -> dict[str, ReceivedMail]:
        """Wait for one mail to each of `recipients`, whose subject contains `subject`."""
        wanted = sorted(recipients)
        deadline = time.monotonic() + timeout
        while len(self.sink.messages) < self.counted + len(wanted):
            if time.monotonic() > deadline:
                got = [m.rcpt_tos for m in self.sink.messages[self.counted :]]
                raise AssertionError(
                    f"{step}: mails to {wanted} expected, got {got}\n"
                    f"worker log:\n{self.worker.log_tail()}"
                )
            time.sleep(0.05)
        new = self.sink.messages[self.counted : self.counted + len(wanted)]
        self.counted += len(wanted)
        assert all(len(mail.rcpt_tos) == 1 for mail in new), f"{step}: one recipient per mail"
        received = sorted(mail.rcpt_tos[0] for mail in new)
        assert received == wanted, f"{step}: mailed {received}, expected {wanted}"
        by_address = {mail.rcpt_tos[0]: mail for mail in new}
        for address, mail in by_address.items():
            assert subject in mail.subject, f"{step}, {address}: {mail.subject!r}"
            assert mail.html, f"{step}, {address}: no HTML part"
        return by_address

    def assert_nothing_more(self, settle: float = 1.0) -> None:
        time.sleep(settle)
        extra = [(m.rcpt_tos, m.subject) for m in self.sink.messages[self.counted :]]
        assert extra == [], f"mails nobody expected: {extra}"


def ticket_mail_says(mail: ReceivedMail, *, url: str, **parts: str) -> None:
    """A ticket notification: its headline, its link to the ticket page, text and HTML."""
    assert url in mail.links(), (url, mail.links())
    assert url in mail.html
    for part in parts.values():
        assert part in mail.text, (part, mail.text)


def sign_in(page: Page, base: str, email: str, password: str, *, admin: bool = False) -> None:
    page.goto(f"{base}/admin/login/?next=/admin/" if admin else f"{base}/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=False).first.fill(password)
    page.get_by_role("button", name="Connexion" if admin else "Se connecter").click()


def run_admin_action(page: Page, base: str, ticket: Ticket, action: str) -> None:
    """Tick the ticket in the admin list and run one of the actions that need a note."""
    page.goto(f"{base}/admin/tickets/ticket/")
    page.locator(f'input[name="_selected_action"][value="{ticket.pk}"]').check()
    page.locator('select[name="action"]').first.select_option(action)
    page.get_by_role("button", name="Exécuter").first.click()


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.fixture
def inbox(mail_worker: Any, smtp: SMTPSink) -> Inbox:
    if not mail_worker.alive:
        pytest.fail(f"the Celery worker died\n{mail_worker.log_tail()}")
    return Inbox(smtp, mail_worker)


def test_state_colours_are_the_ones_product_md_specifies() -> None:
    """The colours this suite checks are PRODUCT.md's (read when it is beside the project)."""
    if not PRODUCT_MD.exists():
        pytest.skip(f"{PRODUCT_MD} is not beside the project")
    rows = re.findall(r"^\| \w+ \| ([^|]+?) \| `(#[0-9a-f]{6})`", PRODUCT_MD.read_text(), re.M)
    assert dict(rows) == STATE_COLOURS


def test_the_guide_walked_from_the_invitation_to_the_month_end(
    page: Page,
    other_page: Callable[[], Page],
    live_server: Any,
    inbox: Inbox,
    tmp_path: Path,
    media: None,
) -> None:
    base = live_server.url
    shot = Shots()
    technician = StaffFactory(email=ALICE, first_name="Alice", last_name="Roux", is_superuser=True)
    organisation = OrganisationFactory(name="Boulangerie Martin")
    # Paul, already a client, follows every ticket of the organisation: he hears of each step.
    ClientFactory(
        email=PAUL,
        first_name="Paul",
        organisation=organisation,
        follow_all_tickets=True,
    )
    # Nobody else may hear of anything: another organisation's user, another technician.
    ClientFactory(
        email="sophie@cabinet-durand.fr",
        organisation=OrganisationFactory(name="Cabinet Durand"),
        follow_all_tickets=True,
    )
    StaffFactory(email="hugo@atm-consulting.fr", first_name="Hugo")
    for name in ("Anomalie", "Retour projet", "Demande d'évolution", "Question"):
        CategoryFactory(name=name)
    # The monthly assistance contract: 2 h a month, signed last month (credited then).
    last_month = previous_period(current_period())
    revision_create(
        organisation=organisation,
        minutes_per_month=120,
        effective_from=last_month,
        by=technician,
        now=period_end(last_month) - timedelta(days=20),
    )

    # --- « Ouverture des accès au service » -------------------------------------------------
    # ATM invites Léa from the organisation's page in the admin.
    sign_in(page, base, ALICE, PASSWORD, admin=True)
    expect(page.locator("#ticket-board")).to_be_visible()
    page.goto(f"{base}/admin/accounts/organisation/{organisation.pk}/change/")
    page.get_by_role("link", name="Inviter un utilisateur").click()
    page.get_by_label("Adresse e-mail").fill(LEA)
    page.get_by_label("Prénom").fill("Léa")
    page.locator("#id_last_name").fill("Martin")
    shot(page, "admin-invitation")
    page.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.locator(".messagelist")).to_contain_text("Invitation envoyée")

    # « nous vous adressons un mail contenant votre identifiant et un lien »
    invitation = inbox.expect("invitation", [LEA], subject="Votre accès à l'assistance ATM")[LEA]
    assert f"Votre identifiant : {LEA}" in invitation.text
    [link] = [url for url in invitation.links() if "/invitation/" in url]
    assert link.startswith(f"{base}/invitation/")
    assert link in invitation.html

    # « Lors de votre première connexion, il faudra créer votre mot de passe »
    client = other_page()
    client.goto(link)
    expect(client.get_by_role("heading", name="Création du mot de passe")).to_be_visible()
    expect(client.get_by_text(LEA)).to_be_visible()
    client.get_by_label("Mot de passe*", exact=True).fill(LEA_PASSWORD)
    client.get_by_label("Confirmation du mot de passe").fill(LEA_PASSWORD)
    shot(client, "creation-du-mot-de-passe")
    client.get_by_role("button", name="Créer mon mot de passe").click()
    expect(client.get_by_role("heading", name="Accueil")).to_be_visible()
    expect(client.locator("#last-login")).to_contain_text("première connexion")
    lea = User.objects.get(email=LEA)
    assert (lea.organisation_id, lea.first_name) == (organisation.pk, "Léa")

    # « Lors de vos prochaines connexions, vous aurez une fenêtre de connexion »
    client.get_by_role("button", name="Fermer la session").click()
    expect(client.get_by_role("heading", name="Connexion")).to_be_visible()
    client.get_by_label("Adresse e-mail").fill(LEA)
    client.get_by_label("Mot de passe*", exact=True).fill(LEA_PASSWORD)
    shot(client, "connexion")
    client.get_by_role("button", name="Se connecter").click()
    expect(client.get_by_role("heading", name="Accueil")).to_be_visible()
    expect(client.locator("#last-login")).to_contain_text("Dernière connexion : ")
    # The hours of the contract, from the first day.
    expect(client.locator("#balance")).to_have_text("2 h")

    # --- « Les onglets » ----------------------------------------------------------------------
    menu = client.get_by_role("navigation", name="Navigation principale")
    for tab in TABS:
        menu.get_by_role("link", name=tab, exact=True).click()
        expect(client.get_by_role("heading", name=tab, exact=True)).to_be_visible()
        expect(menu.locator("[aria-current=page]")).to_have_text(tab)
        shot(client, tab.lower().replace(" ", "-"))

    # --- « Création d'une demande » -------------------------------------------------------------
    # Every field of « Ouvrir un ticket », a screenshot attached. Starred fields are required.
    menu.get_by_role("link", name="Ouvrir un ticket", exact=True).click()
    client.get_by_role("button", name="Soumettre le rapport").click()
    expect(client.locator(".invalid-feedback").first).to_contain_text("Ce champ est obligatoire.")
    shot(client, "ouvrir-un-ticket-champs-obligatoires")
    assert not Ticket.objects.exists()
    menu.get_by_role("link", name="Ouvrir un ticket", exact=True).click()
    client.get_by_label("Catégorie").select_option(label="Anomalie")
    client.get_by_label("Reproductibilité").select_option(label="Toujours")
    client.get_by_label("Impact").select_option(label="Majeur")
    client.get_by_label("Priorité").select_option(label="Élevée")
    client.get_by_label("Résumé").fill(SUMMARY)
    client.get_by_label("Description", exact=False).first.fill(
        "Sur la facture, le bouton Imprimer reste grisé : rien ne sort."
    )
    client.get_by_label("Étapes pour reproduire").fill("1. Ouvrir une facture\n2. Cliquer Imprimer")
    client.get_by_label("Informations complémentaires").fill("Contact : Léa, poste 12")
    client.get_by_label("Joindre un fichier").set_input_files(str(screenshot_file(tmp_path)))
    shot(client, "ouvrir-un-ticket-rempli")
    client.get_by_role("button", name="Soumettre le rapport").click()

    # « Un numéro de ticket lui est alors attribué. »
    ticket = Ticket.objects.get()
    number = ticket.display_number
    assert re.fullmatch(r"\d{7}", number)
    ticket_url = f"{base}/tickets/{ticket.number}/"
    expect(client).to_have_url(ticket_url)
    expect(client.locator(".alert-success")).to_contain_text(number)
    assert_state(client.locator("#ticket-state"), "Nouveau")
    expect(client.get_by_role("img", name="Aperçu de bouton-imprimer.png")).to_be_visible()
    assert (ticket.reporter_id, ticket.category.name, ticket.reproducibility) == (
        lea.pk,
        "Anomalie",
        Reproducibility.ALWAYS,
    )
    assert (ticket.impact, ticket.priority) == (Impact.MAJOR, Priority.HIGH)
    assert ticket.additional_information == "Contact : Léa, poste 12"
    shot(client, "ticket-nouveau")

    created = inbox.expect("ticket opened", [PAUL], subject=f"[ATM {number}] {SUMMARY}")
    ticket_mail_says(created[PAUL], url=ticket_url, headline=f"a ouvert le ticket {number}")

    # --- « Suivi de la demande » --------------------------------------------------------------
    # Mon affichage: the new ticket, pink, in the « Nouveau » box, by its number.
    menu.get_by_role("link", name="Mon affichage").click()
    box = client.locator("section", has=client.locator("#box-new"))
    row = box.locator("tr.state-row", has_text=number)
    expect(row).to_be_visible()
    assert background(row.locator("td").first) == rgb(STATE_COLOURS["Nouveau"])
    shot(client, "mon-affichage-nouveau")
    # « Lorsqu'on clique sur le numéro de mon ticket, on accède à son détail »
    row.get_by_role("link", name=number).first.click()
    expect(client).to_have_url(ticket_url)
    # « Afficher les tickets »: there too, pink, with its number.
    menu.get_by_role("link", name="Afficher les tickets").click()
    listed = client.locator("tbody tr", has_text=number)
    assert_state(listed.locator(".state"), "Nouveau")
    assert background(listed) == rgb(STATE_COLOURS["Nouveau"])  # the whole row, as in Mantis
    shot(client, "afficher-les-tickets-nouveau")
    # « une recherche rapide à partir du menu principal en haut en tapant son numéro »
    client.get_by_label("Rechercher un ticket (numéro ou texte)").fill(str(ticket.number))
    client.keyboard.press("Enter")
    expect(client).to_have_url(ticket_url)

    # The technician acknowledges it in one click: « En analyse », orange.
    page.goto(f"{base}/admin/tickets/ticket/")
    assert_state(page.locator("#result_list .state-new"), "Nouveau")
    page.get_by_role("link", name=number).click()
    page.get_by_role("button", name="Accuser réception (→ En analyse)").click()
    expect(page.locator(".messagelist")).to_contain_text("réception accusée")
    assert_state(page.locator(".ticket-banner .state"), "En analyse")
    client.goto(ticket_url)
    assert_state(client.locator("#ticket-state"), "En analyse")
    shot(client, "ticket-en-analyse")
    mails = inbox.expect("acknowledged", [LEA, PAUL], subject="En analyse")
    ticket_mail_says(
        mails[LEA], url=ticket_url, headline="de « Nouveau » à « En analyse »", greeting="Léa"
    )

    # She takes it: « Affecté », blue, and her name shows to the client.
    page.get_by_role("button", name="M'affecter").click()
    expect(page.locator(".messagelist")).to_contain_text("il vous est affecté")
    assert_state(page.locator(".ticket-banner .state"), "Affecté")
    shot(page, "admin-ticket-affecte")
    client.goto(ticket_url)
    assert_state(client.locator("#ticket-state"), "Affecté")
    expect(client.locator("#ticket-handler")).to_have_text(str(technician))
    mails = inbox.expect("assigned", [LEA, PAUL], subject="Affecté")
    ticket_mail_says(mails[LEA], url=ticket_url, handler=f"Affecté à : {technician}")

    # She asks a question (10 min spent): « Commentaire », purple, waiting for the client.
    run_admin_action(page, base, ticket, "ask_client")
    page.get_by_label("Question au client").fill("Quelle imprimante est sélectionnée ?")
    page.get_by_label("Temps passé (minutes), par ticket").fill("10")
    page.get_by_role("button", name="Demander au client").click()
    expect(page.locator(".messagelist")).to_contain_text("Question posée")
    assert_state(page.locator("#result_list .state-feedback"), "Commentaire")
    client.goto(ticket_url)
    assert_state(client.locator("#ticket-state"), "Commentaire")
    expect(client.get_by_text("L'équipe ATM attend votre réponse")).to_be_visible()
    expect(client.get_by_text("Quelle imprimante est sélectionnée ?")).to_be_visible()
    shot(client, "ticket-commentaire")
    # One mail for the note and the state change, not two.
    mails = inbox.expect("question", [LEA, PAUL], subject="Commentaire")
    ticket_mail_says(mails[LEA], url=ticket_url, note="Quelle imprimante est sélectionnée ?")

    # Léa answers with a note: the ticket is blue again; the technician is told.
    note = client.get_by_role("textbox", name="Ajouter une note")
    note.fill("L'imprimante du bureau, « Compta-2 ».")
    client.get_by_role("button", name="Ajouter la note").click()
    expect(client.locator(".alert-success")).to_contain_text("Votre note est ajoutée")
    assert_state(client.locator("#ticket-state"), "Affecté")
    shot(client, "ticket-reponse-du-client")
    mails = inbox.expect("client answers", [ALICE, PAUL], subject="Affecté")
    # Staff are sent to the ticket's admin page, clients to the portal's.
    admin_url = f"{base}/admin/tickets/ticket/{ticket.pk}/change/"
    ticket_mail_says(
        mails[ALICE],
        url=admin_url,
        headline="qui passe à « Affecté »",
        note="« Compta-2 »",
    )
    ticket_mail_says(mails[PAUL], url=ticket_url, greeting="Bonjour Paul")

    # The technician resolves it (25 min): « Résolu », green.
    run_admin_action(page, base, ticket, "resolve")
    page.get_by_label("Réponse au client").fill("Le pilote de « Compta-2 » est corrigé.")
    page.get_by_label("Temps passé (minutes), par ticket").fill("25")
    shot(page, "admin-resoudre")
    page.locator(".submit-row").get_by_role("button").first.click()
    expect(page.locator(".messagelist")).to_contain_text("ticket résolu")
    assert_state(page.locator("#result_list .state-resolved"), "Résolu")
    client.goto(ticket_url)
    assert_state(client.locator("#ticket-state"), "Résolu")
    shot(client, "ticket-resolu")
    reopen = client.get_by_role("button", name="Réouvrir le ticket")
    client.get_by_role("region", name="Répondre ou réouvrir le ticket").scroll_into_view_if_needed()
    expect(reopen).to_be_in_viewport()
    shot(client, "ticket-resolu-reouvrir", full_page=False)
    mails = inbox.expect("resolved", [LEA, PAUL], subject="Résolu")
    ticket_mail_says(mails[LEA], url=ticket_url, note="Résolution : corrigé.")

    # « il est encore possible de réouvrir le ticket »: Léa reopens it with a note.
    note.fill("Toujours grisé sur le poste de Paul.")
    reopen.click()
    expect(client.locator(".alert-success")).to_contain_text("réouvert")
    assert_state(client.locator("#ticket-state"), "Affecté")
    shot(client, "ticket-reouvert")
    inbox.expect("reopened", [ALICE, PAUL], subject="Affecté")

    # Resolved again (15 min more).
    run_admin_action(page, base, ticket, "resolve")
    page.get_by_label("Réponse au client").fill("Le poste de Paul avait l'ancien pilote.")
    page.get_by_label("Temps passé (minutes), par ticket").fill("15")
    page.locator(".submit-row").get_by_role("button").first.click()
    expect(page.locator(".messagelist")).to_contain_text("ticket résolu")
    client.goto(ticket_url)
    assert_state(client.locator("#ticket-state"), "Résolu")
    inbox.expect("resolved again", [LEA, PAUL], subject="Résolu")

    # 10 + 25 + 15 = 50 billable minutes: 1 h once rounded up to the quarter hour.
    expect(client.locator("#ticket-time")).to_contain_text("0 h 50 facturable")
    expect(client.locator("#ticket-time")).to_contain_text("sera décompté à la fin du mois : 1 h")
    client.goto(f"{base}/")
    expect(client.locator("#balance")).to_have_text("2 h")
    expect(client.locator("#balance-pending")).to_have_text("1 h")
    shot(client, "accueil-avant-fin-de-mois")

    # « À chaque changement de statut ou de nouvelle note ajoutée, vous êtes informés par mail. »
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}
    assert Note.objects.filter(ticket=ticket).count() == 5

    month_end(client, page, base, inbox, shot, ticket, [LEA, PAUL], last_month)
    inbox.assert_nothing_more()


def month_end(
    client: Page,
    page: Page,
    base: str,
    inbox: Inbox,
    shot: Shots,
    ticket: Ticket,
    clients: list[str],
    last_month: Any,
) -> None:
    """« En fin de mois, les tickets "résolus" sont passés au statut "fermé" et ne sont plus
    modifiables. » The ticket was resolved last month (its date is moved back: the walk happens
    in one day); the ops command closes that month as beat does on the 1st."""
    number = ticket.display_number
    ticket_url = f"{base}/tickets/{ticket.number}/"
    resolved_at = period_end(last_month) - timedelta(hours=2)
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=resolved_at)
    out = io.StringIO()
    call_command("close_month", period=last_month.strftime("%Y-%m"), stdout=out)
    assert "1 ticket(s) fermé(s), 1 h décomptée(s)" in out.getvalue(), out.getvalue()
    debits = LedgerEntry.objects.filter(ticket=ticket, kind=Kind.DEBIT)
    assert list(debits.values_list("minutes", flat=True)) == [-60]

    # Grey, « Fermé », read-only: no note form any more.
    client.goto(ticket_url)
    assert_state(client.locator("#ticket-state"), "Fermé")
    expect(client.get_by_text("Ce ticket est fermé et archivé")).to_be_visible()
    expect(client.get_by_role("button", name="Ajouter la note")).to_have_count(0)
    expect(client.get_by_role("button", name="Réouvrir le ticket")).to_have_count(0)
    debited_on = timezone.localtime(debits.get().created_at).strftime("%d/%m/%Y")
    expect(client.locator("#ticket-time")).to_contain_text(f"décompté le {debited_on} : 1 h")
    shot(client, "ticket-ferme")

    # The balance: 2 h, minus 1 h debited, plus 2 h credited for the new month.
    client.goto(f"{base}/")
    expect(client.locator("#balance")).to_have_text("3 h")
    expect(client.locator("#balance-consumed")).to_have_text("1 h")
    expect(client.locator("#balance-pending")).to_have_text("0 h")
    shot(client, "accueil-apres-fin-de-mois")

    # The technician sees it closed and read-only too.
    page.goto(f"{base}/admin/tickets/ticket/?state=closed")
    assert_state(page.locator("#result_list .state-closed"), "Fermé")
    page.get_by_role("link", name=number).click()
    assert_state(page.locator(".ticket-banner .state"), "Fermé")
    expect(page.locator(".ticket-closed-note")).to_be_visible()
    expect(page.get_by_role("button", name="Enregistrer", exact=True)).to_have_count(0)
    shot(page, "admin-ticket-ferme")

    # The month's statement, to each client of the organisation: the ticket, its hour. The
    # other organisation gets its own, which says nothing of this one's ticket.
    stranger = "sophie@cabinet-durand.fr"
    mails = inbox.expect("month end", [*clients, stranger], subject="Relevé d'heures")
    for address in clients:
        assert "Boulangerie Martin" in mails[address].subject
        assert f"- {number} {ticket.summary} : 1 h" in mails[address].text
        assert "Nouveau solde : 3 h" in mails[address].text
    assert "Cabinet Durand" in mails[stranger].subject
    assert "rien n'a été décompté" in mails[stranger].text
    assert number not in mails[stranger].text
    assert Counter(Ticket.objects.values_list("state", flat=True)) == {State.CLOSED: 1}
