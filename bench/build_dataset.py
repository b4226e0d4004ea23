"""Build the benchmark data set on PostgreSQL: organisations, users, tickets, notes and history.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atm_bench \
        .venv/bin/python bench/build_dataset.py \
        [--organisations 1000 --tickets 200000 --notes 1000000] [--reset]

Creates the database when missing, runs `migrate`, then loads every table with PostgreSQL COPY
(CSV streamed from Python while the server ingests it), in one transaction: a failed build leaves
the database empty. Secondary indexes are dropped during the load and rebuilt after it, foreign
keys are not checked row by row (checked once at the end with anti-joins), then VACUUM ANALYZE.

Only a database whose name starts with `atm_bench` is ever touched; `--reset` drops and recreates
it. The large organisation's client signs in as `bench@large.example` / `BENCH_PASSWORD`.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import io
import os
import random
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import psycopg2
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import words  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/atm_bench"
NAME_PATTERN = re.compile(r"^atm_bench\w*$")
BENCH_EMAIL = "bench@large.example"
BENCH_PASSWORD = "Bench-Client-2026"  # noqa: S105 - a throw-away account of a local data set
STAFF_PASSWORD = "Bench-Staff-2026"  # noqa: S105
LARGE_ORGANISATION = "Grand Compte Industrie"
REFERENCE_SUMMARY = "Ticket de référence du benchmark : 50 notes publiques"
REFERENCE_PUBLIC_NOTES = 50
REFERENCE_PRIVATE_NOTES = 4
MAX_NOTES_PER_TICKET = 40  # so that the reference ticket is the only one with 50 notes
NULL = r"\N"
# A table of the benchmark's own (not Django's): the build's facts, written last, read by run.py.
META_TABLE = "bench_dataset"
DAY = 86_400
PARIS = ZoneInfo("Europe/Paris")

CATEGORIES = (
    ("Anomalie", 45),
    ("Question", 25),
    ("Demande d'évolution", 15),
    ("Retour projet", 10),
    ("Paramétrage", 5),
)
# States of tickets less than RECENT_DAYS old, and of older ones: a real tracker is mostly closed.
RECENT_DAYS = 60
RECENT_STATES = {
    "new": 10,
    "acknowledged": 8,
    "assigned": 20,
    "feedback": 14,
    "resolved": 18,
    "closed": 30,
}
OLD_STATES = {
    "new": 0.4,
    "acknowledged": 0.8,
    "assigned": 2.5,
    "feedback": 2.0,
    "resolved": 0.8,
    "closed": 93.5,
}
# How many notes a ticket of each state collects, relatively.
NOTE_WEIGHT = {
    "new": 0.15,
    "acknowledged": 0.4,
    "assigned": 0.8,
    "feedback": 1.0,
    "resolved": 1.1,
    "closed": 1.0,
}
PRIORITIES = {10: 5, 20: 10, 30: 60, 40: 15, 50: 7, 60: 3}
IMPACTS = {10: 10, 20: 5, 30: 5, 40: 7, 50: 45, 60: 20, 70: 5, 80: 3}
REPRODUCIBILITIES = {10: 25, 30: 15, 50: 5, 70: 45, 90: 3, 100: 7}
MINUTES = (5, 10, 15, 15, 20, 30, 30, 45, 60, 90, 120)


def log(message: str) -> None:
    print(message, flush=True)


# --- the database itself ------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    host: str
    port: str
    user: str
    password: str
    name: str

    @classmethod
    def from_url(cls, url: str) -> Target:
        parts = urlsplit(url)
        if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
            raise SystemExit(f"DATABASE_URL must be a PostgreSQL URL, got {url!r}")
        name = unquote(parts.path.lstrip("/"))
        if not NAME_PATTERN.match(name):
            raise SystemExit(
                f"Refusing to touch database {name!r}: the benchmark only builds databases "
                "named atm_bench* (e.g. postgres://postgres@127.0.0.1:5432/atm_bench)."
            )
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=str(parts.port or 5432),
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password or ""),
            name=name,
        )

    def connect(self, dbname: str | None = None) -> Any:
        return psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=dbname or self.name,
        )


def ensure_database(target: Target, reset: bool) -> None:
    admin = target.connect("postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target.name])
            exists = cur.fetchone() is not None
            if exists and reset:
                log(f"dropping database {target.name}")
                cur.execute(
                    sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(target.name))
                )
                exists = False
            if not exists:
                log(f"creating database {target.name}")
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target.name)))
    finally:
        admin.close()


# --- COPY ---------------------------------------------------------------------------------


def csv_value(value: object) -> object:
    """What COPY's CSV format expects: \\N for NULL, t/f for booleans, ISO dates."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def timestamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(seconds))


class CsvStream:
    """A file-like object COPY reads from: rows are turned into CSV only as the server asks."""

    def __init__(self, rows: Iterable[Sequence[object]], suffix: Sequence[object] = ()) -> None:
        self._rows = iter(rows)
        self._suffix = tuple(suffix)
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\n")
        self._pending = ""
        self.count = 0

    def read(self, size: int = -1) -> str:
        while size < 0 or len(self._pending) < size:
            batch = list(islice(self._rows, 2000))
            if not batch:
                break
            if self._suffix:
                self._writer.writerows(row + self._suffix for row in batch)  # type: ignore[operator]
            else:
                self._writer.writerows(batch)
            self.count += len(batch)
            self._pending += self._buffer.getvalue()
            self._buffer.seek(0)
            self._buffer.truncate()
        if size < 0:
            size = len(self._pending)
        chunk, self._pending = self._pending[:size], self._pending[size:]
        return chunk

    def readline(self, size: int = -1) -> str:  # part of the file protocol psycopg2 may probe
        return self.read(size)


def model_defaults(model: Any, provided: Sequence[str]) -> tuple[list[str], tuple[object, ...]]:
    """Columns the generator does not fill, with their model default.

    Others add fields while the benchmark lives on: a new column with a default (or nullable)
    is filled with it; a new required column without default stops the build with its name.
    """
    columns: list[str] = []
    values: list[object] = []
    for model_field in model._meta.concrete_fields:
        column = model_field.column
        if column in provided or model_field.primary_key:
            continue
        if model_field.has_default():
            value = model_field.get_default()
        elif model_field.null:
            value = None
        else:
            raise SystemExit(
                f"{model._meta.label}.{model_field.name} is required and has no default: "
                "teach bench/build_dataset.py to fill it."
            )
        columns.append(column)
        values.append(csv_value(value))
    return columns, tuple(values)


def copy_rows(cur: Any, model: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    extra_columns, extra_values = model_defaults(model, columns)
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv, NULL {})").format(
        sql.Identifier(model._meta.db_table),
        sql.SQL(", ").join(sql.Identifier(c) for c in [*columns, *extra_columns]),
        sql.Literal(NULL),
    )
    stream = CsvStream(rows, extra_values)
    cur.copy_expert(statement.as_string(cur), stream, size=1 << 18)
    return stream.count


def secondary_indexes(cur: Any, table: str) -> list[tuple[str, str]]:
    """Indexes that back no constraint (primary key, unique): dropped for the load."""
    cur.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid
        WHERE i.indrelid = %s::regclass AND c.oid IS NULL
        ORDER BY 1
        """,
        [table],
    )
    return list(cur.fetchall())


# --- the data ------------------------------------------------------------------------------


def weighted(rng: random.Random, table: Mapping[Any, float]) -> Callable[[], Any]:
    population = list(table)
    cumulative: list[float] = []
    total = 0.0
    for weight in table.values():
        total += weight
        cumulative.append(total)

    def pick() -> Any:
        return population[bisect.bisect(cumulative, rng.random() * total)]

    return pick


def month_starts(first: datetime, last: datetime) -> list[float]:
    """Epoch seconds of each 1st of the month, midnight in Paris: when the month end job runs."""
    starts = []
    current = datetime(first.year, first.month, 1, tzinfo=PARIS)
    while current <= last + timedelta(days=62):
        starts.append(current.timestamp())
        year, month = (
            (current.year + 1, 1) if current.month == 12 else (current.year, current.month + 1)
        )
        current = datetime(year, month, 1, tzinfo=PARIS)
    return starts


@dataclass
class Tickets:
    """One list per column, index = ticket id - 1 (ids and numbers follow the creation order)."""

    organisation: list[int] = field(default_factory=list)
    reporter: list[int] = field(default_factory=list)
    handler: list[int | None] = field(default_factory=list)
    state: list[str] = field(default_factory=list)
    created: list[float] = field(default_factory=list)
    updated: list[float] = field(default_factory=list)
    resolved: list[float | None] = field(default_factory=list)
    closed: list[float | None] = field(default_factory=list)
    notes: list[int] = field(default_factory=list)
    private_notes: list[int] = field(default_factory=list)


class DataSet:
    def __init__(self, args: argparse.Namespace, password_hash: str, staff_hash: str) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.password_hash = password_hash
        self.staff_hash = staff_hash
        self.now = float(int(time.time()))
        self.start = self.now - args.years * 365 * DAY
        self.months = month_starts(
            datetime.fromtimestamp(self.start, PARIS), datetime.fromtimestamp(self.now, PARIS)
        )
        self.current_month = self.months[bisect.bisect(self.months, self.now) - 1]
        self.staff_ids: list[int] = []
        self.staff_names: dict[int, str] = {}
        self.members: list[list[int]] = [[]]  # index = organisation id
        self.bench_user_id = 0
        self.tickets = Tickets()
        self.reference_id = 0
        self.sentences = words.sentence_pool(words.SENTENCES, 4000, self.rng)
        self.note_sentences = words.sentence_pool(words.NOTE_SENTENCES, 3000, self.rng)
        self.steps = words.sentence_pool(words.STEPS, 500, self.rng)

    # organisations and users

    def organisations(self) -> Iterator[tuple[object, ...]]:
        rng = self.rng
        for org_id in range(1, self.args.organisations + 1):
            if org_id == 1:
                name = LARGE_ORGANISATION
            else:
                name = (
                    f"{rng.choice(words.COMPANY_KINDS)} {rng.choice(words.SURNAMES)} "
                    f"{rng.choice(words.CITIES)} {org_id:04d}"
                )
            created = self.start - rng.uniform(0, 2 * 365) * DAY
            yield (org_id, name, timestamp(created))

    def users(self) -> Iterator[tuple[object, ...]]:
        rng = self.rng
        user_id = 0
        for index in range(self.args.staff):
            user_id += 1
            first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.SURNAMES)
            self.staff_ids.append(user_id)
            self.staff_names[user_id] = f"{first} {last}"
            email = f"tech{index + 1:02d}@atm-bench.example"
            joined = timestamp(self.start - 400 * DAY)
            yield (
                user_id,
                self.staff_hash,
                email,
                first,
                last,
                NULL,
                True,
                index == 0,
                True,
                joined,
                NULL,
                NULL,
            )
        for org_id in range(1, self.args.organisations + 1):
            count = self.args.large_users if org_id == 1 else rng.randint(1, 5)
            members: list[int] = []
            for index in range(count):
                user_id += 1
                members.append(user_id)
                first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.SURNAMES)
                if org_id == 1 and index == 0:
                    self.bench_user_id = user_id
                    email, first, last = BENCH_EMAIL, "Bénédicte", "Banc"
                    last_login = timestamp(self.now - 3600)
                    previous = timestamp(self.now - 2 * DAY - 5000)
                else:
                    email = f"user{user_id}@org{org_id:04d}.example"
                    last_login = previous = NULL
                joined = timestamp(self.start - rng.uniform(0, 300) * DAY)
                yield (
                    user_id,
                    self.password_hash,
                    email,
                    first,
                    last,
                    org_id,
                    False,
                    False,
                    True,
                    joined,
                    last_login,
                    previous,
                )
            self.members.append(members)

    # tickets

    def plan_tickets(self) -> None:
        """Who, when and in which state, for every ticket; then how many notes each one gets."""
        args, rng, t = self.args, self.rng, self.tickets
        total = args.tickets
        large = round(total * args.large_share) if args.organisations > 1 else total
        others = list(range(2, args.organisations + 1))
        weights = [rng.lognormvariate(0, 1) for _ in others]
        owners = [1] * large + (
            rng.choices(others, weights=weights, k=total - large) if others else []
        )
        rng.shuffle(owners)
        span = self.now - self.start
        # Growth: more tickets lately than three years ago.
        created = sorted(self.start + span * rng.random() ** 0.75 for _ in range(total))
        recent_state = weighted(rng, RECENT_STATES)
        old_state = weighted(rng, OLD_STATES)
        handler_pick = weighted(rng, {sid: 1 / (i + 1) for i, sid in enumerate(self.staff_ids)})
        month_start = self.current_month
        for index in range(total):
            org_id = owners[index]
            members = self.members[org_id]
            if org_id == 1 and rng.random() < 0.2:
                reporter = self.bench_user_id
            else:
                reporter = rng.choice(members)
            opened = created[index]
            age = self.now - opened
            state = recent_state() if age < RECENT_DAYS * DAY else old_state()
            resolved = closed = None
            handler: int | None = handler_pick()
            if state == "closed":
                resolved_at = opened + 600 + rng.expovariate(1 / (8 * DAY))
                if resolved_at >= month_start:
                    state = "resolved"
                else:
                    resolved = resolved_at
                    after = self.months[bisect.bisect(self.months, resolved_at)]
                    closed = after + rng.uniform(60, 900)
                    updated = closed
                    if rng.random() < 0.05:
                        handler = None
            if state == "resolved":
                earliest = max(opened + 600, month_start)
                resolved = rng.uniform(earliest, self.now) if earliest < self.now else self.now
                updated = resolved
            elif state == "new":
                handler = None
                updated = min(self.now, opened + rng.expovariate(1 / DAY))
            elif state in ("acknowledged", "assigned", "feedback"):
                if state == "acknowledged" and rng.random() < 0.7:
                    handler = None
                updated = opened + (self.now - opened) * rng.random() ** 0.3
            t.organisation.append(org_id)
            t.reporter.append(reporter)
            t.handler.append(handler)
            t.state.append(state)
            t.created.append(opened)
            t.updated.append(updated)
            t.resolved.append(resolved)
            t.closed.append(closed)
        self._plan_reference()
        self._plan_notes()

    def _plan_reference(self) -> None:
        """The ticket page benchmark: a large organisation's open ticket with 50 public notes."""
        t = self.tickets
        target = self.now - 150 * DAY
        candidates = [i for i, org in enumerate(t.organisation) if org == 1]
        if not candidates:
            raise SystemExit("The large organisation has no ticket: raise --tickets.")
        index = min(candidates, key=lambda i: abs(t.created[i] - target))
        self.reference_id = index + 1
        t.state[index] = "assigned"
        t.handler[index] = self.staff_ids[0]
        t.reporter[index] = self.bench_user_id
        t.resolved[index] = t.closed[index] = None
        t.updated[index] = self.now - DAY

    def _plan_notes(self) -> None:
        rng, t = self.rng, self.tickets
        total = len(t.state)
        reference = self.reference_id - 1
        fixed = REFERENCE_PUBLIC_NOTES + REFERENCE_PRIVATE_NOTES
        remaining = max(self.args.notes - fixed, 0)
        weights = [NOTE_WEIGHT[state] for state in t.state]
        weights[reference] = 0
        counts = [0] * total
        for index in rng.choices(range(total), weights=weights, k=remaining):
            counts[index] += 1
        overflow = 0
        for index, count in enumerate(counts):
            if count > MAX_NOTES_PER_TICKET:
                overflow += count - MAX_NOTES_PER_TICKET
                counts[index] = MAX_NOTES_PER_TICKET
        while overflow:
            index = rng.randrange(total)
            if index != reference and counts[index] < MAX_NOTES_PER_TICKET:
                counts[index] += 1
                overflow -= 1
        counts[reference] = fixed
        private_share = self.args.private_share
        private = [sum(rng.random() < private_share for _ in range(count)) for count in counts]
        private[reference] = REFERENCE_PRIVATE_NOTES
        t.notes, t.private_notes = counts, private

    def ticket_rows(self) -> Iterator[tuple[object, ...]]:
        rng, t = self.rng, self.tickets
        category = weighted(rng, {i + 1: w for i, (_, w) in enumerate(CATEGORIES)})
        priority = weighted(rng, PRIORITIES)
        impact = weighted(rng, IMPACTS)
        reproducibility = weighted(rng, REPRODUCIBILITIES)
        sentences, steps = self.sentences, self.steps
        for index in range(len(t.state)):
            ticket_id = index + 1
            reference = ticket_id == self.reference_id
            summary = REFERENCE_SUMMARY if reference else words.summary(rng)
            description = " ".join(rng.choices(sentences, k=rng.randint(2, 6)))
            if rng.random() < 0.25:
                description += "\n\n" + " ".join(rng.choices(sentences, k=rng.randint(1, 3)))
            resolved, closed = t.resolved[index], t.closed[index]
            yield (
                ticket_id,
                ticket_id,
                t.organisation[index],
                t.reporter[index],
                t.handler[index] if t.handler[index] is not None else NULL,
                category(),
                reproducibility(),
                impact(),
                priority(),
                summary,
                description,
                rng.choice(steps) if rng.random() < 0.4 else "",
                rng.choice(words.ADDITIONAL) if rng.random() < 0.2 else "",
                t.state[index],
                timestamp(t.created[index]),
                timestamp(t.updated[index]),
                timestamp(resolved) if resolved is not None else NULL,
                timestamp(closed) if closed is not None else NULL,
                t.notes[index] - t.private_notes[index],
                1 + t.notes[index],
            )

    def note_rows(self) -> Iterator[tuple[object, ...]]:
        """Notes in ticket order, dated between the ticket's creation and its last change."""
        rng, t = self.rng, self.tickets
        staff = self.staff_ids
        texts, staff_texts = self.note_sentences, words.STAFF_NOTES
        note_id = 0
        for index, count in enumerate(t.notes):
            if not count:
                continue
            ticket_id = index + 1
            opened = t.created[index]
            last = t.resolved[index] or t.updated[index]
            if last <= opened + 300:
                last = opened + 300 + 60 * count
            dates = sorted(rng.uniform(opened + 300, last) for _ in range(count))
            private = set(rng.sample(range(count), t.private_notes[index]))
            organisation = t.organisation[index]
            members = self.members[organisation]
            reporter = t.reporter[index]
            handler = t.handler[index]
            for position, created in enumerate(dates):
                note_id += 1
                if position in private:
                    author = handler if handler and rng.random() < 0.8 else rng.choice(staff)
                    text = rng.choice(staff_texts) + " " + rng.choice(texts)
                    minutes = rng.choice(MINUTES) if rng.random() < 0.7 else 0
                    yield (note_id, ticket_id, organisation, author, text, "t", minutes, "t",
                           timestamp(created))  # fmt: skip
                elif rng.random() < 0.45:
                    author = reporter if rng.random() < 0.7 else rng.choice(members)
                    text = " ".join(rng.choices(texts, k=rng.randint(1, 3)))
                    yield (note_id, ticket_id, organisation, author, text, "f", 0, "f",
                           timestamp(created))  # fmt: skip
                else:
                    author = handler if handler and rng.random() < 0.8 else rng.choice(staff)
                    text = " ".join(rng.choices(texts, k=rng.randint(1, 3)))
                    minutes = rng.choice(MINUTES) if rng.random() < 0.6 else 0
                    billable = "t" if rng.random() < 0.9 else "f"
                    yield (
                        note_id,
                        ticket_id,
                        organisation,
                        author,
                        text,
                        "f",
                        minutes,
                        billable,
                        timestamp(created),
                    )

    def history_rows(self) -> Iterator[tuple[object, ...]]:
        """Creation, handler and state changes as the workflow records them (notes: in SQL)."""
        t = self.tickets
        staff0 = self.staff_ids[0]
        for index, state in enumerate(t.state):
            ticket_id = index + 1
            opened, updated = t.created[index], t.updated[index]
            reporter, handler = t.reporter[index], t.handler[index]
            first_move = opened + (updated - opened) * 0.1
            yield (ticket_id, reporter, timestamp(opened), "created", "", f"{ticket_id:07d}")
            if state == "new":
                continue
            actor = handler or staff0
            if state == "acknowledged":
                yield (ticket_id, actor, timestamp(first_move), "state", "new", "acknowledged")
                if handler:
                    yield (
                        ticket_id,
                        actor,
                        timestamp(first_move),
                        "handler",
                        "",
                        self.staff_names[handler],
                    )
                continue
            if handler:
                yield (
                    ticket_id,
                    actor,
                    timestamp(first_move),
                    "handler",
                    "",
                    self.staff_names[handler],
                )
            yield (ticket_id, actor, timestamp(first_move), "state", "new", "assigned")
            if state == "feedback":
                middle = opened + (updated - opened) * 0.6
                yield (ticket_id, actor, timestamp(middle), "state", "assigned", "feedback")
            resolved = t.resolved[index]
            if resolved is not None:
                yield (ticket_id, actor, timestamp(resolved), "state", "assigned", "resolved")
            closed = t.closed[index]
            if closed is not None:
                yield (ticket_id, NULL, timestamp(closed), "state", "resolved", "closed")


# --- the build -----------------------------------------------------------------------------


@dataclass
class Report:
    lines: list[tuple[str, int, float]] = field(default_factory=list)

    def step(self, name: str, rows: int, started: float) -> None:
        elapsed = time.monotonic() - started
        self.lines.append((name, rows, elapsed))
        log(f"  {name:<28} {rows:>10,} rows {elapsed:8.1f} s")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--organisations", type=int, default=1000)
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--notes", type=int, default=1_000_000)
    parser.add_argument("--staff", type=int, default=20, help="ATM technicians")
    parser.add_argument(
        "--large-share", type=float, default=0.10, help="share of the large organisation's tickets"
    )
    parser.add_argument(
        "--large-users", type=int, default=25, help="client users of the large organisation"
    )
    parser.add_argument("--private-share", type=float, default=0.12, help="share of private notes")
    parser.add_argument(
        "--years", type=int, default=3, help="tickets are spread over that many years"
    )
    parser.add_argument("--no-history", action="store_true", help="skip the history rows")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 2, help="indexes built at a time"
    )
    parser.add_argument("--reset", action="store_true", help="drop and recreate the database first")
    args = parser.parse_args(argv)
    if args.organisations < 1 or args.tickets < 1 or args.staff < 1 or args.large_users < 1:
        parser.error("--organisations, --tickets, --staff and --large-users must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    target = Target.from_url(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atm_support.settings")
    began = time.monotonic()
    report = Report()

    ensure_database(target, args.reset)

    import django

    django.setup()
    from django.apps import apps
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Organisation, User
    from tickets.models import Category, Counter, HistoryEntry, Note, Ticket

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    report.step("migrate", 0, started)
    if Organisation.objects.exists() or Ticket.objects.exists():
        raise SystemExit(
            f"Database {target.name} already holds data: run again with --reset to rebuild it."
        )
    connection.close()

    started = time.monotonic()
    # Hashed once (the hasher's cost is paid here, not a thousand times) and shared.
    data = DataSet(args, make_password(BENCH_PASSWORD), make_password(STAFF_PASSWORD))
    report.step("password hashes", 2, started)

    conn = target.connect()
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SET LOCAL synchronous_commit = off")
            cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            superuser = bool(cur.fetchone()[0])
            if superuser:
                # No foreign key trigger per row: the keys are checked once, below.
                cur.execute("SET LOCAL session_replication_role = replica")
            else:
                log("  (not a superuser: foreign keys are checked row by row, slower)")

            indexed = [Ticket, Note, HistoryEntry]
            dropped: list[tuple[str, str]] = []
            for model in indexed:
                for name, definition in secondary_indexes(cur, model._meta.db_table):
                    cur.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
                    dropped.append((name, definition))

            started = time.monotonic()
            rows = copy_rows(cur, Organisation, ["id", "name", "created_at"], data.organisations())
            report.step("organisations", rows, started)

            started = time.monotonic()
            user_columns = [
                "id",
                "password",
                "email",
                "first_name",
                "last_name",
                "organisation_id",
                "is_staff",
                "is_superuser",
                "is_active",
                "date_joined",
                "last_login",
                "previous_login",
            ]
            rows = copy_rows(cur, User, user_columns, data.users())
            report.step("users", rows, started)

            started = time.monotonic()
            categories = [
                (index + 1, name, index + 1, True) for index, (name, _) in enumerate(CATEGORIES)
            ]
            rows = copy_rows(cur, Category, ["id", "name", "position", "is_active"], categories)
            report.step("categories", rows, started)

            started = time.monotonic()
            data.plan_tickets()
            report.step("plan tickets and notes", len(data.tickets.state), started)

            started = time.monotonic()
            ticket_columns = [
                "id",
                "number",
                "organisation_id",
                "reporter_id",
                "handler_id",
                "category_id",
                "reproducibility",
                "impact",
                "priority",
                "summary",
                "description",
                "steps_to_reproduce",
                "additional_information",
                "state",
                "created_at",
                "updated_at",
                "resolved_at",
                "closed_at",
                "public_note_count",
                "version",
            ]
            rows = copy_rows(cur, Ticket, ticket_columns, data.ticket_rows())
            report.step("tickets", rows, started)

            started = time.monotonic()
            note_columns = [
                "id",
                "ticket_id",
                "organisation_id",
                "author_id",
                "text",
                "is_private",
                "minutes_spent",
                "is_billable",
                "created_at",
            ]
            rows = copy_rows(cur, Note, note_columns, data.note_rows())
            report.step("notes", rows, started)

            if not args.no_history:
                started = time.monotonic()
                history_columns = [
                    "ticket_id",
                    "actor_id",
                    "created_at",
                    "field",
                    "old_value",
                    "new_value",
                ]
                rows = copy_rows(cur, HistoryEntry, history_columns, data.history_rows())
                report.step("history (tickets)", rows, started)
                started = time.monotonic()
                cur.execute(
                    sql.SQL(
                        "INSERT INTO {} (ticket_id, actor_id, created_at, field, old_value, "
                        "new_value) SELECT ticket_id, author_id, created_at, CASE WHEN is_private "
                        "THEN 'private_note' ELSE 'note' END, '', id::text FROM {} ORDER BY id"
                    ).format(
                        sql.Identifier(HistoryEntry._meta.db_table),
                        sql.Identifier(Note._meta.db_table),
                    )
                )
                report.step("history (notes, in SQL)", cur.rowcount, started)

            if apps.is_installed("allowances"):
                started = time.monotonic()
                rows = load_allowances(cur, data)
                report.step("allowances (in SQL)", rows, started)

            started = time.monotonic()
            for model in (Organisation, User, Category, Ticket, Note, HistoryEntry):
                table = model._meta.db_table
                cur.execute(
                    sql.SQL(
                        "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                        "COALESCE((SELECT max(id) FROM {}), 0) + 1, false)"
                    ).format(sql.Identifier(table)),
                    [table],
                )
            cur.execute(
                sql.SQL(
                    "INSERT INTO {} (name, value) SELECT 'ticket', COALESCE(max(number), 0) "
                    "FROM {} ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value"
                ).format(
                    sql.Identifier(Counter._meta.db_table), sql.Identifier(Ticket._meta.db_table)
                )
            )
            check_integrity(cur)
            report.step("sequences, counter, checks", 0, started)
    finally:
        conn.close()

    # Committed: the indexes can now be built side by side, one connection per core.
    started = time.monotonic()
    rebuild_indexes(target, [definition for _, definition in dropped], args.jobs)
    report.step(f"indexes ({len(dropped)}, {args.jobs} at a time)", 0, started)

    # COPY writes no counter: Accueil's tickets per state (tickets/counts.py) counted once here.
    from tickets.counts import recount, recount_billable_minutes

    started = time.monotonic()
    recount()
    report.step("state counters", 0, started)
    # Nor the tickets' billable minutes when the notes' triggers were off (replica role).
    started = time.monotonic()
    recount_billable_minutes()
    report.step("billable minutes", 0, started)

    started = time.monotonic()
    conn = target.connect()
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("VACUUM (ANALYZE)")
            report.step("vacuum analyze", 0, started)
            elapsed = time.monotonic() - began
            record_build(cur, args, data, elapsed, report)
            summary(cur, data)
    finally:
        conn.close()
    log(f"\nbuilt {target.name} in {elapsed:.1f} s")


def rebuild_indexes(target: Target, definitions: list[str], jobs: int) -> None:
    """CREATE INDEX for each definition, `jobs` connections at a time (GIN ones take longest)."""
    pending = sorted(definitions, key=lambda d: " gin " not in d.lower())
    errors: list[str] = []

    def build(definition: str) -> None:
        conn = target.connect()
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SET maintenance_work_mem = '512MB'")
                cur.execute(definition)
        except psycopg2.Error as error:
            errors.append(f"{definition}: {error}")
        finally:
            conn.close()

    with ThreadPoolExecutor(max_workers=max(jobs, 1)) as pool:
        list(pool.map(build, pending))
    if errors:
        raise SystemExit(
            "index rebuild failed, the data set is incomplete (run again with --reset):\n"
            + "\n".join(errors)
        )


def record_build(
    cur: Any, args: argparse.Namespace, data: DataSet, elapsed: float, report: Report
) -> None:
    """What bench/run.py reports beside its figures: sizes, build time, the reference ticket."""
    facts = {
        "organisations": str(args.organisations),
        "tickets": str(args.tickets),
        "notes": str(args.notes),
        "history": "no" if args.no_history else "yes",
        "large_share": str(args.large_share),
        "reference_ticket": str(data.reference_id),
        "bench_email": BENCH_EMAIL,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": f"{elapsed:.1f}",
        "steps": "; ".join(f"{name} {seconds:.1f} s" for name, _, seconds in report.lines),
    }
    cur.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key text PRIMARY KEY, value text)")
    cur.execute(f"TRUNCATE {META_TABLE}")
    for key, value in facts.items():
        cur.execute(f"INSERT INTO {META_TABLE} (key, value) VALUES (%s, %s)", [key, value])  # noqa: S608


def load_allowances(cur: Any, data: DataSet) -> int:
    """The hour ledger as the month-end job would have written it, over the data set's years.

    A debit per closed ticket with billable time (rounded up to the quarter hour, in the month it
    was resolved), one allowance revision per organisation sized on its consumption (so that
    balances stay near zero, some above, some below), and a credit per organisation and month.
    """
    from django.apps import apps

    revision = apps.get_model("allowances", "AllowanceRevision")._meta.db_table
    ledger = apps.get_model("allowances", "LedgerEntry")._meta.db_table
    first = datetime.fromtimestamp(data.start, PARIS).date().replace(day=1)
    current = datetime.fromtimestamp(data.now, PARIS).date().replace(day=1)
    months = (current.year - first.year) * 12 + current.month - first.month + 1
    params = {"first": first, "current": current, "months": months}
    statements = [
        """
        INSERT INTO {ledger} (organisation_id, kind, period, minutes, ticket_id, revision_id,
                              memo, author_id, created_at)
        SELECT t.organisation_id, 'debit',
               date_trunc('month', t.resolved_at AT TIME ZONE 'Europe/Paris')::date,
               -(CEIL(SUM(n.minutes_spent) / 15.0) * 15)::int, t.id, NULL, '', NULL, t.closed_at
        FROM tickets_ticket t
        JOIN tickets_note n ON n.ticket_id = t.id AND n.is_billable AND n.minutes_spent > 0
        WHERE t.state = 'closed'
        GROUP BY t.id
        """,
        """
        INSERT INTO {revision} (organisation_id, minutes_per_month, effective_from, memo,
                                created_by_id, created_at)
        SELECT o.id,
               GREATEST(60, ROUND(COALESCE(-SUM(l.minutes), 0) * (0.8 + random() * 0.4)
                                  / %(months)s / 60.0) * 60)::int,
               %(first)s, 'Forfait initial', NULL, %(first)s
        FROM accounts_organisation o
        LEFT JOIN {ledger} l ON l.organisation_id = o.id AND l.kind = 'debit'
        GROUP BY o.id
        """,
        """
        INSERT INTO {ledger} (organisation_id, kind, period, minutes, ticket_id, revision_id,
                              memo, author_id, created_at)
        SELECT r.organisation_id, 'credit', month::date, r.minutes_per_month, NULL, NULL, '',
               NULL, month
        FROM {revision} r
        CROSS JOIN generate_series(%(first)s::date, %(current)s::date, interval '1 month') month
        """,
    ]
    rows = 0
    for statement in statements:
        cur.execute(
            sql.SQL(statement).format(
                ledger=sql.Identifier(ledger), revision=sql.Identifier(revision)
            ),
            params,
        )
        rows += cur.rowcount
    return rows


def check_integrity(cur: Any) -> None:
    """The foreign keys the load did not check row by row, and the public note counts."""
    checks = {
        "tickets without organisation": (
            "SELECT count(*) FROM tickets_ticket t LEFT JOIN accounts_organisation o "
            "ON o.id = t.organisation_id WHERE o.id IS NULL"
        ),
        "tickets whose reporter is not of their organisation": (
            "SELECT count(*) FROM tickets_ticket t LEFT JOIN accounts_user u "
            "ON u.id = t.reporter_id WHERE u.organisation_id IS DISTINCT FROM t.organisation_id"
        ),
        "tickets whose handler is not staff": (
            "SELECT count(*) FROM tickets_ticket t JOIN accounts_user u ON u.id = t.handler_id "
            "WHERE NOT u.is_staff"
        ),
        "notes without ticket or author": (
            "SELECT count(*) FROM tickets_note n LEFT JOIN tickets_ticket t ON t.id = n.ticket_id "
            "LEFT JOIN accounts_user u ON u.id = n.author_id WHERE t.id IS NULL OR u.id IS NULL"
        ),
        "notes whose organisation is not their ticket's": (
            "SELECT count(*) FROM tickets_note n JOIN tickets_ticket t ON t.id = n.ticket_id "
            "WHERE n.organisation_id <> t.organisation_id"
        ),
        "tickets with a wrong public_note_count": (
            "SELECT count(*) FROM tickets_ticket t LEFT JOIN (SELECT ticket_id, count(*) AS c "
            "FROM tickets_note WHERE NOT is_private GROUP BY ticket_id) n ON n.ticket_id = t.id "
            "WHERE t.public_note_count <> COALESCE(n.c, 0)"
        ),
        "users breaking the staff/organisation rule": (
            "SELECT count(*) FROM accounts_user WHERE is_staff = (organisation_id IS NOT NULL)"
        ),
    }
    for label, query in checks.items():
        cur.execute(query)
        wrong = cur.fetchone()[0]
        if wrong:
            raise SystemExit(f"integrity check failed: {wrong} {label}")


def summary(cur: Any, data: DataSet) -> None:
    cur.execute(
        "SELECT state, count(*) FROM tickets_ticket WHERE organisation_id = 1 GROUP BY 1 ORDER BY 1"
    )
    large = ", ".join(f"{state} {count:,}" for state, count in cur.fetchall())
    cur.execute("SELECT state, count(*) FROM tickets_ticket GROUP BY 1 ORDER BY 1")
    every = ", ".join(f"{state} {count:,}" for state, count in cur.fetchall())
    cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
    size = cur.fetchone()[0]
    log(f"\nall tickets: {every}")
    log(f"large organisation ({LARGE_ORGANISATION}): {large}")
    log(f"reference ticket (50 public notes): /tickets/{data.reference_id}/")
    log(f"client login: {BENCH_EMAIL} / {BENCH_PASSWORD}")
    log(f"staff login: tech01@atm-bench.example / {STAFF_PASSWORD}")
    log(f"database size: {size}")


if __name__ == "__main__":
    main()
