"""Ticket figures per organisation for `manage.py ticket_stats`.

Counts per state; median time to the first answer (the first public note by ATM staff after the
ticket was created) and to resolution (creation → last resolution, for Résolu and Fermé tickets).
Medians are computed in Python over one streamed query: portable (SQLite has no percentile
function) and cheap enough for an ops command, even over 200,000 tickets.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import DateTimeField, OuterRef, QuerySet, Subquery

from accounts.models import Organisation

from .models import Note, State, Ticket


@dataclass
class Figures:
    name: str
    counts: dict[str, int] = field(default_factory=lambda: {state.value: 0 for state in State})
    first_answers: list[float] = field(default_factory=list)  # seconds
    resolutions: list[float] = field(default_factory=list)  # seconds

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def first_answer_median(self) -> timedelta | None:
        return _median(self.first_answers)

    @property
    def resolution_median(self) -> timedelta | None:
        return _median(self.resolutions)

    def add(
        self,
        state: str,
        created_at: datetime,
        first_answer_at: datetime | None,
        resolved_at: datetime | None,
    ) -> None:
        self.counts[state] = self.counts.get(state, 0) + 1
        if first_answer_at is not None:
            self.first_answers.append((first_answer_at - created_at).total_seconds())
        if resolved_at is not None and state in (State.RESOLVED, State.CLOSED):
            self.resolutions.append((resolved_at - created_at).total_seconds())


def _median(values: list[float]) -> timedelta | None:
    return timedelta(seconds=statistics.median(values)) if values else None


def _rows(
    tickets: QuerySet[Ticket],
) -> Iterable[tuple[str, str, datetime, datetime | None, datetime | None]]:
    first_answer = Subquery(
        Note.objects.filter(ticket=OuterRef("pk"), is_private=False, author__is_staff=True)
        .order_by("created_at", "pk")
        .values("created_at")[:1],
        output_field=DateTimeField(),
    )
    return (
        tickets.annotate(first_answer_at=first_answer)
        .values_list("organisation__name", "state", "created_at", "first_answer_at", "resolved_at")
        .order_by()
        .iterator(chunk_size=5000)
    )


def ticket_stats(
    *,
    organisation: Organisation | None = None,
    since: datetime | None = None,
    include_private: bool = False,
) -> tuple[list[Figures], Figures]:
    """(one Figures per organisation with tickets, by name; the total over them).

    Private tickets (ATM's internal work, which the client never sees) are left out unless
    `include_private`: the figures of an organisation are the ones its people could count."""
    tickets = Ticket.objects.all()
    if not include_private:
        tickets = tickets.filter(is_private=False)
    if organisation is not None:
        tickets = tickets.filter(organisation=organisation)
    if since is not None:
        tickets = tickets.filter(created_at__gte=since)
    per_organisation: dict[str, Figures] = {}
    total = Figures(name="Total")
    for name, state, created_at, first_answer_at, resolved_at in _rows(tickets):
        figures = per_organisation.setdefault(name, Figures(name=name))
        figures.add(state, created_at, first_answer_at, resolved_at)
        total.add(state, created_at, first_answer_at, resolved_at)
    return [per_organisation[name] for name in sorted(per_organisation, key=str.lower)], total


def format_duration(duration: timedelta | None) -> str:
    """« 2 j 3 h », « 4 h 05 », « 35 min »; « — » when there is nothing to measure."""
    if duration is None:
        return "—"
    minutes = round(duration.total_seconds() / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} j {hours} h"
    if hours:
        return f"{hours} h {minutes:02d}"
    return f"{minutes} min"
