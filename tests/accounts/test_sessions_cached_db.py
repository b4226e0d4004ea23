"""Sessions cached in Redis (cached_db, the engine when REDIS_URL is set): ending them also
clears their cached copy, which would otherwise keep serving them."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cached_db_sessions(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"


def test_deactivated_user_is_not_signed_in_again_once_reactivated(client_user, staff_user):
    browser = Client()
    browser.force_login(client_user)
    assert browser.get("/").status_code == 200
    staff = Client()
    staff.force_login(staff_user)

    response = staff.post(
        "/admin/accounts/user/",
        {"action": "deactivate", "_selected_action": [client_user.pk]},
        follow=True,
    )
    assert "sessions fermées : 1." in response.content.decode()
    User.objects.filter(pk=client_user.pk).update(is_active=True)

    # The session is gone from the database and from the cache: reactivation does not revive it.
    response = browser.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/")


def test_colleagues_sessions_are_left_alone(client_user, staff_user):
    colleague = User.objects.create_user(
        email="lea@boulangerie-martin.fr", password="x" * 12, organisation=client_user.organisation
    )
    theirs = Client()
    theirs.force_login(colleague)
    staff = Client()
    staff.force_login(staff_user)

    staff.post(
        "/admin/accounts/user/", {"action": "deactivate", "_selected_action": [client_user.pk]}
    )

    assert theirs.get("/").status_code == 200
