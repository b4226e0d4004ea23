"""Reading the support mailbox: each message handled exactly once, none ever deleted.

For every message waiting in the inbox, oldest first: parse it; if its key (Message-ID, or a
digest) is already recorded, it was handled before a crash kept it from being moved, so it is
only moved now; otherwise the handler records it and acts on it in one transaction, and once
that has committed the message moves to « Traités ». A message the handler cannot take (an
exception) is recorded as such in a transaction of its own and moved to « Erreurs », where it
stays for staff, listed in the admin.

What a mail means (a reply, a new ticket) is not decided here: the app that owns tickets
registers a handler (`register`), as mail/ imports no app of the project.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Protocol

from django.conf import settings

from .mailbox import FAILED, PROCESSED, Mailbox
from .parsing import Incoming, parse, unreadable

logger = logging.getLogger(__name__)

# Messages fetched per IMAP round trip; a 30 MB one fetched with others costs memory, not time.
FETCH_BATCH = 20


class Handler(Protocol):
    def seen(self, key: str) -> str | None:
        """The folder a message already recorded under this key goes to; None for a new one."""

    def receive(self, raw: bytes, incoming: Incoming) -> str:
        """Record the message and act on it in one transaction; return the folder it goes to."""

    def failed(self, raw: bytes, incoming: Incoming, error: BaseException) -> None:
        """Record, in a transaction of its own, a message `receive` could not handle."""


_handlers: list[Handler] = []


def register(handler: Handler) -> None:
    """The handler of the mails read (one: the last registered wins)."""
    _handlers[:] = [handler]


def handler() -> Handler:
    if not _handlers:
        raise RuntimeError("No inbound mail handler is registered (INSTALLED_APPS?).")
    return _handlers[0]


def mailbox_url() -> str:
    return str(getattr(settings, "INBOUND_IMAP_URL", "") or "").strip()


def enabled() -> bool:
    return bool(mailbox_url())


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def handle_one(raw: bytes, target: Handler | None = None) -> str:
    """Handle one raw message; return the folder it now belongs in."""
    target = target or handler()
    try:
        incoming = parse(raw)
    except Exception as error:  # parse() degrades on hostile input; a bug must not block the box
        logger.exception("Inbound mail of %d bytes could not be parsed", len(raw))
        incoming = unreadable(raw)
        if target.seen(incoming.key) is None:
            target.failed(raw, incoming, error)
        return FAILED
    folder = target.seen(incoming.key)
    if folder is not None:
        logger.info("Inbound mail %s was handled already: moved to %s", incoming.key, folder)
        return folder
    try:
        return target.receive(raw, incoming)
    except Exception as error:
        logger.exception("Inbound mail %s could not be handled", incoming.key)
        target.failed(raw, incoming, error)
        return FAILED


def fetch(*, url: str | None = None, limit: int | None = None) -> Counter[str]:
    """One pass over the mailbox: returns how many messages went to each folder."""
    moved: Counter[str] = Counter()
    url = url or mailbox_url()
    if not url:
        return moved
    limit = limit if limit is not None else int(getattr(settings, "INBOUND_BATCH", 500))
    # Tests widen the window between the commit and the move, to kill a worker inside it.
    pause = float(getattr(settings, "INBOUND_PAUSE_BEFORE_MOVE", 0))
    target = handler()
    with Mailbox(url) as box:
        for chunk in _chunks(box.uids(limit), FETCH_BATCH):
            raws = box.fetch_many(chunk)
            for uid in chunk:
                raw = raws.get(uid)
                if raw is None:  # moved by a concurrent pass meanwhile
                    continue
                folder = handle_one(raw, target)
                if pause:
                    time.sleep(pause)
                box.move(uid, folder)
                moved[folder] += 1
    if moved:
        logger.info(
            "Inbound mail: %d handled, %d in error",
            moved[PROCESSED],
            moved[FAILED],
        )
    return moved
