"""Tickets per (organisation, state, private or not), kept in the transaction of each change.

« Accueil » shows a client their organisation's tickets per state. Counting them per view read
up to 20,000 index entries of the large organisation (16 ms of PostgreSQL a page, bench/README);
these counters answer the same from a dozen rows of one unique index.

Who keeps them: ticket_create (tickets/services.py), every state move (tickets/workflow.py
_apply_state and the bulk tickets_close_resolved), a privacy change (tickets/editing.py). Rows
written past those functions (the MantisBT import, bench/build_dataset.py's COPY, a test's
set-up by UPDATE) are counted again by `recount()`. A ticket never changes organisation and is
never deleted (both foreign keys to it are PROTECT), so no other write moves a counter.

`is_private` is a key, not a filter: a client never counts a private ticket
(tickets.selectors.tickets_visible_to), staff count them all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.db import connection, models, transaction
from django.utils.translation import gettext_lazy as _

from .models import State, Ticket


class StateCount(models.Model):
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        # The tickets PROTECT an organisation; its counters (all zero by then) must not.
        on_delete=models.CASCADE,
        related_name="+",
        # state_count_key starts with it.
        db_index=False,
    )
    state = models.CharField(_("état"), max_length=20, choices=State.choices)
    is_private = models.BooleanField(_("privé"), default=False)
    count = models.IntegerField(_("nombre"), default=0)

    class Meta:
        verbose_name = _("nombre de tickets par état")
        verbose_name_plural = _("nombres de tickets par état")
        constraints = [
            # Also the index a client's « Accueil » reads: organisation_id = … AND
            # is_private = false is a prefix-and-filter of it (a dozen rows at most).
            models.UniqueConstraint(
                fields=["organisation", "state", "is_private"], name="state_count_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.state} {self.is_private}: {self.count}"


TABLE = "tickets_statecount"
# One statement for every counter a change moves: the row is created on the first ticket of
# that (organisation, state, privacy), then incremented (UPDATE … SET count = count + n) under
# its row lock until the change commits. PostgreSQL and SQLite (3.24+) both have this upsert.
UPSERT = (
    "INSERT INTO tickets_statecount (organisation_id, state, is_private, count) VALUES {values} "
    "ON CONFLICT (organisation_id, state, is_private) "
    "DO UPDATE SET count = tickets_statecount.count + excluded.count"
)


def add(organisation_id: int, deltas: Mapping[tuple[str, bool], int]) -> None:
    """Add each delta to the counter of (state, is_private) in the organisation; call it in
    the change's transaction."""
    # Sorted: two changes moving the same counters lock them in the same order (no deadlock).
    rows = sorted((key, delta) for key, delta in deltas.items() if delta)
    if not rows:
        return
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    params: list[int | str | bool] = []
    for (state, is_private), delta in rows:
        params += [organisation_id, state, is_private, delta]
    with connection.cursor() as cursor:
        cursor.execute(UPSERT.format(values=values), params)


def ticket_added(ticket: Ticket) -> None:
    add(ticket.organisation_id, {(ticket.state, ticket.is_private): 1})


def state_moved(ticket: Ticket, old: str) -> None:
    """`ticket.state` is the new state, `old` the one it leaves."""
    if old != ticket.state:
        add(
            ticket.organisation_id,
            {(old, ticket.is_private): -1, (ticket.state, ticket.is_private): 1},
        )


def privacy_changed(ticket: Ticket, was_private: bool) -> None:
    """`ticket.is_private` is the new value."""
    if was_private != ticket.is_private:
        add(
            ticket.organisation_id,
            {(ticket.state, was_private): -1, (ticket.state, ticket.is_private): 1},
        )


def bulk_moved(organisation_id: int, old: str, new: str, privacy: Iterable[bool]) -> None:
    """Tickets of one organisation moved together from `old` to `new`; `privacy`: each one's
    is_private."""
    deltas: dict[tuple[str, bool], int] = defaultdict(int)
    for is_private in privacy:
        deltas[(old, is_private)] -= 1
        deltas[(new, is_private)] += 1
    add(organisation_id, deltas)


def _nonzero(counters: models.QuerySet[StateCount]) -> dict[tuple[int, str, bool], int]:
    rows = counters.exclude(count=0).values_list("organisation_id", "state", "is_private", "count")
    return {(organisation, state, private): n for organisation, state, private, n in rows}


def recount(organisation_ids: Iterable[int] | None = None) -> int:
    """Count again from the tickets (all organisations, or these): the repair, and what follows
    a write past the functions above. One DELETE and one INSERT … SELECT … GROUP BY; returns
    how many counters were wrong."""
    ids = None if organisation_ids is None else sorted(set(organisation_ids))
    if ids == []:
        return 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Changes that already moved a counter commit first; later ones wait for this
            # transaction and then add their delta to the counted rows: the result is exact.
            # (SQLite has one writer at a time anyway.)
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE")
        counters = StateCount.objects.all()
        tickets = Ticket.objects.all()
        if ids is not None:
            counters = counters.filter(organisation_id__in=ids)
            tickets = tickets.filter(organisation_id__in=ids)
        before = _nonzero(counters)
        counters.delete()
        rows = (
            tickets.values("organisation_id", "state", "is_private")
            .annotate(total=models.Count("*"))
            .order_by()
            .values_list("organisation_id", "state", "is_private", "total")
        )
        sql, params = rows.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TABLE} (organisation_id, state, is_private, count) {sql}", params
            )
        after = _nonzero(counters)
    return sum(before.get(key) != after.get(key) for key in before.keys() | after.keys())


def counted(organisation_id: int | None, *, include_private: bool) -> dict[str, int]:
    """Tickets per state from the counters: one organisation's, or every one's (None)."""
    rows = StateCount.objects.all()
    if organisation_id is not None:
        rows = rows.filter(organisation_id=organisation_id)
    if not include_private:
        rows = rows.filter(is_private=False)
    found: dict[str, int] = defaultdict(int)
    for state, total in rows.values_list("state", "count"):
        found[state] += total
    return found


# Ticket.billable_minutes is kept by triggers on the notes (migration 0016), whatever writes
# them; a load that turns triggers off (bench/build_dataset.py's COPY as a superuser, in
# session_replication_role = replica) sets it here afterwards.
BILLABLE_WRONG = """
SELECT t.id, COALESCE(s.minutes, 0) FROM tickets_ticket AS t
LEFT JOIN (
    SELECT ticket_id, SUM(minutes_spent) AS minutes FROM tickets_note
    WHERE is_billable AND minutes_spent > 0 GROUP BY ticket_id
) AS s ON s.ticket_id = t.id
WHERE t.billable_minutes <> COALESCE(s.minutes, 0)
"""


def recount_billable_minutes() -> int:
    """Set each ticket's billable_minutes to its notes' sum where it differs; returns how many
    tickets were wrong (0 when the triggers did their work)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(BILLABLE_WRONG)
        wrong = cursor.fetchall()
        cursor.executemany(
            "UPDATE tickets_ticket SET billable_minutes = %s WHERE id = %s",
            [(minutes, pk) for pk, minutes in wrong],
        )
    return len(wrong)
