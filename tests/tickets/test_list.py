"""« Afficher les tickets »: filters, full-text search, sorting, pages, CSV export and tenancy."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from tests.factories import CategoryFactory, ClientFactory, StaffFactory, make_ticket
from tests.utils import text
from tickets.models import Impact, Note, Priority, State, Ticket
from tickets.search import SEARCH_CONFIG, note_document, ticket_document
from tickets.services import next_number
from tickets.workflow import note_add

pytestmark = pytest.mark.django_db

URL = "/tickets/"
PARIS = ZoneInfo("Europe/Paris")


def test_url_name_is_the_list():
    assert reverse("tickets:list") == URL


# --- helpers ---------------------------------------------------------------------------------


def get(client: Any, params: Any = None) -> Any:
    response = client.get(URL, params or {})
    assert response.status_code == 200, response.status_code
    return response


def numbers(response: Any) -> list[int]:
    """The ticket numbers of the page, in the order shown (from the rendered rows)."""
    return [
        int(n)
        for n in re.findall(r'<td class="tl-number">\s*<a href="[^"]*">(\d+)</a>', text(response))
    ]


def many_tickets(count: int, reporter: Any, **fields: Any) -> list[Ticket]:
    """`count` tickets at once (pagination and query-count tests do not need the workflow)."""
    category: Any = fields.pop("category", None) or CategoryFactory(name="Anomalie")
    now = timezone.now()
    tickets = [
        Ticket(
            number=next_number(),
            organisation_id=reporter.organisation_id,
            reporter=reporter,
            category=category,
            summary=fields.get("summary", f"Ticket en série {index}"),
            description=fields.get("description", "Une description."),
            state=fields.get("state", State.NEW),
            updated_at=now - timedelta(minutes=index),
            created_at=now - timedelta(minutes=index),
        )
        for index in range(count)
    ]
    return Ticket.objects.bulk_create(tickets)


def csv_rows(response: Any) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";"))


def set_dates(ticket: Ticket, **dates: datetime) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(**dates)


@pytest.fixture
def colleague(organisation: Any) -> Any:
    return ClientFactory(
        email="lea@boulangerie-martin.fr",
        first_name="Léa",
        last_name="Martin",
        organisation=organisation,
    )


@pytest.fixture
def stranger(other_organisation: Any) -> Any:
    return ClientFactory(
        email="sophie@cabinet-durand.fr",
        first_name="Sophie",
        last_name="Durand",
        organisation=other_organisation,
    )


@pytest.fixture
def signed_in(client: Any, client_user: Any) -> Any:
    client.force_login(client_user)
    return client


# --- the page --------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_staff_is_sent_to_the_admin(client, staff_user):
    client.force_login(staff_user)
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_page_shows_rows_coloured_by_state_with_label_and_columns(
    signed_in, client_user, staff_user
):
    ticket = make_ticket(
        reporter=client_user,
        state=State.ASSIGNED,
        handler=staff_user,
        summary="La balance est déréglée",
        priority=Priority.HIGH,
        category=CategoryFactory(name="Question"),
    )
    Ticket.objects.filter(pk=ticket.pk).update(public_note_count=4)

    response = get(signed_in)

    assert response.context["tab"] == "ticket_list"
    body = text(response)
    for heading in (
        "N°",
        "État",
        "Priorité",
        "Catégorie",
        "Résumé",
        "Affecté à",
        "Mis à jour",
        "Notes",
    ):
        assert f"{heading}<" in body or f"{heading}\n" in body
    assert '<tr class="tl-row state-assigned">' in body
    assert '<span class="state state-assigned">Affecté</span>' in body
    assert f'href="/tickets/{ticket.number}/"' in body
    assert ticket.display_number in body
    assert "La balance est déréglée" in body
    assert "Élevée" in body
    assert "Question" in body
    assert str(staff_user) in body
    # The notes count, right-aligned (and captioned on a phone card).
    assert re.search(r'<td class="[^"]*\btl-notes text-end\b[^"]*"[^>]*>4</td>', body)
    assert "<caption" in body
    assert 'class="table-responsive' in body
    assert "1 ticket" in body


def test_every_filter_field_has_a_label(signed_in):
    body = text(get(signed_in))
    form = body[
        body.index('<form class="card tl-filters') : body.index("</form>", body.index("tl-filters"))
    ]
    ids = re.findall(r'<(?:input|select)[^>]*\sid="([^"]+)"', form)
    assert len(ids) >= 14  # text, 3 dates, 4 selects, 6 states (« Fermé » among them)
    for field_id in ids:
        assert f'for="{field_id}"' in form, field_id
    assert "<legend" in form
    assert ">Du</label>" in form
    assert ">Au</label>" in form


# --- filters ---------------------------------------------------------------------------------


def checked_states(response: Any) -> set[str]:
    return set(re.findall(r'name="state" value="(\w+)"[^>]*checked', text(response)))


ALL_STATES = {state.value for state in State}


def test_closed_tickets_are_hidden_unless_the_closed_state_is_checked(signed_in, client_user):
    open_ticket = make_ticket(reporter=client_user, state=State.RESOLVED)
    closed = make_ticket(reporter=client_user, state=State.CLOSED)

    response = get(signed_in)
    assert numbers(response) == [open_ticket.number]
    assert "Les tickets fermés sont masqués." in text(response)
    assert "Aucun état coché : tous les tickets ouverts." in text(response)
    assert checked_states(response) == set()
    assert numbers(get(signed_in, {"state": "closed"})) == [closed.number]
    # A chosen state plus « Fermé »: that state and the closed ones.
    new = make_ticket(reporter=client_user, state=State.NEW)
    response = get(signed_in, {"state": ["new", "closed"]})
    assert set(numbers(response)) == {new.number, closed.number}
    assert checked_states(response) == {"new", "closed"}
    assert "Les tickets fermés sont masqués." not in text(response)


def test_the_closed_state_is_the_only_control_for_closed_tickets(signed_in, client_user):
    make_ticket(reporter=client_user, state=State.CLOSED)
    body = text(get(signed_in))
    start = body.index('<form class="card tl-filters')
    form = body[start : body.index("</form>", start)]
    assert 'name="closed"' not in form
    assert "form-switch" not in form
    assert "Inclure les tickets fermés" not in form
    # « Fermé » is one of the state boxes, with its colour.
    assert re.search(r'name="state" value="closed"', form)
    assert '<span class="state state-closed">Fermé</span>' in form


def test_show_closed_tickets_too_checks_every_state(signed_in, client_user):
    open_ticket = make_ticket(reporter=client_user, state=State.ASSIGNED)
    closed = make_ticket(reporter=client_user, state=State.CLOSED)
    body = text(get(signed_in))
    link = re.search(r'<a href="(\?[^"]*)">Les afficher aussi</a>', body)
    assert link, body

    response = signed_in.get(URL + link.group(1))

    assert set(numbers(response)) == {open_ticket.number, closed.number}
    assert checked_states(response) == ALL_STATES
    # With states chosen, the link adds « Fermé » to them.
    body = text(get(signed_in, {"state": "assigned"}))
    link = re.search(r'<a href="(\?[^"]*)">Les afficher aussi</a>', body)
    assert link, body
    response = signed_in.get(URL + link.group(1))
    assert set(numbers(response)) == {open_ticket.number, closed.number}
    assert checked_states(response) == {"assigned", "closed"}


@pytest.mark.parametrize("closed", ["on", "1", "true"])
def test_an_old_bookmark_with_the_closed_switch_still_works(signed_in, client_user, closed):
    """`closed=on` was the « Inclure les tickets fermés » switch: read as the « Fermé » box."""
    new = make_ticket(reporter=client_user, state=State.NEW)
    resolved = make_ticket(reporter=client_user, state=State.RESOLVED)
    old = make_ticket(reporter=client_user, state=State.CLOSED)

    response = get(signed_in, {"closed": closed})
    assert set(numbers(response)) == {new.number, resolved.number, old.number}
    assert checked_states(response) == ALL_STATES
    assert "closed=" not in text(response)  # its links are written the new way

    response = get(signed_in, {"closed": closed, "state": "new"})
    assert set(numbers(response)) == {new.number, old.number}
    assert checked_states(response) == {"new", "closed"}

    rows = csv_rows(signed_in.get(URL, {"closed": closed, "format": "csv"}))
    assert {int(row[0]) for row in rows[1:]} == {new.number, resolved.number, old.number}


def test_an_unchecked_closed_switch_of_an_old_bookmark_changes_nothing(signed_in, client_user):
    open_ticket = make_ticket(reporter=client_user, state=State.NEW)
    make_ticket(reporter=client_user, state=State.CLOSED)
    for closed in ("", "false"):  # as the old checkbox read them
        response = get(signed_in, {"closed": closed})
        assert numbers(response) == [open_ticket.number], closed
        assert checked_states(response) == set()


def test_state_filter_takes_several_states(signed_in, client_user):
    new = make_ticket(reporter=client_user, state=State.NEW)
    feedback = make_ticket(reporter=client_user, state=State.FEEDBACK)
    make_ticket(reporter=client_user, state=State.ASSIGNED)

    response = get(signed_in, {"state": ["new", "feedback"]})

    assert set(numbers(response)) == {new.number, feedback.number}
    assert re.search(r'value="new"[^>]*checked', text(response))


def test_category_filter(signed_in, client_user):
    question = CategoryFactory(name="Question")
    wanted = make_ticket(reporter=client_user, category=question)
    make_ticket(reporter=client_user, category=CategoryFactory(name="Anomalie"))

    assert numbers(get(signed_in, {"category": question.pk})) == [wanted.number]


def test_priority_filter(signed_in, client_user):
    urgent = make_ticket(reporter=client_user, priority=Priority.URGENT)
    make_ticket(reporter=client_user, priority=Priority.LOW)

    assert numbers(get(signed_in, {"priority": Priority.URGENT})) == [urgent.number]


def test_impact_filter(signed_in, client_user):
    blocking = make_ticket(reporter=client_user, impact=Impact.BLOCK)
    make_ticket(reporter=client_user, impact=Impact.MINOR)

    assert numbers(get(signed_in, {"impact": Impact.BLOCK})) == [blocking.number]


def test_reporter_filter_offers_and_applies_colleagues(signed_in, client_user, colleague):
    mine = make_ticket(reporter=client_user)
    theirs = make_ticket(reporter=colleague)

    response = get(signed_in, {"reporter": colleague.pk})

    assert numbers(response) == [theirs.number]
    assert numbers(get(signed_in, {"reporter": client_user.pk})) == [mine.number]
    choices = {value for value, _ in response.context["form"].fields["reporter"].choices if value}
    assert choices == {client_user.pk, colleague.pk}


@pytest.mark.parametrize(
    ("field", "value", "query"),
    [
        ("summary", "Le photocopieur bourdonne", "photocopieur"),
        ("description", "La caisse enregistreuse redémarre seule", "enregistreuse"),
        ("steps_to_reproduce", "Ouvrir le tiroir du comptoir", "tiroir"),
        ("additional_information", "Appeler Gérard au magasin", "Gérard"),
    ],
)
def test_text_searches_each_ticket_field(signed_in, client_user, field, value, query):
    wanted = make_ticket(reporter=client_user, **{field: value})
    make_ticket(reporter=client_user, summary="Autre chose", description="Rien à voir.")

    assert numbers(get(signed_in, {"q": query})) == [wanted.number]


def test_text_search_finds_public_notes_but_never_private_ones(signed_in, client_user, staff_user):
    public = make_ticket(reporter=client_user)
    private = make_ticket(reporter=client_user)
    note_add(ticket=public, author=staff_user, text="Le micrologiciel est corrompu")
    note_add(
        ticket=private, author=staff_user, text="Le fournisseur facture trop cher", is_private=True
    )

    assert numbers(get(signed_in, {"q": "micrologiciel"})) == [public.number]
    assert numbers(get(signed_in, {"q": "fournisseur"})) == []
    assert numbers(get(signed_in, {"q": "fournisseur", "state": sorted(ALL_STATES)})) == []
    rows = csv_rows(signed_in.get(URL, {"q": "fournisseur", "format": "csv"}))
    assert rows[1:] == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="French full-text search")
def test_text_search_is_french_full_text(signed_in, client_user):
    plural = make_ticket(reporter=client_user, summary="Les imprimantes du bureau sont en panne")
    make_ticket(reporter=client_user, summary="Écran noir")

    # Stemming (singular finds plural), and websearch syntax: quoted phrase, exclusion.
    assert numbers(get(signed_in, {"q": "imprimante"})) == [plural.number]
    assert numbers(get(signed_in, {"q": '"imprimantes du bureau"'})) == [plural.number]
    assert numbers(get(signed_in, {"q": "imprimante -bureau"})) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="French full-text search")
@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("reglement", "summary"),
        ("REGLEMENT", "summary"),
        ("règlement", "summary"),
        ("Regle", "summary"),  # stemmed too: règlement / réglé / règle
        ("ecran", "note"),
        ("facture", "note"),
        ("éditée", "note"),
    ],
)
def test_text_search_ignores_accents(signed_in, client_user, staff_user, typed, found):
    by_summary = make_ticket(reporter=client_user, summary="Problème de règlement fournisseur")
    by_note = make_ticket(reporter=client_user, summary="Autre chose")
    note_add(ticket=by_note, author=staff_user, text="L'ÉCRAN affiche « facturé » puis editee.")
    make_ticket(reporter=client_user, summary="Rien à voir")

    wanted = by_summary if found == "summary" else by_note
    assert numbers(get(signed_in, {"q": typed})) == [wanted.number]


@pytest.mark.parametrize("typed", ["{n}", "{padded}", "#{n}"])
def test_number_typed_as_text_finds_the_ticket(signed_in, client_user, typed):
    make_ticket(reporter=client_user)
    wanted = make_ticket(reporter=client_user, summary="Tout autre chose")

    query = typed.format(n=wanted.number, padded=wanted.display_number)
    assert numbers(get(signed_in, {"q": query})) == [wanted.number]


def test_search_field_shows_what_was_typed(signed_in):
    body = text(get(signed_in, {"q": "caisse <bloquée>"}))
    assert re.search(
        r'<input type="search" name="q" value="caisse &lt;bloquée&gt;"',
        get(signed_in, {"q": "caisse <bloquée>"}).content.decode(),
    )
    assert "Aucun ticket ne correspond à ces critères." in body


def test_quick_search_lands_on_the_list_with_the_text(signed_in, client_user):
    wanted = make_ticket(reporter=client_user, summary="Terminal de paiement muet")
    response = signed_in.get(reverse("tickets:quick_search"), {"q": "paiement"}, follow=True)
    assert numbers(response) == [wanted.number]
    assert 'value="paiement"' in response.content.decode()


def _at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"date_from": "2025-03-10", "date_to": "2025-03-20"}, {"a", "b"}),
        ({"date_from": "10/03/2025", "date_to": "20/03/2025"}, {"a", "b"}),
        ({"date_from": "2025-03-11"}, {"b", "c"}),
        ({"date_to": "2025-03-20"}, {"before", "a", "b"}),
        ({"date_from": "2025-03-20", "date_to": "2025-03-20"}, {"b"}),
        ({"date_of": "updated", "date_from": "2025-05-01", "date_to": "2025-05-31"}, {"c"}),
        ({"date_of": "updated", "date_to": "2025-03-31"}, {"before", "a", "b"}),
    ],
)
def test_date_range_filters_created_or_updated_days_in_paris_time(
    signed_in, client_user, params, expected
):
    tickets = {}
    # Edges in Paris time: 23:30 on the 9th is the 9th, 23:30 on the 20th still the 20th.
    for name, created in [
        ("before", _at(2025, 3, 9, 23, 30)),
        ("a", _at(2025, 3, 10, 0, 5)),
        ("b", _at(2025, 3, 20, 23, 30)),
        ("c", _at(2025, 4, 2, 9)),
    ]:
        ticket = make_ticket(reporter=client_user, summary=f"Ticket {name}")
        updated = created + (timedelta(days=40) if name == "c" else timedelta(hours=1))
        set_dates(ticket, created_at=created, updated_at=updated)
        tickets[name] = ticket.number

    found = set(numbers(get(signed_in, params)))

    assert found == {tickets[name] for name in expected}


# --- sorting ---------------------------------------------------------------------------------

# (column, the three tickets' values, the ascending order of the three tickets)
SORTS = [
    ("number", [{}, {}, {}], [0, 1, 2]),
    (
        "priority",
        [{"priority": Priority.URGENT}, {"priority": Priority.LOW}, {"priority": Priority.NORMAL}],
        [1, 2, 0],
    ),
    (
        "category",
        [{"category": "Question"}, {"category": "Anomalie"}, {"category": "Retour projet"}],
        [1, 0, 2],
    ),
    ("summary", [{"summary": "Banane"}, {"summary": "cerise"}, {"summary": "abricot"}], [2, 0, 1]),
    ("updated_at", [{"updated": 2}, {"updated": 9}, {"updated": 5}], [1, 2, 0]),
    (
        "notes",
        [{"public_note_count": 3}, {"public_note_count": 0}, {"public_note_count": 7}],
        [1, 0, 2],
    ),
]


def _make_sorted_tickets(reporter: Any, values: list[dict[str, Any]]) -> list[int]:
    result = []
    for fields in values:
        fields = dict(fields)
        if "category" in fields:
            fields["category"] = CategoryFactory(name=fields["category"])
        days_ago = fields.pop("updated", None)
        notes = fields.pop("public_note_count", None)
        ticket = make_ticket(reporter=reporter, **fields)
        if days_ago is not None:
            set_dates(ticket, updated_at=timezone.now() - timedelta(days=days_ago))
        if notes is not None:
            Ticket.objects.filter(pk=ticket.pk).update(public_note_count=notes)
        result.append(ticket.number)
    return result


@pytest.mark.parametrize(("column", "values", "ascending"), SORTS)
@pytest.mark.parametrize("descending", [False, True])
def test_sort_by_each_column_both_ways(
    signed_in, client_user, column, values, ascending, descending
):
    made = _make_sorted_tickets(client_user, values)
    expected = [made[index] for index in ascending]
    if descending:
        expected.reverse()

    response = get(signed_in, {"sort": f"-{column}" if descending else column})

    assert numbers(response) == expected
    direction = "descending" if descending else "ascending"
    assert re.search(rf'class="tl-col-{column}[^"]*"\s+aria-sort="{direction}"', text(response))
    assert ("▼" if descending else "▲") in text(response)


def test_sort_by_state_follows_the_workflow(signed_in, client_user):
    by_state = {
        state: make_ticket(reporter=client_user, state=state).number
        for state in [
            State.RESOLVED,
            State.NEW,
            State.CLOSED,
            State.FEEDBACK,
            State.ASSIGNED,
            State.ACKNOWLEDGED,
        ]
    }
    workflow = [
        State.NEW,
        State.ACKNOWLEDGED,
        State.ASSIGNED,
        State.FEEDBACK,
        State.RESOLVED,
        State.CLOSED,
    ]

    ascending = numbers(get(signed_in, {"sort": "state", "state": sorted(ALL_STATES)}))
    descending = numbers(get(signed_in, {"sort": "-state", "state": sorted(ALL_STATES)}))

    assert ascending == [by_state[state] for state in workflow]
    assert descending == list(reversed(ascending))


def test_default_sort_is_last_updated_first_and_header_links_toggle(signed_in, client_user):
    old = make_ticket(reporter=client_user)
    recent = make_ticket(reporter=client_user)
    set_dates(old, updated_at=timezone.now() - timedelta(days=3))

    response = get(signed_in, {"q": "imprimante", "priority": ""})
    assert numbers(get(signed_in)) == [recent.number, old.number]
    headers = {h.key: h for h in response.context["headers"]}
    assert headers["updated_at"].aria_sort == "descending"
    assert "sort=updated_at" in headers["updated_at"].url  # a second click: ascending
    assert "sort=summary" in headers["summary"].url
    assert "q=imprimante" in headers["summary"].url  # the filters are kept
    assert headers["handler"].url is None  # not sortable


def test_unknown_sort_falls_back_to_the_default(signed_in, client_user):
    old = make_ticket(reporter=client_user)
    recent = make_ticket(reporter=client_user)
    set_dates(old, updated_at=timezone.now() - timedelta(days=3))

    assert numbers(get(signed_in, {"sort": "password"})) == [recent.number, old.number]
    assert numbers(get(signed_in, {"sort": "-organisation__name"})) == [recent.number, old.number]


# --- pages -----------------------------------------------------------------------------------


def test_fifty_per_page_with_links_that_keep_filters_and_sort(signed_in, client_user):
    made = many_tickets(55, client_user, summary="Relevé de caisse faux")

    first = get(signed_in, {"q": "caisse", "sort": "number"})
    second = get(signed_in, {"q": "caisse", "sort": "number", "page": "2"})

    assert numbers(first) == [t.number for t in made[:50]]
    assert numbers(second) == [t.number for t in made[50:]]
    assert "55 tickets" in text(first)
    assert "page 1 sur 2" in text(first)
    next_link = re.search(r'href="(\?[^"]*page=2[^"]*)" rel="next"', text(first))
    assert next_link is not None
    assert "q=caisse" in next_link.group(1)
    assert "sort=number" in next_link.group(1)
    assert 'aria-current="page">2<' in text(second)


@pytest.mark.parametrize(
    ("page", "shown"), [("999", 2), ("abc", 1), ("-3", 1), ("0", 1), ("", 1), ("1e9", 1)]
)
def test_page_out_of_range_or_garbage_shows_the_last_or_first(signed_in, client_user, page, shown):
    many_tickets(51, client_user)

    response = get(signed_in, {"page": page})

    assert response.context["page"].number == shown
    assert len(numbers(response)) == (1 if shown == 2 else 50)


# --- CSV -------------------------------------------------------------------------------------


def test_csv_exports_every_page_of_the_filtered_list(signed_in, client_user, staff_user):
    made = many_tickets(60, client_user, summary="Balance à recalibrer")
    many_tickets(3, client_user, summary="Autre sujet")
    make_ticket(reporter=client_user, state=State.CLOSED, summary="Balance fermée")
    Ticket.objects.filter(pk=made[0].pk).update(handler=staff_user, priority=Priority.HIGH)

    response = signed_in.get(URL, {"q": "balance", "sort": "number", "page": "2", "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    day = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="tickets-{day}.csv"'
    rows = csv_rows(response)
    assert rows[0] == [
        "N°",
        "État",
        "Priorité",
        "Impact",
        "Catégorie",
        "Résumé",
        "Rapporteur",
        "Affecté à",
        "Créé le",
        "Mis à jour le",
        "Notes publiques",
        "Temps passé (minutes)",
    ]
    assert [row[0] for row in rows[1:]] == [t.display_number for t in made]  # all 60, sorted
    first = rows[1]
    assert first[1:8] == [
        "Nouveau",
        "Élevée",
        "Mineur",
        "Anomalie",
        "Balance à recalibrer",
        str(client_user),
        str(staff_user),
    ]
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", first[8])


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t"])
def test_csv_neutralises_formulas(signed_in, client_user, start):
    ticket = make_ticket(reporter=client_user)
    # Set directly: the report form strips a leading tab, an import or the admin might not.
    summary = f'{start}HYPERLINK("http://evil.example";"clic")'
    Ticket.objects.filter(pk=ticket.pk).update(summary=summary)

    rows = csv_rows(signed_in.get(URL, {"format": "csv"}))

    assert rows[1][5].startswith(f"'{start}HYPERLINK")


def test_csv_raw_bytes_have_bom_and_semicolons(signed_in, client_user):
    make_ticket(reporter=client_user, summary="Prix ; remise")
    response = signed_in.get(URL, {"format": "csv"})
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbfN\xc2\xb0;\xc3\x89tat;")
    assert b'"Prix ; remise"' in raw


# --- tenancy ---------------------------------------------------------------------------------


def test_other_organisation_never_appears(signed_in, client_user, stranger):
    mine = make_ticket(reporter=client_user, summary="Four à pain en panne")
    theirs = make_ticket(reporter=stranger, summary="Four à pain en panne aussi")
    note_add(ticket=theirs, author=stranger, text="four")

    for params in (
        {},
        {"q": "four"},
        {"q": str(theirs.number)},
        {"state": sorted(ALL_STATES)},
        {"closed": "on"},  # an old bookmark
        {"reporter": stranger.pk},
    ):
        response = get(signed_in, params)
        assert theirs.number not in numbers(response), params
        assert "Four à pain en panne aussi" not in text(response)
    # The count shown (served from the page cache the second time: read on the page itself).
    assert re.search(r'id="tl-results-title">\s*1 ticket\s', text(get(signed_in)))
    assert [row[0] for row in csv_rows(signed_in.get(URL, {"format": "csv"}))[1:]] == [
        mine.display_number
    ]
    assert csv_rows(signed_in.get(URL, {"format": "csv", "q": str(theirs.number)}))[1:] == []


def test_reporter_choices_and_forced_id_stay_in_the_organisation(signed_in, client_user, stranger):
    mine = make_ticket(reporter=client_user)
    make_ticket(reporter=stranger)

    response = get(signed_in, {"reporter": stranger.pk})

    body = text(response)
    assert "Sophie Durand" not in body
    assert "Sélectionnez un choix valide" in body
    # The forced id is refused and ignored: the organisation's list only.
    assert numbers(response) == [mine.number]
    rows = csv_rows(signed_in.get(URL, {"format": "csv", "reporter": stranger.pk}))
    assert [row[0] for row in rows[1:]] == [mine.display_number]


def test_staff_is_not_a_reporter_choice(signed_in, client_user, staff_user):
    body = text(get(signed_in))
    assert str(staff_user) not in body
    assert str(client_user) in body


# --- garbage in, French out -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"state": "bogus"}, "Sélectionnez un choix valide"),
        ({"state": ["new", "x' OR 1=1"]}, "Sélectionnez un choix valide"),
        ({"category": "abc"}, "Sélectionnez un choix valide"),
        ({"category": "99999999999999999999999"}, "Sélectionnez un choix valide"),
        ({"priority": "haute"}, "Sélectionnez un choix valide"),
        ({"impact": "999"}, "Sélectionnez un choix valide"),
        ({"reporter": "-1"}, "Sélectionnez un choix valide"),
        ({"date_of": "deleted"}, "Sélectionnez un choix valide"),
        ({"date_from": "2025-13-45"}, "Saisissez une date valide"),
        ({"date_to": "hier"}, "Saisissez une date valide"),
        ({"date_from": "0001-01-01"}, "Saisissez une date entre 1900 et 2999."),
        ({"date_to": "9999-12-31"}, "Saisissez une date entre 1900 et 2999."),
        (
            {"date_from": "2025-05-10", "date_to": "2025-05-01"},
            "La date « Au » doit être postérieure ou égale à la date « Du ».",
        ),
        ({"q": "nul\x00byte"}, "Le caractère nul n\u2019est pas autorisé."),
        ({"q": "x" * 300}, "Assurez-vous que cette valeur comporte au plus 200 caractères"),
    ],
)
def test_garbage_is_answered_in_french_next_to_the_field(signed_in, client_user, params, message):
    ticket = make_ticket(reporter=client_user, summary="Ticket témoin")

    response = get(signed_in, {**params, "sort": "summary"})
    csv_response = signed_in.get(URL, {**params, "format": "csv"})

    body = text(response)
    assert message in body
    assert "Certains filtres ne sont pas valides" in body
    assert 'aria-invalid="true"' in body
    assert "invalid-feedback" in body
    assert csv_response.status_code == 200
    if "q" not in params:
        # The invalid filter is ignored: the list is still there, and the CSV with it.
        assert numbers(response) == [ticket.number]
        assert len(csv_rows(csv_response)) == 2


def test_invalid_field_keeps_everything_else_typed(signed_in, client_user):
    make_ticket(reporter=client_user, summary="Caisse bloquée", priority=Priority.URGENT)
    make_ticket(reporter=client_user, summary="Caisse lente", priority=Priority.LOW)

    response = get(
        signed_in,
        {"q": "caisse", "priority": Priority.URGENT, "date_from": "n'importe quoi", "closed": "on"},
    )

    body = response.content.decode()
    assert len(numbers(response)) == 1  # text and priority still applied
    assert 'name="q" value="caisse"' in body
    assert re.search(rf'<option value="{Priority.URGENT}" selected>', body)
    assert 'name="date_from" value="n&#x27;importe quoi"' in body
    assert checked_states(response) == ALL_STATES  # `closed=on`: every state, « Fermé » included


def test_garbage_everywhere_at_once_never_fails(signed_in, client_user):
    make_ticket(reporter=client_user)
    params = (
        "?state=%00&category=%FF&priority=1.5&impact=&reporter=[]&date_from=%00"
        "&date_to=31/02/2025&closed=maybe&sort=--&page=%00&q=%27%22%3C%3E()%26%7C!:*"
    )
    assert signed_in.get(URL + params).status_code == 200
    assert signed_in.get(URL + params + "&format=csv").status_code == 200


# --- performance -----------------------------------------------------------------------------


@pytest.fixture
def varied_tickets(client_user: Any, colleague: Any) -> Any:
    """Tickets with different handlers, categories and reporters: an N+1 would show."""

    def make(count: int) -> None:
        for index in range(count):
            ticket = many_tickets(
                1,
                client_user if index % 2 else colleague,
                category=CategoryFactory(name=f"Catégorie {index % 7}"),
            )[0]
            Ticket.objects.filter(pk=ticket.pk).update(handler=StaffFactory())

    return make


# session, user, organisation (top bar), categories, reporters, count, the page of rows
QUERY_BOUND = 7


@pytest.mark.parametrize("params", [{}, {"q": "série", "sort": "-state"}, {"page": "2"}])
def test_query_count_does_not_grow_with_the_tickets(
    signed_in, varied_tickets, django_assert_max_num_queries, params, settings
):
    # The page rendered each time: a page served from the page cache would hide an N+1 (and a
    # page past the end, `page=2` of 5 tickets, is never kept while a real page 2 is).
    settings.PAGE_CACHE = False
    counts = []
    for count in (5, 60):
        varied_tickets(count)
        signed_in.get(URL, params)  # warm up the session
        with django_assert_max_num_queries(QUERY_BOUND) as captured:
            response = get(signed_in, params)
        assert numbers(response)
        counts.append(len(captured))
        with django_assert_max_num_queries(QUERY_BOUND) as captured_csv:
            rows = csv_rows(signed_in.get(URL, {**params, "format": "csv"}))
        assert len(rows) > 1
        counts.append(len(captured_csv))
    assert counts[0:2] == counts[2:4], counts


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL indexes")
@pytest.mark.parametrize(
    ("queryset", "index"),
    [
        (lambda: Ticket.objects.alias(document=ticket_document()), "ticket_search_fr"),
        (
            lambda: Note.objects.filter(is_private=False).alias(document=note_document()),
            "note_org_public_search_fr",
        ),
    ],
)
def test_search_expressions_match_the_gin_indexes(queryset, index):
    """An expression index serves only the identical expression: search.py, 0004 and 0005 agree."""
    query = SearchQuery("imprimante", search_type="websearch", config=SEARCH_CONFIG)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    # Unordered: the expression is the point. Ordered by -number, once earlier tests have grown
    # the GIN index (big documents inserted, rolled back, not yet vacuumed), PostgreSQL may
    # prefer walking the number index and filtering, which says nothing about the expression.
    plan = queryset().filter(document=query).order_by().explain()
    assert f"Bitmap Index Scan on {index}" in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL indexes")
def test_private_notes_are_outside_the_notes_index():
    query = SearchQuery("imprimante", search_type="websearch", config=SEARCH_CONFIG)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = Note.objects.alias(document=note_document()).filter(document=query).explain()
    assert "note_org_public_search_fr" not in plan
