"""The cheaper SQL of the client pages (bench/README.md § 5.1): the same results as before.

Ids-first pages, the text search scoped to the organisation's notes and run once, « Mon
affichage » in one query, the filter form's choices without server-side cursors.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from allowances.selectors import pending_minutes
from tests.factories import CategoryFactory, ClientFactory, StaffFactory, make_ticket
from tickets.models import Note, State, Ticket
from tickets.paging import IdsFirstPaginator, read_ids_once
from tickets.search import SORTABLE, TicketFilterForm, apply_sort, scoped_organisation, text_search
from tickets.selectors import BOX_SIZE, BOX_STATES, my_view_boxes, tickets_visible_to
from tickets.services import next_number
from tickets.workflow import note_add

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL indexes and plans"
)


def bulk_tickets(reporter: Any, states: list[str], *, minutes_apart: int = 1) -> list[Ticket]:
    """Tickets at once, each updated `minutes_apart` before the previous (0: all at once)."""
    now = timezone.now()
    categories: list[Any] = [CategoryFactory(name=n) for n in ("Anomalie", "Question", "Évolution")]
    handlers: list[Any] = [None, StaffFactory(first_name="Zoé"), StaffFactory(first_name="Abel")]
    tickets = [
        Ticket(
            number=next_number(),
            organisation_id=reporter.organisation_id,
            reporter=reporter,
            handler=handlers[index % 3],
            category=categories[index % 3],
            summary=f"Ticket {index % 5}",
            description="Une description.",
            state=state,
            priority=(10, 30, 50)[index % 3],
            public_note_count=index % 4,
            created_at=now - timedelta(minutes=minutes_apart * index),
            # Ties on purpose when minutes_apart is 0 or groups repeat: the number breaks them.
            updated_at=now - timedelta(minutes=minutes_apart * (index // 2)),
        )
        for index, state in enumerate(states)
    ]
    return Ticket.objects.bulk_create(tickets)


def pks(rows: Any) -> list[int]:
    return [row.pk for row in rows]


@pytest.fixture
def stranger(other_organisation: Any) -> Any:
    return ClientFactory(organisation=other_organisation)


# --- ids-first pages -------------------------------------------------------------------------


@pytest.mark.parametrize("read_once", [False, True], ids=["subquery", "ids-read-once"])
@pytest.mark.parametrize(
    ("key", "descending"), [(key, descending) for key in SORTABLE for descending in (False, True)]
)
def test_ids_first_pages_are_the_plain_pages(client_user, stranger, key, descending, read_once):
    states = [list(State)[index % len(State)].value for index in range(23)]
    bulk_tickets(client_user, states)
    bulk_tickets(stranger, states[:5])

    def ordered() -> QuerySet[Ticket]:
        return apply_sort(tickets_visible_to(client_user), key, descending).select_related(
            "category", "handler"
        )

    plain = Paginator(ordered(), 5)
    ids_first = IdsFirstPaginator(read_ids_once(ordered()) if read_once else ordered(), 5)

    assert ids_first.count == plain.count == 23
    assert ids_first.num_pages == plain.num_pages == 5
    for number in plain.page_range:
        assert pks(ids_first.page(number)) == pks(plain.page(number)), number


def test_ids_first_page_is_one_query_with_relations_and_deferred_texts(
    client_user, django_assert_num_queries
):
    bulk_tickets(client_user, [State.NEW] * 12)
    queryset = (
        tickets_visible_to(client_user)
        .order_by("-updated_at", "-number")
        .select_related("category", "handler")
        .defer("description")
    )
    paginator = IdsFirstPaginator(queryset, 5)

    with django_assert_num_queries(1):
        assert paginator.count == 12
    with django_assert_num_queries(1) as captured:
        page = list(paginator.page(2))
    # The page's ids in a subquery, the rows around it: one statement.
    assert "LIMIT 5 OFFSET 5)" in captured.captured_queries[0]["sql"]
    with django_assert_num_queries(0):
        assert [(row.category.name, row.handler) for row in page]
    assert "description" in page[0].get_deferred_fields()
    assert pks(page) == pks(queryset[5:10])


def test_read_ids_once_counts_and_pages_from_one_reading(client_user, django_assert_num_queries):
    bulk_tickets(client_user, [State.NEW] * 12)
    queryset = read_ids_once(tickets_visible_to(client_user).order_by("-number"))
    paginator = IdsFirstPaginator(queryset, 5)

    with django_assert_num_queries(1):
        assert paginator.count == 12
    for number, expected in ((1, 5), (3, 2)):
        with django_assert_num_queries(1) as captured:
            assert len(paginator.page(number)) == expected
        # The rows by their ids, no ordering nor filter run again.
        assert "ORDER BY" not in captured.captured_queries[0]["sql"]


def test_empty_list_has_one_empty_page(client_user):
    paginator = IdsFirstPaginator(tickets_visible_to(client_user).order_by("-number"), 5)
    assert paginator.count == 0
    assert list(paginator.page(1)) == []


# --- the text search -------------------------------------------------------------------------


def test_note_takes_its_tickets_organisation(client_user, staff_user):
    ticket = make_ticket(reporter=client_user)

    by_workflow = note_add(ticket=ticket, author=staff_user, text="Pris en charge.")
    by_hand = Note.objects.create(ticket=ticket, author=staff_user, text="Une note de script.")

    assert by_workflow.organisation_id == ticket.organisation_id
    by_hand.refresh_from_db()
    assert by_hand.organisation_id == ticket.organisation_id


def test_search_finds_public_notes_of_the_organisation_only(client_user, stranger, staff_user):
    mine = make_ticket(reporter=client_user, summary="Imprimante")
    secret = make_ticket(reporter=client_user, summary="Scanner")
    theirs = make_ticket(reporter=stranger, summary="Photocopieuse")
    note_add(ticket=mine, author=client_user, text="Le bourrage papier revient")
    note_add(ticket=secret, author=staff_user, text="bourrage constaté", is_private=True)
    note_add(ticket=theirs, author=stranger, text="bourrage aussi chez nous")

    found = text_search(tickets_visible_to(client_user), "bourrage")

    assert list(found) == [mine]


def test_note_subquery_reads_the_organisations_notes(client_user, stranger, staff_user):
    """Scoped by Note.organisation, not through the ticket: a note filed under another
    organisation (never made by the code; forced here) is not searched for this one."""
    mine = make_ticket(reporter=client_user)
    Note.objects.create(
        ticket=mine,
        organisation=stranger.organisation,
        author=staff_user,
        text="Le zeppelin est arrivé",
    )
    visible = tickets_visible_to(client_user)

    assert scoped_organisation(visible) == client_user.organisation_id
    assert list(text_search(visible, "zeppelin")) == []
    # Staff see every organisation: every organisation's notes are searched.
    assert scoped_organisation(tickets_visible_to(staff_user)) is None
    assert list(text_search(tickets_visible_to(staff_user), "zeppelin")) == [mine]


def test_search_page_runs_the_match_once(signed_in_client, client_user):
    """The count and the page come from one reading of the matching ids (tickets.paging)."""
    for index in range(3):
        make_ticket(reporter=client_user, summary=f"Imprimante {index}")
    signed_in_client.get("/tickets/", {"q": "imprimante"})  # the session, warm

    with CaptureQueriesContext(connection) as captured:
        response = signed_in_client.get("/tickets/", {"q": "imprimante", "sort": "-state"})

    assert response.status_code == 200
    matching = [
        query["sql"]
        for query in captured.captured_queries
        if '"tickets_note"' in query["sql"] and '"tickets_ticket"' in query["sql"]
    ]
    assert len(matching) <= 1, matching  # none when the page comes from the page cache


@postgresql_only
def test_note_search_uses_the_organisations_gin_index(client_user):
    query = text_search(tickets_visible_to(client_user), "imprimante")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = query.explain()
    # The organisation is a condition of the index scan, not a filter after it.
    scan = plan.split("Bitmap Index Scan on note_org_public_search_fr", 1)[1]
    assert scan.split("\n")[1].strip().startswith("Index Cond: ((organisation_id = "), plan


# --- Mon affichage ---------------------------------------------------------------------------


def test_my_view_boxes_are_the_ten_last_updated_per_state(
    client_user, stranger, django_assert_num_queries
):
    states = [State.NEW] * 13 + [State.ASSIGNED] * 11 + [State.FEEDBACK] * 3 + [State.CLOSED] * 4
    random.Random(7).shuffle(states)  # the states interleaved in time
    bulk_tickets(client_user, states, minutes_apart=3)
    bulk_tickets(stranger, [State.NEW] * 4, minutes_apart=0)  # newer, of another organisation
    visible = tickets_visible_to(client_user)
    # What five sliced querysets gave (the number breaks ties in updated_at).
    expected = [
        (state.value, str(state.label), pks(
            visible.filter(state=state).order_by("-updated_at", "-number")[:BOX_SIZE]
        ))
        for state in BOX_STATES
    ]  # fmt: skip

    with django_assert_num_queries(1):
        boxes = my_view_boxes(client_user)
        shown = [(key, title, pks(tickets)) for key, title, tickets in boxes]
        for _, _, tickets in boxes:
            assert all(ticket.category_name for ticket in tickets)

    assert shown == expected
    assert [len(ids) for _, _, ids in shown] == [10, 0, 10, 3, 0]


# --- the filter form -------------------------------------------------------------------------


def test_filter_form_reads_its_choices_once_and_validates_without_a_query(
    client_user, django_assert_num_queries
):
    colleague = ClientFactory(organisation=client_user.organisation, first_name="Léa")
    retired = CategoryFactory(name="Ancienne", is_active=False)
    data = {"category": str(retired.pk), "reporter": str(colleague.pk)}

    # One plain query for the categories, one for the colleagues; a ModelChoiceField also
    # fetched the chosen object to validate it and iterated a server-side cursor to render.
    with django_assert_num_queries(2):
        form = TicketFilterForm(data, user=client_user)
        filters = form.filters()
        html = str(form["category"]) + str(form["reporter"])

    assert filters["category"] == retired.pk
    assert filters["reporter"] == colleague.pk
    assert f'<option value="{retired.pk}" selected>Ancienne</option>' in html
    assert f'<option value="{colleague.pk}" selected>{colleague}</option>' in html


@pytest.mark.parametrize("field", ["category", "reporter"])
def test_filter_form_refuses_what_is_not_offered(client_user, stranger, staff_user, field):
    values = {
        "category": ["0", "99999999", "abc"],
        "reporter": [str(stranger.pk), str(staff_user.pk), "-1"],
    }[field]
    for value in values:
        form = TicketFilterForm({field: value}, user=client_user)
        filters = form.filters()
        assert field in form.errors, value
        assert "Sélectionnez un choix valide" in str(form.errors[field])
        assert field not in filters


# --- the pending minutes ---------------------------------------------------------------------


@postgresql_only
def test_pending_minutes_read_the_tickets_index_alone(client_user, staff_user):
    ticket = make_ticket(reporter=client_user, state=State.ASSIGNED)
    note_add(ticket=ticket, author=staff_user, text="Analyse", minutes_spent=20)
    note_add(ticket=ticket, author=staff_user, text="Offert", minutes_spent=10, is_billable=False)

    with CaptureQueriesContext(connection) as captured:
        assert pending_minutes(client_user.organisation_id) == 30  # 20 rounded to the quarter
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + captured.captured_queries[-1]["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # The open tickets' kept billable minutes (Ticket.billable_minutes), not their notes.
    assert "Index Only Scan using ticket_org_state" in plan, plan
    assert "tickets_note" not in captured.captured_queries[-1]["sql"]


@pytest.fixture
def signed_in_client(client: Any, client_user: Any) -> Any:
    client.force_login(client_user)
    return client
