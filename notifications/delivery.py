"""What a notification mail shows and who may still have it; mail.sending sends it (the row
locked, sent, its outcome recorded, as every outbox's)."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.urls import reverse

from mail import sending
from mail.inbound.tokens import inbound_address, reply_address
from mail.rendering import MessageSender
from mail.sending import Delivery, mail_domain, message_id
from tickets.models import State, Ticket
from tickets.satisfaction import rating_path

from .models import Event, Notification
from .selectors import access_refused

logger = logging.getLogger(__name__)

TEMPLATE = "ticket_notification"

# The colours of the states, as in static/css (e-mail clients ignore style sheets: inline it).
STATE_COLOURS = {
    State.NEW: "#fcbdbd",
    State.ACKNOWLEDGED: "#ffcd85",
    State.ASSIGNED: "#c2dfff",
    State.FEEDBACK: "#e3b7eb",
    State.RESOLVED: "#d2f5b0",
    State.CLOSED: "#c9ccc4",
}


class EventCache:
    """The events a worker process mails about, kept a few seconds: an event's ten recipients
    are ten tasks, and its row, ticket, actor and note do not change once committed."""

    def __init__(self, ttl: float = 10, size: int = 256) -> None:
        self.ttl, self.size = ttl, size
        self._entries: dict[int, tuple[float, Event]] = {}

    def get(self, event_id: int) -> Event:
        now = time.monotonic()
        entry = self._entries.get(event_id)
        if entry is not None and now - entry[0] < self.ttl:
            return entry[1]
        event = Event.objects.select_related("ticket__handler", "actor", "note").get(pk=event_id)
        if len(self._entries) >= self.size:
            self._entries = {k: v for k, v in self._entries.items() if now - v[0] < self.ttl}
            while len(self._entries) >= self.size:
                del self._entries[next(iter(self._entries))]
        self._entries[event_id] = (now, event)
        return event

    def clear(self) -> None:
        self._entries.clear()


_events = EventCache()


def deliver(notification_id: int, *, connection: MessageSender | None = None) -> Delivery:
    """Send one outbox row if it is still QUEUED; record what happened."""
    return sending.deliver(
        Notification.objects.select_related("recipient"),
        notification_id,
        label="Notification",
        prepare=_with_event,
        template=lambda row: TEMPLATE,
        context=notification_context,
        headers=_headers,
        without_access=_without_access,
        connection=connection,
    )


def _with_event(row: Notification) -> None:
    row.event = _events.get(row.event_id)


def _without_access(row: Notification) -> str:
    """The recipients' rule again, at sending time: since the event, the recipient may have
    been deactivated, moved to another organisation or made a client (a ticket never changes
    organisation, so the cached event's is right), or the ticket made private: that is read
    afresh for a client (one small query), the cached event may be seconds old. The team's
    address (no account) is the team's: staff."""
    user = row.recipient
    ticket = row.event.ticket
    if user is None:
        return access_refused(
            is_active=True,
            is_staff=True,
            organisation_id=None,
            ticket_organisation_id=ticket.organisation_id,
            private=row.event.is_private,
            ticket_private=ticket.is_private,
        )
    ticket_private = ticket.is_private
    if not user.is_staff and not ticket_private:
        ticket_private = Ticket.objects.filter(pk=ticket.pk, is_private=True).exists()
    return access_refused(
        is_active=user.is_active,
        is_staff=user.is_staff,
        organisation_id=user.organisation_id,
        ticket_organisation_id=ticket.organisation_id,
        private=row.event.is_private,
        ticket_private=ticket_private,
    )


def _headers(row: Notification) -> dict[str, str]:
    """The ticket's thread id groups its mails into one conversation; with e-mail in, the
    Reply-To names the ticket and the recipient, signed (notifications/inbound.py reads it)."""
    thread = f"<ticket-{row.event.ticket.number}@{mail_domain()}>"
    headers = {
        "Message-ID": message_id(row),
        "In-Reply-To": thread,
        "References": thread,
        "Auto-Submitted": "auto-generated",
    }
    # The team's address is no user a signed reply could name: a reply from it (or forwarded
    # from it) is matched by its In-Reply-To, to a known sender (notifications/inbound.py).
    reply_to = ""
    if row.recipient_id is not None:
        reply_to = reply_address(row.event.ticket.number, row.recipient_id)
    if reply_to:
        headers["Reply-To"] = reply_to
    return headers


def ticket_url(row: Notification) -> str:
    """Clients read the ticket in the portal; staff (and the team's address) in the admin."""
    ticket = row.event.ticket
    if row.recipient is None or row.recipient.is_staff:
        path = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    else:
        path = ticket.get_absolute_url()
    return settings.SITE_URL + path


def notification_context(row: Notification) -> dict[str, Any]:
    event = row.event
    new_state = State(event.new_state) if event.new_state else None
    old_state = State(event.old_state) if event.old_state else None
    return {
        "recipient": row.recipient,
        "reason": row.reason,
        "ticket": event.ticket,
        "number": event.ticket.display_number,
        "summary": event.ticket.summary,
        "kind": event.kind,
        "actor": event.actor,
        # The month-end job and the auto-resolution act without a person.
        "actor_name": str(event.actor) if event.actor else "ATM Support",
        "note": event.note,
        "old_state": old_state,
        "new_state": new_state,
        "old_colour": STATE_COLOURS.get(old_state) if old_state else "",
        "new_colour": STATE_COLOURS.get(new_state) if new_state else "",
        "handler": event.ticket.handler,
        "url": ticket_url(row),
        "account_url": settings.SITE_URL + reverse("accounts:account"),
        # Staff's own choices (Reason.NEW_TICKET, CLIENT_REPLY, EVERY_TICKET) are changed there.
        "preferences_url": settings.SITE_URL + reverse("admin_preferences"),
        # With e-mail in, the Reply-To leads to a note on the ticket (notifications/inbound.py).
        "can_reply": bool(inbound_address()) and row.recipient is not None,
        "rating_url": rating_url(row, new_state),
    }


def rating_url(row: Notification, new_state: State | None) -> str:
    """« Donner votre avis » when the ticket becomes Résolu: for a client only, signed for them
    (tickets.satisfaction), leading to the portal's rating form."""
    recipient = row.recipient
    if new_state != State.RESOLVED or recipient is None or recipient.is_staff:
        return ""
    return settings.SITE_URL + rating_path(ticket=row.event.ticket, user=recipient)
