"""Changing one's e-mail: effective only once the link sent to the new address is followed.

The link is a signed, timestamped payload (user, old address, new address): it needs no table, it
expires after EMAIL_CHANGE_VALIDITY_HOURS, and it is single-use by construction, since it names the
old address and stops matching as soon as the change is made.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext

from notifications.emails import send_templated_email

from .models import User, normalize_email

SALT = "accounts.email_change"


class EmailChangeError(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def email_taken(email: str, *, exclude: User | None = None) -> bool:
    queryset = User.objects.filter(email=normalize_email(email))
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude.pk)
    return queryset.exists()


def email_change_request(*, user: User, new_email: str) -> str:
    """Mail a confirmation link to `new_email`; nothing changes until it is followed."""
    new_email = normalize_email(new_email)
    token = signing.TimestampSigner(salt=SALT).sign_object(
        {"user": user.pk, "old": user.email, "new": new_email}
    )
    url = settings.SITE_URL + reverse("accounts:email_confirm", kwargs={"token": token})
    send_templated_email(
        template="email_change",
        to=[new_email],
        language=user.language,
        context={"user": user, "new_email": new_email, "url": url},
    )
    return url


def email_change_confirm(*, token: str) -> User:
    max_age = settings.EMAIL_CHANGE_VALIDITY_HOURS * 3600
    try:
        payload = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise EmailChangeError(
            gettext("Ce lien de confirmation a expiré. Refaites la demande depuis « Mon compte »."),
            410,
        ) from exc
    except signing.BadSignature as exc:
        raise EmailChangeError(gettext("Ce lien de confirmation n'est pas valide."), 404) from exc
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=payload.get("user")).first()
        if user is None or not user.is_active:
            raise EmailChangeError(gettext("Ce lien de confirmation n'est pas valide."), 404)
        if user.email != payload["old"]:
            raise EmailChangeError(
                gettext("Ce lien a déjà été utilisé, ou une autre modification a eu lieu depuis."),
                410,
            )
        if email_taken(payload["new"], exclude=user):
            raise EmailChangeError(
                gettext("Cette adresse est déjà utilisée par un autre compte. Contactez ATM."), 409
            )
        old_email = user.email
        user.email = payload["new"]
        user.save(update_fields=["email"])
    # The previous address learns of the change, in case it was not its owner's doing.
    send_templated_email(
        template="email_changed",
        to=[old_email],
        language=user.language,
        context={"user": user, "old_email": old_email},
    )
    return user
