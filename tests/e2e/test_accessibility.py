"""Every portal page and the admin's ticket pages: axe-core finds nothing serious, and no portal
page scrolls sideways at any of axe.WIDTHS (320 to 1920 px; the admin: at 1280 and 375 px).

Each page is checked as a person meets it: at 1280 px, then at 375 px (where the menu folds), and
with its error messages shown for the forms that have some. axe is injected into a context that
bypasses the CSP, for this only (tests/e2e/axe.py).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from PIL import Image
from playwright.sync_api import Page, expect

from accounts.invitations import invitation_create
from allowances.ledger import revision_create
from allowances.month_end import close_month
from allowances.periods import current_period, format_period, period_end, previous_period
from tests.e2e.axe import (
    DESKTOP,
    PHONE,
    WIDTHS,
    assert_accessible,
    assert_fits_every_width,
    assert_layout_holds,
    axe_available,
)
from tests.factories import ClientFactory, make_ticket
from tickets.attachments import attachments_store
from tickets.models import State, Ticket
from tickets.workflow import note_add

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Django's own admin markup has faults that its templates do not let us fix page by page: each
# rule below is switched off on admin pages only, with the reason. (None so far.)
ADMIN_EXCLUDED_RULES: tuple[str, ...] = ()
# Django's admin is the staff's, on their desktops: its changelists scroll sideways on a phone by
# design (Django's own CSS), so it is held to the two widths axe runs at.
ADMIN_WIDTHS = (DESKTOP["width"], PHONE["width"])


@pytest.fixture(autouse=True)
def _axe_installed() -> None:
    if not axe_available():
        pytest.fail("axe-core is missing: `make test` runs `npm ci` (node_modules/axe-core).")


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


def png(name: str = "capture.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


class Check(Protocol):
    def __call__(
        self,
        page: Page,
        where: str,
        *,
        disabled_rules: tuple[str, ...] = (),
        widths: tuple[int, ...] = WIDTHS,
    ) -> None: ...


@pytest.fixture
def check(shoot: Any) -> Check:
    """No sideways scroll at every width, then axe at a desktop's width and at a phone's."""

    def run(
        page: Page,
        where: str,
        *,
        disabled_rules: tuple[str, ...] = (),
        widths: tuple[int, ...] = WIDTHS,
    ) -> None:
        assert_fits_every_width(page, where, widths)
        page.set_viewport_size(DESKTOP)
        assert_layout_holds(page, f"{where}, 1280 px")
        assert_accessible(page, f"{where}, 1280 px", disabled_rules=disabled_rules)
        page.set_viewport_size(PHONE)
        assert_layout_holds(page, f"{where}, 375 px")
        assert_accessible(page, f"{where}, 375 px", disabled_rules=disabled_rules)
        shoot(page, f"a11y-{where}")
        page.set_viewport_size(DESKTOP)

    return run


def test_public_pages_login_password_reset_and_invitation(
    audit_page: Callable[..., Page],
    live_server: Any,
    organisation: Any,
    client_user: Any,
    check: Check,
) -> None:
    base = live_server.url
    page = audit_page()

    page.goto(f"{base}/connexion/")
    check(page, "connexion")
    page.get_by_label("Adresse e-mail").fill(client_user.email)
    page.get_by_label("Mot de passe*", exact=True).fill("pas-le-bon")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert").or_(page.locator(".alert-danger")).first).to_be_visible()
    check(page, "connexion-erreur")

    page.goto(f"{base}/mot-de-passe-oublie/")
    check(page, "mot-de-passe-oublie")
    page.get_by_role("button").last.click()  # empty: the form's error
    check(page, "mot-de-passe-oublie-erreur")
    page.goto(f"{base}/mot-de-passe-oublie/envoye/")
    check(page, "mot-de-passe-oublie-envoye")
    uid = urlsafe_base64_encode(force_bytes(client_user.pk))
    token = default_token_generator.make_token(client_user)
    page.goto(f"{base}/reinitialisation/{uid}/{token}/")
    expect(page.locator("input[type=password]").first).to_be_visible()
    check(page, "reinitialisation")
    page.goto(f"{base}/reinitialisation/{uid}/mauvais-jeton/")
    check(page, "reinitialisation-lien-invalide")
    page.goto(f"{base}/reinitialisation/terminee/")
    check(page, "reinitialisation-terminee")

    invited = ClientFactory(email="lea@boulangerie-martin.fr", organisation=organisation)
    page.goto(invitation_create(user=invited).url)
    expect(page.get_by_role("heading", name="Création du mot de passe")).to_be_visible()
    check(page, "invitation")
    page.get_by_label("Mot de passe*", exact=True).fill("123")
    page.get_by_label("Confirmation du mot de passe").fill("456")
    page.get_by_role("button", name="Créer mon mot de passe").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    check(page, "invitation-erreurs")
    page.goto(f"{base}/invitation/{'x' * 43}/")
    check(page, "invitation-invalide")

    page.goto(f"{base}/cette-page-n-existe-pas/")
    check(page, "page-introuvable")


def test_client_pages_every_tab_forms_with_errors_and_tickets_in_each_state(
    audit_page: Callable[..., Page],
    live_server: Any,
    client_user: Any,
    staff_user: Any,
    check: Check,
    media: None,
) -> None:
    base = live_server.url
    new = make_ticket(reporter=client_user, summary="Le bouton Imprimer ne répond plus")
    attachments_store(ticket=new, files=[png()], by=client_user)
    asked = make_ticket(reporter=client_user, state=State.ASSIGNED, handler=staff_user)
    note_add(ticket=asked, author=staff_user, text="Sur quel poste ?", minutes_spent=5)
    asked.state = State.FEEDBACK
    asked.save(update_fields=["state"])
    resolved = make_ticket(reporter=client_user, state=State.RESOLVED, handler=staff_user)
    # A month closed: last month's resolved ticket is now Fermé, its time on the statement.
    last_month = previous_period(current_period())
    revision_create(
        organisation=client_user.organisation,
        minutes_per_month=120,
        effective_from=last_month,
        by=staff_user,
        now=period_end(last_month) - timedelta(days=20),
    )
    closed = make_ticket(reporter=client_user, state=State.RESOLVED, handler=staff_user)
    note_add(ticket=closed, author=staff_user, text="Corrigé.", minutes_spent=50)
    Ticket.objects.filter(pk=closed.pk).update(resolved_at=period_end(last_month) - timedelta(1))
    close_month(period=last_month)
    for state in (State.ACKNOWLEDGED, State.ASSIGNED):
        make_ticket(reporter=client_user, state=state, handler=staff_user)
    page = audit_page(client_user)

    for path, where in [
        ("/", "accueil"),
        ("/mon-affichage/", "mon-affichage"),
        ("/tickets/", "afficher-les-tickets"),
        ("/tickets/?state=closed&state=resolved&sort=-number", "afficher-les-tickets-filtre"),
        ("/tickets/?q=introuvable", "afficher-les-tickets-aucun"),
        ("/tickets/?date_from=31/02/2026&priority=999", "afficher-les-tickets-erreurs"),
        ("/tickets/nouveau/", "ouvrir-un-ticket"),
        ("/mon-compte/", "mon-compte"),
        ("/releve-heures/", "releve-d-heures"),
        (f"/releve-heures/{format_period(last_month)}/", "releve-d-heures-du-mois"),
    ]:
        page.goto(f"{base}{path}")
        check(page, where)

    # The report form with its errors shown.
    page.goto(f"{base}/tickets/nouveau/")
    page.get_by_role("button", name="Soumettre le rapport").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    check(page, "ouvrir-un-ticket-erreurs")

    # The phone's menu, opened.
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="Ouvrir le menu").click()
    expect(page.locator("#menu")).to_be_visible()
    assert_accessible(page, "menu ouvert, 375 px")
    page.set_viewport_size(DESKTOP)

    # Mon compte, its forms posted empty: each shows its errors.
    for button, where in [
        ("Envoyer le lien de confirmation", "mon-compte-adresse-erreur"),
        ("Changer le mot de passe", "mon-compte-mot-de-passe-erreurs"),
    ]:
        page.goto(f"{base}/mon-compte/")
        page.get_by_role("button", name=button).click()
        expect(page.locator(".invalid-feedback").first).to_be_visible()
        check(page, where)

    for ticket, where in [
        (new, "ticket-nouveau"),
        (asked, "ticket-commentaire"),
        (resolved, "ticket-resolu"),
        (closed, "ticket-ferme"),
    ]:
        page.goto(f"{base}/tickets/{ticket.number}/")
        check(page, where)
    # The note form with its error (an empty note).
    page.goto(f"{base}/tickets/{asked.number}/")
    page.get_by_role("button", name="Ajouter la note").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    check(page, "ticket-note-erreur")


def test_admin_login_dashboard_invite_and_ticket_pages(
    audit_page: Callable[..., Page],
    live_server: Any,
    client_user: Any,
    staff_user: Any,
    check: Check,
    media: None,
) -> None:
    base = live_server.url
    ticket = make_ticket(reporter=client_user, summary="Le bouton Imprimer ne répond plus")
    attachments_store(ticket=ticket, files=[png()], by=client_user)
    note_add(ticket=ticket, author=staff_user, text="Piste interne", is_private=True)
    note_add(ticket=ticket, author=client_user, text="Toujours pas.")
    for state in (State.ACKNOWLEDGED, State.FEEDBACK, State.RESOLVED, State.CLOSED):
        make_ticket(reporter=client_user, state=state, handler=staff_user)
    anonymous = audit_page()
    anonymous.goto(f"{base}/admin/login/?next=/admin/")
    check(anonymous, "admin-connexion", disabled_rules=ADMIN_EXCLUDED_RULES, widths=ADMIN_WIDTHS)
    page = audit_page(staff_user)

    page.goto(f"{base}/admin/")
    check(page, "admin-tableau-de-bord", disabled_rules=ADMIN_EXCLUDED_RULES, widths=ADMIN_WIDTHS)
    page.goto(f"{base}/admin/accounts/organisation/{client_user.organisation_id}/change/")
    page.get_by_role("link", name="Inviter un utilisateur").click()
    check(page, "admin-inviter", disabled_rules=ADMIN_EXCLUDED_RULES, widths=ADMIN_WIDTHS)
    page.goto(f"{base}/admin/tickets/ticket/")
    expect(page.locator("#result_list")).to_be_visible()
    check(page, "admin-liste", disabled_rules=ADMIN_EXCLUDED_RULES, widths=ADMIN_WIDTHS)
    page.goto(f"{base}/admin/tickets/ticket/{ticket.pk}/change/")
    check(page, "admin-ticket", disabled_rules=ADMIN_EXCLUDED_RULES, widths=ADMIN_WIDTHS)

    # « Demander au client »: the intermediate page, then its errors.
    page.goto(f"{base}/admin/tickets/ticket/")
    page.locator(f'input[name="_selected_action"][value="{ticket.pk}"]').check()
    page.locator('select[name="action"]').first.select_option("ask_client")
    page.get_by_role("button", name="Exécuter").first.click()
    expect(page.get_by_label("Question au client")).to_be_visible()
    check(
        page, "admin-demander-au-client", disabled_rules=ADMIN_EXCLUDED_RULES, widths=ADMIN_WIDTHS
    )

    # « Affecter à… »: its intermediate page.
    page.goto(f"{base}/admin/tickets/ticket/")
    page.locator(f'input[name="_selected_action"][value="{ticket.pk}"]').check()
    page.locator('select[name="action"]').first.select_option("assign_to")
    page.get_by_role("button", name="Exécuter").first.click()
    expect(page.get_by_label("Technicien")).to_be_visible()
    check(page, "admin-affecter-a", disabled_rules=ADMIN_EXCLUDED_RULES, widths=ADMIN_WIDTHS)
