"""Benchmark of the month end: 1,000 organisations, 50,000 resolved tickets, 500,000 notes.

    .venv/bin/python bench/allowances_bench.py [--organisations 1000 --tickets 50000
        --notes 500000] [--keep]

Builds its own PostgreSQL database, `atm_bench_allow` (dropped and created again each time:
the first run changes it; nothing else is ever touched), loads it with COPY, then runs the month
end twice, each run in a fresh child process so that its peak memory is its own:

- run 1 closes last month: every resolved ticket closed and debited, every organisation
  credited, one statement mail queued per client user (published to Redis database 3, which
  is emptied afterwards: no worker sends them);
- run 2 is the same command again, which must do nothing.

For each run: wall time, peak resident memory (and its growth during the run), number of SQL
queries (counted by a connection execute wrapper, which costs nothing measurable), and what was
written. The goal (issue 6): under 60 s, and a query count that grows with organisations, not
tickets.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.databases import recreate_postgres  # noqa: E402 - after the path fix above

DATABASE = "atm_bench_allow"
SERVER = "postgres://postgres@127.0.0.1:5432"
BROKER = "redis://127.0.0.1:6379/3"
PARIS = ZoneInfo("Europe/Paris")


def environment() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"{SERVER}/{DATABASE}",
        "REDIS_URL": BROKER,
        "DJANGO_SETTINGS_MODULE": "atm_support.settings",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "0",
        "DB_CONN_MAX_AGE": "600",
    }


def setup_django() -> None:
    os.environ.update(environment())
    import django

    django.setup()


# --- Building the data set -------------------------------------------------------------------


def month_start(period: date) -> datetime:
    return datetime(period.year, period.month, 1, tzinfo=PARIS)


def copy(cursor: Any, table: str, columns: list[str], rows: Any) -> int:
    """COPY rows (tuples) into a table, through an in-memory tab-separated buffer."""
    buffer = io.StringIO()
    count = 0
    for row in rows:
        buffer.write("\t".join("\\N" if value is None else str(value) for value in row) + "\n")
        count += 1
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT text)", buffer)
    return count


def build(organisations: int, tickets: int, notes: int) -> dict[str, Any]:
    """The database as the month end finds it on the 1st: last month credited (and the 11
    before it), `tickets` tickets resolved during last month with `notes` notes among them."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from allowances.periods import current_period, previous_period

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    rng = random.Random(6)
    this_month = current_period()
    last_month = previous_period(this_month)
    history = [last_month]
    for _ in range(11):
        history.append(previous_period(history[-1]))
    now = datetime.now(UTC)
    password = "!"  # noqa: S105 - Django's mark of an unusable password
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tickets_category (name, position, is_active) VALUES ('Anomalie', 0, true)"
            " RETURNING id"
        )
        category = cursor.fetchone()[0]
        copy(
            cursor,
            "accounts_organisation",
            ["id", "name", "created_at"],
            ((n, f"Organisation {n:04d}", now) for n in range(1, organisations + 1)),
        )
        user_columns = [
            "id", "password", "is_superuser", "email", "first_name", "last_name", "is_staff",
            "is_active", "date_joined", "language", "organisation_id", "follow_all_tickets",
            "awaiting_invitation",
        ]  # fmt: skip
        staff_id = 1
        users: list[tuple[Any, ...]] = [
            (staff_id, password, False, "tech@atm-consulting.fr", "Tom", "Tech", True, True,
             now, "fr", None, False, False)
        ]  # fmt: skip
        reporters: dict[int, int] = {}
        next_user = 2
        for org in range(1, organisations + 1):
            for k in range(2):  # two client users each: both get the statement
                users.append(
                    (next_user, password, False, f"client{k}@org{org}.example", "Client", str(k),
                     False, True, now, "fr", org, False, False)
                )  # fmt: skip
                reporters.setdefault(org, next_user)
                next_user += 1
        copy(cursor, "accounts_user", user_columns, users)
        # 1 to 10 h a month, in force since a year; a credit for each of the last 12 months.
        allowance = {org: rng.choice([60, 120, 180, 240, 300, 600]) for org in reporters}
        copy(
            cursor,
            "allowances_allowancerevision",
            ["organisation_id", "minutes_per_month", "effective_from", "memo", "created_at"],
            ((org, allowance[org], history[-1], "", now) for org in reporters),
        )
        copy(
            cursor,
            "allowances_ledgerentry",
            ["organisation_id", "kind", "period", "minutes", "memo", "created_at"],
            (
                (org, "credit", period, allowance[org], "", now)
                for org in reporters
                for period in history
            ),
        )
        # Tickets: unevenly spread (a few big clients), resolved during last month.
        weights = [rng.paretovariate(1.5) for _ in range(organisations)]
        owners = rng.choices(range(1, organisations + 1), weights=weights, k=tickets)
        start, end = month_start(last_month), month_start(this_month)
        span = (end - start).total_seconds()
        ticket_rows = []
        for number, org in enumerate(owners, start=1):
            resolved = start + timedelta(seconds=rng.random() * (span - 1))
            created = resolved - timedelta(days=rng.randint(0, 20))
            ticket_rows.append(
                (number, number, org, reporters[org], staff_id, category, 70, 50, 30,
                 f"Ticket {number}", "Description", "", "", "resolved", created, resolved,
                 resolved, None, 3, 4, 10, False)
            )  # fmt: skip
        copy(
            cursor,
            "tickets_ticket",
            [
                "id", "number", "organisation_id", "reporter_id", "handler_id", "category_id",
                "reproducibility", "impact", "priority", "summary", "description",
                "steps_to_reproduce", "additional_information", "state", "created_at",
                "updated_at", "resolved_at", "closed_at", "public_note_count", "version",
                "resolution", "is_private",
            ],
            ticket_rows,
        )  # fmt: skip
        # Notes: spread over the tickets; staff time on most, some free, some private.
        note_tickets = [rng.randint(1, tickets) for _ in range(notes)]
        copy(
            cursor,
            "tickets_note",
            ["ticket_id", "organisation_id", "author_id", "text", "is_private", "minutes_spent",
             "is_billable", "created_at"],
            (
                (ticket, owners[ticket - 1], staff_id, "Analyse et correction", rng.random() < 0.1,
                 rng.choice([0, 0, 5, 10, 15, 20, 30, 45, 60]), rng.random() < 0.85, now)
                for ticket in note_tickets
            ),
        )  # fmt: skip
        for table in ("accounts_organisation", "accounts_user", "tickets_ticket", "tickets_note"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - names above
                f"(SELECT max(id) FROM {table}))"
            )
        cursor.execute(
            "INSERT INTO tickets_counter (name, value) VALUES ('ticket', %s) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [tickets],
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {
        "build_seconds": round(time.perf_counter() - started, 1),
        "period": str(last_month),
        "organisations": organisations,
        "client_users": 2 * organisations,
        "tickets": tickets,
        "notes": notes,
    }


# --- One measured run (in a child process) ---------------------------------------------------


def measure_run() -> dict[str, Any]:
    setup_django()
    from django.db import connection

    from allowances.models import AllowanceMail, Kind, LedgerEntry, MailKind
    from allowances.month_end import close_month
    from tickets.models import HistoryEntry, State, Ticket

    connection.ensure_connection()
    reset_peak_memory()
    baseline_kb = peak_memory_kb()
    queries = 0
    sql_seconds = 0.0
    slowest: dict[str, float] = {}

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries, sql_seconds
        queries += 1
        begin = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - begin
            sql_seconds += spent
            key = " ".join(sql.split()[:4])[:60]
            slowest[key] = slowest.get(key, 0.0) + spent

    entries_before = LedgerEntry.objects.count()
    statements_before = AllowanceMail.objects.filter(kind=MailKind.STATEMENT).count()
    warnings_before = AllowanceMail.objects.exclude(kind=MailKind.STATEMENT).count()
    started = time.perf_counter()
    with connection.execute_wrapper(count):
        report = close_month()
    wall = time.perf_counter() - started
    peak_kb = peak_memory_kb()
    return {
        "wall_seconds": round(wall, 2),
        "sql_seconds": round(sql_seconds, 2),
        "top_sql": sorted(slowest.items(), key=lambda item: -item[1])[:6],
        "queries": queries,
        "peak_rss_mib": round(peak_kb / 1024, 1),
        "rss_growth_mib": round((peak_kb - baseline_kb) / 1024, 1),
        "organisation_months": len(report.months),
        "already_done": report.already_done,
        "tickets_closed": report.tickets_closed,
        "minutes_debited": report.minutes_debited,
        "ledger_entries_written": LedgerEntry.objects.count() - entries_before,
        "statements_queued": AllowanceMail.objects.filter(kind=MailKind.STATEMENT).count()
        - statements_before,
        "warnings_queued": AllowanceMail.objects.exclude(kind=MailKind.STATEMENT).count()
        - warnings_before,
        "resolved_left": Ticket.objects.filter(state=State.RESOLVED).count(),
        "debits_total": LedgerEntry.objects.filter(kind=Kind.DEBIT).count(),
        "history_rows_closed": HistoryEntry.objects.filter(new_value="closed").count(),
    }


def reset_peak_memory() -> None:
    """Forget the peak RSS so far (Linux: clear_refs 5), e.g. the imports' or a parent's."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_memory_kb() -> int:
    """VmHWM, the peak resident set size since the last reset (ru_maxrss elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def run_child(*args: str) -> dict[str, Any]:
    result = subprocess.run(  # noqa: S603 - this very script, with our own arguments
        [sys.executable, __file__, *args],
        env=environment(),
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"run failed ({result.returncode})")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def empty_broker() -> None:
    import redis

    redis.Redis.from_url(BROKER).flushdb()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organisations", type=int, default=1000)
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--notes", type=int, default=500_000)
    parser.add_argument("--child", choices=["build", "run"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "run":
        print(json.dumps(measure_run()))
        return
    if args.child == "build":
        setup_django()
        print(json.dumps(build(args.organisations, args.tickets, args.notes)))
        return

    print(f"Building {DATABASE}: {args.organisations} organisations, {args.tickets} resolved "
          f"tickets, {args.notes} notes…", flush=True)  # fmt: skip
    recreate_postgres(DATABASE, prefix="atm_bench_allow")
    # Each step in a child process: the launcher stays small, and a run's memory is its own.
    facts = run_child(
        "--child=build",
        f"--organisations={args.organisations}",
        f"--tickets={args.tickets}",
        f"--notes={args.notes}",
    )
    print(f"  built in {facts['build_seconds']} s; closing {facts['period'][:7]}", flush=True)
    empty_broker()
    first = run_child("--child=run")
    second = run_child("--child=run")
    empty_broker()

    rows = [
        ("wall time (s)", "wall_seconds"),
        ("  of which waiting for SQL (s)", "sql_seconds"),
        ("SQL queries", "queries"),
        ("peak RSS (MiB)", "peak_rss_mib"),
        ("RSS growth during the run (MiB)", "rss_growth_mib"),
        ("organisation-months closed", "organisation_months"),
        ("organisations already done", "already_done"),
        ("tickets closed", "tickets_closed"),
        ("ledger entries written", "ledger_entries_written"),
        ("statement mails queued", "statements_queued"),
        ("warning mails queued", "warnings_queued"),
        ("Résolu tickets left", "resolved_left"),
    ]
    print()
    print(f"{'':34} {'run 1':>10} {'run 2':>10}")
    for label, key in rows:
        print(f"{label:34} {first[key]:>10} {second[key]:>10}")
    print()
    print("run 1, SQL time by statement:")
    for statement, seconds in first["top_sql"]:
        print(f"  {seconds:7.2f} s  {statement}")
    per_org = first["queries"] / max(first["organisation_months"], 1)
    print()
    print(f"queries per organisation: {per_org:.1f}; per ticket: "
          f"{first['queries'] / max(first['tickets_closed'], 1):.3f}")  # fmt: skip
    print(f"debits in the ledger: {second['debits_total']} for {args.tickets} tickets; "
          f"history rows Résolu → Fermé: {second['history_rows_closed']}")  # fmt: skip
    ok = (
        first["wall_seconds"] < 60
        and first["tickets_closed"] == args.tickets
        and second["tickets_closed"] == 0
        and second["ledger_entries_written"] == 0
        and second["statements_queued"] == 0
    )
    print("goal (< 60 s, second run does nothing):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
