"""« Donner votre avis »: a client rates the answer to a Résolu ticket (satisfait / pas satisfait,
and a comment if they wish).

Decisions, for the reader who wonders:
- one rating per ticket and per client user of its organisation (several colleagues may follow
  a ticket, each says what they think; nobody overwrites a colleague's opinion), unique in the
  database;
- given only while the ticket is Résolu, and changed by its author as often as they like until
  the month end closes the ticket (a second submission updates the same row: no duplicate);
- `handler` is the ticket's handler when the rating is written (a ticket is rated while Résolu,
  so it is the technician who resolved it): the time report counts ratings per technician from
  it, without reading the ticket's history;
- the resolution mail carries a signed link (django.core.signing, salted, with the ticket and the
  recipient) that opens the portal's rating form for the signed-in recipient; the link proves
  nothing by itself: the form still needs the session of a user of the ticket's organisation.

The model is imported at the end of tickets/models.py, so Django finds it in the tickets app.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .limits import length_check, limited_text
from .models import State, Ticket

if TYPE_CHECKING:
    from accounts.models import User

COMMENT_MAX = 2_000
# A resolution mail's link works this long; the ticket page's form works as long as it is Résolu.
LINK_MAX_AGE = timedelta(days=60)
_SALT = "tickets.satisfaction.rating"


class Rating(models.Model):
    """A client's opinion of the answer to one ticket."""

    ticket = models.ForeignKey(
        Ticket,
        verbose_name=gettext_lazy("ticket"),
        on_delete=models.CASCADE,
        related_name="ratings",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("client"),
        on_delete=models.CASCADE,
        related_name="ticket_ratings",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("technicien"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=gettext_lazy("Le technicien affecté au ticket quand il a été résolu."),
    )
    satisfied = models.BooleanField(gettext_lazy("satisfait"))
    comment = limited_text(gettext_lazy("commentaire"), COMMENT_MAX, blank=True)
    created_at = models.DateTimeField(gettext_lazy("donné le"), default=timezone.now)
    updated_at = models.DateTimeField(gettext_lazy("modifié le"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = gettext_lazy("avis client")
        verbose_name_plural = gettext_lazy("avis clients")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="rating_one_per_ticket_user"),
            length_check(model="rating", field="comment", limit=COMMENT_MAX),
        ]

    def __str__(self) -> str:
        return _("Satisfait") if self.satisfied else _("Pas satisfait")


class SatisfactionError(Exception):
    """A rating the rules refuse, or a link that does not work; the message is French, for the
    page."""


def check_may_rate(*, ticket: Ticket, user: User) -> None:
    if user.is_staff or not user.is_active or user.organisation_id != ticket.organisation_id:
        raise SatisfactionError(
            _("Seul un utilisateur de l'organisation du ticket peut donner son avis.")
        )
    if ticket.is_private:  # pragma: no cover - a client never reaches a private ticket
        raise SatisfactionError(_("Ce ticket n'accepte pas d'avis."))
    if ticket.state != State.RESOLVED:
        raise SatisfactionError(
            _("Ce ticket est fermé : votre avis ne peut plus être modifié.")
            if ticket.state == State.CLOSED
            else _("Un avis se donne sur un ticket résolu ; celui-ci ne l'est pas (ou plus).")
        )


def rating_save(*, ticket: Ticket, user: User, satisfied: bool, comment: str = "") -> Rating:
    """Record `user`'s opinion of `ticket`, or change it: one row per (ticket, user).

    The ticket's row is locked first, as every state change does: a month end closing it, or a
    reopening, either happened before (refused here) or waits for this rating."""
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        check_may_rate(ticket=locked, user=user)
        now = timezone.now()
        rating, created = Rating.objects.get_or_create(
            ticket=locked,
            user=user,
            defaults={
                "satisfied": satisfied,
                "comment": comment,
                "handler_id": locked.handler_id,
                "created_at": now,
                "updated_at": now,
            },
        )
        if not created:
            rating.satisfied, rating.comment = satisfied, comment
            rating.handler_id, rating.updated_at = locked.handler_id, now
            rating.save(update_fields=["satisfied", "comment", "handler", "updated_at"])
    return rating


def rating_of(*, ticket_id: int, user: User) -> Rating | None:
    return Rating.objects.filter(ticket_id=ticket_id, user=user).first()


# --- The resolution mail's link ------------------------------------------------------------


def rating_token(*, ticket: Ticket, user: User) -> str:
    return signing.dumps({"t": ticket.pk, "u": user.pk}, salt=_SALT)


def rating_path(*, ticket: Ticket, user: User) -> str:
    """The rating form's address for `user`, with their signed token (for a mail)."""
    url = reverse("tickets:rating", kwargs={"number": ticket.number})
    return f"{url}?jeton={rating_token(ticket=ticket, user=user)}"


@dataclass(frozen=True)
class LinkCheck:
    ok: bool
    message: str = ""
    status: int = 200


def check_link(token: str, *, ticket: Ticket, user: User) -> LinkCheck:
    """Whether the mail's link is this ticket's, for this signed-in user, and still valid."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired:
        return LinkCheck(
            False,
            _(
                "Ce lien a expiré. Vous pouvez toujours donner votre avis depuis la page du "
                "ticket tant qu'il est résolu."
            ),
            400,
        )
    except signing.BadSignature:
        return LinkCheck(
            False,
            _("Ce lien n'est pas valide : il a peut-être été mal copié. Ouvrez le ticket."),
            400,
        )
    if not isinstance(data, dict) or data.get("t") != ticket.pk:
        return LinkCheck(
            False,
            _("Ce lien n'est pas valide : il a peut-être été mal copié. Ouvrez le ticket."),
            400,
        )
    if data.get("u") != user.pk:
        return LinkCheck(
            False,
            _(
                "Ce lien a été envoyé à une autre personne. Connectez-vous avec votre propre "
                "compte pour donner votre avis."
            ),
            403,
        )
    return LinkCheck(True)
