"""Changing one's e-mail: effective only once the link sent to the new address is confirmed.

The link carries a random token; the database keeps its SHA-256 in an EmailChange row, with the
old and new addresses. It works once: confirming consumes it, a newer request or another
confirmed change voids it, and it stops matching when the account's address is no longer the
one it was issued for. A signed payload that only named the old address was not enough: after
A -> B then B -> A, the first link named the current address again and set B once more.

Opening the link (GET) shows a « Confirmer » button and changes nothing: mail scanners open
links. Only the POST of that page applies the change.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from mail.rendering import send_templated_email

from .models import EmailChange, User, normalize_email
from .tokens import hash_token, new_token, well_formed


class EmailChangeError(Exception):
    """Why a link cannot be used; `status` is the HTTP status the page answers with."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def email_taken(email: str, *, exclude: User | None = None) -> bool:
    queryset = User.objects.filter(email=normalize_email(email))
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude.pk)
    return queryset.exists()


def _void_pending(*, user: User, now: datetime, keep: EmailChange | None = None) -> None:
    pending = EmailChange.objects.filter(user=user, used_at__isnull=True, voided_at__isnull=True)
    if keep is not None:
        pending = pending.exclude(pk=keep.pk)
    pending.update(voided_at=now)


def email_changes_void(*, user: User) -> None:
    """The address was changed another way (staff, in the admin): pending links no longer hold,
    even if the old address is set back later."""
    _void_pending(user=user, now=timezone.now())


def email_change_request(*, user: User, new_email: str) -> str:
    """Mail a confirmation link to `new_email`, voiding any earlier one; nothing changes until
    it is confirmed. Returns the link."""
    new_email = normalize_email(new_email)
    token = new_token()
    now = timezone.now()
    with transaction.atomic():
        _void_pending(user=user, now=now)
        EmailChange.objects.create(
            user=user,
            old_email=user.email,
            new_email=new_email,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + timedelta(hours=settings.EMAIL_CHANGE_VALIDITY_HOURS),
        )
    url = settings.SITE_URL + reverse("accounts:email_confirm", kwargs={"token": token})
    send_templated_email(
        template="email_change",
        to=[new_email],
        language=user.language,
        context={"user": user, "new_email": new_email, "url": url},
    )
    return url


def _invalid() -> EmailChangeError:
    return EmailChangeError(gettext("Ce lien de confirmation n'est pas valide."), 404)


def email_change_check(token: str, *, lock: bool = False) -> EmailChange:
    """Return the usable change behind `token`, or raise EmailChangeError saying why not."""
    if not well_formed(token):
        raise _invalid()
    queryset = EmailChange.objects.select_related("user")
    if lock:
        queryset = queryset.select_for_update()  # the user's row too: its e-mail changes
    change = queryset.filter(token_hash=hash_token(token)).first()
    if change is None or not change.user.is_active:
        raise _invalid()
    if change.used_at is not None:
        raise EmailChangeError(
            gettext("Ce lien a déjà servi : un lien de confirmation ne vaut qu'une fois."), 410
        )
    if change.voided_at is not None:
        raise EmailChangeError(
            gettext(
                "Ce lien a été remplacé par une demande plus récente, ou une autre modification "
                "a eu lieu depuis. Refaites la demande depuis « Mon compte » si besoin."
            ),
            410,
        )
    if change.user.email != change.old_email:
        raise EmailChangeError(
            gettext(
                "L'adresse de ce compte a changé depuis cette demande : ce lien ne vaut plus. "
                "Refaites la demande depuis « Mon compte » si besoin."
            ),
            410,
        )
    if change.expires_at <= timezone.now():
        raise EmailChangeError(
            gettext("Ce lien de confirmation a expiré. Refaites la demande depuis « Mon compte »."),
            410,
        )
    return change


def email_change_confirm(*, token: str) -> User:
    """Apply the change behind `token` and consume it, once, even under two concurrent POSTs."""
    now = timezone.now()
    with transaction.atomic():
        change = email_change_check(token, lock=True)
        user = change.user
        if email_taken(change.new_email, exclude=user):
            raise EmailChangeError(
                gettext("Cette adresse est déjà utilisée par un autre compte. Contactez ATM."), 409
            )
        old_email = user.email
        user.email = change.new_email
        user.save(update_fields=["email"])
        change.used_at = now
        change.save(update_fields=["used_at"])
        _void_pending(user=user, now=now, keep=change)
    # The previous address learns of the change, in case it was not its owner's doing.
    send_templated_email(
        template="email_changed",
        to=[old_email],
        language=user.language,
        context={"user": user, "old_email": old_email},
    )
    return user
