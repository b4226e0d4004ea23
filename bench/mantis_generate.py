"""Generate a MantisBT 2.28 database on MariaDB for the import benchmark (issue 11).

    .venv/bin/python bench/mantis_generate.py [--database mantis_bench]
        [--files-dir /tmp/mantis_bench_files] [--bugs 50000 --notes 250000 --files 20000]
        [--projects 20 --users 500] [--seed 11]

Drops and creates the MariaDB database (only a name starting with `mantis_bench`), creates
MantisBT's own tables from the migration tests' tests/mantis/sql/schema_2x.sql (the DDL of
/work/shared/mantis-schema.md: MantisBT 2.28.4 installed on MariaDB 10.11, schema version 213,
utf8mb3 tables, integer Unix dates, no foreign keys), then fills
them with multi-row INSERTs through PyMySQL (`executemany`), one transaction per table:

- `--projects` client projects (weighted: the first ones are much larger), each with its own
  categories beside the global « General »; `--users` accounts: 25 staff (developer, manager,
  one administrator), the rest reporters/viewers/updaters of exactly one project
  (project_user_list), a few disabled, a few sharing an e-mail in another case, plus 5 deleted
  users whose ids are still the reporters of some bugs and notes;
- `--bugs` bugs over four years (ids in the order of submission), every status, severity,
  priority, reproducibility and resolution code, 3 % private, CRLF in half the texts, two
  descriptions longer than the portal's limit;
- `--notes` notes (ids in chronological order), 12 % private (staff), time tracking on most
  staff notes, some with `<script>` and U+FFFD (MantisBT's emoji replacement);
- `--files` attachments: PNG/JPEG (valid images, Pillow), PDF, TXT/CSV/LOG and 5 % of types
  outside the upload allow-list, half in `content`, half on disk under `--files-dir` (the folder
  column holds that directory, as `$g_absolute_path_default_upload_folder` would), 0.2 % of the
  disk files missing; 40 % uploaded with a note (bugnote_id);
- history as MantisBT's core API writes it (new bug, handler and status changes with the
  resolution, one row per note added, per file added, per monitor and per relationship),
  monitors, relationships (duplicate of, related to, parent of), tags, a custom field and a
  few sponsorships (these three are only counted by the importer).

Everything is derived from `--seed`: two runs give the same database. The files directory is
emptied first, but only when it is one this script created (it holds a `.mantis_bench` marker).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pymysql
from pymysql.constants import CLIENT

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import words  # noqa: E402 - after the path fix above

DATABASE_PREFIX = "mantis_bench"
MARKER = ".mantis_bench"
SCHEMA_VERSION = 213
# The last day of the generated history: fixed, so that a seed always gives the same database.
END = int(datetime(2026, 11, 27, 18, 0, tzinfo=UTC).timestamp())
DAY = 86_400
YEARS = 4
CHUNK = 5_000  # rows per executemany call (PyMySQL makes multi-row INSERTs of ~1 MB from them)

STAFF = 25
DELETED_USERS = 5
PRIVATE_BUG_SHARE = 0.03
PRIVATE_NOTE_SHARE = 0.12
DISK_SHARE = 0.5
MISSING_DISK_SHARE = 0.002
NOTE_FILE_SHARE = 0.4

# MantisBT's codes (core/constant_inc.php).
STATUS_NEW, FEEDBACK, ACKNOWLEDGED, CONFIRMED, ASSIGNED, RESOLVED, CLOSED = (
    10,
    20,
    30,
    40,
    50,
    80,
    90,
)
SEVERITIES = (10, 20, 30, 40, 50, 60, 70, 80)
SEVERITY_WEIGHTS = (8, 4, 3, 5, 40, 25, 10, 5)
PRIORITIES = (10, 20, 30, 40, 50, 60)
PRIORITY_WEIGHTS = (5, 15, 55, 15, 7, 3)
REPRODUCIBILITIES = (10, 30, 50, 70, 90, 100)
REPRODUCIBILITY_WEIGHTS = (40, 20, 10, 20, 5, 5)
DONE_RESOLUTIONS = (20, 40, 50, 60, 70, 80, 90)
DONE_RESOLUTION_WEIGHTS = (75, 4, 2, 5, 8, 2, 4)
OPEN_STATUSES = (STATUS_NEW, FEEDBACK, ACKNOWLEDGED, CONFIRMED, ASSIGNED, RESOLVED)
RECENT_STATUS_WEIGHTS = (18, 14, 10, 8, 20, 30)  # bugs of the last 45 days, plus CLOSED below
NOTE_TYPE_BUGNOTE, NOTE_TYPE_TIME_TRACKING = 0, 2
HISTORY_NORMAL, HISTORY_NEW_BUG, HISTORY_NOTE_ADDED, HISTORY_FILE_ADDED = 0, 1, 2, 9
HISTORY_MONITOR_ADDED, HISTORY_RELATIONSHIP_ADDED = 12, 18
ACCESS_VIEWER, ACCESS_REPORTER, ACCESS_UPDATER = 10, 25, 40
ACCESS_DEVELOPER, ACCESS_MANAGER, ACCESS_ADMINISTRATOR = 55, 70, 90

CATEGORY_NAMES = (
    "Anomalie",
    "Évolution",
    "Question",
    "Facturation",
    "Stock",
    "Comptabilité",
    "Formation",
    "Paramétrage",
    "Module RH",
    "Export",
)
TAG_NAMES = ("urgent", "v18", "v19", "pdf", "tva", "import", "stock", "formation", "api", "client")
LONG_TEXT = 20_000  # tickets/limits.py DESCRIPTION_MAX / NOTE_MAX: a few texts go beyond it
MARKUP_NOTE = (
    "Le champ affiche <script>alert('x')</script> & <b>gras</b> \ufffd au lieu de l'émoji."
)

log_started = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - log_started:6.1f} s] {message}", flush=True)


# --- MantisBT's schema -------------------------------------------------------------------------

# The schema the migration tests load (MantisBT 2.28.4 as its installer creates it, with the rows
# it writes); the generator then replaces the installer's administrator, « General » category and
# configuration rows with its own.
SCHEMA_SQL = ROOT / "tests" / "mantis" / "sql" / "schema_2x.sql"
INSTALLER_ROWS = ("mantis_user_table", "mantis_category_table", "mantis_config_table")


def columns(names: str) -> list[str]:
    return names.split()


# The columns written (the others keep MantisBT's defaults, as its own INSERTs leave them).
USER_COLUMNS = columns(
    "id username realname email password enabled access_level login_count cookie_string "
    "last_visit date_created"
)
BUG_COLUMNS = columns(
    "id project_id reporter_id handler_id priority severity reproducibility status resolution "
    "bug_text_id version view_state summary category_id date_submitted last_updated"
)
BUGNOTE_COLUMNS = columns(
    "id bug_id reporter_id bugnote_text_id view_state note_type time_tracking last_modified "
    "date_submitted"
)
FILE_COLUMNS = columns(
    "id bug_id diskfile filename folder filesize file_type content date_added user_id bugnote_id"
)
HISTORY_COLUMNS = columns("id user_id bug_id field_name old_value new_value type date_modified")


# --- The data ------------------------------------------------------------------------------------


@dataclass
class Project:
    id: int
    name: str
    weight: float
    categories: list[int] = field(default_factory=list)
    clients: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)  # deleted users who wrote here


@dataclass
class Bug:
    id: int
    project: Project
    reporter: int
    handler: int
    status: int
    submitted: int
    resolved: int  # 0 when never resolved
    closed: int  # 0 when never closed
    last_updated: int = 0
    note_ids: list[int] = field(default_factory=list)


@dataclass
class Counts:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


class Inserter:
    """Multi-row INSERTs, one transaction per table, and the count and time of each table."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.counts = Counts()

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        started = time.perf_counter()
        names = ", ".join(f"`{c}`" for c in columns)
        values = ", ".join(["%s"] * len(columns))
        statement = f"INSERT INTO `{table}` ({names}) VALUES ({values})"  # noqa: S608 - ours
        count = 0
        with self.connection.cursor() as cursor:
            batch: list[Sequence[Any]] = []
            for row in rows:
                batch.append(row)
                if len(batch) >= CHUNK:
                    cursor.executemany(statement, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(statement, batch)
                count += len(batch)
        self.connection.commit()
        spent = time.perf_counter() - started
        self.counts.rows[table] = self.counts.rows.get(table, 0) + count
        self.counts.seconds[table] = self.counts.seconds.get(table, 0.0) + spent
        log(f"{table}: {count:,} rows in {spent:.1f} s")
        return count


def weighted_split(total: int, weights: Sequence[float], minimum: int) -> list[int]:
    """`total` split along `weights`, each part at least `minimum`, the sum exact."""
    scale = sum(weights)
    parts = [max(minimum, int(total * weight / scale)) for weight in weights]
    parts[0] += total - sum(parts)
    return parts


def crlf(text: str, rng: random.Random) -> str:
    """The web UI sends CRLF: half the multi-line texts have it."""
    return text.replace("\n", "\r\n") if rng.random() < 0.5 else text


class Generator:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.files_dir = Path(args.files_dir).resolve()
        self.projects: list[Project] = []
        self.staff: list[int] = []
        self.staff_levels: dict[int, int] = {}
        self.bugs: list[Bug] = []
        self.history: list[tuple[int, int, int, str, str, str, int]] = []  # (date, ...)
        rng = self.rng
        self.sentences = words.sentence_pool(words.SENTENCES, 3_000, rng)
        self.note_sentences = words.sentence_pool(words.NOTE_SENTENCES, 3_000, rng)
        self.staff_sentences = words.sentence_pool(words.STAFF_NOTES, 500, rng)
        self.steps = words.sentence_pool(words.STEPS, 300, rng)
        self.additional = words.sentence_pool(words.ADDITIONAL, 100, rng)

    # -- projects, categories and users --

    def projects_and_users(self, out: Inserter) -> None:
        args, rng = self.args, self.rng
        names: set[str] = set()
        for number in range(1, args.projects + 1):
            while True:
                name = f"{rng.choice(words.COMPANY_KINDS)} {rng.choice(words.SURNAMES)}"
                if name not in names:
                    names.add(name)
                    break
            # Zipf-like sizes: the largest client has about a fifth of the bugs.
            self.projects.append(Project(number, name, 1 / number**0.9))
        out.insert(
            "mantis_project_table",
            ("id", "name", "status", "description", "inherit_global"),  # the rest: defaults
            [
                (p.id, p.name, rng.choice((10, 30, 50)), f"Support de {p.name}", 1)
                for p in self.projects
            ],
        )

        categories = [(1, 0, 0, "General", 1)]
        for project in self.projects:
            project.categories.append(1)
            for name in rng.sample(CATEGORY_NAMES, rng.randint(2, 5)):
                category_id = len(categories) + 1
                status = 0 if rng.random() < 0.1 else 1  # a few disabled (not offered any more)
                categories.append((category_id, project.id, 0, name, status))
                project.categories.append(category_id)
        out.insert(
            "mantis_category_table", ("id", "project_id", "user_id", "name", "status"), categories
        )

        users: list[tuple[Any, ...]] = []
        memberships: list[tuple[int, int, int]] = []

        def add_user(user_id: int, email: str, realname: str, access: int, enabled: int) -> None:
            username = f"user{user_id:04d}"
            created = END - rng.randint(YEARS * 365 * DAY, (YEARS + 1) * 365 * DAY)
            password = hashlib.md5(username.encode()).hexdigest()  # noqa: S324 - MantisBT's MD5
            cookie = hashlib.sha256(f"{args.seed}:{user_id}".encode()).hexdigest()
            visit = END - rng.randint(0, 200 * DAY)
            logins = rng.randint(0, 900)
            row = (user_id, username, realname, email, password, enabled, access, logins, cookie)
            users.append((*row, visit, created))

        add_user(1, "administrator@atm-consulting.fr", "", ACCESS_ADMINISTRATOR, 1)
        self.staff.append(1)
        self.staff_levels[1] = ACCESS_ADMINISTRATOR
        for user_id in range(2, STAFF + 1):
            first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.SURNAMES)
            level = ACCESS_MANAGER if user_id <= 5 else ACCESS_DEVELOPER
            email = f"{first}.{last}.{user_id}@atm-consulting.fr".lower()
            add_user(user_id, email, f"{first} {last}", level, 0 if user_id == STAFF else 1)
            self.staff.append(user_id)
            self.staff_levels[user_id] = level

        clients = max(args.users - STAFF, args.projects)
        sizes = weighted_split(clients, [p.weight**0.6 for p in self.projects], minimum=1)
        user_id = STAFF
        for project, size in zip(self.projects, sizes, strict=True):
            domain = project.name.lower().replace(" ", "-").replace("é", "e").replace("è", "e")
            for _ in range(size):
                user_id += 1
                first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.SURNAMES)
                realname = "" if rng.random() < 0.05 else f"{first} {last}"
                email = f"{first}.{last}.{user_id}@{domain}.example".lower()
                if project.clients and rng.random() < 0.02:
                    # The same person registered twice, once with capitals and spaces.
                    twin = next(u for u in users if u[0] == project.clients[-1])
                    email = f"  {twin[3].upper()} "
                level = rng.choices((ACCESS_REPORTER, ACCESS_VIEWER, ACCESS_UPDATER), (85, 10, 5))[
                    0
                ]
                add_user(user_id, email, realname, level, 0 if rng.random() < 0.05 else 1)
                memberships.append((project.id, user_id, level))
                project.clients.append(user_id)
        self.last_user = user_id
        # Deleted accounts: gone from mantis_user_table, their ids still in bugs and notes.
        for offset in range(1, DELETED_USERS + 1):
            self.projects[(offset - 1) % len(self.projects)].deleted.append(user_id + offset)
        out.insert(
            "mantis_user_table",
            USER_COLUMNS,
            users,
        )
        out.insert(
            "mantis_project_user_list_table", ("project_id", "user_id", "access_level"), memberships
        )

    # -- bugs --

    def bug_texts(self, bug_id: int) -> tuple[str, str, str]:
        rng = self.rng
        description = " ".join(rng.sample(self.sentences, rng.randint(1, 4)))
        if rng.random() < 0.4:
            description += "\n\n" + " ".join(rng.sample(self.sentences, rng.randint(1, 3)))
        if bug_id % 25_000 == 7:  # two texts longer than the portal keeps: cut, and attached
            description = (description + "\n") * (LONG_TEXT // len(description) + 2)
        steps = rng.choice(self.steps) if rng.random() < 0.35 else ""
        additional = rng.choice(self.additional) if rng.random() < 0.25 else ""
        return crlf(description, rng), crlf(steps, rng), additional

    def bugs_rows(self) -> Iterator[list[Any]]:
        args, rng = self.args, self.rng
        sizes = weighted_split(args.bugs, [p.weight for p in self.projects], minimum=1)
        owners = [p for p, size in zip(self.projects, sizes, strict=True) for _ in range(size)]
        rng.shuffle(owners)
        # Submission dates over four years, denser lately; sorted, so that ids follow time.
        start = END - YEARS * 365 * DAY
        dates = sorted(int(start + (END - start) * rng.random() ** 0.7) for _ in owners)
        handlers = self.staff[1:]
        for index, (project, submitted) in enumerate(zip(owners, dates, strict=True)):
            bug_id = index + 1
            age = END - submitted
            if age < 45 * DAY:
                status = rng.choices((*OPEN_STATUSES, CLOSED), (*RECENT_STATUS_WEIGHTS, 10))[0]
            else:
                status = rng.choices(
                    (*OPEN_STATUSES, CLOSED), (0.4, 0.6, 0.3, 0.3, 0.6, 0.4, 97.4)
                )[0]
            if project.deleted and rng.random() < 0.004:
                reporter = rng.choice(project.deleted)
            elif rng.random() < 0.82:
                reporter = rng.choice(project.clients)
            else:
                reporter = rng.choice(handlers)
            handler = 0
            if status >= ASSIGNED or (status > STATUS_NEW and rng.random() < 0.6):
                handler = rng.choice(handlers)
            resolved = closed = 0
            if status >= RESOLVED:
                duration = int(rng.expovariate(1 / (6 * DAY))) + 3600
                resolved = min(submitted + duration, END - 60)
                if status == CLOSED:
                    closed = min(resolved + rng.randint(DAY, 35 * DAY), END - 30)
            bug = Bug(bug_id, project, reporter, handler, status, submitted, resolved, closed)
            self.bugs.append(bug)
            resolution = 10
            if status >= RESOLVED:
                resolution = rng.choices(DONE_RESOLUTIONS, DONE_RESOLUTION_WEIGHTS)[0]
            elif rng.random() < 0.03:
                resolution = 30  # reopened
            view_state = 50 if rng.random() < PRIVATE_BUG_SHARE else 10
            self.bug_history(bug, resolution)
            priority = rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0]
            severity = rng.choices(SEVERITIES, SEVERITY_WEIGHTS)[0]
            reproducibility = rng.choices(REPRODUCIBILITIES, REPRODUCIBILITY_WEIGHTS)[0]
            version = rng.choice(("", "17.0", "18.0", "19.0"))
            category = rng.choice(project.categories)
            # last_updated (0 here) is set once the notes, files and history are known.
            row: list[Any] = [bug_id, project.id, reporter, handler, priority, severity]
            row.append(reproducibility)
            row += [status, resolution, bug_id, version, view_state, words.summary(rng)]
            yield [*row, category, submitted, 0]

    def bug_history(self, bug: Bug, resolution: int) -> None:
        """What MantisBT's bug_api writes: new bug, handler, each status (and the resolution)."""
        rng, add = self.rng, self.history.append
        t = bug.submitted
        add((t, bug.reporter, bug.id, "", "", "", HISTORY_NEW_BUG))
        actor = bug.handler or rng.choice(self.staff[1:])
        if bug.handler:
            t += rng.randint(60, 2 * DAY)
            add((t, actor, bug.id, "handler_id", "0", str(bug.handler), HISTORY_NORMAL))
        path = {
            FEEDBACK: [FEEDBACK],
            ACKNOWLEDGED: [ACKNOWLEDGED],
            CONFIRMED: [ACKNOWLEDGED, CONFIRMED],
            ASSIGNED: [ASSIGNED],
            RESOLVED: [ASSIGNED, RESOLVED],
            CLOSED: [ASSIGNED, RESOLVED, CLOSED] if rng.random() < 0.9 else [CLOSED],
        }.get(bug.status, [])
        previous = STATUS_NEW
        for status in path:
            if status == RESOLVED:
                when = bug.resolved
            elif status == CLOSED:
                when = bug.closed
            else:
                limit = bug.resolved or END
                when = min(t + rng.randint(60, 3 * DAY), limit - 1)
            when = max(when, t)
            t = when
            add((t, actor, bug.id, "status", str(previous), str(status), HISTORY_NORMAL))
            if status == RESOLVED or (status == CLOSED and previous == STATUS_NEW):
                add((t, actor, bug.id, "resolution", "10", str(resolution), HISTORY_NORMAL))
            previous = status

    # -- notes --

    def notes(self) -> list[tuple[Any, ...]]:
        """(date, bug, author, private, minutes, text, edited) sorted by date: ids follow time."""
        args, rng = self.args, self.rng
        count_per_bug = [0] * len(self.bugs)
        for _ in range(args.notes):
            count_per_bug[rng.randrange(len(self.bugs))] += 1
        notes: list[tuple[Any, ...]] = []
        handlers = self.staff[1:]
        for bug, count in zip(self.bugs, count_per_bug, strict=True):
            project = bug.project
            end = bug.closed or bug.resolved or END
            end = max(end, bug.submitted + 60)
            for _ in range(count):
                when = rng.randint(bug.submitted + 30, end)
                private = rng.random() < PRIVATE_NOTE_SHARE
                minutes = 0
                if private or rng.random() < 0.55:
                    author = bug.handler or rng.choice(handlers)
                    if rng.random() < 0.6:
                        minutes = rng.choice((5, 10, 15, 15, 20, 30, 30, 45, 60, 90, 120, 240))
                    pool = self.staff_sentences if private else self.note_sentences
                elif project.deleted and rng.random() < 0.003:
                    author = rng.choice(project.deleted)
                    pool = self.note_sentences
                else:
                    author = bug.reporter if rng.random() < 0.6 else rng.choice(project.clients)
                    if author in handlers or author not in project.clients:
                        author = rng.choice(project.clients)
                    pool = self.note_sentences
                text = "\n".join(rng.sample(pool, rng.randint(1, 3)))
                if rng.random() < 0.002:
                    text = f"{text}\n{MARKUP_NOTE}"
                notes.append((when, bug.id, author, private, minutes, crlf(text, rng)))
        notes.sort(key=lambda note: (note[0], note[1]))
        long_every = max(len(notes) // 3, 1)
        for index in range(long_every // 2, len(notes), long_every):
            note = notes[index]
            notes[index] = (*note[:5], (note[5] + "\n") * (LONG_TEXT // len(note[5]) + 2))
        return notes

    def insert_notes(self, out: Inserter) -> list[tuple[Any, ...]]:
        notes = self.notes()
        rng = self.rng

        def bugnote_rows() -> Iterator[tuple[Any, ...]]:
            for note_id, (when, bug_id, author, private, minutes, _text) in enumerate(notes, 1):
                bug = self.bugs[bug_id - 1]
                bug.note_ids.append(note_id)
                bug.last_updated = max(bug.last_updated, when)
                edited = when + rng.randint(60, 3600) if rng.random() < 0.03 else when
                note_type = NOTE_TYPE_TIME_TRACKING if minutes else NOTE_TYPE_BUGNOTE
                self.history.append(
                    (when, author, bug_id, "", f"{note_id:07d}", "", HISTORY_NOTE_ADDED)
                )
                view_state = 50 if private else 10
                yield (
                    note_id,
                    bug_id,
                    author,
                    note_id,
                    view_state,
                    note_type,
                    minutes,
                    edited,
                    when,
                )

        out.insert(
            "mantis_bugnote_table",
            BUGNOTE_COLUMNS,
            bugnote_rows(),
        )
        out.insert(
            "mantis_bugnote_text_table",
            ("id", "note"),
            ((note_id, note[5]) for note_id, note in enumerate(notes, 1)),
        )
        return notes

    # -- files --

    def insert_files(self, out: Inserter, notes: list[tuple[Any, ...]]) -> None:
        args, rng = self.args, self.rng
        pngs = [png_bytes(rng) for _ in range(min(200, args.files))]
        jpegs = [jpeg_bytes(rng) for _ in range(min(40, args.files))]
        folder = f"{self.files_dir}/"
        kinds = ("png", "jpg", "pdf", "txt", "csv", "log", "other")
        kind_weights = (42, 8, 20, 17, 5, 3, 5)
        others = (
            ("sauvegarde base.sql", "text/plain; charset=us-ascii", b"-- dump\nSELECT 1;\n"),
            ("message client.eml", "message/rfc822; charset=utf-8", b"Subject: test\n\nBonjour\n"),
            ("plan.dwg", "application/octet-stream; charset=binary", b"AC1032\x00\x00\x01\x02"),
            ("archive.7z", "application/x-7z-compressed; charset=binary", b"7z\xbc\xaf\x27\x1c"),
            ("script.ps1", "text/plain; charset=utf-8", b"Write-Host 'Bonjour'\r\n"),
        )
        files: list[tuple[Any, ...]] = []
        for file_id in range(1, args.files + 1):
            bug = self.bugs[rng.randrange(len(self.bugs))]
            kind = rng.choices(kinds, kind_weights)[0]
            if kind == "png":
                data, name, mime = rng.choice(pngs), "capture écran", "image/png; charset=binary"
            elif kind == "jpg":
                data, name, mime = rng.choice(jpegs), "photo", "image/jpeg; charset=binary"
            elif kind == "pdf":
                data, name = pdf_bytes(f"Facture {file_id} - ticket {bug.id}"), "facture"
                mime = "application/pdf; charset=binary"
            elif kind in ("txt", "log"):
                data = "\n".join(rng.sample(self.sentences, 3)).encode()
                name, mime = ("journal" if kind == "log" else "notes"), "text/plain; charset=utf-8"
            elif kind == "csv":
                rows = [
                    f"{n};{rng.choice(words.OBJECTS)};{rng.randint(1, 999)},00" for n in range(8)
                ]
                data, name = ("ref;libellé;montant\n" + "\n".join(rows)).encode(), "export"
                mime = "text/plain; charset=utf-8"
            else:
                filename, mime, data = rng.choice(others)
                name, kind = filename.rsplit(".", 1)
            filename = f"{name} {file_id}.{kind}"
            note_id: int | None
            if bug.note_ids and rng.random() < NOTE_FILE_SHARE:
                note_id = rng.choice(bug.note_ids)
                added, _, uploader = notes[note_id - 1][:3]
            else:
                note_id = None if rng.random() < 0.5 else 0  # 2.23+ issue form / older upload
                added = rng.randint(bug.submitted, max(bug.last_updated, bug.submitted))
                uploader = bug.reporter
            bug.last_updated = max(bug.last_updated, added)
            # MantisBT's random 32-hex name (file_generate_unique_name), here from the seed.
            diskfile = hashlib.md5(f"{args.seed}:file:{file_id}".encode()).hexdigest()  # noqa: S324
            on_disk = rng.random() < DISK_SHARE
            stored = b"" if on_disk else data
            row = (file_id, bug.id, diskfile, filename, folder if on_disk else "", len(data), mime)
            files.append((*row, stored, added, uploader, note_id))
            if on_disk and rng.random() >= MISSING_DISK_SHARE:
                (self.files_dir / diskfile).write_bytes(data)
            on_note = str(note_id) if note_id else ""
            self.history.append(
                (added, uploader, bug.id, "", filename, on_note, HISTORY_FILE_ADDED)
            )
        out.insert(
            "mantis_bug_file_table",
            FILE_COLUMNS,
            files,
        )

    # -- monitors, relationships, tags, custom fields, sponsorships --

    def insert_links(self, out: Inserter) -> None:
        args, rng = self.args, self.rng
        monitors: set[tuple[int, int]] = set()
        for _ in range(args.monitors):
            bug = self.bugs[rng.randrange(len(self.bugs))]
            user = rng.choice(self.staff) if rng.random() < 0.4 else rng.choice(bug.project.clients)
            if (user, bug.id) in monitors:
                continue
            monitors.add((user, bug.id))
            when = rng.randint(bug.submitted, max(bug.last_updated, bug.submitted))
            self.history.append((when, user, bug.id, "", str(user), "", HISTORY_MONITOR_ADDED))
        out.insert("mantis_bug_monitor_table", ("user_id", "bug_id"), sorted(monitors))

        by_project: dict[int, list[Bug]] = {}
        for bug in self.bugs:
            by_project.setdefault(bug.project.id, []).append(bug)
        pairs: set[tuple[int, int]] = set()
        relationships: list[tuple[int, int, int, int]] = []
        for _ in range(args.relationships):
            bugs = by_project[rng.choice(self.projects).id]
            if len(bugs) < 2:
                continue
            first, second = rng.sample(bugs, 2)
            source, destination = (first, second) if first.id > second.id else (second, first)
            if (source.id, destination.id) in pairs or (destination.id, source.id) in pairs:
                continue
            pairs.add((source.id, destination.id))
            kind = rng.choices((0, 1, 2), (20, 60, 20))[0]
            relationships.append((len(relationships) + 1, source.id, destination.id, kind))
            when = max(source.submitted, destination.submitted) + rng.randint(60, DAY)
            actor = rng.choice(self.staff[1:])
            for one, other in ((source, destination), (destination, source)):
                self.history.append(
                    (when, actor, one.id, "", str(kind), str(other.id), HISTORY_RELATIONSHIP_ADDED)
                )
        out.insert(
            "mantis_bug_relationship_table",
            ("id", "source_bug_id", "destination_bug_id", "relationship_type"),
            relationships,
        )

        out.insert(
            "mantis_tag_table",
            ("id", "user_id", "name", "description", "date_created", "date_updated"),
            [
                (n, 2, name, "", END - YEARS * 365 * DAY, END - YEARS * 365 * DAY)
                for n, name in enumerate(TAG_NAMES, 1)
            ],
        )
        tagged: set[tuple[int, int]] = set()
        for _ in range(len(self.bugs) // 10):
            tagged.add((rng.randrange(len(self.bugs)) + 1, rng.randint(1, len(TAG_NAMES))))
        out.insert(
            "mantis_bug_tag_table",
            ("bug_id", "tag_id", "user_id", "date_attached"),
            [(b, t, 2, self.bugs[b - 1].submitted) for b, t in sorted(tagged)],
        )
        out.insert(
            "mantis_custom_field_table",
            ("id", "name", "type", "possible_values", "access_level_r", "access_level_rw"),
            [(1, "Version Dolibarr", 0, "", 10, 25)],
        )
        out.insert(
            "mantis_custom_field_project_table",
            ("field_id", "project_id", "sequence"),
            [(1, p.id, 0) for p in self.projects],
        )
        out.insert(
            "mantis_custom_field_string_table",
            ("field_id", "bug_id", "value", "text"),
            [
                (1, bug.id, rng.choice(("17.0.4", "18.0.2", "19.0.1", "20.0.0")), None)
                for bug in self.bugs
                if rng.random() < 0.2
            ],
        )
        out.insert(
            "mantis_sponsorship_table",
            ("id", "bug_id", "user_id", "amount", "paid", "date_submitted", "last_updated"),
            [
                (n, bug.id, bug.reporter, 100, 0, bug.submitted, bug.submitted)
                for n, bug in enumerate(rng.sample(self.bugs, min(20, len(self.bugs))), 1)
            ],
        )

    def insert_history(self, out: Inserter) -> None:
        self.history.sort(key=lambda row: (row[0], row[2]))
        for when, _user, bug_id, *_ in self.history:
            bug = self.bugs[bug_id - 1]
            bug.last_updated = max(bug.last_updated, when)
        out.insert(
            "mantis_bug_history_table",
            HISTORY_COLUMNS,
            (
                (row_id, user, bug_id, field_name, old, new, kind, when)
                for row_id, (when, user, bug_id, field_name, old, new, kind) in enumerate(
                    self.history, 1
                )
            ),
        )

    def insert_config(self, out: Inserter) -> None:
        rows = [
            ("database_version", 0, 0, 90, 1, str(SCHEMA_VERSION)),
            ("file_upload_method", 0, 0, 90, 1, "2"),
            ("default_timezone", 0, 0, 90, 2, "Europe/Paris"),
        ]
        for project in self.projects[1::3]:  # some projects store their uploads on disk
            rows.append(("file_upload_method", project.id, 0, 90, 1, "1"))
        out.insert(
            "mantis_config_table",
            ("config_id", "project_id", "user_id", "access_reqd", "type", "value"),
            rows,
        )

    def run(self, out: Inserter) -> None:
        self.projects_and_users(out)
        bug_rows = list(self.bugs_rows())
        log(f"bugs generated ({len(bug_rows):,})")
        notes = self.insert_notes(out)
        self.insert_files(out, notes)
        del notes
        self.insert_links(out)
        self.insert_history(out)
        for row in bug_rows:
            bug = self.bugs[row[0] - 1]
            row[-1] = max(bug.last_updated, bug.submitted)
        out.insert(
            "mantis_bug_table",
            BUG_COLUMNS,
            bug_rows,
        )
        out.insert(
            "mantis_bug_text_table",
            ("id", "description", "steps_to_reproduce", "additional_information"),
            ((bug.id, *self.bug_texts(bug.id)) for bug in self.bugs),
        )
        self.insert_config(out)


# --- Small valid files --------------------------------------------------------------------------


def png_bytes(rng: random.Random) -> bytes:
    """A screenshot-like PNG (flat colours, a few boxes): a few kB, valid for Pillow."""
    from PIL import Image, ImageDraw

    width, height = rng.randint(200, 1280), rng.randint(150, 800)
    image = Image.new("RGB", (width, height), tuple(rng.randint(200, 255) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(2, 8)):
        x, y = rng.randint(0, width - 20), rng.randint(0, height - 10)
        colour = tuple(rng.randint(0, 255) for _ in range(3))
        draw.rectangle((x, y, x + rng.randint(10, 300), y + rng.randint(5, 60)), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(rng: random.Random) -> bytes:
    from PIL import Image

    width, height = rng.randint(320, 1600), rng.randint(240, 1200)
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=60)
    return buffer.getvalue()


def pdf_bytes(title: str) -> bytes:
    """A one-page PDF 1.4 with its cross-reference table: opened by any reader."""
    text = title.encode("latin-1", "replace")
    stream = b"BT /F1 14 Tf 72 770 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


# --- Database and folder ------------------------------------------------------------------------


def prepare_files_dir(path: Path) -> None:
    """Empty the folder, only when it is ours (the marker) or new."""
    if path.exists():
        if not (path / MARKER).exists() and any(path.iterdir()):
            raise SystemExit(f"{path} is not empty and was not created by this script: refused")
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / MARKER).write_text("Created by bench/mantis_generate.py; emptied by each run.\n")


def connect(args: argparse.Namespace, database: str | None = None, client_flag: int = 0) -> Any:
    return pymysql.connect(
        client_flag=client_flag,
        host=args.host,
        port=args.port,
        user=args.user,
        password=args.password,
        database=database,
        charset="utf8mb4",
        autocommit=False,
    )


def create_database(args: argparse.Namespace) -> Any:
    if not args.database.startswith(DATABASE_PREFIX):
        raise SystemExit(f"the database name must start with {DATABASE_PREFIX!r}")
    admin = connect(args)
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{args.database}`")
        cursor.execute(
            f"CREATE DATABASE `{args.database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
        )
    admin.close()
    schema = connect(args, args.database, client_flag=CLIENT.MULTI_STATEMENTS)
    with schema.cursor() as cursor:
        cursor.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
        while cursor.nextset():
            pass
        for table in INSTALLER_ROWS:
            cursor.execute(f"DELETE FROM `{table}`")  # noqa: S608 - our constant names
    schema.commit()
    schema.close()
    connection = connect(args, args.database)
    with connection.cursor() as cursor:
        # A bulk load: no per-row unique check of the secondary indexes (the data is unique).
        cursor.execute("SET SESSION unique_checks = 0")
    return connection


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="mantis_bench")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3306)
    parser.add_argument("--user", default="root")
    parser.add_argument("--password", default="")
    parser.add_argument(
        "--files-dir", default=str(Path(tempfile.gettempdir()) / "mantis_bench_files")
    )
    parser.add_argument("--bugs", type=int, default=50_000)
    parser.add_argument("--notes", type=int, default=250_000)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--monitors", type=int, default=None, help="default: 0.6 per bug")
    parser.add_argument("--relationships", type=int, default=None, help="default: bugs / 10")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    if args.bugs < 1 or args.projects < 1 or args.users <= STAFF:
        parser.error(f"at least one bug and project, and more than {STAFF} users")
    if args.monitors is None:
        args.monitors = args.bugs * 6 // 10
    if args.relationships is None:
        args.relationships = args.bugs // 10

    started = time.perf_counter()
    prepare_files_dir(Path(args.files_dir))
    connection = create_database(args)
    log(f"database {args.database} created with MantisBT's schema ({SCHEMA_SQL.name})")
    out = Inserter(connection)
    Generator(args).run(out)
    connection.close()
    total = time.perf_counter() - started
    disk = sum(1 for p in Path(args.files_dir).iterdir() if p.name != MARKER)
    print()
    print(f"{'table':34} {'rows':>10} {'s':>7}")
    for table, rows in out.counts.rows.items():
        print(f"{table:34} {rows:>10,} {out.counts.seconds[table]:>7.1f}")
    print(f"{'files on disk':34} {disk:>10,}")
    print(
        f"generated in {total:.1f} s: mysql://{args.user}@{args.host}:{args.port}/{args.database}"
        f" --files-dir {Path(args.files_dir).resolve()}"
    )


if __name__ == "__main__":
    main()
