from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Invitation, Organisation, User
from tests.factories import ClientFactory
from tests.utils import text

pytestmark = pytest.mark.django_db


def test_client_never_reaches_the_admin(client, client_user):
    client.force_login(client_user)

    for url in ["/admin/", "/admin/accounts/user/", "/admin/login/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("tickets:home")
    followed = client.get("/admin/", follow=True)
    assert "L'administration est réservée à l'équipe ATM." in text(followed)


def test_client_with_staff_flag_forged_in_a_post_stays_a_client(client, client_user):
    client.force_login(client_user)
    client.post(f"/admin/accounts/user/{client_user.pk}/change/", {"is_staff": "on"})
    client_user.refresh_from_db()
    assert client_user.is_staff is False


def test_staff_is_sent_from_the_portal_to_the_admin(client, staff_user):
    client.force_login(staff_user)
    response = client.get(reverse("tickets:home"))
    assert response["Location"] == reverse("admin:index")
    assert client.get("/admin/").status_code == 200


def test_invite_action_on_users_mails_each_selected_client(client, staff_user, organisation, smtp):
    first = ClientFactory(organisation=organisation)
    second = ClientFactory(organisation=organisation)
    client.force_login(staff_user)

    response = client.post(
        "/admin/accounts/user/",
        {"action": "send_invitation", "_selected_action": [first.pk, second.pk, staff_user.pk]},
        follow=True,
    )

    assert response.status_code == 200
    page = text(response)
    assert "Invitation envoyée à" in page
    assert "ne sont pas invités par ce moyen" in page  # the staff row is refused, with a reason
    smtp.wait_for(first.email)
    smtp.wait_for(second.email)
    assert smtp.to(staff_user.email) == []
    assert Invitation.objects.filter(user__in=[first, second], created_by=staff_user).count() == 2


def test_invite_button_on_the_organisation_creates_and_invites(
    client, staff_user, organisation, smtp
):
    client.force_login(staff_user)
    change = client.get(reverse("admin:accounts_organisation_change", args=[organisation.pk]))
    invite_url = reverse("admin:accounts_organisation_invite", args=[organisation.pk])
    assert invite_url in text(change)

    response = client.post(
        invite_url, {"email": "nouvelle@boulangerie.fr", "first_name": "Nina", "last_name": "B"}
    )

    assert response.status_code == 302
    user = User.objects.get(email="nouvelle@boulangerie.fr")
    assert user.organisation == organisation
    [mail] = smtp.wait_for("nouvelle@boulangerie.fr")
    assert "/invitation/" in mail.text


def test_invite_button_refuses_bad_input_in_french_and_keeps_it(
    client, staff_user, organisation, other_organisation
):
    ClientFactory(email="ailleurs@durand.fr", organisation=other_organisation)
    client.force_login(staff_user)
    url = reverse("admin:accounts_organisation_invite", args=[organisation.pk])

    bad = client.post(url, {"email": "pas-une-adresse", "first_name": "Nina"})
    taken = client.post(url, {"email": "ailleurs@durand.fr"})

    assert bad.status_code == 200
    assert "Saisissez une adresse de courriel valide" in text(bad)
    assert 'value="Nina"' in text(bad)
    assert "appartient déjà à l'organisation « Cabinet Durand »" in text(taken)
    assert (
        client.get(reverse("admin:accounts_organisation_invite", args=[999999])).status_code == 404
    )


def test_admin_refuses_a_client_without_organisation_in_french(client, staff_user):
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {"email": "orphelin@example.fr", "usable_password": "false"},
    )
    assert response.status_code == 200
    assert "Un utilisateur client doit avoir une organisation." in text(response)
    assert not User.objects.filter(email="orphelin@example.fr").exists()


def test_database_refuses_staff_with_an_organisation(organisation):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("mixte@example.fr", is_staff=True, organisation=organisation)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("seul@example.fr")


def test_organisation_list_counts_users(client, staff_user, organisation):
    ClientFactory.create_batch(3, organisation=organisation)
    client.force_login(staff_user)
    response = client.get(reverse("admin:accounts_organisation_changelist"))
    assert response.status_code == 200
    assert Organisation.objects.count() == 1
    assert ">3<" in response.content.decode()
