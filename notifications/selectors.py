"""Who is mailed about a ticket event (PRODUCT.md, « Notifications »)."""

from __future__ import annotations

from typing import NamedTuple

from django.db.models import Q

from accounts.models import User
from tickets.models import Follower, Note

from .models import Reason


class TicketFacts(NamedTuple):
    """What choosing recipients needs to know of a ticket (read without its long texts)."""

    pk: int
    organisation_id: int
    reporter_id: int
    handler_id: int | None
    # A private ticket (MantisBT's private issues) is staff's alone: no client is mailed.
    is_private: bool


class Recipient(NamedTuple):
    user_id: int
    reason: Reason


def access_refused(
    *,
    is_active: bool,
    is_staff: bool,
    organisation_id: int | None,
    ticket_organisation_id: int,
    private: bool,
    ticket_private: bool,
) -> str:
    """Why a user may not read an event of a ticket, "" when they may: the portal's rule
    (tickets.selectors.tickets_visible_to, notes_visible_to). Checked when the recipients are
    chosen and again when the mail leaves, since a user can change in between. The reason is
    kept in the outbox row's last_error, which staff read in French. `private` is the note's
    privacy, `ticket_private` the ticket's."""
    if not is_active:
        return "compte désactivé."
    if is_staff:
        return ""
    if ticket_private:
        return "ticket privé, réservé à l'équipe ATM."
    if private:
        return "note privée, réservée à l'équipe ATM."
    if organisation_id != ticket_organisation_id:
        return "il n'est pas de l'organisation du ticket."
    return ""


def recipients_for(
    *, ticket: TicketFacts, actor_id: int | None, private: bool = False
) -> list[Recipient]:
    """The ticket's handler and followers, minus the author of the change and inactive users.

    Followers are the reporter, the authors of notes on the ticket (staff included), the
    organisation's users who follow all its tickets, and those with a Follower row (« Suivre ce
    ticket », or added by a colleague). A muted row (« Ne plus suivre ce ticket ») removes its
    user from every one of these but the handler: whoever handles the ticket hears of it. A
    private note, and anything of a private ticket, reaches staff only. A client is mailed
    only about their own organisation's tickets (one moved elsewhere stops following). Three
    small queries: this runs inside the web request's transaction.
    """
    author_ids = set(
        Note.objects.filter(ticket_id=ticket.pk).values_list("author_id", flat=True).distinct()
    )
    rows = dict(Follower.objects.filter(ticket_id=ticket.pk).values_list("user_id", "muted"))
    muted = {pk for pk, is_muted in rows.items() if is_muted}
    added = {pk for pk, is_muted in rows.items() if not is_muted}
    named = {ticket.reporter_id, *author_ids, *added}
    if ticket.handler_id is not None:
        named.add(ticket.handler_id)
    users = (
        User.objects.filter(
            Q(pk__in=named) | Q(organisation_id=ticket.organisation_id, follow_all_tickets=True),
            is_active=True,
        )
        .exclude(email="")
        .values_list("pk", "is_staff", "organisation_id")
    )

    recipients = []
    for pk, is_staff, organisation_id in users:
        if pk == actor_id:
            continue
        if pk in muted and pk != ticket.handler_id:
            continue
        if access_refused(
            is_active=True,  # filtered above
            is_staff=is_staff,
            organisation_id=organisation_id,
            ticket_organisation_id=ticket.organisation_id,
            private=private,
            ticket_private=ticket.is_private,
        ):
            continue
        if pk == ticket.handler_id:
            reason = Reason.HANDLER
        elif pk == ticket.reporter_id:
            reason = Reason.REPORTER
        elif pk in author_ids:
            reason = Reason.NOTE_AUTHOR
        elif pk in added:
            reason = Reason.FOLLOWER
        else:
            reason = Reason.ORGANISATION
        recipients.append(Recipient(pk, reason))
    return sorted(recipients)
