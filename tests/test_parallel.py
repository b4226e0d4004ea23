"""Real concurrency on real PostgreSQL, with committed data (transaction=True).

- Two clients answer a « Commentaire » ticket at the same instant, through a live server (one
  thread and one database connection per request), released together by a barrier: both notes
  are kept, the ticket changes state once, nothing answers 500, and the notifications follow
  the order in which the ticket's lock let the notes in.
- 50 processes, each with its own database connection, create 20 tickets each through
  `ticket_create`, all at once, and abandon 2 more in a rolled-back transaction: numbers 1 to
  1000, each once, none lost to the rollbacks (tickets.services.next_number).

The 30 wrong logins at once are tests/accounts/test_login_parallel.py's.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import threading
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg2
import pytest
import requests
from django.db import connection, connections, transaction
from django.test import Client

from accounts.models import User
from notifications.models import Event, Notification
from notifications.models import Kind as EventKind
from tests.factories import (
    CategoryFactory,
    ClientFactory,
    OrganisationFactory,
    StaffFactory,
    make_ticket,
)
from tickets.models import Category, Counter, HistoryEntry, Note, State, Ticket
from tickets.services import TICKET_SEQUENCE, ticket_create

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").split(":")[0] not in {"postgres", "postgresql"},
        reason="concurrent transactions and row locks need PostgreSQL",
    ),
]

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def raw_connection() -> Any:
    """A psycopg2 connection of the test's own to the test database, outside Django's."""
    params = connection.get_connection_params()
    wanted = {"dbname", "user", "password", "host", "port"}
    return psycopg2.connect(**{k: v for k, v in params.items() if k in wanted})


# ---------------------------------------------------------------------------------------------
# Two notes at the same instant on a « Commentaire » ticket.


@dataclass
class Answer:
    status: int = 0
    location: str = ""
    error: str = ""


class Browser:
    """One person's browser: their session cookie, and the CSRF token of the ticket page."""

    def __init__(self, base: str, user: User) -> None:
        signed_in = Client()
        signed_in.force_login(user)
        self.base = base
        self.http = requests.Session()
        self.http.cookies.set("sessionid", signed_in.cookies["sessionid"].value)

    def open(self, path: str) -> str:
        page = self.http.get(self.base + path, timeout=30)
        assert page.status_code == 200, page.status_code
        found = CSRF_INPUT.search(page.text)
        assert found, "no CSRF token in the ticket page"
        return found.group(1)

    def post_note(
        self, path: str, token: str, text: str, answer: Answer, barrier: threading.Barrier
    ) -> None:
        """Wait for the other browser, then post: both requests leave at the same instant."""
        try:
            barrier.wait(timeout=30)
            response = self.http.post(
                self.base + path,
                data={"csrfmiddlewaretoken": token, "text": text},
                allow_redirects=False,
                timeout=60,
            )
            answer.status, answer.location = (
                response.status_code,
                response.headers.get("Location", ""),
            )
        except Exception:  # reported by the test, with the thread's traceback
            answer.error = traceback.format_exc()

    def read(self, path: str, barrier: threading.Barrier, errors: list[str]) -> None:
        """Wait with the others, then load the page a few times while the notes go in."""
        try:
            barrier.wait(timeout=30)
            for _ in range(READS):
                status = self.http.get(self.base + path, timeout=60).status_code
                if status != 200:
                    errors.append(f"GET {path}: {status}")
        except Exception:
            errors.append(traceback.format_exc())


READS = 4
ROUNDS = 5  # tickets answered twice at once: one race could be won by chance, five rarely


def test_two_notes_at_once_on_a_feedback_ticket_change_its_state_once(live_server: Any) -> None:
    organisation = OrganisationFactory(name="Boulangerie Martin")
    reporter = ClientFactory(organisation=organisation, email="paul@boulangerie-martin.fr")
    colleague = ClientFactory(organisation=organisation, email="lea@boulangerie-martin.fr")
    handler = StaffFactory(email="alice@atm-consulting.fr")
    tickets = [
        make_ticket(
            reporter=reporter,
            state=State.FEEDBACK,
            handler=handler,
            summary=f"Question {n}",
        )
        for n in range(ROUNDS)
    ]
    people = {reporter.pk: Browser(live_server.url, reporter)}
    people[colleague.pk] = Browser(live_server.url, colleague)
    reader = Browser(live_server.url, reporter)  # the reporter's other tab

    for ticket in tickets:
        path = ticket.get_absolute_url()
        tokens = {pk: browser.open(path) for pk, browser in people.items()}
        answers = {pk: Answer() for pk in people}
        barrier = threading.Barrier(len(people) + 1)
        threads = [
            threading.Thread(
                target=browser.post_note,
                args=(path, tokens[pk], f"Réponse de {pk}", answers[pk], barrier),
            )
            for pk, browser in people.items()
        ]
        # The reporter's other tab reloads the page meanwhile (200 each time); afterwards, every
        # tab's page shows both notes, whatever the page cache kept during the race.
        read_errors: list[str] = []
        threads.append(threading.Thread(target=reader.read, args=(path, barrier, read_errors)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
        assert not any(thread.is_alive() for thread in threads), "a request never answered"

        for pk, answer in answers.items():
            assert answer.error == "", answer.error
            assert (answer.status, answer.location) == (302, f"{path}#notes"), (pk, answer)
        assert read_errors == [], read_errors[0]
        for browser in (*people.values(), reader):
            page = browser.http.get(live_server.url + path, timeout=30).text
            assert all(f"Réponse de {pk}" in page for pk in people), "a note missing from the page"
            assert "Affecté" in page

        ticket.refresh_from_db()
        notes = list(Note.objects.filter(ticket=ticket).order_by("pk"))
        assert sorted(n.text for n in notes) == sorted(f"Réponse de {pk}" for pk in people)
        assert ticket.public_note_count == 2
        assert ticket.state == State.ASSIGNED
        changes = list(
            HistoryEntry.objects.filter(ticket=ticket, field="state").values_list(
                "old_value", "new_value", "actor_id"
            )
        )
        first, second = notes
        # The first note the lock let in moved the ticket; the second found it Affecté.
        assert changes == [(State.FEEDBACK, State.ASSIGNED, first.author_id)]
        assert HistoryEntry.objects.filter(ticket=ticket, field="note").count() == 2

        # One event per note, the state change merged into the first one's (one mail each).
        events = list(
            Event.objects.filter(ticket=ticket).exclude(kind=EventKind.CREATED).order_by("pk")
        )
        assert [(e.kind, e.note_id) for e in events] == [
            (EventKind.NOTE_ADDED, first.pk),
            (EventKind.NOTE_ADDED, second.pk),
        ]
        assert [(e.old_state, e.new_state) for e in events] == [
            (State.FEEDBACK, State.ASSIGNED),
            ("", ""),
        ]
        sent = {
            event.pk: sorted(
                Notification.objects.filter(event=event).values_list("recipient_id", flat=True)
            )
            for event in events
        }
        # The handler and the reporter (but the author): the first note's; the second note's
        # also reach the first author, a follower of the ticket by then.
        expected_first = sorted({handler.pk, reporter.pk} - {first.author_id})
        expected_second = sorted({handler.pk, reporter.pk, first.author_id} - {second.author_id})
        assert sent == {events[0].pk: expected_first, events[1].pk: expected_second}


# ---------------------------------------------------------------------------------------------
# 50 processes x 20 ticket creations.

PROCESSES = 50
PER_PROCESS = 20
ORGANISATIONS = 5
ROLLED_BACK_AT = (5, 15)  # each process also abandons two creations, rolled back


class Abandoned(Exception):
    pass


def _create_tickets(
    barrier: Any, results: Any, reporter_id: int, category_id: int, index: int
) -> None:
    """In a forked process: its own connection (the parent closed its own before forking)."""
    numbers: list[int] = []
    error = ""
    try:
        reporter = User.objects.get(pk=reporter_id)
        category = Category.objects.get(pk=category_id)
        barrier.wait(timeout=60)
        for n in range(PER_PROCESS):
            if n in ROLLED_BACK_AT:
                # A report whose transaction fails after taking its number (a file the storage
                # refused): the number goes back, the next report gets it.
                try:
                    with transaction.atomic():
                        ticket_create(
                            reporter=reporter,
                            category=category,
                            summary=f"Processus {index}, abandonné {n}",
                            description="Annulé.",
                        )
                        raise Abandoned
                except Abandoned:
                    pass
            ticket = ticket_create(
                reporter=reporter,
                category=category,
                summary=f"Processus {index}, ticket {n}",
                description="Créé en parallèle.",
            )
            numbers.append(ticket.number)
    except Exception:
        error = traceback.format_exc()
    finally:
        connections.close_all()
        results.put((index, numbers, error))


class ConnectionWatch(threading.Thread):
    """Counts the test database's connections while the processes run; keeps the highest."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.stop = threading.Event()
        self.sampled = threading.Event()
        self.db = raw_connection()
        self.db.autocommit = True

    def run(self) -> None:
        with self.db.cursor() as cursor:
            while not self.stop.wait(0.02):
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                )
                self.peak = max(self.peak, int(cursor.fetchone()[0]))
                self.sampled.set()

    def wait_first(self) -> int:
        self.sampled.wait(timeout=10)
        return self.peak

    def close(self) -> int:
        self.stop.set()
        self.join(timeout=10)
        self.db.close()
        return self.peak


@pytest.fixture
def fork() -> Iterator[Any]:
    """Forked children: Django and the test database settings come with them. The parent's own
    connection is closed first, so that no child shares its socket."""
    connections.close_all()
    with warnings.catch_warnings():
        # pytest's own threads (live server, SMTP sink) do nothing while the children start.
        warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
        yield multiprocessing.get_context("fork")


def test_fifty_processes_creating_tickets_get_every_number_once(fork: Any) -> None:
    category = CategoryFactory(name="Anomalie")
    reporters = [
        ClientFactory(organisation=OrganisationFactory(name=f"Client {n}"))
        for n in range(ORGANISATIONS)
    ]
    # From no counter row at all: the first creations race to insert it too.
    Counter.objects.filter(name=TICKET_SEQUENCE).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int, "
            "current_setting('superuser_reserved_connections')::int, "
            "(SELECT count(*) FROM pg_stat_activity)"
        )
        limit, reserved, in_use = cursor.fetchone()
    # One connection per process, the watcher's, and what the server already serves.
    assert PROCESSES + 1 + in_use + reserved < limit, (
        f"max_connections={limit}: {in_use} in use, no room for {PROCESSES} more"
    )
    connections.close_all()

    barrier = fork.Barrier(PROCESSES)
    results = fork.Queue()
    children = [
        fork.Process(
            target=_create_tickets,
            args=(barrier, results, reporters[i % ORGANISATIONS].pk, category.pk, i),
        )
        for i in range(PROCESSES)
    ]
    watch = ConnectionWatch()
    watch.start()
    baseline = watch.wait_first()  # the watcher's own, and any the live server keeps open
    try:
        for child in children:
            child.start()
        reports = [results.get(timeout=300) for _ in children]
        for child in children:
            child.join(timeout=30)
    finally:
        peak = watch.close()
        for child in children:  # only after a failure: a child stuck on the barrier or a lock
            if child.is_alive():
                child.kill()
                child.join(timeout=10)

    errors = [error for _index, _numbers, error in reports if error]
    assert errors == [], errors[0]
    assert all(child.exitcode == 0 for child in children)
    numbers = sorted(n for _index, got, _error in reports for n in got)
    total = PROCESSES * PER_PROCESS
    assert numbers == list(range(1, total + 1))  # unique and gap-free, as each process saw them
    assert sorted(Ticket.objects.values_list("number", flat=True)) == numbers
    assert Counter.objects.get(name=TICKET_SEQUENCE).value == total
    created = HistoryEntry.objects.filter(field="created")
    assert sorted(int(v) for v in created.values_list("new_value", flat=True)) == numbers
    assert not Ticket.objects.filter(summary__contains="abandonné").exists()
    # Each process used one connection at most, under max_connections.
    assert peak - baseline <= PROCESSES, (baseline, peak)
