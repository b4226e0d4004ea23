from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests.factories import PASSWORD, ClientFactory
from tests.utils import text

pytestmark = pytest.mark.django_db

LOGIN = "/connexion/"


def login(client: Client, email: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN, {"username": email, "password": password}, **extra)


def test_client_logs_in_with_email_and_lands_on_accueil(client, client_user):
    response = login(client, "Paul@Boulangerie-Martin.fr")  # case does not matter

    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:home")
    assert client.get(reverse("tickets:home")).status_code == 200


def test_wrong_password_says_so_in_french_and_keeps_the_email(client, client_user):
    response = login(client, client_user.email, "mauvais")

    assert response.status_code == 200
    page = text(response)
    assert "Adresse e-mail ou mot de passe incorrect." in page
    assert f'value="{client_user.email}"' in page


def test_staff_logging_in_on_the_portal_goes_to_the_admin(client, staff_user):
    response = login(client, staff_user.email)
    assert response["Location"] == reverse("admin:index")


def test_login_page_requires_csrf(client_user):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(LOGIN, {"username": client_user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "Formulaire expiré" in text(response)
    assert "_auth_user_id" not in strict.session


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "http://evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
    ],
)
def test_next_never_leaves_the_site(client, client_user, target):
    response = client.post(
        f"{LOGIN}?next={target}", {"username": client_user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:home")


def test_next_follows_a_same_site_path(client, client_user):
    response = client.post(
        f"{LOGIN}?next=/mon-compte/", {"username": client_user.email, "password": PASSWORD}
    )
    assert response["Location"] == "/mon-compte/"


def test_portal_pages_require_login(client):
    for name in [
        "tickets:home",
        "tickets:my_view",
        "tickets:list",
        "tickets:create",
        "accounts:account",
    ]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(f"{LOGIN}?next=")


def test_logout_is_a_post(client, client_user):
    client.force_login(client_user)

    assert client.get("/deconnexion/").status_code == 405
    assert client.get(reverse("tickets:home")).status_code == 200
    response = client.post("/deconnexion/")
    assert response.status_code == 302
    assert client.get(reverse("tickets:home")).status_code == 302


def test_accueil_shows_the_previous_login_not_the_current_one(client, client_user):
    earlier = timezone.make_aware(timezone.datetime(2026, 3, 14, 9, 26))
    User.objects.filter(pk=client_user.pk).update(last_login=earlier)

    login(client, client_user.email)
    page = text(client.get(reverse("tickets:home")))

    assert "Dernière connexion : samedi 14 mars 2026 à 09:26" in page
    client_user.refresh_from_db()
    assert client_user.previous_login == earlier
    assert client_user.last_login > earlier


def test_first_login_says_so(client, client_user):
    login(client, client_user.email)
    assert "c'est votre première connexion" in text(client.get(reverse("tickets:home")))


class TestThrottle:
    def test_five_failures_from_one_address_lock_that_account_there(self, client, client_user):
        for _ in range(5):
            assert "incorrect" in text(login(client, client_user.email, "mauvais"))

        response = login(client, client_user.email)  # even the right password waits

        assert "Trop de tentatives de connexion" in text(response)
        assert "_auth_user_id" not in client.session

    def test_the_client_can_still_log_in_from_another_address(self, client, client_user):
        for _ in range(5):
            login(client, client_user.email, "mauvais", REMOTE_ADDR="203.0.113.9")

        response = login(client, client_user.email, REMOTE_ADDR="198.51.100.7")

        assert response.status_code == 302

    def test_many_addresses_guessing_one_account_are_held_by_the_account_limit(
        self, client, client_user, settings
    ):
        for i in range(settings.LOGIN_THROTTLE_ACCOUNT_LIMIT):
            login(client, client_user.email, "mauvais", REMOTE_ADDR=f"203.0.113.{i + 1}")

        response = login(client, client_user.email, REMOTE_ADDR="198.51.100.7")

        assert "Trop de tentatives" in text(response)

    def test_one_address_spraying_accounts_is_held(self, client, organisation, settings):
        settings.LOGIN_THROTTLE_IP_LIMIT = 8
        users = [ClientFactory(organisation=organisation) for _ in range(9)]
        for user in users[:8]:
            login(client, user.email, "mauvais")

        response = login(client, users[8].email)

        assert "Trop de tentatives" in text(response)

    def test_the_lock_ends_with_the_window(self, client, client_user, settings):
        settings.LOGIN_THROTTLE_WINDOW = 1
        for _ in range(5):
            login(client, client_user.email, "mauvais")
        assert "Trop de tentatives" in text(login(client, client_user.email))

        import time

        time.sleep(1.2)
        assert login(client, client_user.email).status_code == 302

    def test_a_success_clears_the_account_counter(self, client, client_user):
        for _ in range(4):
            login(client, client_user.email, "mauvais")
        assert login(client, client_user.email).status_code == 302
        client.post("/deconnexion/")
        for _ in range(4):
            login(client, client_user.email, "mauvais")
        assert login(client, client_user.email).status_code == 302

    def test_admin_login_is_throttled_too(self, client, staff_user):
        for _ in range(5):
            client.post(
                "/admin/login/?next=/admin/", {"username": staff_user.email, "password": "x"}
            )

        response = client.post(
            "/admin/login/?next=/admin/", {"username": staff_user.email, "password": PASSWORD}
        )

        assert response.status_code == 200
        assert "Trop de tentatives" in text(response)


def test_inactive_user_cannot_log_in(client, client_user):
    User.objects.filter(pk=client_user.pk).update(is_active=False)
    response = login(client, client_user.email)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_session_lasts_two_weeks_at_most(client, client_user, settings):
    login(client, client_user.email)
    assert client.session.get_expiry_age() <= settings.SESSION_COOKIE_AGE
    assert int(timedelta(days=14).total_seconds()) == settings.SESSION_COOKIE_AGE


def test_the_admin_login_page_has_its_heading(client):
    """One h1 per page (axe page-has-heading-one): Django's admin login page has none."""
    body = client.get("/admin/login/").content.decode()
    assert body.count("<h1") == 1
    assert '<h1 class="login-title">Connexion</h1>' in body
