"""One way to say each thing: the same ticket's labels and dates read the same on the list, the
Mon affichage and Accueil boxes, the ticket page (head, fields, history) and the CSV export."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup, Tag
from django.utils import translation

from tests.factories import CategoryFactory, StaffFactory, make_ticket
from tickets.display import stored_choice_label
from tickets.editing import ticket_update_details
from tickets.models import Impact, Priority, Reproducibility, State, Ticket
from tickets.workflow import note_add

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
# The 3rd of February: day and month differ, so 03/02 and 02/03 cannot both pass.
UPDATED = datetime(2026, 2, 3, 9, 5, tzinfo=PARIS)
CREATED = datetime(2026, 1, 28, 17, 40, tzinfo=PARIS)
FRENCH_MOMENT = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$")

EXPECTED = {
    "fr": {
        "state": "Commentaire",
        "priority": "Élevée",
        "impact": "Majeur",
        "reproducibility": "Quelques fois",
        "category": "Logiciel de caisse",
        "created": "28/01/2026 17:40",
        "updated": "03/02/2026 09:05",
        "history": "Normale → Élevée",
    },
    "en": {
        "state": "Feedback",
        "priority": "High",
        "impact": "Major",
        "reproducibility": "Sometimes",
        "category": "Logiciel de caisse",
        "created": "28/01/2026 17:40",
        "updated": "03/02/2026 09:05",
        "history": "Normal → High",
    },
}


@pytest.fixture
def ticket(client_user: Any) -> Ticket:
    ticket = make_ticket(
        reporter=client_user,
        state=State.FEEDBACK,
        impact=Impact.MAJOR,
        reproducibility=Reproducibility.SOMETIMES,
        category=CategoryFactory(name="logiciel de caisse"),
    )
    # The history keeps the labels in French, as the technician who changed them read them.
    with translation.override("fr"):
        tech = StaffFactory()
        ticket_update_details(ticket=ticket, by=tech, changes={"priority": Priority.HIGH})
    note_add(ticket=ticket, author=tech, text="Pouvez-vous m'envoyer le ticket de caisse ?")
    Ticket.objects.filter(pk=ticket.pk).update(created_at=CREATED, updated_at=UPDATED)
    ticket.refresh_from_db()
    return ticket


def soup(response: Any) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


def cell(node: Tag | None) -> str:
    assert node is not None
    return " ".join(node.get_text(" ").split())


def labels(language: str) -> dict[str, str]:
    with translation.override(language):
        return {
            key: translation.gettext(msgid)
            for key, msgid in {
                "number": "N°",
                "state": "État",
                "priority": "Priorité",
                "impact": "Impact",
                "reproducibility": "Reproductibilité",
                "category": "Catégorie",
                "created": "Créé le",
                "updated": "Mis à jour le",
            }.items()
        }


def list_row(client: Any, ticket: Ticket, language: str) -> dict[str, str]:
    page = soup(client.get("/tickets/"))
    row = next(tr for tr in page.select("tr.tl-row") if cell(tr.td) == ticket.display_number)
    name = labels(language)
    return {
        "state": cell(row.select_one("td.tl-state")),
        "priority": cell(row.select_one(f'td[data-label="{name["priority"]}"]')),
        "category": cell(row.select_one(f'td[data-label="{name["category"]}"]')),
        "updated": cell(row.select_one("td.tl-updated")),
    }


def box_rows(client: Any, url: str, ticket: Ticket) -> list[dict[str, str]]:
    page = soup(client.get(url))
    rows = [tr for tr in page.select("tr.state-row") if cell(tr.td) == ticket.display_number]
    assert rows, url
    return [
        {
            "state": cell(tr.select_one("td.tt-state")),
            "category": cell(tr.select("td")[3]),
            "updated": cell(tr.select_one("td.tt-updated")),
        }
        for tr in rows
    ]


def ticket_page(client: Any, ticket: Ticket, language: str) -> dict[str, str]:
    page = soup(client.get(ticket.get_absolute_url()))
    fields = {
        cell(dt): cell(dt.find_next_sibling("dd")) for dt in page.select("dl.ticket-fields dt")
    }
    name = labels(language)
    history = [cell(li) for li in page.select("ol.history li")]
    # Every line's moment (the creation's, the change's) is dd/mm/yyyy HH:MM.
    assert all(FRENCH_MOMENT.match(line.split(" · ")[0]) for line in history), history
    change = next(line for line in history if name["priority"] in line)
    notes = [
        cell(note.select_one(".note-meta .text-muted")) for note in page.select("article.note")
    ]
    assert len(notes) == 1
    assert FRENCH_MOMENT.match(notes[0]), notes
    return {
        "state": cell(page.select_one("#ticket-state")),
        **{
            key: fields[name[key]]
            for key in ("priority", "impact", "reproducibility", "category", "created", "updated")
        },
        "history": change.split(f"{name['priority']} : ", 1)[1],
    }


def csv_row(client: Any, ticket: Ticket, language: str) -> dict[str, str]:
    response = client.get("/tickets/", {"format": "csv"})
    body = b"".join(response.streaming_content).decode().removeprefix("\ufeff")
    header, *rows = csv.reader(io.StringIO(body), delimiter=";")
    name = labels(language)
    row = dict(zip(header, next(r for r in rows if r[0] == ticket.display_number), strict=True))
    return {
        key: row[name[key]]
        for key in ("state", "priority", "impact", "category", "created", "updated")
    }


@pytest.mark.parametrize("language", ["fr", "en"])
def test_labels_and_dates_read_the_same_everywhere(client, client_user, ticket, language):
    client_user.language = language
    client_user.save(update_fields=["language"])
    client.force_login(client_user)
    expected = EXPECTED[language]

    def wanted(*keys: str) -> dict[str, str]:
        return {key: expected[key] for key in keys}

    assert list_row(client, ticket, language) == wanted("state", "priority", "category", "updated")
    for url in ("/mon-affichage/", "/"):
        for row in box_rows(client, url, ticket):
            assert row == wanted("state", "category", "updated"), url
    assert ticket_page(client, ticket, language) == wanted(
        "state",
        "priority",
        "impact",
        "reproducibility",
        "category",
        "created",
        "updated",
        "history",
    )
    assert csv_row(client, ticket, language) == wanted(
        "state", "priority", "impact", "category", "created", "updated"
    )


def test_history_label_written_in_english_reads_in_french():
    field = Ticket._meta.get_field("priority")
    with translation.override("fr"):
        assert stored_choice_label(field, "high") == "Élevée"
        # A label no choice has any more is shown as it was stored, with its capital.
        assert stored_choice_label(field, "moyenne") == "Moyenne"


def test_list_filter_options_are_written_as_the_rows(client, client_user, ticket):
    client.force_login(client_user)
    page = soup(client.get("/tickets/"))
    priorities = [cell(option) for option in page.select('select[name="priority"] option')]
    assert "Élevée" in priorities
    assert "élevée" not in priorities
    categories = [cell(option) for option in page.select('select[name="category"] option')]
    assert "Logiciel de caisse" in categories


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 2, 13, 5, tzinfo=ZoneInfo("UTC")),  # 14:05 in Paris
        datetime(2026, 3, 29, 0, 59, tzinfo=ZoneInfo("UTC")),  # the night of the clock change
        datetime(2026, 1, 1, 0, 0, tzinfo=ZoneInfo("Europe/Paris")),
        datetime(5, 6, 7, 8, 9, tzinfo=ZoneInfo("Europe/Paris")),  # a year of one digit
    ],
)
def test_dates_spelt_out_as_dateformat_writes_them(moment):
    """day() and when() write DATE_FORMAT and MOMENT_FORMAT by hand (a third of the time):
    exactly what dateformat.format writes, in local time."""
    from django.utils import dateformat, timezone

    from tickets.display import DATE_FORMAT, MOMENT_FORMAT, day, when

    local = timezone.localtime(moment)
    assert when(moment) == dateformat.format(local, MOMENT_FORMAT)
    assert day(moment) == dateformat.format(local, DATE_FORMAT)
    assert day(moment.date()) == dateformat.format(moment.date(), DATE_FORMAT)
