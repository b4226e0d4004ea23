# ruff: noqa: S608 - SQL built from the test's own table names and ids, never from input
"""`manage.py import_mantis` on a real MariaDB holding MantisBT's own schema and the French data
set of sql/data_fr.sql. Expected figures are read from the source with `.query` where they
can be."""

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
from mantis.models import ImportedRow
from notifications.models import Notification
from tests.mantis_import.conftest import MantisSource
from tests.utils import text
from tickets.models import (
    Attachment,
    Category,
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
    "--user-organisation",
    "paul@conseil-paul.fr=Cabinet Durand",
]
SKIPPED = 3  # ATM interne
BALANCES = Path(__file__).parent / "balances.csv"
STATES = {
    10: State.NEW,
    20: State.FEEDBACK,
    30: State.ACKNOWLEDGED,
    40: State.ACKNOWLEDGED,
    50: State.ASSIGNED,
    80: State.RESOLVED,
    90: State.CLOSED,
}


def run(source: MantisSource, *extra: str, prefix: tuple[str, ...] = ()) -> str:
    out = StringIO()
    call_command(
        "import_mantis",
        "--source",
        source.url,
        "--files-dir",
        str(source.files_dir),
        *prefix,
        *ARGS,
        *extra,
        stdout=out,
        stderr=StringIO(),
    )
    return out.getvalue()


def bugs(source: MantisSource) -> list[dict[str, Any]]:
    return source.query("SELECT * FROM {bug} WHERE project_id <> %s ORDER BY id", (SKIPPED,))


def ids_of(source: MantisSource) -> str:
    return ", ".join(str(bug["id"]) for bug in bugs(source))


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Organisation,
            User,
            Category,
            Ticket,
            Note,
            Attachment,
            HistoryEntry,
            Follower,
            TicketLink,
            ImportedRow,
            AllowanceRevision,
            LedgerEntry,
            Notification,
            AllowanceMail,
        )
    }


def dry_lines(report: str) -> list[str]:
    return report.splitlines()[1:]


def stored_files(media: Path) -> list[str]:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def test_every_count_and_the_numbers(mantis_source, media) -> None:
    report = run(mantis_source)
    marks = ids_of(mantis_source)
    numbers = [int(bug["id"]) for bug in bugs(mantis_source)]
    assert sorted(Ticket.objects.values_list("number", flat=True)) == numbers
    assert set(Organisation.objects.values_list("name", flat=True)) == {
        "Boulangerie Martin",
        "Cabinet Durand",
    }
    categories = mantis_source.query(
        "SELECT name FROM {category} WHERE project_id <> %s", (SKIPPED,)
    )
    assert {c["name"] for c in categories} <= set(Category.objects.values_list("name", flat=True))
    notes = mantis_source.query(f"SELECT view_state FROM {{bugnote}} WHERE bug_id IN ({marks})")
    assert Note.objects.count() == len(notes)
    assert Note.objects.filter(is_private=True).count() == sum(n["view_state"] == 50 for n in notes)
    files = mantis_source.count("bug_file", f"WHERE bug_id IN ({marks})")
    assert Attachment.objects.count() == files - 1  # perdu.png is not on disk
    history = mantis_source.count("bug_history", f"WHERE bug_id IN ({marks})")
    assert HistoryEntry.objects.count() == history
    monitors = mantis_source.count("bug_monitor", f"WHERE bug_id IN ({marks})")
    assert Follower.objects.count() == monitors
    links = mantis_source.count(
        "bug_relationship",
        f"WHERE source_bug_id IN ({marks}) AND destination_bug_id IN ({marks})",
    )
    assert TicketLink.objects.count() == links == 3
    # users 1-9 (4 and 9 merged) plus the placeholder of the deleted reporter 42
    assert User.objects.count() == mantis_source.count("user") - 1 + 1
    assert "étiquettes posées (non reprises) : 2" in report
    assert "parrainages (non repris) : 1" in report
    assert "valeurs de champs personnalisés (non reprises) : 1" in report
    assert "projet « ATM interne » laissé de côté" in report

    # The counter continues after MantisBT's largest number.
    reporter = User.objects.get(email="marie.martin@boulangerie-martin.fr")
    ticket = ticket_create(
        reporter=reporter,
        category=Category.objects.get(name="Site web"),
        summary="Après la reprise",
        description="Premier ticket du portail",
    )
    assert ticket.number == max(numbers) + 1


def test_codes_links_history_and_texts(mantis_source, media) -> None:
    run(mantis_source)
    for bug in bugs(mantis_source):
        ticket = Ticket.objects.get(number=bug["id"])
        assert ticket.state == STATES[bug["status"]], bug["id"]
        assert ticket.impact == bug["severity"]
        assert ticket.priority == bug["priority"]
        assert ticket.reproducibility == bug["reproducibility"]
        assert ticket.resolution == bug["resolution"]
        assert ticket.is_private == (bug["view_state"] == 50)
        assert ticket.created_at == datetime.fromtimestamp(bug["date_submitted"], tz=UTC)
        assert ticket.summary == bug["summary"]
    source = bugs(mantis_source)
    for column in ("status", "severity", "priority", "reproducibility", "resolution"):
        seen = {bug[column] for bug in source}
        assert len(seen) >= 6, column
    assert {b["status"] for b in source} == set(STATES)
    assert set(Ticket.objects.values_list("resolution", flat=True)) == set(range(10, 100, 10))

    first = Ticket.objects.get(number=101)
    assert first.description == "Le site ne s'affiche plus.\nDepuis ce matin, page blanche.\n"
    assert first.steps_to_reproduce == "1. Ouvrir le site\n2. Attendre"
    assert Note.objects.get(text__startswith="a < b").text == "a < b & c\nligne 2\nligne 3"
    assert Ticket.objects.get(number=103).summary.endswith("\ufffd")
    assert Note.objects.get(text__startswith="Merci \ufffd").ticket.number == 109
    # resolved_at / closed_at from the last status change to 80 / 90
    history = {
        (h["bug_id"], h["new_value"]): h["date_modified"]
        for h in mantis_source.query("SELECT * FROM {bug_history} WHERE field_name = 'status'")
    }
    closed = Ticket.objects.get(number=107)
    assert closed.resolved_at == datetime.fromtimestamp(history[(107, "80")], tz=UTC)
    assert closed.closed_at == datetime.fromtimestamp(history[(107, "90")], tz=UTC)
    resolved = Ticket.objects.get(number=106)
    assert resolved.resolved_at == datetime.fromtimestamp(history[(106, "80")], tz=UTC)
    assert resolved.closed_at is None
    # moved from Boulangerie Martin to Cabinet Durand: in its current project's organisation
    assert Ticket.objects.get(number=105).organisation.name == "Cabinet Durand"
    assert Ticket.objects.get(number=105).handler.email == "sophie.leroy@atm-consulting.fr"
    assert HistoryEntry.objects.filter(ticket__number=105).count() >= 2
    assert HistoryEntry.objects.filter(ticket__number=107, field="state").count() == 2
    actor = HistoryEntry.objects.filter(ticket__number=107, field="state").first()
    assert actor.actor.email == "jean.dupont@atm-consulting.fr"
    links = {
        (link.source.number, link.kind, link.target.number) for link in TicketLink.objects.all()
    }
    assert links == {(103, "duplicate_of", 101), (105, "related_to", 106), (106, "parent_of", 107)}
    followers = {(f.ticket.number, f.user.email) for f in Follower.objects.all()}
    assert (101, "pierre@boulangerie-martin.fr") in followers
    assert (107, "paul@conseil-paul.fr") in followers


def test_users(mantis_source, media) -> None:
    run(mantis_source)
    assert User.objects.filter(email="marie.martin@boulangerie-martin.fr").count() == 1
    assert not User.objects.filter(email__contains=" ").exists()
    assert all(email == email.lower() for email in User.objects.values_list("email", flat=True))
    for user in User.objects.all():
        assert not user.is_active, user.email
        assert not user.has_usable_password(), user.email
    staff = set(User.objects.filter(is_staff=True).values_list("email", flat=True))
    assert staff == {
        "root@localhost",
        "jean.dupont@atm-consulting.fr",
        "sophie.leroy@atm-consulting.fr",
        "claire.petit@atm-consulting.fr",  # reporter globally, manager in Cabinet Durand
    }
    for user in User.objects.filter(is_staff=True):
        assert user.organisation is None
    expected = {
        "marie.martin@boulangerie-martin.fr": "Boulangerie Martin",
        "pierre@boulangerie-martin.fr": "Boulangerie Martin",
        "luc.durand@cabinet-durand.fr": "Cabinet Durand",
        "ancien@cabinet-durand.fr": "Cabinet Durand",
        "paul@conseil-paul.fr": "Cabinet Durand",
    }
    for email, organisation in expected.items():
        assert User.objects.get(email=email).organisation.name == organisation
    marie = User.objects.get(email="marie.martin@boulangerie-martin.fr")
    assert (marie.first_name, marie.last_name) == ("Marie", "Martin")
    nameless = User.objects.get(email="mantis-11@mantis.invalid")  # no e-mail in MantisBT
    assert nameless.first_name == "anonyme"
    assert nameless.organisation.name == "Boulangerie Martin"
    enabled = {
        row["email"].strip().lower() or f"mantis-{row['id']}@mantis.invalid": row["enabled"]
        for row in mantis_source.query("SELECT id, email, enabled FROM {user}")
    }
    for email, was_enabled in enabled.items():
        assert User.objects.get(email=email).awaiting_invitation == bool(was_enabled), email
    deleted = User.objects.get(email="mantis-42@mantis.invalid")
    assert deleted.first_name == "Utilisateur MantisBT n° 42"
    assert not deleted.is_active
    assert not deleted.awaiting_invitation
    assert deleted.organisation.name == "Boulangerie Martin"
    assert Ticket.objects.get(number=104).reporter == deleted
    assert Note.objects.get(text="Relance.").author == deleted


def test_a_client_handler_is_dropped_and_reported(mantis_source, media) -> None:
    report = run(mantis_source)
    assert mantis_source.query("SELECT handler_id FROM {bug} WHERE id = 103")[0]["handler_id"] == 4
    assert Ticket.objects.get(number=103).handler is None
    assert "tickets affectés à un client dans MantisBT (laissés sans affectation) : 1" in report


def test_categories_merged_by_name(mantis_source, media) -> None:
    kept = Category.objects.create(name="SITE WEB", is_active=False)
    run(mantis_source)
    assert Category.objects.filter(name__iexact="site web").count() == 1
    kept.refresh_from_db()
    assert kept.name == "SITE WEB"
    assert not kept.is_active  # an existing category is kept as it is
    assert Ticket.objects.get(number=101).category == kept
    assert Category.objects.get(name="Comptabilité").is_active
    assert not Category.objects.get(name="Ancienne catégorie").is_active
    assert not Category.objects.filter(name="Interne").exists()  # ATM interne's own


def test_a_text_longer_than_our_limits_is_cut_and_attached(mantis_source, media) -> None:
    from tickets.limits import DESCRIPTION_MAX, NOTE_MAX

    description = "Journal : " + "ligne de log\n" * (DESCRIPTION_MAX // 10)
    note = "Trace : " + "x" * (NOTE_MAX + 500)
    mantis_source.execute(
        "UPDATE {bug_text} SET description = %s WHERE id = 104;"
        "UPDATE {bugnote_text} SET note = %s WHERE id = 11;",
        (description, note),
    )
    run(mantis_source)
    ticket = Ticket.objects.get(number=104)
    assert len(ticket.description) <= DESCRIPTION_MAX
    assert ticket.description.startswith("Journal : ligne de log")
    cut = Note.objects.get(ticket=ticket)
    assert len(cut.text) <= NOTE_MAX
    whole = [
        a for a in Attachment.objects.filter(ticket=ticket) if a.original_name.endswith(".txt")
    ]
    contents = set()
    for attachment in whole:
        with attachment.file.open("rb") as handle:
            contents.add(handle.read().decode())
    assert description in contents
    assert note in contents
    before = counts()
    assert "Total : 0 créées, 0 mises à jour." in run(mantis_source)
    assert counts() == before


def test_report_file(mantis_source, media, tmp_path) -> None:
    path = tmp_path / "rapport.txt"
    out = run(mantis_source, "--report", str(path))
    assert path.read_text(encoding="utf-8") == out
    assert "bug_relationship" in out


def test_an_existing_user_is_kept_as_is(mantis_source, media, organisation) -> None:
    luc = User.objects.create_user(
        "luc.durand@cabinet-durand.fr", "secret-pass-123", organisation=organisation
    )
    run(mantis_source)
    luc.refresh_from_db()
    assert luc.is_active
    assert luc.check_password("secret-pass-123")
    assert luc.organisation == organisation
    assert Ticket.objects.get(number=105).reporter == luc


def test_an_existing_organisation_is_reused(mantis_source, media) -> None:
    existing = Organisation.objects.create(name="BOULANGERIE MARTIN")
    call_command(
        "import_mantis",
        "--source",
        mantis_source.url,
        "--files-dir",
        str(mantis_source.files_dir),
        "--skip-project",
        "ATM interne",
        "--project",
        "Cabinet Durand=Cabinet Durand et associés",
        "--user-organisation",
        "paul@conseil-paul.fr=Cabinet Durand et associés",
        stdout=StringIO(),
        stderr=StringIO(),
    )
    assert set(Organisation.objects.values_list("name", flat=True)) == {
        "BOULANGERIE MARTIN",
        "Cabinet Durand et associés",
    }
    assert Ticket.objects.get(number=101).organisation == existing
    assert Ticket.objects.get(number=106).organisation.name == "Cabinet Durand et associés"


def test_files_keep_their_bytes(mantis_source, media, client) -> None:
    report = run(mantis_source)
    rows = mantis_source.query(
        f"SELECT * FROM {{bug_file}} WHERE bug_id IN ({ids_of(mantis_source)})"
    )
    checked = 0
    for row in rows:
        if row["filename"] == "perdu.png":
            continue
        data = row["content"] or (mantis_source.files_dir / row["diskfile"]).read_bytes()
        attachment = Attachment.objects.get(
            ticket__number=row["bug_id"], original_name=row["filename"]
        )
        with attachment.file.open("rb") as handle:
            stored = handle.read()
        assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(data).hexdigest(), row[
            "filename"
        ]
        assert attachment.size == len(data)
        assert attachment.created_at == datetime.fromtimestamp(row["date_added"], tz=UTC)
        checked += 1
    assert checked == 7
    images = Attachment.objects.filter(original_name__endswith=".png")
    assert {a.original_name for a in images} == {"capture écran été.png", "photo vitrine.png"}
    for image in images:
        assert image.content_type == "image/png"
        assert image.thumbnail
    assert Attachment.objects.get(original_name="devis.pdf").content_type == "application/pdf"
    assert Attachment.objects.get(original_name="journal.txt").note.text.startswith("a < b")
    assert Attachment.objects.get(original_name="devis.pdf").note is None
    assert "fichier sur disque introuvable" in report
    assert "perdu" in report or "bug_file 6" in report

    svg = Attachment.objects.get(original_name="logo.svg")
    assert svg.content_type == "application/octet-stream"
    assert not svg.thumbnail
    client.force_login(User.objects.create_superuser("admin@atm-consulting.fr", "x"))
    response = client.get(f"/pieces-jointes/{svg.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_time_tracking_and_not_billable(mantis_source, media) -> None:
    run(mantis_source, "--time-not-billable", "Cabinet Durand")
    for row in mantis_source.query(
        f"SELECT * FROM {{bugnote}} WHERE bug_id IN ({ids_of(mantis_source)})"
    ):
        note = Note.objects.get(
            ticket__number=row["bug_id"],
            created_at=datetime.fromtimestamp(row["date_submitted"], tz=UTC),
        )
        assert note.minutes_spent == row["time_tracking"]
        assert note.is_private == (row["view_state"] == 50)
    assert not Note.objects.filter(ticket__organisation__name="Cabinet Durand", is_billable=True)
    assert not Note.objects.filter(
        ticket__organisation__name="Boulangerie Martin", is_billable=False
    )
    public = Note.objects.filter(ticket__number=101, is_private=False).count()
    assert Ticket.objects.get(number=101).public_note_count == public == 2


def test_balances(mantis_source, media) -> None:
    run(mantis_source, "--balances", str(BALANCES))
    martin = Organisation.objects.get(name="Boulangerie Martin")
    revision = AllowanceRevision.objects.get(organisation=martin)
    assert (revision.minutes_per_month, revision.effective_from) == (600, date(2026, 11, 1))
    entry = LedgerEntry.objects.get(organisation=martin)
    assert (entry.kind, entry.minutes, entry.memo) == (
        Kind.ADJUSTMENT,
        -90,
        "Solde repris de MantisBT",
    )
    assert balance_of(martin.pk) == -90
    assert balance_of(Organisation.objects.get(name="Cabinet Durand").pk) == 120
    before = counts()
    run(mantis_source, "--balances", str(BALANCES))
    assert counts() == before


def test_rerun_writes_nothing_then_takes_changes(mantis_source, media) -> None:
    run(mantis_source)
    before = counts()
    files = stored_files(media)
    again = run(mantis_source)
    assert "Total : 0 créées, 0 mises à jour." in again
    assert counts() == before
    assert stored_files(media) == files

    mantis_source.execute(
        "UPDATE {bug} SET status = 80, last_updated = last_updated + 60 WHERE id = 101;"
        "UPDATE {bugnote_text} SET note = 'Texte corrigé.' WHERE id = 9;"
        "UPDATE {bugnote} SET last_modified = last_modified + 60 WHERE id = 9;"
        "INSERT INTO {bugnote_text} (id, note) VALUES (99, 'Nouvelle note.');"
        "INSERT INTO {bugnote} (id, bug_id, reporter_id, bugnote_text_id, view_state, "
        "time_tracking, last_modified, date_submitted) VALUES "
        "(99, 102, 5, 99, 10, 5, UNIX_TIMESTAMP(), UNIX_TIMESTAMP());"
    )
    third = run(mantis_source)
    assert "Total : 1 créées, 2 mises à jour." in third
    assert Ticket.objects.get(number=101).state == State.RESOLVED
    assert (
        Note.objects.get(ticket__number=105, author__email="luc.durand@cabinet-durand.fr").text
        == "Texte corrigé."
    )
    assert Note.objects.get(text="Nouvelle note.").minutes_spent == 5
    assert Note.objects.count() == before["Note"] + 1
    assert Ticket.objects.count() == before["Ticket"]
    fourth = run(mantis_source)
    assert "Total : 0 créées, 0 mises à jour." in fourth

    # A file added, a bug moved to Cabinet Durand, a monitor added.
    mantis_source.execute(
        "INSERT INTO {bug_file} (id, bug_id, title, description, diskfile, filename, folder, "
        "filesize, file_type, content, date_added, user_id, bugnote_id) VALUES "
        "(50, 102, '', '', '', 'notes.txt', '', 5, 'text/plain', 'Notes', UNIX_TIMESTAMP(), 5, 0);"
        "INSERT INTO {bug_monitor} (user_id, bug_id) VALUES (4, 102);"
        "UPDATE {bug} SET project_id = 2, category_id = 3, last_updated = last_updated + 60 "
        "WHERE id = 109;"
    )
    run(mantis_source)
    with Attachment.objects.get(original_name="notes.txt").file.open("rb") as handle:
        assert handle.read() == b"Notes"
    assert Follower.objects.filter(ticket__number=102, user__email__startswith="marie").exists()
    moved = Ticket.objects.get(number=109)
    assert moved.organisation.name == "Cabinet Durand"
    assert moved.category.name == "Comptabilité"
    assert all(n.organisation == moved.organisation for n in moved.notes.all())
    assert "Total : 0 créées, 0 mises à jour." in run(mantis_source)


def test_dry_run_writes_nothing(mantis_source, media) -> None:
    before = counts()
    report = run(mantis_source, "--dry-run", "--balances", str(BALANCES))
    assert "essai à blanc" in report
    assert "bug_file" in report
    assert counts() == before
    assert stored_files(media) == []
    # The same report as the real run, but for its title.
    dry = run(mantis_source, "--dry-run")
    assert counts() == before
    real = run(mantis_source)
    assert "essai à blanc" not in real
    assert dry_lines(dry) == dry_lines(real)
    assert "Total : 0 créées" not in real


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"url": "mysql://root@127.0.0.1:1/x"}, "injoignable"),
        ({"url": "mysql://root@hote-inconnu.invalid:3306/x"}, "injoignable"),
        ({"url": "mysql://root:faux@127.0.0.1:3306/{db}"}, "mot de passe"),
        ({"url": "mysql://root@127.0.0.1:3306/mantis_t5_nexiste_pas"}, "n'existe pas"),
        ({"url": "mysql://root@127.0.0.1:3306/mysql"}, "n'est pas une base MantisBT"),
        ({"args": ["--project", "Inconnu=X"]}, "Inconnu"),
        ({"args": ["--skip-project", "Inconnu"]}, "Inconnu"),
        ({"args": ["--time-not-billable", "Inconnu"]}, "Inconnu"),
        ({"args": ["--batch-size", "0"]}, "--batch-size"),
        ({"drop": "--user-organisation"}, "paul@conseil-paul.fr"),
        ({"args": ["--table-prefix", "autre_"]}, "n'est pas une base MantisBT"),
        ({"args": ["--table-prefix", "x`; DROP"]}, "--table-prefix"),
        (
            {"balances": "organisation;forfait\nX;1\n"},
            "organisation;forfait_minutes;solde_minutes;mois",
        ),
        (
            {"balances": "organisation;forfait_minutes;solde_minutes;mois\nInconnue;1;2;2026-11\n"},
            "Inconnue",
        ),
        (
            {
                "balances": "organisation;forfait_minutes;solde_minutes;mois\n"
                "Cabinet Durand;x;2;2026-13\n"
            },
            "ligne 2",
        ),
    ],
)
def test_user_mistakes(mantis_source, media, tmp_path, change, message) -> None:
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
        call_command(
            "import_mantis",
            "--source",
            url,
            "--files-dir",
            str(mantis_source.files_dir),
            *args,
            stdout=StringIO(),
            stderr=StringIO(),
        )
    assert message in str(raised.value)
    assert "Traceback" not in str(raised.value)
    assert all(value == 0 for value in counts().values())
    assert stored_files(media) == []


def test_user_mistake_on_the_command_line_exits_1_in_french(mantis_source) -> None:
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "import_mantis",
            "--source",
            "mysql://root@127.0.0.1:3306/mysql",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": _test_database_url()},
    )
    assert result.returncode == 1
    assert "MantisBT" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_mail(mantis_source, media, smtp) -> None:
    run(mantis_source, "--balances", str(BALANCES))
    assert Notification.objects.count() == 0
    assert AllowanceMail.objects.count() == 0
    assert not mail.outbox
    time.sleep(0.2)  # a mail sent from another thread would have arrived
    assert not smtp.messages


def test_next_month_end_debits_only_resolved_public_tickets(mantis_source, media) -> None:
    run(mantis_source)
    close_month(period=date(2026, 11, 1), now=datetime(2026, 12, 1, 5, 0, tzinfo=UTC))
    debited = set(
        LedgerEntry.objects.filter(kind=Kind.DEBIT).values_list("ticket__number", flat=True)
    )
    resolved_public = {
        b["id"] for b in bugs(mantis_source) if b["status"] == 80 and b["view_state"] == 10
    }
    assert debited == resolved_public == {106, 109}
    assert not LedgerEntry.objects.filter(ticket__number__in=[107, 108]).exists()
    # 106: 45 + 30 minutes (its private note is ATM's time too); 109: 20, rounded up to the
    # half hour as every month end does.
    minutes = {e.ticket.number: -e.minutes for e in LedgerEntry.objects.filter(kind=Kind.DEBIT)}
    assert minutes == {106: 75, 109: 30}


def test_a_client_never_sees_private_data(mantis_source, media, client) -> None:
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
        assert "0000101" not in found, word
    assert client.get(Ticket.objects.get(number=108).get_absolute_url()).status_code == 404
    response = client.get(Ticket.objects.get(number=101).get_absolute_url())
    page = text(response)
    assert "Merci de regarder <script>alert(1)</script>" in page
    assert "Kangourou" not in page
    html = response.content.decode()
    assert "&lt;script&gt;alert(1)" in html
    assert "<script>alert(1)" not in html
    export = client.get("/tickets/", {"format": "csv"})
    csv = b"".join(export.streaming_content).decode()
    assert "0000101" in csv
    assert "Zebrure" not in csv
    assert "0000108" not in csv
    assert "Kangourou" not in csv

    # A client of Cabinet Durand never learns that ticket 105 came from Boulangerie Martin.
    luc = User.objects.get(email="luc.durand@cabinet-durand.fr")
    luc.is_active = True
    luc.save()
    client.force_login(luc)
    moved = client.get(Ticket.objects.get(number=105).get_absolute_url())
    assert moved.status_code == 200
    assert "Boulangerie" not in text(moved)
    assert client.get(Ticket.objects.get(number=101).get_absolute_url()).status_code == 404

    # Staff find the private ticket by the same words: the search above could have found it.
    client.force_login(User.objects.create_superuser("admin@atm-consulting.fr", "x"))
    found = client.get("/admin/tickets/ticket/", {"q": "Zebrure"})
    assert found.status_code == 200
    assert "Zebrure du serveur de caisse" in text(found)


def test_mantis_12x(mantis_source_12x, media) -> None:
    out = run(mantis_source_12x)
    assert "1.2" in out
    assert Ticket.objects.count() == len(bugs(mantis_source_12x))
    assert Note.objects.count() == mantis_source_12x.count(
        "bugnote", f"WHERE bug_id IN ({ids_of(mantis_source_12x)})"
    )
    assert Attachment.objects.count() == 7
    assert Attachment.objects.get(original_name="journal.txt").note is None
    assert Attachment.objects.get(original_name="capture écran été.png").thumbnail


def test_table_prefix_and_suffix(mantis_source_renamed, media) -> None:
    run(mantis_source_renamed, prefix=("--table-prefix", "mbt_", "--table-suffix", "_tbl"))
    assert Ticket.objects.count() == len(bugs(mantis_source_renamed))
    assert Attachment.objects.count() == 7
    with pytest.raises(CommandError):
        run(mantis_source_renamed)  # the default names are not there


def _test_database_url() -> str:
    database = settings.DATABASES["default"]
    return f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_sigkill_then_rerun(mantis_source, media) -> None:
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "PRIVATE_MEDIA_ROOT": str(media)}
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
    child = subprocess.Popen(
        command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM mantis_importedrow WHERE source = 'bug'")
            if cursor.fetchone()[0] >= 2:
                break
        time.sleep(0.005)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert Ticket.objects.count() < len(bugs(mantis_source))  # killed before the end

    finished = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    numbers = sorted(Ticket.objects.values_list("number", flat=True))
    assert numbers == [int(b["id"]) for b in bugs(mantis_source)]
    marks = ids_of(mantis_source)
    assert Note.objects.count() == mantis_source.count("bugnote", f"WHERE bug_id IN ({marks})")
    assert (
        Attachment.objects.count()
        == mantis_source.count("bug_file", f"WHERE bug_id IN ({marks})") - 1
    )
    assert Follower.objects.count() == mantis_source.count(
        "bug_monitor", f"WHERE bug_id IN ({marks})"
    )
    assert TicketLink.objects.count() == 3
    assert (
        ImportedRow.objects.values("source", "mantis_id").distinct().count()
        == ImportedRow.objects.count()
    )
    again = subprocess.run(command, cwd=root, env=env, capture_output=True, check=True, text=True)
    assert "Total : 0 créées, 0 mises à jour." in again.stdout


def test_a_rerun_applies_privacy_changes_and_refreshes_the_pages(
    mantis_source, media, client
) -> None:
    run(mantis_source)
    marie = User.objects.get(email="marie.martin@boulangerie-martin.fr")
    marie.is_active = True
    marie.save()
    client.force_login(marie)
    assert "0000102" in text(client.get("/tickets/"))
    found = text(client.get("/tickets/", {"q": "blanche"}))  # the search index has the import
    assert "0000101" in found
    assert Ticket.objects.get(number=101).public_note_count == 2

    # In MantisBT: bug 102 made private, the private note of 101 made public, 103 renamed.
    mantis_source.execute(
        "UPDATE {bug} SET view_state = 50, last_updated = last_updated + 60 WHERE id = 102;"
        "UPDATE {bugnote} SET view_state = 10, last_modified = last_modified + 60 WHERE id = 3;"
        "UPDATE {bug} SET summary = 'Panier réparé ?', last_updated = last_updated + 60 "
        "WHERE id = 103;"
    )
    run(mantis_source)
    assert Ticket.objects.get(number=102).is_private
    assert Ticket.objects.get(number=101).public_note_count == 3
    listing = text(client.get("/tickets/"))
    assert "0000102" not in listing
    assert "Panier réparé ?" in listing
    assert client.get(Ticket.objects.get(number=102).get_absolute_url()).status_code == 404
    assert "Kangourou" in text(client.get(Ticket.objects.get(number=101).get_absolute_url()))


def test_imported_tickets_get_their_response_targets(mantis_source, media) -> None:
    from tickets.targets import TARGET_FIELDS, recount

    run(mantis_source)
    tickets = list(Ticket.objects.order_by("pk"))
    kept = [[getattr(t, name) for name in TARGET_FIELDS] for t in tickets]
    assert any(t.resolution_due_at is not None for t in tickets)  # an open one, at least
    assert all(t.due_at is None for t in tickets if t.state == "closed")
    answered = [t for t in tickets if t.first_staff_answer_at is not None]
    assert answered, "a staff member's public note is a first answer"
    recount([t.pk for t in tickets])
    again = [[getattr(t, name) for name in TARGET_FIELDS] for t in Ticket.objects.order_by("pk")]
    assert again == kept
