"""« Mon compte » e-mail change: the link mailed to the new address works once, and only by
the « Confirmer » button (POST); opening it (GET, as mail scanners do) changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from tests.factories import PASSWORD
from tests.utils import path_of, text

pytestmark = pytest.mark.django_db

ACCOUNT = "/mon-compte/"
OLD = "paul@boulangerie-martin.fr"
NEW = "paul.nouveau@example.fr"


def request_change(client: Client, smtp, new_email: str) -> str:
    """Ask for `new_email` in « Mon compte » and return the path of the link mailed to it."""
    before = len(smtp.to(new_email))
    response = client.post(
        ACCOUNT, {"action": "email", "new_email": new_email, "password": PASSWORD}
    )
    assert response.status_code == 302
    mail = smtp.wait_for(new_email, count=before + 1)[-1]
    [link] = [url for url in mail.links() if "/mon-compte/adresse/" in url]
    return path_of(link)


def email_of(user: User) -> str:
    user.refresh_from_db()
    return user.email


def test_opening_the_link_shows_a_confirm_button_and_changes_nothing(client, client_user, smtp):
    client.force_login(client_user)
    link = request_change(client, smtp, NEW)

    page = client.get(link)

    assert page.status_code == 200
    body = text(page)
    assert NEW in body
    assert '<form method="post"' in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert "Confirmer" in body
    assert email_of(client_user) == OLD
    assert smtp.to(OLD) == []  # nobody was told of a change that did not happen
    # Opened as often as a scanner likes, it still works once confirmed.
    client.get(link)
    assert client.post(link).status_code == 302
    assert email_of(client_user) == NEW


def test_confirming_applies_once_then_the_link_is_dead(client, client_user, smtp):
    client.force_login(client_user)
    link = request_change(client, smtp, NEW)

    confirm = client.post(link)

    assert confirm.status_code == 302
    assert email_of(client_user) == NEW
    [notice] = smtp.wait_for(OLD)
    assert NEW in notice.text
    for again in (client.get(link), client.post(link)):
        assert again.status_code == 410
        assert "Ce lien a déjà servi" in text(again)
        assert "Votre adresse e-mail n'a pas été modifiée." in text(again)
    assert email_of(client_user) == NEW
    assert len(smtp.to(OLD)) == 1


def test_the_first_link_does_not_work_again_after_changing_back(client, client_user, smtp):
    client.force_login(client_user)
    first = request_change(client, smtp, NEW)
    assert client.post(first).status_code == 302  # A -> B
    back = request_change(client, smtp, OLD)
    assert client.post(back).status_code == 302  # B -> A
    assert email_of(client_user) == OLD

    replay = client.post(first)

    assert replay.status_code == 410
    assert "n'a pas été modifiée" in text(replay)
    assert email_of(client_user) == OLD


def test_a_newer_request_replaces_the_pending_link(client, client_user, smtp):
    client.force_login(client_user)
    older = request_change(client, smtp, NEW)
    newer = request_change(client, smtp, "paul.autre@example.fr")

    stale = client.post(older)

    assert stale.status_code == 410
    assert "remplacé par une demande plus récente" in text(stale)
    assert email_of(client_user) == OLD
    assert client.post(newer).status_code == 302
    assert email_of(client_user) == "paul.autre@example.fr"


def test_a_change_made_meanwhile_kills_the_link(client, client_user, smtp):
    client.force_login(client_user)
    link = request_change(client, smtp, NEW)
    User.objects.filter(pk=client_user.pk).update(email="paul.staff@example.fr")  # by staff

    response = client.post(link)

    assert response.status_code == 410
    assert email_of(client_user) == "paul.staff@example.fr"


def test_confirming_needs_the_csrf_token(client_user, smtp):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(client_user)
    response = browser.get(ACCOUNT)
    token = response.cookies["csrftoken"].value
    browser.post(
        ACCOUNT,
        {"action": "email", "new_email": NEW, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    [mail] = smtp.wait_for(NEW)
    [link] = [path_of(u) for u in mail.links() if "/mon-compte/adresse/" in u]

    forged = browser.post(link)

    assert forged.status_code == 403
    assert email_of(client_user) == OLD
    page = browser.get(link)
    token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else token
    assert browser.post(link, {"csrfmiddlewaretoken": token}).status_code == 302
    assert email_of(client_user) == NEW


def test_the_link_works_from_a_browser_that_is_not_signed_in(client, client_user, smtp):
    client.force_login(client_user)
    link = request_change(client, smtp, NEW)
    elsewhere = Client()

    assert elsewhere.get(link).status_code == 200
    response = elsewhere.post(link)

    assert response.status_code == 302
    assert response["Location"] == "/connexion/"
    assert email_of(client_user) == NEW


@pytest.mark.parametrize("token", ["nimportequoi", "A" * 43])
def test_a_mangled_link_is_refused(client, token):
    for response in (
        client.get(f"/mon-compte/adresse/{token}/"),
        client.post(f"/mon-compte/adresse/{token}/"),
    ):
        assert response.status_code == 404
        assert "n'est pas valide" in text(response)


def test_the_confirm_page_speaks_the_accounts_language(client, client_user, smtp):
    client_user.language = User.Language.ENGLISH
    client_user.save()
    client.force_login(client_user)
    link = request_change(client, smtp, NEW)

    page = Client().get(link)  # another browser, not signed in

    assert page.headers["Content-Language"] == "en"
    assert "Your ATM Support account will now use the address" in text(page)
    assert ">Confirm<" in text(page)


def test_an_address_edited_by_staff_voids_the_pending_link(client, client_user, staff_user, smtp):
    """Even when staff set the old address back: the link was for a state that is gone."""
    client.force_login(client_user)
    link = request_change(client, smtp, NEW)
    admin = Client()
    admin.force_login(staff_user)
    url = f"/admin/accounts/user/{client_user.pk}/change/"
    fields = {
        "first_name": "",
        "last_name": "",
        "language": "fr",
        "organisation": client_user.organisation_id,
        "is_active": "on",
    }
    for email in ("paul.staff@example.fr", OLD):
        assert admin.post(url, {**fields, "email": email}).status_code == 302
    assert email_of(client_user) == OLD

    response = client.post(link)

    assert response.status_code == 410
    assert email_of(client_user) == OLD
