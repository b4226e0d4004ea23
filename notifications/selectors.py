"""Who is mailed about a ticket event (PRODUCT.md, « Notifications »)."""

from __future__ import annotations

from typing import NamedTuple

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from accounts.models import User
from mail.inbound.tokens import inbound_address
from tickets.models import Follower, Note

from .models import Kind, Reason


class TicketFacts(NamedTuple):
    """What choosing recipients needs to know of a ticket (read without its long texts)."""

    pk: int
    organisation_id: int
    reporter_id: int
    handler_id: int | None
    # A private ticket (MantisBT's private issues) is staff's alone: no client is mailed.
    is_private: bool


class Recipient(NamedTuple):
    """A user, or (user_id None) an address with no account: the team's, SUPPORT_TEAM_EMAIL."""

    user_id: int | None
    reason: Reason
    address: str = ""


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
    *, ticket: TicketFacts, actor_id: int | None, private: bool = False, kind: str = ""
) -> list[Recipient]:
    """The ticket's handler and followers, minus the author of the change and inactive users;
    for the event `kind` (a notifications.models.Kind; "" for what any event would reach, as the
    admin's ticket page shows), the staff who asked for it, and the team's address.

    Followers are the reporter, the authors of notes on the ticket (staff included), the
    organisation's users who follow all its tickets, and those with a Follower row (« Suivre ce
    ticket », or added by a colleague). Staff choose in « Mes préférences »
    (accounts.User.notify_*): every new ticket (of all organisations or of chosen ones), every
    client's public note on a ticket without handler, every event of every ticket. A new ticket
    (portal, admin or e-mail in: the CREATED event) also goes to SUPPORT_TEAM_EMAIL, treated as
    staff. A muted row (« Ne plus suivre ce ticket ») removes its user from every one of these
    but the handler: whoever handles the ticket hears of it. A private note, and anything of a
    private ticket, reaches staff only. A client is mailed only about their own organisation's
    tickets (one moved elsewhere stops following). A few small queries: this runs inside the
    web request's transaction.
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
    new_ticket = kind == Kind.CREATED
    client_reply = _is_client_reply(ticket, actor_id=actor_id, private=private, kind=kind)
    wanted = Q(pk__in=named) | Q(organisation_id=ticket.organisation_id, follow_all_tickets=True)
    wanted |= Q(is_staff=True, follow_every_ticket=True)
    if new_ticket:
        wanted |= Q(is_staff=True, notify_new_tickets=User.NewTickets.ALL)
        wanted |= Q(is_staff=True, notify_new_tickets=User.NewTickets.CHOSEN, chose=True)
    if client_reply:
        wanted |= Q(is_staff=True, notify_client_replies=True)
    chosen = User.notify_organisations.through.objects.filter(
        user_id=OuterRef("pk"), organisation_id=ticket.organisation_id
    )
    users = (
        User.objects.annotate(chose=Exists(chosen))
        .filter(wanted, is_active=True)
        .exclude(email="")
        .values_list(
            "pk",
            "email",
            "is_staff",
            "organisation_id",
            "notify_new_tickets",
            "chose",
            "notify_client_replies",
            "follow_every_ticket",
        )
    )

    recipients = []
    emails = set()
    for pk, email, is_staff, organisation_id, new_tickets, chose, replies, every in users:
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
        elif not is_staff:
            reason = Reason.ORGANISATION
        elif new_ticket and (
            new_tickets == User.NewTickets.ALL or (new_tickets == User.NewTickets.CHOSEN and chose)
        ):
            reason = Reason.NEW_TICKET
        elif client_reply and replies:
            reason = Reason.CLIENT_REPLY
        elif every:
            reason = Reason.EVERY_TICKET
        else:
            continue  # staff named by nothing above (a stray follow_all_tickets)
        recipients.append(Recipient(pk, reason))
        emails.add(email)
    result = sorted(recipients)
    if new_ticket:
        team = team_address()
        # Mailed once: not again as a user who is a recipient already, nor to the author.
        by_team = actor_id is not None and User.objects.filter(pk=actor_id, email=team).exists()
        if team and team not in emails and not by_team:
            result.append(Recipient(None, Reason.TEAM_ADDRESS, team))
    return result


def team_address() -> str:
    """SUPPORT_TEAM_EMAIL, "" when unset. Never the support mailbox that e-mail in reads (its
    own notifications would come back to it: ignored as automatic, but pointless)."""
    team = str(getattr(settings, "SUPPORT_TEAM_EMAIL", "") or "").strip().lower()
    if team and team == inbound_address().lower():
        return ""
    return team


def _is_client_reply(
    ticket: TicketFacts, *, actor_id: int | None, private: bool, kind: str
) -> bool:
    """A client's public note on a ticket without handler: the team's to pick up."""
    if kind != Kind.NOTE_ADDED or private or ticket.handler_id is not None or actor_id is None:
        return False
    return User.objects.filter(pk=actor_id, is_staff=False).exists()
