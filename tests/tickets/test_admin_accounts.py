"""The admin around tickets: organisations lead to their tickets, categories are ordered and
retired, and a deactivated user is signed out at once."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from accounts.models import User
from tests.factories import PASSWORD, CategoryFactory, ClientFactory, make_ticket
from tests.utils import text
from tickets.models import Category

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    """A browser of its own, signed in through the login form (a real session row)."""
    browser = Client()
    assert browser.login(username=user.email, password=PASSWORD)
    assert browser.get("/").status_code == 200
    return browser


def test_organisation_pages_link_to_its_tickets(client, staff_user, client_user):
    other = ClientFactory(organisation__name="Cabinet Durand")
    mine = make_ticket(reporter=client_user)
    make_ticket(reporter=other)
    client.force_login(staff_user)
    link = f"/admin/tickets/ticket/?organisation__id__exact={client_user.organisation_id}"

    assert link in text(
        client.get(f"/admin/accounts/organisation/{client_user.organisation_id}/change/")
    )
    assert link in text(client.get("/admin/accounts/organisation/"))
    listed = text(client.get(link))
    assert mine.display_number in listed
    assert "Cabinet Durand" not in listed.split('id="result_list"')[1]


def test_deactivate_action_ends_the_users_sessions_at_once(client, staff_user, client_user):
    colleague = ClientFactory(organisation=client_user.organisation)
    browser = signed_in(client_user)
    colleague_browser = signed_in(colleague)
    client.force_login(staff_user)

    response = client.post(
        "/admin/accounts/user/",
        {"action": "deactivate", "_selected_action": [client_user.pk]},
        follow=True,
    )

    assert "Utilisateurs désactivés : 1 ; sessions fermées : 1." in text(response)
    client_user.refresh_from_db()
    assert client_user.is_active is False
    assert not Session.objects.filter(session_key=browser.cookies["sessionid"].value).exists()
    assert Session.objects.filter(session_key=colleague_browser.cookies["sessionid"].value).exists()
    # Their very next request is anonymous; the colleague is untouched.
    assert browser.get("/")["Location"].startswith("/connexion/")
    assert colleague_browser.get("/").status_code == 200
    assert not browser.login(username=client_user.email, password=PASSWORD)


def test_staff_cannot_deactivate_themselves(client, staff_user):
    client.force_login(staff_user)

    response = client.post(
        "/admin/accounts/user/",
        {"action": "deactivate", "_selected_action": [staff_user.pk]},
        follow=True,
    )

    assert "Vous ne pouvez pas vous désactiver vous-même." in text(response)
    staff_user.refresh_from_db()
    assert staff_user.is_active is True


def test_unticking_active_in_the_user_form_ends_the_sessions(client, staff_user, client_user):
    browser = signed_in(client_user)
    client.force_login(staff_user)
    url = f"/admin/accounts/user/{client_user.pk}/change/"
    data: dict[str, Any] = {
        "email": client_user.email,
        "first_name": client_user.first_name,
        "last_name": client_user.last_name,
        "language": client_user.language,
        "organisation": client_user.organisation_id,
        # is_active left out: unticked
        "_save": "Enregistrer",
    }

    response = client.post(url, data, follow=True)

    assert response.status_code == 200
    assert "est désactivé : 1 session fermée." in text(response)
    assert browser.get("/")["Location"].startswith("/connexion/")


def test_categories_are_ordered_and_retired_without_leaving_tickets(
    client, staff_user, client_user
):
    anomaly = CategoryFactory(name="Anomalie", position=10)
    question = CategoryFactory(name="Question", position=20)
    ticket = make_ticket(reporter=client_user, category=question)
    client.force_login(staff_user)

    response = client.post(
        "/admin/tickets/category/",
        {"action": "retire", "_selected_action": [question.pk]},
        follow=True,
    )

    assert "1 catégorie retirée" in text(response)
    assert list(Category.objects.filter(is_active=True)) == [anomaly]
    ticket.refresh_from_db()
    assert ticket.category == question
    client.force_login(client_user)
    report_form = text(client.get("/tickets/nouveau/"))
    assert "Anomalie" in report_form
    assert ">Question<" not in report_form
    # Staff still see it on the ticket, and cannot pick it for another one.
    client.force_login(staff_user)
    page = text(client.get(f"/admin/tickets/ticket/{ticket.pk}/change/"))
    assert f'<option value="{question.pk}" selected>Question</option>' in page
    other = make_ticket(reporter=client_user, category=anomaly)
    page = text(client.get(f"/admin/tickets/ticket/{other.pk}/change/"))
    assert f'<option value="{question.pk}"' not in page
    client.post(
        "/admin/tickets/category/",
        {"action": "restore", "_selected_action": [question.pk]},
    )
    assert Category.objects.filter(is_active=True).count() == 2
