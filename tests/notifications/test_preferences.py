"""« Mon compte », section Notifications: following every ticket of the organisation, or not."""

from __future__ import annotations

import pytest

from tests.utils import text

pytestmark = pytest.mark.django_db

ACCOUNT = "/mon-compte/"


def test_account_page_has_a_notifications_section(client, client_user):
    client.force_login(client_user)

    page = text(client.get(ACCOUNT))

    assert "Notifications" in page
    assert "Suivre tous les tickets de mon organisation" in page
    assert 'name="follow_all_tickets"' in page
    assert 'value="notifications"' in page


def test_following_all_tickets_is_saved_and_can_be_turned_off(client, client_user):
    client.force_login(client_user)

    on = client.post(ACCOUNT, {"action": "notifications", "follow_all_tickets": "on"})
    assert on.status_code == 302
    client_user.refresh_from_db()
    assert client_user.follow_all_tickets is True
    assert "Préférences de notification enregistrées." in text(client.get(ACCOUNT))
    checkbox = text(client.get(ACCOUNT)).split('name="follow_all_tickets"')[1].split(">")[0]
    assert "checked" in checkbox

    off = client.post(ACCOUNT, {"action": "notifications"})  # an unticked box is not posted
    assert off.status_code == 302
    client_user.refresh_from_db()
    assert client_user.follow_all_tickets is False


def test_the_other_forms_leave_the_preference_alone(client, client_user):
    client_user.follow_all_tickets = True
    client_user.save()
    client.force_login(client_user)

    client.post(ACCOUNT, {"action": "language", "language": "en"})

    client_user.refresh_from_db()
    assert client_user.language == "en"
    assert client_user.follow_all_tickets is True
