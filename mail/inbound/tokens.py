"""The reply address of an outgoing mail: it names the ticket and the recipient, signed.

`support+0000123.42.3f9a…@atm-consulting.fr` answers the mail ticket 0000123 sent to user 42.
The signature is an HMAC of both under SECRET_KEY, so nobody can make one for a ticket or a
user they never received a mail for. Lower-case hexadecimal, since some servers fold the case
of local parts; 20 digits (80 bits) keep the address under the 64 characters of a local part.
"""

from __future__ import annotations

import hmac
import re
from typing import NamedTuple

from django.conf import settings
from django.utils.crypto import salted_hmac

SALT = "mail.inbound.tokens.reply"
_TAG = re.compile(r"^(?P<number>\d{1,10})\.(?P<user>\d{1,10})\.(?P<signature>[0-9a-f]{20})$")


class ReplyTo(NamedTuple):
    ticket_number: int
    user_id: int


def inbound_address() -> str:
    """The support mailbox's address (INBOUND_ADDRESS), "" when e-mail in is off."""
    return str(getattr(settings, "INBOUND_ADDRESS", "") or "").strip()


def _signature(ticket_number: int, user_id: int) -> str:
    return salted_hmac(SALT, f"{ticket_number}:{user_id}", algorithm="sha256").hexdigest()[:20]


def reply_tag(ticket_number: int, user_id: int) -> str:
    return f"{ticket_number:07d}.{user_id}.{_signature(ticket_number, user_id)}"


def reply_address(ticket_number: int, user_id: int) -> str:
    """The plus-address a reply to this mail goes to; "" when INBOUND_ADDRESS is unset."""
    address = inbound_address()
    if not address or "@" not in address:
        return ""
    local, domain = address.rsplit("@", 1)
    return f"{local}+{reply_tag(ticket_number, user_id)}@{domain}"


def read_tag(tag: str) -> ReplyTo | None:
    """The ticket and user a tag names, None when it is malformed or its signature is wrong."""
    match = _TAG.match(tag.strip().lower())
    if match is None:
        return None
    number, user_id = int(match["number"]), int(match["user"])
    if not hmac.compare_digest(match["signature"], _signature(number, user_id)):
        return None
    return ReplyTo(number, user_id)
