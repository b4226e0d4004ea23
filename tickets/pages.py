"""What the tickets' writes change on the client pages kept by the page cache (atm_support/
pagecache.py): declared by TicketsConfig.ready."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from atm_support import pagecache

from .events import tickets_bulk_changed
from .models import Attachment, Category, Follower, HistoryEntry, Note, Ticket, TicketLink
from .satisfaction import Rating


def _link_changed(sender: type[Model], instance: TicketLink, **kwargs: Any) -> None:
    """A link between tickets shows on both tickets' pages, of one or two organisations."""
    ids = [instance.source_id, instance.target_id]
    organisations = Ticket.objects.filter(pk__in=[pk for pk in ids if pk is not None])
    pagecache.invalidate(*organisations.values_list("organisation_id", flat=True))


def _bulk_changed(sender: Any, organisation_ids: list[int], **kwargs: Any) -> None:
    pagecache.invalidate(*organisation_ids)


def declare() -> None:
    # « Suivi du ticket » on the ticket page shows its followers.
    # « Votre avis » on a Résolu ticket's page shows the viewer's rating.
    for model in (Ticket, Note, Attachment, HistoryEntry, Follower, Rating):
        pagecache.shown_in(model)
    pagecache.shown_everywhere(Category)  # every organisation's list filters and forms
    pagecache.shown_by(TicketLink, _link_changed)
    tickets_bulk_changed.connect(_bulk_changed, dispatch_uid="pagecache.tickets_bulk_changed")
