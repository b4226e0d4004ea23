"""The invite flow: staff or ops invite a client user, who follows a one-time link to set a
password.

The token travels only in the e-mail; the database keeps its SHA-256. A link is valid
INVITATION_VALIDITY_DAYS, used once, and voided by any newer invitation for the same user.
Opening the link (GET) consumes nothing, so that mail scanners cannot burn it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from mail.rendering import send_templated_email

from .models import Invitation, Organisation, User, normalize_email
from .tokens import hash_token, new_token, well_formed


class InvitationError(Exception):
    """Why a link cannot be used; `status` is the HTTP status the page answers with."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class InviteRefused(Exception):
    """An invitation that cannot be made (staff address, user of another organisation...)."""


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str

    @property
    def url(self) -> str:
        return invitation_url(self.token)


def invitation_url(token: str) -> str:
    return settings.SITE_URL + reverse("accounts:invitation", kwargs={"token": token})


def invitation_create(*, user: User, by: User | None = None) -> IssuedInvitation:
    """Issue a new link for `user`, voiding every earlier unused one."""
    if user.is_staff:
        raise InviteRefused(
            gettext("Les membres de l'équipe ATM ne sont pas invités par ce moyen.")
        )
    if not user.is_active and not user.awaiting_invitation:
        raise InviteRefused(
            gettext("Le compte %(email)s est désactivé : réactivez-le d'abord.")
            % {"email": user.email}
        )
    now = timezone.now()
    token = new_token()
    with transaction.atomic():
        if user.awaiting_invitation:
            # An account brought over inactive (MantisBT) is activated by its first invitation:
            # without a usable password it still cannot sign in before following the link.
            user.is_active = True
            user.awaiting_invitation = False
            user.save(update_fields=["is_active", "awaiting_invitation"])
        Invitation.objects.filter(user=user, used_at__isnull=True, voided_at__isnull=True).update(
            voided_at=now
        )
        invitation = Invitation.objects.create(
            user=user,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + timedelta(days=settings.INVITATION_VALIDITY_DAYS),
            created_by=by,
        )
    return IssuedInvitation(invitation=invitation, token=token)


def invitation_send(*, issued: IssuedInvitation) -> None:
    user = issued.invitation.user
    send_templated_email(
        template="invitation",
        to=[user.email],
        language=user.language,
        context={
            "user": user,
            "organisation": user.organisation,
            "url": issued.url,
            "expires_at": issued.invitation.expires_at,
        },
    )


def invite_client(
    *,
    email: str,
    organisation: Organisation,
    first_name: str = "",
    last_name: str = "",
    by: User | None = None,
    send: bool = True,
) -> IssuedInvitation:
    """Create the client user if needed, issue a fresh link and (by default) mail it."""
    email = normalize_email(email)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email,
                organisation=organisation,
                first_name=first_name,
                last_name=last_name,
            )
        elif user.is_staff:
            raise InviteRefused(
                gettext("%(email)s est un compte de l'équipe ATM, pas un client.")
                % {"email": email}
            )
        elif user.organisation_id != organisation.pk:
            raise InviteRefused(
                gettext("%(email)s appartient déjà à l'organisation « %(organisation)s ».")
                % {"email": email, "organisation": user.organisation}
            )
        issued = invitation_create(user=user, by=by)
    if send:
        invitation_send(issued=issued)
    return issued


def invitation_check(token: str, *, lock: bool = False) -> Invitation:
    """Return the usable invitation behind `token`, or raise InvitationError saying why not."""
    if not well_formed(token):
        raise InvitationError("malformed", 404)
    queryset = Invitation.objects.select_related("user", "user__organisation")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    invitation = queryset.filter(token_hash=hash_token(token)).first()
    if invitation is None:
        raise InvitationError("unknown", 404)
    if invitation.used_at is not None:
        raise InvitationError("used", 410)
    if invitation.voided_at is not None:
        raise InvitationError("voided", 410)
    if invitation.expires_at <= timezone.now():
        raise InvitationError("expired", 410)
    if not invitation.user.is_active:
        raise InvitationError("inactive", 410)
    return invitation


def invitation_accept(*, token: str, password: str) -> User:
    """Set the password and consume the link, once, even under two concurrent submissions."""
    with transaction.atomic():
        invitation = invitation_check(token, lock=True)
        user = invitation.user
        user.set_password(password)
        user.save(update_fields=["password"])
        invitation.used_at = timezone.now()
        invitation.save(update_fields=["used_at"])
    return user
