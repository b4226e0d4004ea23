"""Following a ticket: « Suivre ce ticket », « Ne plus suivre ce ticket », and a colleague added as
the « personne à contacter si différente du créateur du ticket » (guide, « Création d'une
demande »).

Who is mailed is decided by notifications.selectors.recipients_for from the derived followers
(reporter, note authors, users following all their organisation's tickets) and the Follower rows
written here: a row follows, a muted row stops every derived reason of that user (see
tickets.models.Follower). The page cache learns of each write from Follower's signals
(atm_support/pagecache.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import User

from .models import Follower, Note

if TYPE_CHECKING:
    from .models import Ticket


class FollowingError(Exception):
    """A follow or unfollow that is not allowed; its message is French, for the page."""


def _check_may_read(*, ticket: Ticket, user: User) -> None:
    """Only a user who can read the ticket follows it: an active staff member, or an active
    user of its organisation (tickets.selectors.tickets_visible_to)."""
    if not user.is_active:
        raise FollowingError(_("Ce compte est désactivé : il ne peut pas suivre de ticket."))
    if not user.is_staff and user.organisation_id != ticket.organisation_id:
        raise FollowingError(_("Seul un utilisateur de l'organisation du ticket peut le suivre."))


def _check_may_change(*, ticket: Ticket, user: User, by: User) -> None:
    """A user changes their own following; a client also their colleagues' on their
    organisation's tickets; staff anyone's."""
    if by.pk == user.pk or by.is_staff:
        return
    if not by.is_active or by.organisation_id != ticket.organisation_id:
        raise FollowingError(_("Vous ne pouvez pas changer les abonnés de ce ticket."))


def ticket_follow(*, ticket: Ticket, user: User, by: User) -> Follower:
    """`user` follows `ticket` (again, if they had stopped), on `by`'s request."""
    _check_may_change(ticket=ticket, user=user, by=by)
    _check_may_read(ticket=ticket, user=user)
    with transaction.atomic():
        follower, created = Follower.objects.select_for_update().get_or_create(
            ticket=ticket, user=user, defaults={"added_by": by}
        )
        if not created and follower.muted:
            follower.muted = False
            follower.added_by = by
            follower.save(update_fields=["muted", "added_by"])
    return follower


def ticket_unfollow(*, ticket: Ticket, user: User, by: User) -> None:
    """`user` stops following `ticket`.

    By themselves (or staff): a muted row, which also stops what they followed without a row
    (their own ticket, their notes, their organisation's tickets). By a colleague: only the row
    that made them a follower goes; a colleague cannot silence someone's own ticket for them."""
    _check_may_change(ticket=ticket, user=user, by=by)
    with transaction.atomic():
        if by.pk == user.pk or by.is_staff:
            Follower.objects.update_or_create(
                ticket=ticket, user=user, defaults={"muted": True, "added_by": by}
            )
            return
        deleted, _rows = Follower.objects.filter(ticket=ticket, user=user, muted=False).delete()
        if not deleted:
            raise FollowingError(
                _("%(name)s suit ce ticket d'office : seul lui peut ne plus le suivre.")
                % {"name": user}
            )


@dataclass(frozen=True)
class FollowerLine:
    user: User
    added: bool  # a Follower row, which a colleague may remove
    reporter: bool


@dataclass(frozen=True)
class Panel:
    """What the ticket page's « Suivi du ticket » section shows to a client."""

    number: int  # the ticket's, for the forms' address
    followers: list[FollowerLine]
    following: bool  # the viewer
    colleagues: list[User]  # active colleagues not following yet, for « Ajouter »


def client_panel(*, ticket: Ticket, viewer: User) -> Panel:
    """The organisation's users who follow the ticket, as recipients_for would mail them
    (staff left out: the client page names the team by their notes), and who could be added."""
    colleagues = list(
        User.objects.filter(organisation_id=ticket.organisation_id, is_active=True, is_staff=False)
        .exclude(email="")
        .order_by("first_name", "last_name", "email")
    )
    rows = dict(Follower.objects.filter(ticket=ticket).values_list("user_id", "muted"))
    authors = set(Note.objects.filter(ticket=ticket).values_list("author_id", flat=True))
    lines, others = [], []
    for colleague in colleagues:
        muted = rows.get(colleague.pk)
        derived = (
            colleague.pk == ticket.reporter_id
            or colleague.pk in authors
            or colleague.follow_all_tickets
        )
        if muted is False or (muted is None and derived):
            lines.append(
                FollowerLine(
                    colleague,
                    added=muted is False and not derived,
                    reporter=colleague.pk == ticket.reporter_id,
                )
            )
        elif colleague.pk != viewer.pk:
            others.append(colleague)
    following = any(line.user.pk == viewer.pk for line in lines)
    return Panel(number=ticket.number, followers=lines, following=following, colleagues=others)


def colleague_for(*, ticket: Ticket, user_id: str | None) -> User:
    """The active client user of the ticket's organisation with this id (a form's value), or a
    FollowingError: a crafted id of another organisation is refused like a missing one."""
    try:
        pk = int(user_id or "")
    except ValueError:
        pk = 0
    user = User.objects.filter(
        Q(pk=pk), organisation_id=ticket.organisation_id, is_active=True, is_staff=False
    ).first()
    if user is None:
        raise FollowingError(_("Choisissez un collègue de votre organisation."))
    return user
