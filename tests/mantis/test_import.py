"""`manage.py import_mantis` against a real MariaDB holding MantisBT's own schema and a French data
set (tests/mantis/sql/). Expected figures are read from the source wherever they can be."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import Organisation, User
from allowances.ledger import balance_of
from allowances.models import AllowanceMail, AllowanceRevision, Kind, LedgerEntry
from allowances.month_end import close_month
from mantis.importer import STATUS
from mantis.models import ImportedRow
from notifications.models import Notification
from tests.mantis.conftest import MantisDatabase
from tests.utils import text
from tickets.models import (
    Attachment,
    Follower,
    HistoryEntry,
    Note,
    State,
    Ticket,
    TicketLink,
)
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db

ARGS = [
    "--skip-project",
    "ATM interne",
    "--project",
    "Boulangerie Martin - Site web=Boulangerie Martin",
    "--user-organisation",
    "paul@conseil-paul.fr=Cabinet Durand",
]
SKIPPED_PROJECT = 3
BALANCES = Path(__file__).parent / "balances.csv"


def run(source: MantisDatabase, *extra: str) -> str:
    out = StringIO()
    call_command(
        "import_mantis",
        "--source",
        source.url,
        "--files-dir",
        str(source.files_dir),
        *ARGS,
        *extra,
        stdout=out,
        stderr=StringIO(),
    )
    return out.getvalue()


def imported_bugs(source: MantisDatabase) -> list[dict[str, Any]]:
    return source.query(
        f"SELECT * FROM {source.table('bug')} WHERE project_id <> %s ORDER BY id",
        (SKIPPED_PROJECT,),
    )


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Organisation,
            User,
            Ticket,
            Note,
            Attachment,
            HistoryEntry,
            Follower,
            TicketLink,
            ImportedRow,
            AllowanceRevision,
            LedgerEntry,
        )
    }


def test_every_table_comes_over_with_the_numbers_of_mantis(mantis_source, media) -> None:
    report = run(mantis_source)
    bugs = imported_bugs(mantis_source)
    ids = [int(bug["id"]) for bug in bugs]

    assert sorted(Ticket.objects.values_list("number", flat=True)) == ids
    assert set(Organisation.objects.values_list("name", flat=True)) == {
        "Boulangerie Martin",
        "Cabinet Durand",
    }
    marks = ", ".join(str(i) for i in ids)
    notes = mantis_source.query(
        f"SELECT id, view_state FROM {mantis_source.table('bugnote')} WHERE bug_id IN ({marks})"
    )
    assert Note.objects.count() == len(notes)
    assert Note.objects.filter(is_private=True).count() == sum(
        1 for note in notes if note["view_state"] == 50
    )
    files = mantis_source.count("bug_file", f"WHERE bug_id IN ({marks})")
    assert Attachment.objects.count() == files - 1  # manquant.pdf is not on disk
    monitors = mantis_source.count("bug_monitor", f"WHERE bug_id IN ({marks}) AND user_id <> 42")
    assert Follower.objects.count() == monitors
    relationships = mantis_source.count(
        "bug_relationship", f"WHERE source_bug_id IN ({marks}) AND destination_bug_id IN ({marks})"
    )
    assert TicketLink.objects.count() == relationships == 4
    history = mantis_source.count("bug_history", f"WHERE bug_id IN ({marks})")
    assert HistoryEntry.objects.count() == history
    # Each table's line in the report, and each row left out with its reason.
    assert "bug_file" in report
    assert "fichier sur disque introuvable" in report
    assert "projet « ATM interne » laissé de côté" in report
    assert "étiquettes posées (non reprises) : 1" in report
    assert "parrainages (non repris) : 1" in report
    assert "valeurs de champs personnalisés (non reprises) : 1" in report

    # The portal numbers its next ticket after MantisBT's largest.
    reporter = User.objects.filter(is_staff=False).first()
    assert reporter is not None
    ticket = ticket_create(
        reporter=reporter,
        category=Ticket.objects.first().category,
        summary="Nouveau",
        description="Après la reprise",
    )
    assert ticket.number == max(ids) + 1


def test_codes_dates_and_texts(mantis_source, media) -> None:
    run(mantis_source)
    for bug in imported_bugs(mantis_source):
        ticket = Ticket.objects.get(number=bug["id"])
        assert ticket.state == STATUS[bug["status"]].value
        assert ticket.impact == bug["severity"]
        assert ticket.priority == bug["priority"]
        assert ticket.reproducibility == bug["reproducibility"]
        assert ticket.resolution == bug["resolution"]
        assert ticket.is_private == (bug["view_state"] == 50)
        assert ticket.created_at == datetime.fromtimestamp(bug["date_submitted"], tz=UTC)
        assert ticket.summary == bug["summary"]
    every_state = set(Ticket.objects.values_list("state", flat=True))
    assert every_state == {state.value for state in State}
    assert set(Ticket.objects.values_list("impact", flat=True)) == set(range(10, 90, 10))
    assert set(Ticket.objects.values_list("priority", flat=True)) == set(range(10, 70, 10))
    assert set(Ticket.objects.values_list("reproducibility", flat=True)) == {
        10,
        30,
        50,
        70,
        90,
        100,
    }
    assert set(Ticket.objects.values_list("resolution", flat=True)) == set(range(10, 100, 10))

    first = Ticket.objects.get(number=101)
    assert first.description == "La caisse ne s'ouvre plus le matin.\nMessage : « erreur 42 »."
    assert "\r" not in "".join(Note.objects.values_list("text", flat=True))
    assert Note.objects.get(text__startswith="Merci").text.endswith("\ufffd")
    resolved = Ticket.objects.get(number=106)
    assert resolved.resolved_at == datetime(2026, 10, 20, 16, 0, tzinfo=UTC)
    closed = Ticket.objects.get(number=107)
    assert closed.closed_at == datetime(2026, 9, 15, 12, 0, tzinfo=UTC)
    assert Ticket.objects.get(number=401).organisation.name == "Boulangerie Martin"
    assert Ticket.objects.get(number=203).organisation.name == "Cabinet Durand"
    assert Ticket.objects.get(number=102).handler.email == "pierre@atm-consulting.fr"
    history = HistoryEntry.objects.filter(ticket__number=106, field="state")
    assert [(h.old_value, h.new_value) for h in history] == [
        ("new", "assigned"),
        ("assigned", "resolved"),
    ]


def test_users_arrive_inactive_without_password(mantis_source, media) -> None:
    run(mantis_source)
    emails = set(User.objects.values_list("email", flat=True))
    # Trimmed, lower-cased, the two accounts of Marie merged into one.
    assert "marie.martin@boulangerie-martin.fr" in emails
    assert User.objects.filter(email__icontains="marie").count() == 1
    for user in User.objects.all():
        assert not user.is_active
        assert not user.has_usable_password()
    staff = set(User.objects.filter(is_staff=True).values_list("email", flat=True))
    assert staff == {"root@localhost", "pierre@atm-consulting.fr", "sophie@atm-consulting.fr"}
    luc = User.objects.get(email="luc@cabinet-durand.fr")
    assert luc.organisation.name == "Cabinet Durand"
    assert luc.awaiting_invitation
    disabled = User.objects.get(email="ancien@cabinet-durand.fr")
    assert not disabled.awaiting_invitation  # disabled in MantisBT: never invited
    paul = User.objects.get(email="paul@conseil-paul.fr")
    assert paul.organisation.name == "Cabinet Durand"
    deleted = User.objects.get(email="mantis-42@mantis.invalid")
    assert deleted.first_name == "Utilisateur MantisBT n° 42"
    assert not deleted.awaiting_invitation
    assert Ticket.objects.get(number=106).reporter == deleted
    assert not mail.outbox


def test_files_keep_their_bytes_and_odd_types_are_downloads(mantis_source, media, client) -> None:
    run(mantis_source)
    rows = mantis_source.query(
        f"SELECT id, bug_id, filename, diskfile, content FROM {mantis_source.table('bug_file')}"
    )
    checked = 0
    for row in rows:
        if row["bug_id"] == 301 or row["filename"] == "manquant.pdf":
            continue
        data = row["content"] or (mantis_source.files_dir / row["diskfile"]).read_bytes()
        attachment = Attachment.objects.get(
            ticket__number=row["bug_id"], original_name=row["filename"]
        )
        with attachment.file.open("rb") as handle:
            stored = handle.read()
        assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(data).hexdigest()
        assert attachment.size == len(data)
        checked += 1
    assert checked == 7
    images = Attachment.objects.filter(content_type="image/png")
    assert {a.original_name for a in images} == {"capture écran été.png", "écran d'accueil.png"}
    assert all(a.thumbnail for a in images)
    assert Attachment.objects.get(original_name="facture-octobre.pdf").note.text.startswith(
        "Pouvez-vous"
    )
    svg = Attachment.objects.get(original_name="schéma.svg")
    assert svg.content_type == "application/octet-stream"
    staff = User.objects.create_superuser("admin@atm-consulting.fr", "x")
    client.force_login(staff)
    response = client.get(f"/pieces-jointes/{svg.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_time_tracking_and_not_billable_projects(mantis_source, media) -> None:
    run(mantis_source, "--time-not-billable", "Cabinet Durand")
    notes = {
        row["id"]: row["time_tracking"]
        for row in mantis_source.query(
            f"SELECT id, time_tracking FROM {mantis_source.table('bugnote')} WHERE bug_id <> 301"
        )
    }
    assert sorted(Note.objects.values_list("minutes_spent", flat=True)) == sorted(notes.values())
    assert not Note.objects.filter(ticket__organisation__name="Cabinet Durand", is_billable=True)
    assert (
        Note.objects.filter(
            ticket__organisation__name="Boulangerie Martin", is_billable=False
        ).count()
        == 0
    )


def test_balances_file(mantis_source, media) -> None:
    run(mantis_source, "--balances", str(BALANCES))
    martin = Organisation.objects.get(name="Boulangerie Martin")
    revision = AllowanceRevision.objects.get(organisation=martin)
    assert (revision.minutes_per_month, revision.effective_from) == (120, date(2026, 12, 1))
    entry = LedgerEntry.objects.get(organisation=martin)
    assert (entry.kind, entry.minutes, entry.memo) == (
        Kind.ADJUSTMENT,
        330,
        "Solde repris de MantisBT",
    )
    assert balance_of(martin.pk) == 330
    assert balance_of(Organisation.objects.get(name="Cabinet Durand").pk) == -75
    before = counts()
    run(mantis_source, "--balances", str(BALANCES))
    assert counts() == before


def test_second_run_writes_nothing_then_takes_changes(mantis_source, media) -> None:
    run(mantis_source)
    before = counts()
    files = sorted(p.name for p in media.rglob("*") if p.is_file())
    again = run(mantis_source)
    assert "Total : 0 créées, 0 mises à jour." in again
    assert counts() == before
    assert sorted(p.name for p in media.rglob("*") if p.is_file()) == files

    # In MantisBT meanwhile: bug 201 resolved, a note edited, a new note.
    bugs, notes, texts = (mantis_source.table(n) for n in ("bug", "bugnote", "bugnote_text"))
    mantis_source.execute(
        f"UPDATE {bugs} SET status = 80, last_updated = last_updated + 60 WHERE id = 201;"
        f"UPDATE {texts} SET note = 'Bilan régénéré.' WHERE id = 1012;"
        f"UPDATE {notes} SET last_modified = last_modified + 60 WHERE id = 1012;"
        f"INSERT INTO {texts} (id, note) VALUES (1099, 'Tout fonctionne.');"
        f"INSERT INTO {notes} (id, bug_id, reporter_id, bugnote_text_id, view_state, "
        "time_tracking, last_modified, date_submitted) VALUES "
        "(1099, 201, 3, 1099, 10, 10, UNIX_TIMESTAMP(), UNIX_TIMESTAMP());"
    )
    third = run(mantis_source)
    assert "Total : 1 créées, 2 mises à jour." in third
    assert Ticket.objects.get(number=201).state == State.RESOLVED
    assert Note.objects.filter(text="Bilan régénéré.").exists()
    assert Note.objects.get(text="Tout fonctionne.").minutes_spent == 10
    assert Note.objects.count() == before["Note"] + 1


def test_dry_run_writes_nothing(mantis_source, media) -> None:
    before = counts()
    report = run(mantis_source, "--dry-run", "--balances", str(BALANCES))
    assert "essai à blanc" in report
    assert "bugnote" in report
    assert counts() == before
    assert not [p for p in media.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"url": "mysql://root@127.0.0.1:1/x"}, "injoignable"),
        ({"url": "mysql://root:faux@127.0.0.1:3306/{db}"}, "mot de passe"),
        ({"url": "mysql://root@127.0.0.1:3306/nexiste_pas"}, "n'existe pas"),
        ({"url": "mysql://root@127.0.0.1:3306/mysql"}, "n'est pas une base MantisBT"),
        ({"url": "http://exemple.fr/"}, "non reconnue"),
        ({"args": ["--project", "Inconnu=X"]}, "le projet MantisBT « Inconnu » n'existe pas"),
        ({"drop": "--user-organisation"}, "plusieurs organisations clientes"),
        ({"args": ["--table-prefix", "x`; DROP"]}, "lettres, chiffres"),
        ({"args": ["--table-prefix", "autre_"]}, "n'est pas une base MantisBT"),
        ({"balances": "organisation;forfait\nX;1\n"}, "la première ligne doit être"),
        (
            {"balances": "organisation;forfait_minutes;solde_minutes;mois\nInconnue;1;2;2026-13\n"},
            "organisation « Inconnue » inconnue",
        ),
    ],
)
def test_mistakes_are_said_in_french_before_anything_is_written(
    mantis_source, media, tmp_path, change, message
) -> None:
    url = change.get("url", mantis_source.url).format(db=mantis_source.database)
    args = list(ARGS)
    if "drop" in change:
        index = args.index(change["drop"])
        del args[index : index + 2]
    args += change.get("args", [])
    if "balances" in change:
        path = tmp_path / "soldes.csv"
        path.write_text(change["balances"], encoding="utf-8")
        args += ["--balances", str(path)]
    with pytest.raises(CommandError) as raised:
        call_command("import_mantis", "--source", url, *args, stdout=StringIO())
    assert message in str(raised.value)
    assert "Traceback" not in str(raised.value)
    assert all(value == 0 for value in counts().values())


def test_no_mail_of_any_kind(mantis_source, media, smtp) -> None:
    run(mantis_source, "--balances", str(BALANCES))
    assert Notification.objects.count() == 0
    assert AllowanceMail.objects.count() == 0
    assert not mail.outbox
    assert not smtp.messages


def test_next_month_end_debits_only_what_was_not_billed_in_mantis(mantis_source, media) -> None:
    run(mantis_source)
    report = close_month(period=date(2026, 11, 1), now=datetime(2026, 12, 1, 5, 0, tzinfo=UTC))
    debits = {
        entry.ticket.number: -entry.minutes for entry in LedgerEntry.objects.filter(kind=Kind.DEBIT)
    }
    # 106: 45 + 30 (private note) minutes; 202: 20 minutes, rounded up to the quarter hour.
    # 107 and 204 were closed (billed) in MantisBT; 108 is private (ATM's own work).
    assert debits == {106: 75, 202: 30}
    assert report.tickets_closed == 2
    assert Ticket.objects.get(number=108).state == State.CLOSED
    assert not LedgerEntry.objects.filter(ticket__number__in=[107, 204, 108]).exists()


def test_private_mantis_data_never_reaches_a_client(mantis_source, media, client) -> None:
    run(mantis_source)
    marie = User.objects.get(email="marie.martin@boulangerie-martin.fr")
    marie.is_active = True
    marie.save()
    client.force_login(marie)
    listing = text(client.get("/tickets/"))
    assert "0000101" in listing
    assert "0000108" not in listing
    assert "Zebrure" not in listing
    for word in ("Zebrure", "Ornithorynque", "Kangourou"):
        found = text(client.get("/tickets/", {"q": word}))
        assert "0000108" not in found, word
        assert "0000102" not in found, word
    assert client.get(Ticket.objects.get(number=108).get_absolute_url()).status_code == 404
    response = client.get(Ticket.objects.get(number=102).get_absolute_url())
    page = text(response)
    assert "Pouvez-vous préciser la version ? <script>alert('x')</script>" in page  # shown
    assert "Kangourou" not in page
    html = response.content.decode()
    assert "&lt;script&gt;alert(" in html  # as text, never as a script
    assert "<script>alert(" not in html
    export = client.get("/tickets/", {"format": "csv"})
    csv = b"".join(export.streaming_content).decode()
    assert "0000101" in csv
    assert "Zebrure" not in csv


def test_mantis_12x_schema(mantis_source_12x, media) -> None:
    out = StringIO()
    call_command("import_mantis", "--source", mantis_source_12x.url, stdout=out)
    assert "MantisBT 1.2.x" in out.getvalue()
    ticket = Ticket.objects.get(number=7)
    assert ticket.organisation.name == "Fromagerie Lefèvre"
    assert ticket.description == "Les étiquettes sortent de travers.\nDepuis lundi."
    assert Note.objects.get().minutes_spent == 25
    attachment = Attachment.objects.get()
    assert attachment.note is None
    assert attachment.thumbnail


def test_table_prefix_and_suffix(mantis_source_renamed, media) -> None:
    out = StringIO()
    call_command(
        "import_mantis",
        "--source",
        mantis_source_renamed.url,
        "--table-prefix",
        "mbt_",
        "--table-suffix",
        "",
        *ARGS,
        stdout=out,
    )
    assert Ticket.objects.count() == len(imported_bugs(mantis_source_renamed))


@pytest.mark.django_db(transaction=True)
def test_a_run_killed_midway_completes_on_the_next_one(mantis_source, media) -> None:
    """SIGKILL while importing, batch after batch (two bugs each), then the same command."""
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "PRIVATE_MEDIA_ROOT": str(media),
    }
    command = [
        sys.executable,
        "manage.py",
        "import_mantis",
        "--source",
        mantis_source.url,
        "--files-dir",
        str(mantis_source.files_dir),
        "--batch-size",
        "2",
        *ARGS,
    ]
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM mantis_importedrow WHERE source = 'bug'")
            if cursor.fetchone()[0] >= 2:
                break
        time.sleep(0.005)
    child.send_signal(signal.SIGKILL)
    child.wait()
    partial = Ticket.objects.count()
    assert partial < len(imported_bugs(mantis_source))  # killed before the end

    finished = subprocess.run(command, cwd=root, env=env, capture_output=True, check=True)
    assert b"Total" in finished.stdout
    numbers = list(Ticket.objects.values_list("number", flat=True))
    assert sorted(numbers) == [int(bug["id"]) for bug in imported_bugs(mantis_source)]
    assert (
        len(set(Note.objects.values_list("ticket_id", "created_at", "text")))
        == Note.objects.count()
    )
    marks = ", ".join(str(n) for n in numbers)
    assert Note.objects.count() == mantis_source.count("bugnote", f"WHERE bug_id IN ({marks})")
    assert (
        ImportedRow.objects.values("source", "mantis_id").distinct().count()
        == ImportedRow.objects.count()
    )
