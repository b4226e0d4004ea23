"""Who is mailed about a ticket event (PRODUCT.md, « Notifications »)."""

from __future__ import annotations

from typing import NamedTuple

from django.db.models import Q

from accounts.models import User
from tickets.models import Note

from .models import Reason


class TicketFacts(NamedTuple):
    """What choosing recipients needs to know of a ticket (read without its long texts)."""

    pk: int
    organisation_id: int
    reporter_id: int
    handler_id: int | None


class Recipient(NamedTuple):
    user_id: int
    reason: Reason


def recipients_for(
    *, ticket: TicketFacts, actor_id: int | None, private: bool = False
) -> list[Recipient]:
    """The ticket's handler and followers, minus the author of the change and inactive users.

    Followers are the reporter, the authors of notes on the ticket (staff included) and the
    organisation's users who follow all its tickets. A private note reaches staff only. A client
    is mailed only about their own organisation's tickets (one moved elsewhere stops following).
    Two small queries: this runs inside the web request's transaction.
    """
    author_ids = set(
        Note.objects.filter(ticket_id=ticket.pk).values_list("author_id", flat=True).distinct()
    )
    named = {ticket.reporter_id, *author_ids}
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
        if not is_staff and (private or organisation_id != ticket.organisation_id):
            continue
        if pk == ticket.handler_id:
            reason = Reason.HANDLER
        elif pk == ticket.reporter_id:
            reason = Reason.REPORTER
        elif pk in author_ids:
            reason = Reason.NOTE_AUTHOR
        else:
            reason = Reason.ORGANISATION
        recipients.append(Recipient(pk, reason))
    return sorted(recipients)
