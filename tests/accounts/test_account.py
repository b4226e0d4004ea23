from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from tests.factories import PASSWORD, ClientFactory
from tests.utils import path_of, text

pytestmark = pytest.mark.django_db

ACCOUNT = "/mon-compte/"
NEW_PASSWORD = "Pain-Au-Chocolat-77"


def test_account_page_shows_the_three_forms(client, client_user):
    client.force_login(client_user)
    page = text(client.get(ACCOUNT))
    assert "Changer de mot de passe" in page
    assert "Changer d'adresse e-mail" in page
    assert "Langue" in page
    assert client_user.email in page


def test_password_change_keeps_this_session_and_ends_the_others(client_user):
    here, elsewhere = Client(), Client()
    for browser in (here, elsewhere):
        assert (
            browser.post(
                "/connexion/", {"username": client_user.email, "password": PASSWORD}
            ).status_code
            == 302
        )

    response = here.post(
        ACCOUNT,
        {
            "action": "password",
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert here.get(ACCOUNT).status_code == 200
    assert elsewhere.get(ACCOUNT).status_code == 302  # sent back to the login page
    client_user.refresh_from_db()
    assert client_user.check_password(NEW_PASSWORD)


def test_password_change_with_wrong_old_password_is_refused_in_french(client, client_user):
    client.force_login(client_user)
    response = client.post(
        ACCOUNT,
        {
            "action": "password",
            "old_password": "pas-le-bon",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert "Votre ancien mot de passe est incorrect" in text(response)
    client_user.refresh_from_db()
    assert client_user.check_password(PASSWORD)


def test_email_change_applies_only_after_the_link_is_followed(client, client_user, smtp, settings):
    client.force_login(client_user)

    response = client.post(
        ACCOUNT, {"action": "email", "new_email": "Paul.Nouveau@Example.fr", "password": PASSWORD}
    )

    assert response.status_code == 302
    client_user.refresh_from_db()
    assert client_user.email == "paul@boulangerie-martin.fr"  # unchanged for now
    [mail] = smtp.wait_for("paul.nouveau@example.fr")
    [link] = [url for url in mail.links() if "/mon-compte/adresse/" in url]
    assert link.startswith(settings.SITE_URL + "/")

    assert client.get(path_of(link)).status_code == 200  # the « Confirmer » page
    client_user.refresh_from_db()
    assert client_user.email == "paul@boulangerie-martin.fr"
    confirm = client.post(path_of(link))
    assert confirm.status_code == 302
    client_user.refresh_from_db()
    assert client_user.email == "paul.nouveau@example.fr"
    # The old address is told, in case the change was not its owner's doing.
    [notice] = smtp.wait_for("paul@boulangerie-martin.fr")
    assert "paul.nouveau@example.fr" in notice.text
    # The link is single-use.
    again = client.post(path_of(link))
    assert again.status_code == 410


def test_email_change_needs_the_password_and_a_free_address(client, client_user, organisation):
    ClientFactory(email="pris@example.fr", organisation=organisation)
    client.force_login(client_user)

    wrong = client.post(ACCOUNT, {"action": "email", "new_email": "x@example.fr", "password": "no"})
    taken = client.post(
        ACCOUNT, {"action": "email", "new_email": "PRIS@example.fr", "password": PASSWORD}
    )
    garbage = client.post(ACCOUNT, {"action": "email", "new_email": "pas une adresse"})

    assert "Mot de passe incorrect." in text(wrong)
    assert 'value="x@example.fr"' in text(wrong)  # what was typed is kept
    assert "déjà utilisée par un autre compte" in text(taken)
    assert "Saisissez une adresse de courriel valide" in text(garbage)
    client_user.refresh_from_db()
    assert client_user.email == "paul@boulangerie-martin.fr"


def test_tampered_email_link_is_refused(client, client_user):
    response = client.get("/mon-compte/adresse/nimportequoi/")
    assert response.status_code == 404
    assert "n'est pas valide" in text(response)


def test_language_switches_the_interface_to_english(client, client_user):
    client.force_login(client_user)

    response = client.post(ACCOUNT, {"action": "language", "language": "en"}, follow=True)

    client_user.refresh_from_db()
    assert client_user.language == User.Language.ENGLISH
    page = text(response)
    assert "My account" in page
    assert "Log out" in page
    assert 'lang="en"' in page


def test_unknown_language_is_refused(client, client_user):
    client.force_login(client_user)
    response = client.post(ACCOUNT, {"action": "language", "language": "xx"})
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in text(response)


def test_password_reset_mails_a_link_built_from_site_url(client, client_user, smtp, settings):
    settings.SITE_URL = "https://support.example.test"

    response = client.post(
        "/mot-de-passe-oublie/", {"email": client_user.email}, HTTP_HOST="localhost"
    )

    assert response.status_code == 302
    [mail] = smtp.wait_for(client_user.email)
    [link] = [u for u in mail.links() if "/reinitialisation/" in u]
    assert link.startswith("https://support.example.test/reinitialisation/")
    form = client.get(path_of(link), follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302
    client_user.refresh_from_db()
    assert client_user.check_password(NEW_PASSWORD)


def test_password_reset_for_unknown_address_reveals_nothing(client, smtp):
    response = client.post("/mot-de-passe-oublie/", {"email": "inconnu@example.fr"})
    assert response.status_code == 302
    assert smtp.messages == []
