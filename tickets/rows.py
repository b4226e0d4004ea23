"""A ticket as the portal's tables show it: the row's columns read with values_list(), not a
model instance with its category and handler.

The list shows 50 rows, « Mon affichage » 70, Accueil up to 20. Building a Ticket, a Category
and a User for each one cost about 4 ms for 50 rows, the columns alone about 1 ms
(bench/README.md § 11). The tables (tickets/templatetags/ticket_rows.py) read only what is
here; a page that needs more of a ticket reads the ticket.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.urls import get_script_prefix

from .models import Ticket, detail_url_pattern, format_number

# The columns, in TicketRow's argument order. The handler's name is put together as
# User.__str__ does (full name, else e-mail).
COLUMNS = (
    "pk",
    "number",
    "state",
    "priority",
    "summary",
    "updated_at",
    "public_note_count",
    "category__name",
    "handler_id",
    "handler__first_name",
    "handler__last_name",
    "handler__email",
)


class TicketRow:
    """One row: the ticket's own columns, its category's name, its handler's name."""

    __slots__ = (
        "category_name",
        "handler_id",
        "handler_name",
        "number",
        "pk",
        "priority",
        "public_note_count",
        "state",
        "summary",
        "updated_at",
    )

    def __init__(
        self,
        pk: int,
        number: int,
        state: str,
        priority: int,
        summary: str,
        updated_at: datetime,
        public_note_count: int,
        category_name: str,
        handler_id: int | None,
        handler_first_name: str | None,
        handler_last_name: str | None,
        handler_email: str | None,
    ) -> None:
        self.pk = pk
        self.number = number
        self.state = state
        self.priority = priority
        self.summary = summary
        self.updated_at = updated_at
        self.public_note_count = public_note_count
        self.category_name = category_name
        self.handler_id = handler_id
        self.handler_name = (
            f"{handler_first_name} {handler_last_name}".strip() or (handler_email or "")
            if handler_id is not None
            else ""
        )

    @property
    def display_number(self) -> str:
        return format_number(self.number)

    def get_absolute_url(self) -> str:
        return detail_url_pattern(get_script_prefix()).format(number=self.number)

    def __eq__(self, other: object) -> bool:
        # The same ticket as a row or as a model instance: `ticket in rows` means what it says.
        if isinstance(other, TicketRow | Ticket):
            return self.pk == other.pk
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.pk)

    def __repr__(self) -> str:
        return f"<TicketRow {self.display_number}>"


def rows_of(queryset: QuerySet[Ticket, Any]) -> list[TicketRow]:
    """The rows of `queryset`, in its order: one query, two joins (category, handler)."""
    return [TicketRow(*columns) for columns in queryset.values_list(*COLUMNS)]
