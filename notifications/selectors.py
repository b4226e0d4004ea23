"""Who is mailed about a ticket event (PRODUCT.md, « Notifications »)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from accounts.models import User
from tickets.models import Note, Ticket

from .models import Reason


@dataclass(frozen=True)
class Recipient:
    user: User
    reason: Reason


def recipients_for(
    *, ticket: Ticket, actor_id: int | None, private: bool = False
) -> list[Recipient]:
    """The ticket's handler and followers, minus the author of the change and inactive users.

    Followers are the reporter, the authors of notes on the ticket (staff included) and the
    organisation's users who follow all its tickets. A private note reaches staff only. A client
    is mailed only about their own organisation's tickets (one moved elsewhere stops following).
    """
    author_ids = set(Note.objects.filter(ticket=ticket).values_list("author_id", flat=True))
    named = {ticket.reporter_id, *author_ids}
    if ticket.handler_id is not None:
        named.add(ticket.handler_id)
    users = User.objects.filter(
        Q(pk__in=named) | Q(organisation_id=ticket.organisation_id, follow_all_tickets=True),
        is_active=True,
    ).exclude(email="")

    recipients = []
    for user in users:
        if user.pk == actor_id:
            continue
        if user.is_staff:
            pass
        elif private or user.organisation_id != ticket.organisation_id:
            continue
        if user.pk == ticket.handler_id:
            reason = Reason.HANDLER
        elif user.pk == ticket.reporter_id:
            reason = Reason.REPORTER
        elif user.pk in author_ids:
            reason = Reason.NOTE_AUTHOR
        else:
            reason = Reason.ORGANISATION
        recipients.append(Recipient(user, reason))
    return sorted(recipients, key=lambda r: r.user.pk)
