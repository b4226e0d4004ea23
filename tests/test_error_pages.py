"""The portal's own French 404/403/500 pages answer in every mode, DEBUG (`make run`) included.

Django shows its English technical pages in DEBUG; a client trying the portal with `make run`
must see what production shows. `DEBUG_ERROR_PAGES=1` gives the developers Django's pages back.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound
from django.test import Client
from django.urls import include, path

from tests.factories import PASSWORD, ClientFactory, make_ticket
from tests.utils import text

pytestmark = pytest.mark.django_db


def _refused(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def _missing(request: HttpRequest) -> HttpResponse:
    raise Http404("Aucun ticket ne correspond")


def _broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug of the page")


def _own_404(request: HttpRequest) -> HttpResponse:
    return HttpResponseNotFound("réponse de la vue elle-même")


# This module is the URLconf of the tests below: the portal's, plus views that fail on purpose.
handler500 = "atm_support.errors.server_error"
urlpatterns = [
    path("essai/refuse/", _refused),
    path("essai/absent/", _missing),
    path("essai/panne/", _broken),
    path("essai/vue-404/", _own_404),
    path("", include("atm_support.urls")),
]


@pytest.fixture
def debug(settings: Any) -> Any:
    settings.DEBUG = True
    settings.ROOT_URLCONF = __name__
    return settings


def test_another_organisations_ticket_shows_the_french_404_with_debug(
    debug, client, client_user, other_organisation
) -> None:
    stranger = ClientFactory(email="sophie@cabinet-durand.fr", organisation=other_organisation)
    ticket = make_ticket(reporter=stranger)
    client.login(username=client_user.email, password=PASSWORD)

    response = client.get(f"/tickets/{ticket.number}/")

    assert response.status_code == 404
    body = text(response)
    assert "Page introuvable" in body
    assert "Retour à l'accueil" in body
    assert "Django" not in body
    assert "URLconf" not in body


def test_an_unknown_address_shows_the_french_404_with_debug(debug, client) -> None:
    response = client.get("/nexiste-pas/")
    assert response.status_code == 404
    assert "Page introuvable" in text(response)
    assert "URLconf" not in text(response)


def test_a_view_raising_http404_shows_the_french_404_with_debug(debug, client) -> None:
    response = client.get("/essai/absent/")
    assert response.status_code == 404
    assert "Page introuvable" in text(response)
    assert "Aucun ticket ne correspond" not in text(response)


def test_a_missing_slash_still_redirects_with_debug(debug, client) -> None:
    # CommonMiddleware turns a 404 into the address with its slash: the French page keeps it.
    response = client.get("/tickets")
    assert response.status_code == 301
    assert response["Location"] == "/tickets/"


def test_a_404_the_view_wrote_itself_is_kept_with_debug(debug, client) -> None:
    response = client.get("/essai/vue-404/")
    assert response.status_code == 404
    assert text(response) == "réponse de la vue elle-même"


def test_a_refusal_shows_the_french_403_with_debug(debug, client) -> None:
    response = client.get("/essai/refuse/")
    assert response.status_code == 403
    assert "Accès refusé" in text(response)


def test_a_bug_shows_the_french_500_with_debug(debug) -> None:
    response = Client(raise_request_exception=False).get("/essai/panne/")
    assert response.status_code == 500
    body = text(response)
    assert "Une erreur est survenue" in body
    assert "a bug of the page" not in body
    assert "Traceback" not in body


def test_a_bug_is_still_logged_with_debug(debug, caplog) -> None:
    Client(raise_request_exception=False).get("/essai/panne/")
    errors = [r for r in caplog.records if r.name == "django.request" and r.levelname == "ERROR"]
    assert errors, caplog.records
    assert errors[0].exc_info is not None
    assert "a bug of the page" in str(errors[0].exc_info[1])


def test_the_test_client_still_raises_a_bug_with_debug(debug, client) -> None:
    # got_request_exception is still sent: the tests see a view's exception, as without DEBUG.
    with pytest.raises(RuntimeError, match="a bug of the page"):
        client.get("/essai/panne/")


def test_debug_error_pages_gives_django_technical_pages_back(debug, client) -> None:
    debug.DEBUG_ERROR_PAGES = True
    response = client.get("/nexiste-pas/")
    assert response.status_code == 404
    assert "URLconf" in text(response)
    assert "Page introuvable" not in text(response)


def test_without_debug_the_french_pages_answer_as_before(settings, client) -> None:
    settings.ROOT_URLCONF = __name__
    assert client.get("/essai/absent/").status_code == 404
    assert "Page introuvable" in text(client.get("/essai/absent/"))
    assert "Accès refusé" in text(client.get("/essai/refuse/"))
    response = Client(raise_request_exception=False).get("/essai/panne/")
    assert response.status_code == 500
    assert "Une erreur est survenue" in text(response)
