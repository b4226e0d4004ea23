"""« Inviter » on organisations: every client user who never signed in and has no password yet
gets the usual invitation mail. Accounts brought over from MantisBT arrive inactive; those
awaiting their invitation (User.awaiting_invitation) are activated by it, any other inactive
account (disabled in MantisBT, or here) is left out and counted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.invitations import InviteRefused, invite_client
from accounts.models import Invitation, User
from tests.factories import ClientFactory
from tests.utils import path_of, text

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Un-Mot-De-Passe-Solide-2026"


def imported(organisation: Any, email: str, *, enabled: bool = True) -> User:
    """An account as the MantisBT import creates it: no usable password, inactive, awaiting
    its invitation when it was enabled in MantisBT."""
    return User.objects.create_user(
        email=email,
        organisation=organisation,
        first_name="Importé",
        is_active=False,
        awaiting_invitation=enabled,
    )


def invite(browser: Client, *organisations: Any) -> Any:
    return browser.post(
        "/admin/accounts/organisation/",
        {"action": "invite_users", "_selected_action": [o.pk for o in organisations]},
        follow=True,
    )


@pytest.fixture
def staff(staff_user: Any) -> Client:
    browser = Client()
    browser.force_login(staff_user)
    return browser


def test_invites_those_never_signed_in_and_leaves_disabled_accounts_out(
    staff, organisation, other_organisation, smtp
):
    awaiting = imported(organisation, "lea@boulangerie-martin.fr")
    pending = User.objects.create_user(
        email="marc@boulangerie-martin.fr", organisation=organisation
    )
    disabled = imported(organisation, "ancien@boulangerie-martin.fr", enabled=False)
    placeholder = imported(organisation, "mantis-42@mantis.invalid", enabled=False)
    signed_in = ClientFactory(organisation=organisation, email="paul@boulangerie-martin.fr")
    signed_in.last_login = timezone.now() - timedelta(days=3)
    signed_in.save(update_fields=["last_login"])
    with_password = ClientFactory(organisation=organisation, email="anne@boulangerie-martin.fr")
    elsewhere = imported(other_organisation, "julie@cabinet-durand.fr")

    response = invite(staff, organisation)

    assert "2 invitations envoyées, 2 comptes désactivés laissés de côté." in text(response)
    assert sorted(Invitation.objects.values_list("user__email", flat=True)) == [
        "lea@boulangerie-martin.fr",
        "marc@boulangerie-martin.fr",
    ]
    assert smtp.wait_for(awaiting.email)
    assert smtp.wait_for(pending.email)
    for user in (disabled, placeholder, signed_in, with_password, elsewhere):
        assert not smtp.to(user.email), user.email
    for user in (awaiting, disabled, placeholder, elsewhere):
        user.refresh_from_db()
    assert (awaiting.is_active, awaiting.awaiting_invitation) == (True, False)
    assert not disabled.is_active
    assert not placeholder.is_active
    assert not elsewhere.is_active  # another organisation, not selected


def test_the_mailed_link_lets_an_imported_user_sign_in(staff, organisation, smtp):
    user = imported(organisation, "lea@boulangerie-martin.fr")
    invite(staff, organisation)
    [mail] = smtp.wait_for(user.email)
    link = next(url for url in mail.links() if "/invitation/" in url)

    visitor = Client()
    response = visitor.post(
        path_of(link), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert Client().login(username=user.email, password=NEW_PASSWORD)


def test_nothing_to_invite_says_so(staff, organisation, smtp):
    imported(organisation, "ancien@boulangerie-martin.fr", enabled=False)

    response = invite(staff, organisation)

    assert "Aucune invitation envoyée, 1 compte désactivé laissé de côté." in text(response)
    assert not Invitation.objects.exists()
    assert not smtp.messages


def test_an_account_deactivated_here_is_never_activated_by_an_invitation(staff, organisation, smtp):
    user = imported(organisation, "lea@boulangerie-martin.fr")
    staff.post(
        "/admin/accounts/user/",
        {"action": "deactivate", "_selected_action": [user.pk]},
    )
    user.refresh_from_db()
    assert not user.awaiting_invitation

    response = invite(staff, organisation)

    assert "1 compte désactivé laissé de côté" in text(response)
    user.refresh_from_db()
    assert not user.is_active
    assert not smtp.to(user.email)


def test_invite_client_activates_an_imported_account_and_refuses_a_disabled_one(organisation):
    awaiting = imported(organisation, "lea@boulangerie-martin.fr")
    disabled = imported(organisation, "ancien@boulangerie-martin.fr", enabled=False)

    issued = invite_client(email=awaiting.email, organisation=organisation, send=False)

    awaiting.refresh_from_db()
    assert awaiting.is_active
    assert Client().get(issued.url).status_code == 200
    with pytest.raises(InviteRefused, match="désactivé"):
        invite_client(email=disabled.email, organisation=organisation, send=False)
    disabled.refresh_from_db()
    assert not disabled.is_active
