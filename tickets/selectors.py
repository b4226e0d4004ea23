"""Reads the portal pages share. Tenancy starts here: a client sees their organisation only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, QuerySet

from .models import Attachment, Note, State, Ticket

if TYPE_CHECKING:
    from accounts.models import User

BOX_SIZE = 10


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
    return queryset.select_related("category", "handler")


def awaiting_client(user: User) -> QuerySet[Ticket]:
    return with_list_relations(
        tickets_visible_to(user).filter(state=State.FEEDBACK).order_by("-updated_at")
    )


def my_view_boxes(user: User) -> list[tuple[str, str, list[Ticket]]]:
    """« Mon affichage »: (key, title, up to 10 tickets) per open state, then two more boxes."""
    visible = with_list_relations(tickets_visible_to(user))
    boxes: list[tuple[str, str, list[Ticket]]] = []
    for state in (State.NEW, State.ACKNOWLEDGED, State.ASSIGNED, State.FEEDBACK, State.RESOLVED):
        tickets = list(visible.filter(state=state).order_by("-updated_at")[:BOX_SIZE])
        boxes.append((state.value, str(state.label), tickets))
    return boxes


def reported_by(user: User) -> list[Ticket]:
    visible = with_list_relations(tickets_visible_to(user))
    return list(
        visible.filter(reporter=user).exclude(state=State.CLOSED).order_by("-updated_at")[:BOX_SIZE]
    )


def recently_modified(user: User) -> list[Ticket]:
    visible = with_list_relations(tickets_visible_to(user))
    return list(visible.order_by("-updated_at")[:BOX_SIZE])
