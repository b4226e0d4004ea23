from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.invitations import InviteRefused, hash_token, invitation_create, invite_client
from accounts.models import Invitation, User
from tests.factories import StaffFactory
from tests.utils import text

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Croissant-Chaud-2026"


def post_password(client: Any, url: str, password: str = GOOD_PASSWORD, confirm: str | None = None):
    return client.post(
        url, {"new_password1": password, "new_password2": password if confirm is None else confirm}
    )


def test_invite_client_creates_user_and_mails_a_working_link(organisation, smtp, settings):
    settings.SITE_URL = "https://support.example.test"
    issued = invite_client(email="Lea@Boulangerie-Martin.fr", organisation=organisation)

    user = User.objects.get(email="lea@boulangerie-martin.fr")
    assert user.organisation == organisation
    assert not user.has_usable_password()
    [mail] = smtp.wait_for("lea@boulangerie-martin.fr")
    assert mail.subject == "Votre accès à l'assistance ATM"
    assert issued.url in mail.text
    assert issued.url in mail.html
    assert issued.url.startswith("https://support.example.test/invitation/")
    # Only the hash is stored: the token itself is nowhere in the database.
    invitation = Invitation.objects.get(user=user)
    assert invitation.token_hash == hash_token(issued.token)
    assert issued.token not in invitation.token_hash


def test_get_shows_form_and_consumes_nothing(client, organisation):
    issued = invite_client(email="lea@example.fr", organisation=organisation, send=False)

    for _ in range(3):  # a mail scanner may open the link several times
        response = client.get(issued.url)
        assert response.status_code == 200
        assert "Création du mot de passe" in text(response)
    invitation = Invitation.objects.get()
    assert invitation.used_at is None


def test_post_sets_password_logs_in_and_lands_on_accueil(client, organisation):
    issued = invite_client(email="lea@example.fr", organisation=organisation, send=False)

    response = post_password(client, issued.url)

    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:home")
    user = User.objects.get(email="lea@example.fr")
    assert user.check_password(GOOD_PASSWORD)
    assert Invitation.objects.get().used_at is not None
    home = client.get(reverse("tickets:home"))
    assert home.status_code == 200
    assert home.wsgi_request.user == user
    assert "Bienvenue sur ATM Support" in text(home)


def test_replayed_link_is_refused_with_410(client, organisation):
    issued = invite_client(email="lea@example.fr", organisation=organisation, send=False)
    post_password(client, issued.url)
    client.logout()

    for response in (
        client.get(issued.url),
        post_password(client, issued.url, "Autre-Secret-2026"),
    ):
        assert response.status_code == 410
        assert "déjà servi" in text(response)
    assert User.objects.get(email="lea@example.fr").check_password(GOOD_PASSWORD)


def test_expired_link_is_refused_with_410(client, organisation):
    issued = invite_client(email="lea@example.fr", organisation=organisation, send=False)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = post_password(client, issued.url)

    assert response.status_code == 410
    assert "a expiré" in text(response)
    assert not User.objects.get(email="lea@example.fr").has_usable_password()


def test_link_is_valid_for_seven_days(organisation):
    issued = invite_client(email="lea@example.fr", organisation=organisation, send=False)
    lifetime = issued.invitation.expires_at - issued.invitation.created_at
    assert lifetime == timedelta(days=7)


def test_newer_invitation_voids_the_older_one(client, organisation):
    first = invite_client(email="lea@example.fr", organisation=organisation, send=False)
    second = invite_client(email="lea@example.fr", organisation=organisation, send=False)

    old = client.get(first.url)
    assert old.status_code == 410
    assert "remplacé par une invitation plus récente" in text(old)
    assert client.get(second.url).status_code == 200


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "x" * 43,  # well-formed but unknown
        "%0d%0a" + "a" * 40,
        "a" * 500,
    ],
)
def test_garbage_tokens_answer_404_never_500(client, organisation, token):
    invite_client(email="lea@example.fr", organisation=organisation, send=False)

    response = client.get(f"/invitation/{token}/")

    assert response.status_code == 404
    assert "n'est pas valide" in text(response)


def test_a_token_with_a_nul_byte_answers_400_never_500(client, organisation):
    """Refused before the view by atm_support.input_guards, like any NUL in a path."""
    invite_client(email="lea@example.fr", organisation=organisation, send=False)

    response = client.get("/invitation/%00%0d%0a" + "a" * 40 + "/")

    assert response.status_code == 400
    assert "Requête invalide" in text(response)


def test_deactivated_user_cannot_use_the_link(client, organisation):
    issued = invite_client(email="lea@example.fr", organisation=organisation, send=False)
    User.objects.filter(email="lea@example.fr").update(is_active=False)

    assert client.get(issued.url).status_code == 410


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("court", None, "Ce mot de passe est trop court"),
        ("motdepasse", None, "Ce mot de passe est trop courant"),
        ("1234567890123", None, "Ce mot de passe est entièrement numérique"),
        (GOOD_PASSWORD, "Different-Secret-99", "Les deux mots de passe ne correspondent pas"),
    ],
)
def test_weak_or_mismatched_password_is_refused_in_french(
    client, organisation, password, confirm, message
):
    issued = invite_client(email="lea@example.fr", organisation=organisation, send=False)

    response = post_password(client, issued.url, password, confirm)

    assert response.status_code == 200
    assert message in text(response)
    assert Invitation.objects.get().used_at is None
    assert not User.objects.get(email="lea@example.fr").has_usable_password()


def test_password_similar_to_email_is_refused(client, organisation):
    issued = invite_client(
        email="boulangerie.martin@example.fr", organisation=organisation, send=False
    )

    response = post_password(client, issued.url, "boulangerie.martin")

    assert "trop semblable" in text(response)


def test_staff_cannot_be_invited_as_client(organisation):
    staff = StaffFactory(email="tech@atm-consulting.fr")
    with pytest.raises(InviteRefused):
        invite_client(email=staff.email, organisation=organisation, send=False)
    with pytest.raises(InviteRefused):
        invitation_create(user=staff)


def test_user_of_another_organisation_is_not_moved(organisation, other_organisation, client_user):
    with pytest.raises(InviteRefused, match="appartient déjà"):
        invite_client(email=client_user.email, organisation=other_organisation, send=False)
    client_user.refresh_from_db()
    assert client_user.organisation == organisation
