"""`manage.py ticket_stats`: counts per state and median delays, per organisation, text or CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from tests.factories import ClientFactory, StaffFactory, make_ticket
from tickets.models import Note, State, Ticket
from tickets.workflow import note_add

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)


def run(*args: str) -> str:
    out = StringIO()
    call_command("ticket_stats", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def ticket_at(reporter, *, state=State.NEW, created=T0, answer_after=None, resolved_after=None):
    """A ticket created at `created`, answered by staff and resolved after the given delays."""
    ticket = make_ticket(reporter=reporter)
    if answer_after is not None:
        note = note_add(ticket=ticket, author=StaffFactory(), text="Réponse")
        Note.objects.filter(pk=note.pk).update(created_at=created + answer_after)
    Ticket.objects.filter(pk=ticket.pk).update(
        state=state,
        created_at=created,
        resolved_at=created + resolved_after if resolved_after is not None else None,
    )
    return ticket


@pytest.fixture
def figures(client_user):
    """Boulangerie Martin: 3 tickets; Cabinet Durand: 1."""
    durand = ClientFactory(organisation__name="Cabinet Durand")
    ticket_at(client_user, answer_after=timedelta(hours=1))
    ticket_at(
        client_user,
        state=State.RESOLVED,
        answer_after=timedelta(hours=3),
        resolved_after=timedelta(days=2),
    )
    ticket_at(
        client_user,
        state=State.CLOSED,
        created=T0 - timedelta(days=60),
        answer_after=timedelta(hours=2),
        resolved_after=timedelta(days=4),
    )
    ticket_at(durand, state=State.FEEDBACK, answer_after=timedelta(minutes=30))
    # A private note or a client's note is no answer from ATM.
    quiet = ticket_at(durand, state=State.ACKNOWLEDGED)
    note_add(ticket=quiet, author=StaffFactory(), text="Interne", is_private=True)
    note_add(ticket=quiet, author=durand, text="Alors ?")


def test_text_table_per_organisation_with_medians(figures):
    output = run()

    lines = output.splitlines()
    martin = next(line for line in lines if line.startswith("Boulangerie Martin"))
    durand = next(line for line in lines if line.startswith("Cabinet Durand"))
    total = next(line for line in lines if line.startswith("Total"))
    # Nouveau, En analyse, Affecté, Commentaire, Résolu, Fermé, Total, 1re réponse, Résolution
    assert martin.split()[2:] == [
        "1",
        "0",
        "0",
        "0",
        "1",
        "1",
        "3",
        "2",
        "h",
        "00",
        "3",
        "j",
        "0",
        "h",
    ]
    assert durand.split()[2:] == ["0", "1", "0", "1", "0", "0", "2", "30", "min", "—"]
    assert total.split()[1:8] == ["1", "1", "0", "1", "1", "1", "5"]
    assert "Nouveau" in lines[1]
    assert "Commentaire" in lines[1]


def test_csv_with_minutes(figures):
    rows = list(csv.reader(io.StringIO(run("--csv")), delimiter=";"))

    assert rows[0][:8] == [
        "Organisation",
        "Nouveau",
        "En analyse",
        "Affecté",
        "Commentaire",
        "Résolu",
        "Fermé",
        "Total",
    ]
    assert rows[1] == ["Boulangerie Martin", "1", "0", "0", "0", "1", "1", "3", "120", "4320"]
    assert rows[2] == ["Cabinet Durand", "0", "1", "0", "1", "0", "0", "2", "30", ""]
    assert rows[3][0] == "Total"
    assert rows[3][7] == "5"


def test_organisation_and_since_filters(figures):
    rows = list(
        csv.reader(io.StringIO(run("--csv", "--organisation", "boulangerie martin")), delimiter=";")
    )
    assert [row[0] for row in rows[1:]] == ["Boulangerie Martin", "Total"]
    assert rows[1][7] == "3"

    since = run("--organisation", "Boulangerie Martin", "--since", "2026-02-01")
    assert "créés depuis le 01/02/2026" in since
    martin = next(line for line in since.splitlines() if line.startswith("Boulangerie Martin"))
    assert martin.split()[8] == "2"  # the ticket of January is left out
    assert run("--since", "01/02/2026") == run("--since", "2026-02-01")
    assert run("--since", "2030-01-01") == "Aucun ticket créé depuis le 01/01/2030.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--organisation", "Inconnue"], "Organisation « Inconnue » introuvable"),
        (["--since", "hier"], "--since : date invalide 'hier' ; attendu AAAA-MM-JJ"),
        (["--since", "2026-02-30"], "date invalide '2026-02-30'"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(client_user, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_no_ticket_at_all():
    assert run() == "Aucun ticket.\n"
    assert run("--csv").splitlines()[0].startswith("Organisation;")


def test_help_describes_the_options():
    from tickets.management.commands.ticket_stats import Command

    help_text = Command().create_parser("manage.py", "ticket_stats").format_help()

    for option in ("--organisation", "--since", "--csv", "médiane"):
        assert option in help_text
