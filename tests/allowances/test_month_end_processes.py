"""The month end in real processes: two `manage.py close_month` at once, and one killed (SIGKILL)
in the middle of an organisation's transaction, then run again. PostgreSQL, committed data."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from django.db import connection

from allowances.ledger import rounded_debit
from allowances.models import AllowanceMail, Kind, LedgerEntry, MailKind
from allowances.periods import current_period, format_period, previous_period
from tests.allowances.conftest import paris, resolved_ticket
from tests.conftest import SMTPSink
from tests.factories import ClientFactory, OrganisationFactory, StaffFactory
from tests.notifications.conftest import wait_until
from tickets.models import State, Ticket

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").split(":")[0] not in {"postgres", "postgresql"},
        reason="row locks between processes need PostgreSQL",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
ORGANISATIONS = 12
ALLOWANCE = 90


# Starting a Django process and reaching its lock takes seconds on a loaded machine.
PROCESS_WAIT = 30


def waiting_on_locks(query_start: str) -> list[int]:
    """Backends (pids) of the test database waiting for a lock while running such a statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query LIKE %s",
            [query_start + "%"],
        )
        return [int(row[0]) for row in cursor.fetchall()]


def backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return bool(cursor.fetchone()[0])


def raw_connection() -> Any:
    """A connection of our own, to hold a lock or an uncommitted row while the processes run."""
    params = connection.get_connection_params()
    return psycopg2.connect(
        **{k: v for k, v in params.items() if k in {"dbname", "user", "password", "host", "port"}}
    )


@pytest.fixture
def world(_smtp_server: tuple[SMTPSink, int]) -> dict[str, Any]:
    """12 organisations, 1 h 30 a month since two months ago (credited then, the month end has
    not run since), each with two tickets resolved last month and one client user."""
    sink, port = _smtp_server
    sink.clear()
    this_month = current_period()
    last_month = previous_period(this_month)
    start = previous_period(last_month)
    technician = StaffFactory()
    organisations, tickets = [], []
    from allowances.ledger import revision_create

    for n in range(ORGANISATIONS):
        organisation = OrganisationFactory(name=f"Client {n:02d}")
        organisations.append(organisation)
        revision_create(
            organisation=organisation,
            minutes_per_month=ALLOWANCE,
            effective_from=start,
            by=technician,
            now=paris(start.year, start.month, 2),
        )
        reporter = ClientFactory(organisation=organisation, email=f"client{n:02d}@example.fr")
        for minutes in ((n + 1,), (40, n)):
            tickets.append(
                resolved_ticket(
                    reporter=reporter,
                    technician=technician,
                    resolved_at=paris(last_month.year, last_month.month, 10),
                    minutes=minutes,
                    summary=f"{organisation.name} {sum(minutes)} min",
                )
            )
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": "",  # no broker: each process mails its statements itself after commit
        "CELERY_BROKER_URL": "",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "DB_CONN_MAX_AGE": "0",
    }
    return {
        "organisations": organisations,
        "tickets": tickets,
        "last_month": last_month,
        "start": start,
        "this_month": this_month,
        "env": env,
        "sink": sink,
    }


def start_close_month(world: dict[str, Any]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "close_month",
            "--period",
            format_period(world["last_month"]),
        ],
        cwd=ROOT,
        env=world["env"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def expected_ledger(world: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What one on-time run per month gives: credits of the last month and of this one, and one
    debit per ticket, its minutes rounded up to the quarter hour."""
    rows: list[tuple[Any, ...]] = []
    for organisation in world["organisations"]:
        rows.append((organisation.pk, Kind.CREDIT, world["start"], None, ALLOWANCE))
        rows.append((organisation.pk, Kind.CREDIT, world["last_month"], None, ALLOWANCE))
        rows.append((organisation.pk, Kind.CREDIT, world["this_month"], None, ALLOWANCE))
    for ticket in world["tickets"]:
        minutes = int(ticket.summary.split()[-2])
        rows.append(
            (
                ticket.organisation_id,
                Kind.DEBIT,
                world["last_month"],
                ticket.pk,
                -rounded_debit(minutes),
            )
        )
    return sorted(rows, key=repr)


def actual_ledger() -> list[tuple[Any, ...]]:
    return sorted(
        LedgerEntry.objects.values_list(
            "organisation_id", "kind", "period", "ticket_id", "minutes"
        ),
        key=repr,
    )


def month_lines(output: str) -> list[tuple[str, str]]:
    """(month, organisation) of each « <month> <organisation> : ... » line a run printed."""
    return re.findall(r"^(\d{4}-\d{2}) (Client \d+) :", output, flags=re.M)


def closed_count(output: str) -> int:
    match = re.search(r"(\d+) clôturée\(s\)", output)
    assert match, output
    return int(match.group(1))


def test_two_processes_at_once_give_one_run_and_one_statement_each(world: dict[str, Any]) -> None:
    blocker = raw_connection()
    try:
        # Hold the first organisation's row: both processes start and queue up behind it.
        with blocker.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM accounts_organisation WHERE id = %s FOR UPDATE",
                [world["organisations"][0].pk],
            )
        first, second = start_close_month(world), start_close_month(world)
        wait_until(
            lambda: len(waiting_on_locks("SELECT")) >= 2,
            timeout=PROCESS_WAIT,
            what="both processes waiting for the lock",
        )
        blocker.rollback()  # go
        out_first, err_first = first.communicate(timeout=120)
        out_second, err_second = second.communicate(timeout=120)
    finally:
        blocker.close()
    assert first.returncode == 0, err_first
    assert second.returncode == 0, err_second
    # Each (organisation, month) was closed by exactly one of the two, and both did some work
    # or waited for the other: the lines they printed share nothing and cover everything.
    lines_first, lines_second = month_lines(out_first), month_lines(out_second)
    assert not set(lines_first) & set(lines_second)
    assert sorted(lines_first + lines_second) == sorted(
        (format_period(period), organisation.name)
        for organisation in world["organisations"]
        for period in (world["start"], world["last_month"])
    )
    assert actual_ledger() == expected_ledger(world)
    assert not Ticket.objects.filter(state=State.RESOLVED).exists()
    # One statement per user and month, sent once (after each commit, by whichever process
    # committed it: both have exited, so every mail has reached the SMTP server).
    sink: SMTPSink = world["sink"]
    for n in range(ORGANISATIONS):
        subjects = sorted(mail.subject for mail in sink.to(f"client{n:02d}@example.fr"))
        assert len(subjects) == 2, subjects  # the two months caught up
    assert AllowanceMail.objects.filter(kind=MailKind.STATEMENT, status="sent").count() == (
        2 * ORGANISATIONS
    )


def test_a_process_killed_mid_transaction_leaves_nothing_half_done_and_a_rerun_completes(
    world: dict[str, Any],
) -> None:
    victim = world["organisations"][5]
    blocker = raw_connection()
    try:
        # An uncommitted credit for the victim's new month: the process closes its tickets and
        # writes their debits, then waits on the unique index at its own credit. Killed there.
        with blocker.cursor() as cursor:
            cursor.execute(
                "INSERT INTO allowances_ledgerentry (organisation_id, kind, period, minutes, memo,"
                " created_at) VALUES (%s, 'credit', %s, 0, '', now())",
                [victim.pk, world["this_month"]],
            )
        process = start_close_month(world)
        [backend] = wait_until(
            lambda: waiting_on_locks('INSERT INTO "allowances_ledgerentry"'),
            timeout=PROCESS_WAIT,
            what="the process stuck at the victim's credit",
        )
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        blocker.rollback()
        blocker.close()
    # Its backend notices the dead client once the lock is free, and rolls back: wait for it.
    wait_until(
        lambda: not backend_alive(backend),
        timeout=PROCESS_WAIT,
        what="the killed process's backend to leave",
    )
    done = set(
        LedgerEntry.objects.filter(kind=Kind.CREDIT, period=world["this_month"]).values_list(
            "organisation_id", flat=True
        )
    )
    assert done == {o.pk for o in world["organisations"][:5]}
    # The victim's last month was left whole: its tickets Résolu, no debit.
    assert not LedgerEntry.objects.filter(organisation=victim, kind=Kind.DEBIT).exists()
    assert Ticket.objects.filter(organisation=victim, state=State.RESOLVED).count() == 2

    rerun = start_close_month(world)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert closed_count(out) == ORGANISATIONS - 5
    assert actual_ledger() == expected_ledger(world)
