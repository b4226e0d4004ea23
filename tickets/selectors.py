"""Reads the portal pages share. Tenancy starts here: a client sees their organisation only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Window,
)
from django.db.models.functions import RowNumber

from . import counts
from .display import value_label
from .models import LINK_REVERSE_LABELS, Attachment, LinkKind, Note, State, Ticket, TicketLink
from .rows import TicketRow, rows_of

if TYPE_CHECKING:
    from accounts.models import User

BOX_SIZE = 10
# « Mon affichage » has a box per open state, in the workflow's order.
BOX_STATES = (State.NEW, State.ACKNOWLEDGED, State.ASSIGNED, State.FEEDBACK, State.RESOLVED)


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    """Staff: every ticket. A client: their organisation's, never a private one (MantisBT's
    private issues, developers' only): every page, count, search, CSV and file of the portal
    starts here. `is_private` is in the INCLUDE of the covering indexes ticket_org_state and
    ticket_org_updated, so the lists and counts are still read from the index alone."""
    queryset = Ticket.objects.all()
    if user.is_staff:
        return queryset
    if user.organisation_id is None:
        return queryset.none()
    return queryset.filter(organisation_id=user.organisation_id, is_private=False)


def notes_visible_to(user: User, ticket: Ticket) -> QuerySet[Note]:
    notes = Note.objects.filter(ticket=ticket).select_related("author")
    return notes if user.is_staff else notes.filter(is_private=False)


def attachments_visible_to(user: User) -> QuerySet[Attachment]:
    """Files of visible tickets; for clients, never those of a private note."""
    attachments = Attachment.objects.filter(ticket__in=tickets_visible_to(user))
    if not user.is_staff:
        attachments = attachments.exclude(note__is_private=True)
    return attachments


def state_counts(user: User) -> dict[str, int]:
    """Tickets per state, every state present (0 when none), in the workflow's order.

    A client's from the counters kept with each change (tickets/counts.py): a dozen rows of
    one index instead of their organisation's up to 20,000 tickets. Staff's counted.
    """
    if user.is_staff:
        # COUNT(*), not COUNT(id): PostgreSQL answers from the (organisation, state) index alone.
        rows = tickets_visible_to(user).values("state").annotate(total=Count("*")).order_by()
        found = {row["state"]: row["total"] for row in rows}
    elif user.organisation_id is None:
        found = {}
    else:
        found = counts.counted(user.organisation_id, include_private=False)
    return {state.value: found.get(state.value, 0) for state in State}


def awaiting_client(user: User, limit: int = 20) -> list[TicketRow]:
    """Accueil's « En attente de votre réponse »: Commentaire, last updated first."""
    awaiting = tickets_visible_to(user).filter(state=State.FEEDBACK).order_by("-updated_at")
    return rows_of(awaiting[:limit])


def my_view_boxes(user: User) -> list[tuple[str, str, list[TicketRow]]]:
    """« Mon affichage »: (key, title, up to 10 tickets) per open state, last updated first.

    One query for the five boxes: the ids ranked within their state (from the index alone), then
    those rows. Five sliced querysets cost five ORM compilations and round trips.
    """
    order = [F("updated_at").desc(), F("number").desc()]
    ranked = (
        tickets_visible_to(user)
        .filter(state__in=BOX_STATES)
        .annotate(rank=Window(RowNumber(), partition_by=F("state"), order_by=order))
        .filter(rank__lte=BOX_SIZE)
        .values("pk")
    )
    boxes: dict[str, list[TicketRow]] = {state.value: [] for state in BOX_STATES}
    for row in rows_of(Ticket.objects.filter(pk__in=ranked).order_by(*order)):
        boxes[row.state].append(row)
    return [(state.value, str(state.label), boxes[state.value]) for state in BOX_STATES]


def reported_by(user: User) -> list[TicketRow]:
    mine = tickets_visible_to(user).filter(reporter=user).exclude(state=State.CLOSED)
    return rows_of(mine.order_by("-updated_at")[:BOX_SIZE])


def recently_modified(user: User) -> list[TicketRow]:
    return rows_of(tickets_visible_to(user).order_by("-updated_at")[:BOX_SIZE])


@dataclass(frozen=True)
class LinkLine:
    """One link of a ticket as its page reads it: « Doublon de 0000123 », the other ticket."""

    label: str
    other: Ticket


# The order of the ticket page's « Tickets liés »: duplicates first, then parents, children and
# related tickets; by number within each.
_LINK_ORDER = {
    (LinkKind.DUPLICATE_OF, True): 0,
    (LinkKind.DUPLICATE_OF, False): 1,
    (LinkKind.PARENT_OF, False): 2,
    (LinkKind.PARENT_OF, True): 3,
    (LinkKind.RELATED_TO, True): 4,
    (LinkKind.RELATED_TO, False): 4,
}


def links_visible_to(user: User, ticket: Ticket) -> list[LinkLine]:
    """`ticket`'s links both ways, to the tickets `user` may see only: a client never learns of
    a private ticket or another organisation's through a link, not even its number."""
    return ticket_links(ticket, tickets_visible_to(user))


def ticket_links(ticket: Ticket, visible: QuerySet[Ticket]) -> list[LinkLine]:
    """`ticket`'s links both ways (a link reads « source <kind> target », the target reads it
    the other way), to the tickets of `visible` only. One query, none when the ticket was read
    with `with_link_flags` and has no link."""
    if getattr(ticket, "has_links", True) is False:
        return []
    links = TicketLink.objects.filter(
        Q(source=ticket, target__in=visible) | Q(target=ticket, source__in=visible)
    ).select_related("source", "target")
    lines: list[tuple[int, int, LinkLine]] = []
    for link in links:
        kind = LinkKind(link.kind)
        outgoing = link.source_id == ticket.pk
        other = link.target if outgoing else link.source
        label = kind.label if outgoing else LINK_REVERSE_LABELS[kind]
        lines.append(
            (_LINK_ORDER[(kind, outgoing)], other.number, LinkLine(value_label(label), other))
        )
    shown: set[tuple[str, int]] = set()  # A related to B and B related to A: said once
    result = []
    for _order, _number, line in sorted(lines, key=lambda row: row[:2]):
        if (str(line.label), line.other.pk) not in shown:
            shown.add((str(line.label), line.other.pk))
            result.append(line)
    return result


def with_link_flags(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """`has_links` on each ticket, read with it (two index lookups, no round trip): the page of
    a ticket without links asks nothing more (ticket_links)."""
    return queryset.annotate(
        has_links=Exists(TicketLink.objects.filter(source=OuterRef("pk")))
        | Exists(TicketLink.objects.filter(target=OuterRef("pk")))
    )
