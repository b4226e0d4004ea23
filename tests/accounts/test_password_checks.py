"""Every form that checks a password counts against the login's limit: portal login, admin
login, « Mon compte » password change and e-mail change share one counter per (account, IP)."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import caches
from django.test import Client

from accounts import throttle
from tests.factories import PASSWORD
from tests.utils import text

pytestmark = pytest.mark.django_db

ACCOUNT = "/mon-compte/"
NEW_PASSWORD = "Pain-Au-Chocolat-77"


def wrong_password_change(client: Client):
    return client.post(
        ACCOUNT,
        {
            "action": "password",
            "old_password": "pas-le-bon",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )


def wrong_email_change(client: Client, new_email: str = "paul.nouveau@example.fr"):
    return client.post(ACCOUNT, {"action": "email", "new_email": new_email, "password": "no"})


def test_password_change_is_locked_after_the_limit_even_for_the_right_password(
    client, client_user, settings
):
    client.force_login(client_user)
    for _ in range(settings.LOGIN_THROTTLE_ACCOUNT_IP_LIMIT):
        assert "Votre ancien mot de passe est incorrect" in text(wrong_password_change(client))

    response = client.post(
        ACCOUNT,
        {
            "action": "password",
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 400
    page = text(response)
    assert "Trop de tentatives avec un mauvais mot de passe" in page
    assert "Votre ancien mot de passe est incorrect" not in page
    client_user.refresh_from_db()
    assert client_user.check_password(PASSWORD)
    assert not client_user.check_password(NEW_PASSWORD)


def test_email_change_is_locked_after_the_limit_and_mails_nothing(
    client, client_user, settings, smtp
):
    client.force_login(client_user)
    for _ in range(settings.LOGIN_THROTTLE_ACCOUNT_IP_LIMIT):
        assert "Mot de passe incorrect." in text(wrong_email_change(client))

    response = client.post(
        ACCOUNT, {"action": "email", "new_email": "paul.nouveau@example.fr", "password": PASSWORD}
    )

    assert response.status_code == 400
    page = text(response)
    assert "Trop de tentatives avec un mauvais mot de passe" in page
    assert 'value="paul.nouveau@example.fr"' in page  # what was typed is kept
    assert smtp.messages == []
    assert not client_user.email_changes.exists()


def test_guesses_on_mon_compte_lock_the_login_from_that_address(client, client_user):
    client.force_login(client_user)
    for _ in range(3):
        wrong_password_change(client)
    for _ in range(2):
        wrong_email_change(client)
    client.post("/deconnexion/")

    response = client.post("/connexion/", {"username": client_user.email, "password": PASSWORD})

    assert "Trop de tentatives de connexion" in text(response)
    assert "_auth_user_id" not in client.session


def test_portal_and_admin_guesses_share_one_counter(client, staff_user):
    for _ in range(3):
        client.post("/connexion/", {"username": staff_user.email, "password": "x"})
    for _ in range(2):
        client.post("/admin/login/?next=/admin/", {"username": staff_user.email, "password": "x"})

    response = client.post(
        "/admin/login/?next=/admin/", {"username": staff_user.email, "password": PASSWORD}
    )

    assert response.status_code == 200
    assert "Trop de tentatives" in text(response)
    assert "_auth_user_id" not in client.session


def test_a_right_current_password_clears_the_account_counter(client, client_user, settings, smtp):
    client.force_login(client_user)
    for _ in range(settings.LOGIN_THROTTLE_ACCOUNT_IP_LIMIT - 1):
        wrong_email_change(client)
    ok = client.post(
        ACCOUNT, {"action": "email", "new_email": "paul.nouveau@example.fr", "password": PASSWORD}
    )
    assert ok.status_code == 302

    for _ in range(settings.LOGIN_THROTTLE_ACCOUNT_IP_LIMIT - 1):
        wrong_email_change(client)
    again = client.post(
        ACCOUNT, {"action": "email", "new_email": "paul.autre@example.fr", "password": PASSWORD}
    )
    assert again.status_code == 302
    assert len(smtp.wait_for("paul.autre@example.fr")) == 1


@pytest.mark.parametrize(
    "backend",
    [
        pytest.param("redis", id="redis"),
        pytest.param("locmem", id="locmem"),
    ],
)
def test_attempts_are_counted_atomically(backend, settings):
    """Many threads asking at once: exactly `limit` get through, on Redis and without it."""
    if backend == "locmem":
        local = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
        settings.CACHES = {"default": local, "counters": local}
    elif "Redis" not in type(caches["counters"]).__name__:
        pytest.fail("The Redis variant needs REDIS_URL (make test does).")
    settings.LOGIN_THROTTLE_ACCOUNT_IP_LIMIT = 5
    threads_count = 40
    barrier = threading.Barrier(threads_count)
    waits: list[int] = []
    lock = threading.Lock()

    def attempt() -> None:
        barrier.wait()
        wait = throttle.login_attempt("paul@boulangerie-martin.fr", "203.0.113.9")
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=attempt) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert waits.count(0) == 5
    assert all(0 < wait <= settings.LOGIN_THROTTLE_WINDOW for wait in waits if wait)
    [account_ip, account, ip] = throttle.login_counters("paul@boulangerie-martin.fr", "203.0.113.9")
    assert [throttle.counted(c) for c in (account_ip, account, ip)] == [5, 5, 5]


def test_admin_own_password_change_is_locked_after_the_limit(client, staff_user, settings):
    client.force_login(staff_user)
    form = "/admin/password_change/"
    assert client.get(form).status_code == 200
    for _ in range(settings.LOGIN_THROTTLE_ACCOUNT_IP_LIMIT):
        wrong = client.post(
            form,
            {"old_password": "x", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
        assert "Votre ancien mot de passe est incorrect" in text(wrong)

    response = client.post(
        form,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "Trop de tentatives avec un mauvais mot de passe" in text(response)
    staff_user.refresh_from_db()
    assert staff_user.check_password(PASSWORD)


def test_admin_own_password_change_still_works(client, staff_user):
    client.force_login(staff_user)
    response = client.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/password_change/done/"
    staff_user.refresh_from_db()
    assert staff_user.check_password(NEW_PASSWORD)
    assert client.get("/admin/").status_code == 200  # this session kept
