"""Reads the portal pages share. Tenancy starts here: a client sees their organisation only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import RowNumber

from .models import Attachment, Note, State, Ticket

if TYPE_CHECKING:
    from accounts.models import User

BOX_SIZE = 10
# « Mon affichage » has a box per open state, in the workflow's order.
BOX_STATES = (State.NEW, State.ACKNOWLEDGED, State.ASSIGNED, State.FEEDBACK, State.RESOLVED)
# Long texts that lists and boxes never show: left in the table, not loaded for every row.
LIST_DEFERRED = ("description", "steps_to_reproduce", "additional_information")


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    queryset = Ticket.objects.all()
    if user.is_staff:
        return queryset
    if user.organisation_id is None:
        return queryset.none()
    return queryset.filter(organisation_id=user.organisation_id)


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
    """Tickets per state, every state present (0 when none), in the workflow's order."""
    # COUNT(*), not COUNT(id): PostgreSQL answers from the (organisation, state) index alone.
    rows = tickets_visible_to(user).values("state").annotate(total=Count("*")).order_by()
    found = {row["state"]: row["total"] for row in rows}
    return {state.value: found.get(state.value, 0) for state in State}


def with_list_relations(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """What a row of a ticket table shows (tickets/_ticket_table.html), and only that."""
    return queryset.select_related("category", "handler").defer(*LIST_DEFERRED)


def awaiting_client(user: User) -> QuerySet[Ticket]:
    return with_list_relations(
        tickets_visible_to(user).filter(state=State.FEEDBACK).order_by("-updated_at")
    )


def my_view_boxes(user: User) -> list[tuple[str, str, list[Ticket]]]:
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
    boxes: dict[str, list[Ticket]] = {state.value: [] for state in BOX_STATES}
    for ticket in with_list_relations(Ticket.objects.filter(pk__in=ranked)).order_by(*order):
        boxes[ticket.state].append(ticket)
    return [(state.value, str(state.label), boxes[state.value]) for state in BOX_STATES]


def reported_by(user: User) -> list[Ticket]:
    visible = with_list_relations(tickets_visible_to(user))
    return list(
        visible.filter(reporter=user).exclude(state=State.CLOSED).order_by("-updated_at")[:BOX_SIZE]
    )


def recently_modified(user: User) -> list[Ticket]:
    visible = with_list_relations(tickets_visible_to(user))
    return list(visible.order_by("-updated_at")[:BOX_SIZE])
