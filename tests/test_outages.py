"""A service out of reach (Redis, PostgreSQL) answers a French 503 page, never a 500.

The Redis tests point the caches at a port where nothing listens, or at a socket that accepts
and never answers (the caches' timeouts bound the wait): a login (attempt counters), a signed-in
page (session copies, kept pages) and the admin.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client, override_settings

from accounts.models import User
from atm_support.errors import server_error
from atm_support.settings import redis_cache
from tests.factories import PASSWORD
from tests.utils import text

pytestmark = pytest.mark.django_db

UNAVAILABLE = "Service momentanément indisponible"


def redis_at(port: int) -> override_settings:
    """Both caches at `port`, restored when the block ends (before the suite's own fixtures
    clear the caches)."""
    where = redis_cache(f"redis://127.0.0.1:{port}/0")
    return override_settings(CACHES={"default": where, "counters": where})


def assert_unavailable(response: Any) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert UNAVAILABLE in text(response)


@pytest.mark.parametrize("where", ["closed", "silent"])
def test_a_login_with_redis_out_of_reach_is_a_french_503(where, request, client_user) -> None:
    port = request.getfixturevalue(f"{where}_port")
    with redis_at(port):
        response = Client(raise_request_exception=False).post(
            "/connexion/", {"username": client_user.email, "password": PASSWORD}
        )
    assert_unavailable(response)


def test_signed_in_pages_with_redis_out_of_reach_are_a_french_503(
    settings, client_user, staff_user, closed_port
) -> None:
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    client_browser = Client(raise_request_exception=False)
    client_browser.force_login(client_user)
    staff_browser = Client(raise_request_exception=False)
    staff_browser.force_login(staff_user)
    with redis_at(closed_port):
        assert_unavailable(client_browser.get("/"))
        assert_unavailable(staff_browser.get("/admin/"))


def test_a_database_out_of_reach_is_a_503_and_a_bug_still_a_500(rf) -> None:
    request = rf.get("/")
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        assert_unavailable(server_error(request))
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(request)
    assert response.status_code == 500
    assert UNAVAILABLE not in response.content.decode()


def test_the_user_is_not_touched_by_the_refused_login(client_user, closed_port) -> None:
    with redis_at(closed_port):
        Client(raise_request_exception=False).post(
            "/connexion/", {"username": client_user.email, "password": PASSWORD}
        )
    assert User.objects.get(pk=client_user.pk).last_login == client_user.last_login
