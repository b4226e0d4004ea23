"""A client who chooses English in « Mon compte » gets the portal and the e-mails in English."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from accounts.invitations import invite_client
from accounts.models import User
from tests.factories import PASSWORD, ClientFactory
from tests.utils import text

pytestmark = pytest.mark.django_db

PAGES = ["/", "/mon-affichage/", "/tickets/", "/tickets/nouveau/", "/mon-compte/"]
ENGLISH_TABS = ["Home", "My view", "View tickets", "Report an issue", "My account", "Log out"]
FRENCH_TABS = [
    "Accueil",
    "Mon affichage",
    "Afficher les tickets",
    "Ouvrir un ticket",
    "Mon compte",
    "Fermer la session",
]


@pytest.fixture
def english_client(client: Any, client_user: User) -> Any:
    client_user.language = User.Language.ENGLISH
    client_user.save()
    client.force_login(client_user)
    return client


@pytest.mark.parametrize("url", PAGES)
def test_portal_pages_speak_english(english_client, url):
    response = english_client.get(url)

    assert response.status_code == 200
    page = text(response)
    assert 'lang="en"' in page
    for label in ENGLISH_TABS:
        assert label in page
    for label in FRENCH_TABS:
        assert label not in page
    assert response.headers["Content-Language"] == "en"


@pytest.mark.parametrize("url", PAGES)
def test_a_french_client_still_sees_french(client, client_user, url):
    client.force_login(client_user)

    page = text(client.get(url))

    assert 'lang="fr"' in page
    for label in FRENCH_TABS:
        assert label in page
    for label in ("My view", "View tickets", "Report an issue", "My account", "Log out"):
        assert label not in page


def test_home_page_content_and_last_login_date_are_english(english_client, client_user):
    client_user.previous_login = datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Europe/Paris"))
    client_user.save()

    page = text(english_client.get("/"))

    assert "Last login: Monday 2 March 2026 at 09:30" in page
    assert "Ticket summary" in page
    assert "Awaiting your reply" in page
    assert "Dernière connexion" not in page


def test_choosing_english_says_so_in_english(client, client_user):
    client.force_login(client_user)

    response = client.post("/mon-compte/", {"action": "language", "language": "en"}, follow=True)

    page = text(response)
    assert "Language saved." in page
    assert "Langue enregistrée." not in page
    assert 'lang="en"' in page


def test_choosing_french_again_says_so_in_french(english_client):
    response = english_client.post(
        "/mon-compte/", {"action": "language", "language": "fr"}, follow=True
    )

    page = text(response)
    assert "Langue enregistrée." in page
    assert "Mon compte" in page
    assert 'lang="fr"' in page


def test_account_form_errors_are_english(english_client):
    wrong = english_client.post(
        "/mon-compte/", {"action": "email", "new_email": "x@example.fr", "password": "no"}
    )
    garbage = english_client.post(
        "/mon-compte/", {"action": "email", "new_email": "not an address", "password": PASSWORD}
    )

    assert "Incorrect password." in text(wrong)
    assert "For your security, confirm with your password." in text(wrong)
    # Django's own messages come from Django's catalogue, in English too.
    assert "Enter a valid email address." in text(garbage)


def test_invitation_mail_to_an_english_user_is_english(organisation, smtp):
    ClientFactory(email="emma@example.co.uk", organisation=organisation, language="en")

    issued = invite_client(email="emma@example.co.uk", organisation=organisation)

    [mail] = smtp.wait_for("emma@example.co.uk")
    assert mail.subject == "Your access to ATM support"
    assert "Hello Camille," in mail.text
    assert "Your login: emma@example.co.uk" in mail.text
    assert "valid until" in mail.text
    assert " at " in mail.text.split("valid until", 1)[1].splitlines()[0]
    assert "à" not in mail.text.split("valid until", 1)[1].splitlines()[0]
    assert issued.url in mail.text
    assert "Bonjour" not in mail.text
    assert 'lang="en"' in mail.html
    assert "Create my password" in mail.html


def test_invitation_mail_to_a_french_user_stays_french(organisation, smtp):
    invite_client(email="lea@example.fr", organisation=organisation)

    [mail] = smtp.wait_for("lea@example.fr")
    assert mail.subject == "Votre accès à l'assistance ATM"
    assert "Votre identifiant : lea@example.fr" in mail.text
    assert 'lang="fr"' in mail.html


def test_invitation_page_speaks_the_invited_users_language(client, organisation):
    ClientFactory(email="emma@example.co.uk", organisation=organisation, language="en")
    issued = invite_client(email="emma@example.co.uk", organisation=organisation, send=False)

    form = text(client.get(issued.url))
    mismatch = text(
        client.post(issued.url, {"new_password1": "Scone-And-Jam-2026", "new_password2": "x"})
    )
    done = client.post(
        issued.url,
        {"new_password1": "Scone-And-Jam-2026", "new_password2": "Scone-And-Jam-2026"},
        follow=True,
    )

    assert "Create your password" in form
    assert 'lang="en"' in form
    assert "Your password must contain at least 10 characters." in form  # Django's, in English
    assert "The two passwords do not match." in mismatch
    home = text(done)
    assert "Your password has been created. Welcome to ATM Support!" in home
    assert "My account" in home


def test_password_reset_mail_follows_the_accounts_language(client, organisation, smtp):
    ClientFactory(email="emma@example.co.uk", organisation=organisation, language="en")

    client.post("/mot-de-passe-oublie/", {"email": "emma@example.co.uk"})

    [mail] = smtp.wait_for("emma@example.co.uk")
    assert mail.subject == "Reset your ATM Support password"
    assert "To choose a new password, follow this link (valid for 24 hours):" in mail.text


def test_error_page_speaks_english(english_client):
    response = english_client.get("/cette-page-nexiste-pas/")

    assert response.status_code == 404
    page = text(response)
    assert "Page not found" in page
    assert 'lang="en"' in page
