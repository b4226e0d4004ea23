"""Who is waiting on whom: open tickets counted per state and per handler, for the admin index.

One GROUP BY over the open tickets (the (state, -updated_at) index covers the filter), one query
for the handlers' names: the same cost with 200 or 200,000 tickets in the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count
from django.utils.translation import gettext as _

from accounts.models import User

from .models import OPEN_STATES, State, Ticket

# Whose move it is, per open state (PRODUCT.md): the guide's words for the columns' groups.
WAITING_ON_ATM = (State.NEW, State.ACKNOWLEDGED, State.ASSIGNED)
WAITING_ON_CLIENT = (State.FEEDBACK,)


@dataclass(frozen=True)
class Cell:
    state: str
    count: int


@dataclass(frozen=True)
class BoardRow:
    handler_id: int | None  # None: not assigned yet
    label: str
    cells: list[Cell]
    total: int

    @property
    def handler_param(self) -> str:
        """The ticket list's `handler` filter value for this row."""
        return "none" if self.handler_id is None else str(self.handler_id)


@dataclass(frozen=True)
class Board:
    states: list[State]
    rows: list[BoardRow]
    totals: list[Cell]
    total: int
    waiting_on_atm: int
    waiting_on_client: int


def waiting_board() -> Board:
    counts: dict[int | None, dict[str, int]] = {}
    rows = (
        Ticket.objects.filter(state__in=OPEN_STATES)
        .values_list("handler_id", "state")
        .annotate(total=Count("pk"))
        .order_by()
    )
    for handler_id, state, total in rows:
        counts.setdefault(handler_id, {})[state] = total
    handlers = User.objects.filter(pk__in=[pk for pk in counts if pk is not None]).order_by(
        "first_name", "last_name", "email"
    )
    order: list[tuple[int | None, str]] = [(None, _("Non affecté"))] if None in counts else []
    order += [(user.pk, str(user)) for user in handlers]

    states = list(OPEN_STATES)
    board_rows = [
        BoardRow(
            handler_id=pk,
            label=label,
            cells=[Cell(state.value, counts[pk].get(state.value, 0)) for state in states],
            total=sum(counts[pk].values()),
        )
        for pk, label in order
    ]
    per_state = {
        state.value: sum(by_state.get(state.value, 0) for by_state in counts.values())
        for state in states
    }
    return Board(
        states=states,
        rows=board_rows,
        totals=[Cell(state, count) for state, count in per_state.items()],
        total=sum(per_state.values()),
        waiting_on_atm=sum(per_state[state.value] for state in WAITING_ON_ATM),
        waiting_on_client=sum(per_state[state.value] for state in WAITING_ON_CLIENT),
    )
