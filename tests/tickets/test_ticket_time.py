"""« Temps passé » as the client can check it: each public note's minutes, the internal work as
one line (never its text, author or date), what the month end debits (or debited, read from the
ledger), and the list's CSV giving the same total as the ticket page."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from allowances.ledger import revision_create
from allowances.models import Kind, LedgerEntry
from allowances.month_end import close_month
from allowances.periods import current_period, previous_period
from tests.allowances.conftest import paris
from tests.factories import StaffFactory, make_ticket
from tests.utils import text
from tickets.models import Note, State, Ticket
from tickets.workflow import note_add, ticket_change_state

pytestmark = pytest.mark.django_db

SECRET_TEXT = "Mot de passe du serveur Zorglub"
SECRET_AUTHOR = "Gédéon Cachottier"
SECRET_WHEN = datetime(2019, 7, 13, 4, 17, tzinfo=ZoneInfo("Europe/Paris"))


def time_section(body: str) -> str:
    return body.split('id="ticket-time"')[1].split("</dd>")[0]


def note_block(body: str, note: Note) -> str:
    return body.split(f'id="note-{note.pk}"')[1].split("</article>")[0]


def shown_minutes(value: str) -> int:
    """« 1 h 05 » → 65, « 2 h » → 120."""
    match = re.fullmatch(r"(\d+) h(?: (\d\d))?", value.strip())
    assert match, value
    return int(match[1]) * 60 + int(match[2] or 0)


def page_total(body: str) -> int:
    """The total the ticket page says is billed (0 when it says there is none)."""
    found = re.search(r'id="ticket-time-total"[^>]*>([^<]+)<', time_section(body))
    return shown_minutes(found[1]) if found else 0


def csv_rows(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";"))


@pytest.fixture
def worked(client_user: User, staff_user: User) -> dict[str, Any]:
    """A ticket with public billable and non-billable notes, and private ones by a technician
    the client never sees, dated on a day nothing else on the page is."""
    ticket = make_ticket(reporter=client_user, state=State.ASSIGNED, handler=staff_user)
    public = note_add(ticket=ticket, author=staff_user, text="Analyse du journal", minutes_spent=40)
    offered = note_add(
        ticket=ticket,
        author=staff_user,
        text="Geste commercial",
        minutes_spent=10,
        is_billable=False,
    )
    hidden = StaffFactory(first_name="Gédéon", last_name="Cachottier")
    private = note_add(
        ticket=ticket, author=hidden, text=SECRET_TEXT, minutes_spent=25, is_private=True
    )
    private_offered = note_add(
        ticket=ticket,
        author=hidden,
        text=SECRET_TEXT + " bis",
        minutes_spent=5,
        is_private=True,
        is_billable=False,
    )
    Note.objects.filter(pk__in=[private.pk, private_offered.pk]).update(created_at=SECRET_WHEN)
    return {"ticket": ticket, "public": public, "offered": offered, "private": private}


def test_each_public_note_shows_its_minutes_and_the_internal_work_is_one_line(
    client: Client, client_user: User, worked: dict[str, Any]
) -> None:
    client.force_login(client_user)
    body = text(client.get(worked["ticket"].get_absolute_url()))

    assert "0 h 40" in note_block(body, worked["public"])
    offered = note_block(body, worked["offered"])
    assert "0 h 10" in offered
    assert "non facturé" in offered
    section = time_section(body)
    assert page_total(body) == 40 + 25  # the private note's billable time is billed too
    assert "travail interne : 0 h 30" in section  # 25 + 5: every private minute, summed
    assert "dont 0 h 05 non facturé" in section
    assert "temps non facturé : 0 h 15" in section  # 10 public + 5 private
    assert "sera décompté" in section
    assert "1 h 15" in section  # 65 rounded up to the quarter hour


def test_unbilled_internal_work_alone_is_said_once(
    client: Client, client_user: User, staff_user: User
) -> None:
    ticket = make_ticket(reporter=client_user, state=State.ASSIGNED, handler=staff_user)
    note_add(
        ticket=ticket,
        author=staff_user,
        text="Vérification interne",
        minutes_spent=15,
        is_private=True,
        is_billable=False,
    )
    client.force_login(client_user)
    section = time_section(text(client.get(ticket.get_absolute_url())))

    assert "travail interne : 0 h 15" in section
    assert "dont 0 h 15 non facturé" in section
    assert "temps non facturé" not in section  # the same 15 minutes, not said a second time


def test_the_time_line_never_tells_a_private_note_text_author_or_date(
    client: Client, client_user: User, worked: dict[str, Any]
) -> None:
    client.force_login(client_user)
    page = text(client.get(worked["ticket"].get_absolute_url()))
    export = "\n".join(";".join(row) for row in csv_rows(client.get("/tickets/?format=csv")))

    for shown in (page, export):
        assert SECRET_TEXT not in shown
        assert SECRET_AUTHOR not in shown
        assert "Cachottier" not in shown
        assert "13/07/2019" not in shown
        assert "04:17" not in shown
    assert f'id="note-{worked["private"].pk}"' not in page


def test_a_resolved_ticket_says_what_the_month_end_will_debit(
    client: Client, client_user: User, staff_user: User, worked: dict[str, Any]
) -> None:
    ticket_change_state(ticket=worked["ticket"], to=State.RESOLVED, by=staff_user)
    client.force_login(client_user)

    section = time_section(text(client.get(worked["ticket"].get_absolute_url())))

    assert "sera décompté à la fin du mois : 1 h 15" in section


def test_an_open_ticket_is_debited_at_the_end_of_the_month_it_is_resolved(
    client: Client, client_user: User, worked: dict[str, Any]
) -> None:
    client.force_login(client_user)

    section = time_section(text(client.get(worked["ticket"].get_absolute_url())))

    assert "sera décompté à la fin du mois de sa résolution : 1 h 15" in section
    assert "sera décompté à la fin du mois :" not in section


def test_a_closed_ticket_says_when_and_what_the_ledger_debited(
    client: Client, client_user: User, staff_user: User, worked: dict[str, Any]
) -> None:
    ticket = worked["ticket"]
    now = timezone.now()
    last_month = previous_period(current_period(now))
    revision_create(
        organisation=client_user.organisation,
        minutes_per_month=120,
        effective_from=last_month,
        by=staff_user,
        now=paris(last_month.year, last_month.month, 2),
    )
    ticket_change_state(ticket=ticket, to=State.RESOLVED, by=staff_user)
    Ticket.objects.filter(pk=ticket.pk).update(
        resolved_at=paris(last_month.year, last_month.month, 15)
    )
    close_month(period=last_month, now=now)
    debit = LedgerEntry.objects.get(ticket=ticket, kind=Kind.DEBIT)
    assert debit.minutes == -75
    # A correction after the month end: the page says what was debited, not what would be now.
    public = Note.objects.get(pk=worked["public"].pk)
    public.minutes_spent = 80
    public.save()
    client.force_login(client_user)

    section = time_section(text(client.get(ticket.get_absolute_url())))

    day = timezone.localtime(debit.created_at).strftime("%d/%m/%Y")
    assert f"décompté le {day} : 1 h 15" in section
    assert "sera décompté" not in section
    assert page_total(text(client.get(ticket.get_absolute_url()))) == 80 + 25


def test_nothing_is_debited_when_no_time_is_billable(
    client: Client, client_user: User, staff_user: User
) -> None:
    ticket = make_ticket(reporter=client_user, state=State.ASSIGNED, handler=staff_user)
    note_add(ticket=ticket, author=staff_user, text="Offert", minutes_spent=20, is_billable=False)
    ticket_change_state(ticket=ticket, to=State.RESOLVED, by=staff_user)
    client.force_login(client_user)

    body = text(client.get(ticket.get_absolute_url()))
    section = time_section(body)

    assert "Aucun temps facturable" in section
    assert "temps non facturé : 0 h 20" in section
    assert "décompté" not in section
    assert page_total(body) == 0


def test_the_time_changes_when_a_note_minutes_change(
    client: Client, client_user: User, worked: dict[str, Any], settings: Any
) -> None:
    settings.PAGE_CACHE = True
    client.force_login(client_user)
    url = worked["ticket"].get_absolute_url()
    assert page_total(text(client.get(url))) == 65
    assert page_total(text(client.get(url))) == 65  # served from the page cache

    private = Note.objects.get(pk=worked["private"].pk)
    private.minutes_spent = 50
    private.save()

    body = text(client.get(url))
    assert page_total(body) == 90
    assert "travail interne : 0 h 55" in time_section(body)


def test_the_csv_time_column_is_the_ticket_page_total(
    client: Client, client_user: User, staff_user: User, worked: dict[str, Any]
) -> None:
    quiet = make_ticket(reporter=client_user, state=State.NEW)
    offered = make_ticket(reporter=client_user, state=State.ASSIGNED, handler=staff_user)
    note_add(ticket=offered, author=staff_user, text="Offert", minutes_spent=30, is_billable=False)
    private_only = make_ticket(reporter=client_user, state=State.ASSIGNED, handler=staff_user)
    note_add(ticket=private_only, author=staff_user, text="x", minutes_spent=7, is_private=True)
    client.force_login(client_user)

    rows = csv_rows(client.get("/tickets/?format=csv"))

    column = rows[0].index("Temps passé (minutes)")
    by_number = {row[0]: int(row[column]) for row in rows[1:]}
    expected = {worked["ticket"]: 65, quiet: 0, offered: 0, private_only: 7}
    for ticket, minutes in expected.items():
        body = text(client.get(ticket.get_absolute_url()))
        assert by_number[ticket.display_number] == page_total(body) == minutes


def test_the_time_speaks_english(
    client: Client, client_user: User, staff_user: User, worked: dict[str, Any]
) -> None:
    ticket_change_state(ticket=worked["ticket"], to=State.RESOLVED, by=staff_user)
    client_user.language = User.Language.ENGLISH
    client_user.save()
    client.force_login(client_user)

    body = text(client.get(worked["ticket"].get_absolute_url()))
    section = time_section(body)
    header = csv_rows(client.get("/tickets/?format=csv"))[0]

    assert "internal work: 0 h 30" in section
    assert "not billed" in note_block(body, worked["offered"])
    assert "will be debited at the end of the month: 1 h 15" in section
    assert "travail interne" not in section
    assert "décompté" not in section
    assert "Time spent (minutes)" in header
