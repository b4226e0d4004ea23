"""`manage.py autoresolve_feedback` and its daily Celery task."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from tests.factories import make_ticket
from tests.utils import text
from tickets import tasks
from tickets.models import HistoryEntry, Note, State, Ticket
from tickets.workflow import note_add, ticket_assign, ticket_change_state

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("autoresolve_feedback", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def asked(ticket: Ticket, staff: User, days_ago: int) -> Ticket:
    """Put the ticket in Commentaire with a question, `days_ago` days ago."""
    ticket_assign(ticket=ticket, handler=staff, by=staff)
    note = note_add(ticket=ticket, author=staff, text="Pouvez-vous préciser ?")
    ticket_change_state(ticket=ticket, to=State.FEEDBACK, by=staff)
    when = timezone.now() - timedelta(days=days_ago)
    HistoryEntry.objects.filter(ticket=ticket).update(created_at=when)
    Note.objects.filter(pk=note.pk).update(created_at=when)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=when, updated_at=when)
    ticket.refresh_from_db()
    return ticket


def test_unanswered_commentaire_tickets_are_resolved_with_a_note(staff_user, client_user):
    old = asked(make_ticket(reporter=client_user, summary="Vieille question"), staff_user, 31)
    recent = asked(make_ticket(reporter=client_user), staff_user, 10)
    other_state = make_ticket(reporter=client_user, state=State.ASSIGNED, handler=staff_user)
    Ticket.objects.filter(pk=other_state.pk).update(created_at=timezone.now() - timedelta(days=90))

    output = run()

    assert f"{old.display_number} Vieille question" in output
    assert "sans réponse depuis 31 jours : résolu." in output
    assert "1 ticket(s) résolu(s)." in output
    assert [Ticket.objects.get(pk=t.pk).state for t in (old, recent, other_state)] == [
        State.RESOLVED,
        State.FEEDBACK,
        State.ASSIGNED,
    ]
    note = Note.objects.filter(ticket=old).latest("created_at")
    assert "depuis 30 jours" in note.text
    assert not note.is_private
    assert note.author.email == settings.SUPPORT_EMAIL
    assert (note.author.is_staff, note.author.is_active, note.author.has_usable_password()) == (
        True,
        False,
        False,
    )
    # The state change is the system's: the portal's history says « automatique ».
    change = HistoryEntry.objects.filter(ticket=old, field="state").latest("pk")
    assert (change.actor, change.new_value) == (None, State.RESOLVED)
    # Run again: nothing more to do.
    assert "Aucun ticket « Commentaire » sans réponse depuis 30 jours." in run()


def test_client_sees_the_explanation_and_may_reopen(client, staff_user, client_user):
    ticket = asked(make_ticket(reporter=client_user), staff_user, 40)
    run()
    client.force_login(client_user)

    page = text(client.get(f"/tickets/{ticket.number}/"))

    assert "passe « Résolu » automatiquement" in page
    assert "ATM Support (automatique)" in page


def test_a_later_public_reminder_restarts_the_clock_a_private_note_does_not(
    staff_user, client_user
):
    reminded = asked(make_ticket(reporter=client_user), staff_user, 40)
    reminder = note_add(ticket=reminded, author=staff_user, text="Relance : avez-vous pu voir ?")
    Note.objects.filter(pk=reminder.pk).update(created_at=timezone.now() - timedelta(days=5))
    private = asked(make_ticket(reporter=client_user), staff_user, 40)
    note_add(ticket=private, author=staff_user, text="Note interne", is_private=True)

    run()

    assert Ticket.objects.get(pk=reminded.pk).state == State.FEEDBACK
    assert Ticket.objects.get(pk=private.pk).state == State.RESOLVED


def test_days_option_and_dry_run(staff_user, client_user):
    ticket = asked(make_ticket(reporter=client_user), staff_user, 10)

    assert "Aucun ticket" in run()
    output = run("--days", "7", "--dry-run")
    assert "sans réponse depuis 10 jours : serait résolu." in output
    assert "1 ticket(s) à résoudre ; rien n'a été modifié." in output
    assert Ticket.objects.get(pk=ticket.pk).state == State.FEEDBACK
    assert not Note.objects.filter(ticket=ticket, author__email=settings.SUPPORT_EMAIL).exists()
    run("--days", "7")
    assert Ticket.objects.get(pk=ticket.pk).state == State.RESOLVED


def test_the_setting_gives_the_default_delay(settings, staff_user, client_user):
    settings.AUTORESOLVE_FEEDBACK_DAYS = 5
    ticket = asked(make_ticket(reporter=client_user), staff_user, 6)

    assert "depuis 6 jours : résolu." in run()
    assert Ticket.objects.get(pk=ticket.pk).state == State.RESOLVED


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "abc"], "--days attend un nombre de jours, pas 'abc'."),
        (["--days", "0"], "--days attend au moins 1 jour, pas 0."),
        (["--days", "-3"], "--days attend au moins 1 jour, pas -3."),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_bad_arguments_exit_non_zero_from_the_shell(settings):
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    result = subprocess.run(
        [sys.executable, "manage.py", "autoresolve_feedback", "--days", "zéro"],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "--days attend un nombre de jours" in result.stderr
    help_text = subprocess.run(
        [sys.executable, "manage.py", "autoresolve_feedback", "--help"],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--dry-run" in help_text
    assert "Commentaire" in help_text


def test_celery_beat_runs_the_task_daily(staff_user, client_user):
    entry = settings.CELERY_BEAT_SCHEDULE["tickets-autoresolve-feedback"]
    assert entry["task"] == "tickets.tasks.autoresolve_feedback"
    assert entry["schedule"].hour == {6}
    ticket = asked(make_ticket(reporter=client_user), staff_user, 45)

    resolved: Any = tasks.autoresolve_feedback.apply().get()

    assert resolved == 1
    assert Ticket.objects.get(pk=ticket.pk).state == State.RESOLVED
    assert tasks.autoresolve_feedback.apply().get() == 0
