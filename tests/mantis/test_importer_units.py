"""Unit tests of the MantisBT importer's pure parts: option and CSV parsing, code mappings, text
normalisation, the file type decision, digests, dates, the report, and the source's refusals of
a user's mistakes (French, before anything is read)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pymysql
import pytest
from django.core.management import call_command
from PIL import Image
from tqdm import tqdm

from accounts.models import Organisation
from allowances.models import AllowanceMail
from mantis.importer import (
    CHOICES,
    OCTET_STREAM,
    STATUS,
    TRUNCATED,
    choice,
    clean_text,
    digest,
    file_type,
    fit,
    moment,
    terminal_progress,
)
from mantis.plan import Plan, PlanError, parse_pairs, placeholder_email, read_balances, split_name
from mantis.report import Report, _ranges
from mantis.source import MantisSource, SourceAddress, SourceError
from notifications.models import Event, Notification
from tickets.limits import DESCRIPTION_MAX
from tickets.models import (
    Attachment,
    Counter,
    HistoryEntry,
    Impact,
    Priority,
    Reproducibility,
    Resolution,
    State,
    Ticket,
)
from tickets.services import TICKET_SEQUENCE

MARIADB = "mysql://root@127.0.0.1:3306/"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(buffer, "PNG")
    return buffer.getvalue()


# --- options -------------------------------------------------------------------------------


def test_parse_pairs_trims_both_sides_and_keeps_inner_equals() -> None:
    pairs = parse_pairs([" Projet A = Société A ", "x@y.fr=Org=2"], "--project")
    assert pairs == {"Projet A": "Société A", "x@y.fr": "Org=2"}


@pytest.mark.parametrize("value", ["Projet A", "=Org", "Projet=", " = "])
def test_parse_pairs_refuses_a_malformed_pair_in_french(value: str) -> None:
    with pytest.raises(PlanError) as caught:
        parse_pairs(["ok=fine", value], "--user-organisation")
    assert caught.value.problems == [
        f"--user-organisation « {value} » : attendu « NOM=ORGANISATION »."
    ]


def test_parse_pairs_reports_every_mistake_at_once() -> None:
    with pytest.raises(PlanError) as caught:
        parse_pairs(["a", "b"], "--project")
    assert len(caught.value.problems) == 2


# --- names ---------------------------------------------------------------------------------


def test_split_name_at_the_first_space() -> None:
    assert split_name("Jean  Pierre   de la Tour", "jp") == ("Jean", "Pierre de la Tour")
    assert split_name("Zoé", "zoe") == ("Zoé", "")


def test_split_name_empty_realname_takes_the_username() -> None:
    assert split_name("   ", "marie.d") == ("marie.d", "")


def test_placeholder_email() -> None:
    assert placeholder_email(42) == "mantis-42@mantis.invalid"


# --- balances CSV --------------------------------------------------------------------------


def _plan(*organisations: str) -> Plan:
    plan = Plan()
    plan.organisation_of = {index: name for index, name in enumerate(organisations, start=1)}
    return plan


def _balances(tmp_path: Path, text: str, plan: Plan) -> tuple[list, list[str]]:
    path = tmp_path / "soldes.csv"
    path.write_text(text, encoding="utf-8")
    problems: list[str] = []
    return read_balances(path, plan, problems), problems


@pytest.mark.django_db
def test_balances_read_with_bom_case_insensitive_names_and_blank_lines(tmp_path: Path) -> None:
    Organisation.objects.create(name="Déjà Là")
    rows, problems = _balances(
        tmp_path,
        "\ufefforganisation;forfait_minutes;solde_minutes;mois\n"
        "société a;600;-90;2026-11\n\n ;;; \n"
        "DÉJÀ LÀ;0;120;2025-01\n",
        _plan("Société A"),
    )
    assert problems == []
    assert [(b.organisation, b.monthly, b.balance, b.month, b.line) for b in rows] == [
        ("Société A", 600, -90, date(2026, 11, 1), 2),
        ("Déjà Là", 0, 120, date(2025, 1, 1), 5),
    ]


@pytest.mark.django_db
def test_balances_header_must_be_the_expected_one(tmp_path: Path) -> None:
    rows, problems = _balances(tmp_path, "org;forfait;solde;mois\nA;1;1;2026-01\n", _plan("A"))
    assert rows == []
    assert problems == [
        f"--balances {tmp_path / 'soldes.csv'} : la première ligne doit être "
        "« organisation;forfait_minutes;solde_minutes;mois »."
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("A;600;0", "--balances ligne 2 : 4 colonnes attendues, 3 trouvées."),
        ("Inconnue;600;0;2026-01", "--balances ligne 2 : organisation « Inconnue » inconnue."),
        (
            "A;-5;0;2026-01",
            "--balances ligne 2 : forfait « -5 » : un nombre entier de minutes ≥ 0.",
        ),
        (
            "A;1h;0;2026-01",
            "--balances ligne 2 : forfait « 1h » : un nombre entier de minutes ≥ 0.",
        ),
        ("A;600;1,5;2026-01", "--balances ligne 2 : solde « 1,5 » : un nombre entier de minutes."),
        ("A;600;0;2026-13", "--balances ligne 2 : mois « 2026-13 » : attendu AAAA-MM (2026-12)."),
        ("A;600;0;01/2026", "--balances ligne 2 : mois « 01/2026 » : attendu AAAA-MM (2026-12)."),
    ],
)
def test_balances_bad_line_is_refused_in_french(tmp_path: Path, line: str, problem: str) -> None:
    header = "organisation;forfait_minutes;solde_minutes;mois\n"
    rows, problems = _balances(tmp_path, header + line + "\n", _plan("A"))
    assert rows == []
    assert problems == [problem]


@pytest.mark.django_db
def test_balances_organisation_twice_is_refused(tmp_path: Path) -> None:
    header = "organisation;forfait_minutes;solde_minutes;mois\n"
    rows, problems = _balances(tmp_path, header + "A;1;1;2026-01\na;2;2;2026-02\n", _plan("A"))
    assert len(rows) == 1
    assert problems == ["--balances ligne 3 : « A » figure deux fois."]


@pytest.mark.django_db
def test_balances_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        "organisation;forfait_minutes;solde_minutes;mois\nSoci\xe9t\xe9;1;1;2026-01\n".encode(
            "latin-1"
        )
    )
    problems: list[str] = []
    assert read_balances(path, _plan("Société"), problems) == []
    assert len(problems) == 1
    assert problems[0].startswith(f"--balances : fichier {path} illisible")


# --- codes ---------------------------------------------------------------------------------


def test_status_mapping_covers_every_mantis_status() -> None:
    assert STATUS == {
        10: State.NEW,
        20: State.FEEDBACK,
        30: State.ACKNOWLEDGED,
        40: State.ACKNOWLEDGED,
        50: State.ASSIGNED,
        80: State.RESOLVED,
        90: State.CLOSED,
    }


@pytest.mark.parametrize(
    ("kind", "codes"),
    [
        ("priority", [10, 20, 30, 40, 50, 60]),
        ("severity", [10, 20, 30, 40, 50, 60, 70, 80]),
        ("reproducibility", [10, 30, 50, 70, 90, 100]),
        ("resolution", [10, 20, 30, 40, 50, 60, 70, 80, 90]),
    ],
)
def test_choice_keeps_mantis_codes(kind: str, codes: list[int]) -> None:
    report = Report()
    assert [choice(kind, code, report, 1) for code in codes] == codes
    assert report.counted == {}


def test_choice_enums_are_ours() -> None:
    assert CHOICES["priority"][0] is Priority
    assert CHOICES["severity"][0] is Impact
    assert CHOICES["reproducibility"][0] is Reproducibility
    assert CHOICES["resolution"][0] is Resolution


def test_choice_unknown_code_falls_back_and_is_counted() -> None:
    report = Report()
    assert choice("severity", 65, report, 7) == int(Impact.MINOR)
    assert choice("priority", None, report, 8) == int(Priority.NORMAL)
    assert choice("priority", "x", report, 9) == int(Priority.NORMAL)
    assert sum(report.counted.values()) == 3
    assert all(what.startswith(("severity inconnu", "priority inconnu")) for what in report.counted)


# --- text ----------------------------------------------------------------------------------


def test_clean_text_normalises_line_ends_only() -> None:
    raw = "ligne 1\r\nligne 2\rligne 3\n<script>alert(1)</script> a < b &amp; \ufffd\x00"
    assert (
        clean_text(raw) == "ligne 1\nligne 2\nligne 3\n<script>alert(1)</script> a < b &amp; \ufffd"
    )
    assert clean_text(None) == ""
    assert clean_text("  espaces gardés  ") == "  espaces gardés  "


def test_fit_keeps_a_short_text() -> None:
    assert fit("court", 10, "x.txt") == ("court", None)
    assert fit("a" * 10, 10, "x.txt") == ("a" * 10, None)


def test_fit_cuts_at_the_limit_with_a_marker_and_returns_the_whole() -> None:
    text = "é" * 500
    cut, whole = fit(text, 200, "description-12.txt")
    marker = TRUNCATED.format(name="description-12.txt")
    assert whole == text
    assert len(cut) == 200
    assert cut.endswith(marker)
    assert cut.startswith("é" * (200 - len(marker)))
    assert "« description-12.txt »" in marker


# --- file types ----------------------------------------------------------------------------


def test_file_type_png_matching_its_bytes() -> None:
    assert file_type("Capture d\u2019écran 1.PNG", _png()[:8192]) == ("image/png", "PNG")


def test_file_type_pdf_and_text() -> None:
    assert file_type("facture.pdf", b"%PDF-1.4\n...") == ("application/pdf", "")
    assert file_type("export.csv", "nom;prénom\n".encode()) == ("text/csv", "")
    assert file_type("journal.log", b"<134> ok\n") == ("text/plain", "")


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("photo.png", b"%PDF-1.4"),  # content does not match the extension
        ("rapport.pdf", b"\x89PNG\r\n\x1a\n"),
        ("page.html", b"<html></html>"),  # not in the allow-list
        ("dessin.svg", b"<svg/>"),
        ("script.txt", b"#!/bin/sh\nrm -rf /\n"),  # text that is an executable
        ("notes.txt", b"<html><body>"),  # markup
        ("binaire.txt", b"abc\x00def"),
        ("sans-extension", b"anything"),
        ("archive.7z", b"7z\xbc\xaf\x27\x1c"),
    ],
)
def test_file_type_anything_else_is_a_download(name: str, head: bytes) -> None:
    assert file_type(name, head) == (OCTET_STREAM, "")


# --- digests and dates ---------------------------------------------------------------------


def test_digest_is_stable_and_sensitive_to_every_value() -> None:
    assert digest(1, "a", None) == digest(1, "a", None)
    assert len(digest(1)) == 32
    assert digest(1, "a") != digest(1, "b")
    assert digest(1, "a") != digest("1", "a")
    assert digest("ab", "c") != digest("a", "bc")


def test_moment_from_unix_seconds_utc_and_none_for_mantis_defaults() -> None:
    assert moment(1_700_000_000) == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert moment(1) is None
    assert moment(0) is None
    assert moment(None) is None


# --- report --------------------------------------------------------------------------------


def test_ranges_groups_consecutive_ids() -> None:
    assert _ranges([12, 3, 7, 8, 9, 3]) == "3, 7-9, 12"
    assert _ranges([5]) == "5"


def test_report_render_counts_and_left_out_rows() -> None:
    report = Report(source="root@127.0.0.1:3306/mantis", schema="213, MantisBT 2.x")
    report.table("bug").read = 1500
    report.table("bug").created = 1499
    report.leave_out("bug", 4, "projet laissé de côté")
    report.leave_out("bug", 5, "projet laissé de côté")
    report.count("étiquettes", 3)
    text = report.render()
    assert text.startswith("Import MantisBT\nSource : root@127.0.0.1:3306/mantis (schéma 213")
    assert "1 500" in text
    assert "1 499" in text
    assert "Total : 1499 créées, 0 mises à jour." in text
    assert "  étiquettes : 3" in text
    assert "  bug 4-5 : projet laissé de côté" in text


def test_report_dry_run_title() -> None:
    assert Report(dry_run=True).render().startswith("Import MantisBT — essai à blanc")


# --- the source: a user's mistakes ---------------------------------------------------------


def test_address_parse() -> None:
    address = SourceAddress.parse("mysql://ops:p%40ss@db.example:3307/mantis_prod")
    assert (address.user, address.password, address.host, address.port, address.database) == (
        "ops",
        "p@ss",
        "db.example",
        3307,
        "mantis_prod",
    )
    assert str(address) == "ops@db.example:3307/mantis_prod"
    assert SourceAddress.parse("mysql://127.0.0.1/m").port == 3306


@pytest.mark.parametrize(
    ("url", "start"),
    [
        ("postgres://x@h/db", "Adresse de la base MantisBT non reconnue"),
        ("mysql://root@127.0.0.1:3306/", "Nom de base manquant"),
        ("mysql://root@127.0.0.1:99999/db", "Port invalide"),
    ],
)
def test_address_parse_refuses_in_french(url: str, start: str) -> None:
    with pytest.raises(SourceError, match=f"^{start}"):
        SourceAddress.parse(url)


def test_bad_prefix_refused_before_connecting() -> None:
    with pytest.raises(SourceError, match="--table-prefix « x; DROP » : lettres"):
        MantisSource("mysql://root@127.0.0.1:1/none", prefix="x; DROP")


def test_unreachable_server() -> None:
    with pytest.raises(SourceError, match=r"^Serveur MantisBT 127\.0\.0\.1:1 injoignable"):
        MantisSource("mysql://root@127.0.0.1:1/none")


def test_unknown_database() -> None:
    with pytest.raises(SourceError, match=r"^La base « mantis_h1_absente » n'existe pas"):
        MantisSource(MARIADB + "mantis_h1_absente")


def test_wrong_password() -> None:
    with pytest.raises(
        SourceError, match=r"^Connexion à MantisBT refusée pour l'utilisateur « nobody_h1 »"
    ):
        MantisSource("mysql://nobody_h1:faux@127.0.0.1:3306/mysql")


def test_not_a_mantis_schema() -> None:
    # MariaDB's own `mysql` database has none of MantisBT's tables.
    with pytest.raises(SourceError, match="n'est pas une base MantisBT") as caught:
        MantisSource(MARIADB + "mysql")
    assert "mantis_bug_table" in str(caught.value)


# --- the source is never written; an import sends nothing ----------------------------------


def test_source_session_is_read_only(mantis_source: Any) -> None:
    source = MantisSource(mantis_source.url)
    try:
        assert source.version == 213
        assert source.series == "2.x"
        assert source.has("bug_file", "bugnote_id")
        with pytest.raises(pymysql.err.MySQLError) as caught:
            source.rows("UPDATE mantis_bug_table SET summary = 'x' WHERE id = 101")
        assert "READ ONLY" in str(caught.value)
    finally:
        source.close()
    assert mantis_source.query("SELECT summary FROM mantis_bug_table WHERE id = 101") == [
        {"summary": "La caisse ne s'ouvre plus"}
    ]


def test_schema_12x_detected_by_its_columns(mantis_source_12x: Any) -> None:
    source = MantisSource(mantis_source_12x.url)
    try:
        assert source.series == "1.2.x"
        assert not source.has("bug_file", "bugnote_id")
    finally:
        source.close()


@pytest.mark.django_db(transaction=True)
def test_import_sends_nothing_and_sets_the_counter(mantis_source: Any, media: Path) -> None:
    out = io.StringIO()
    call_command(
        "import_mantis",
        "--source",
        mantis_source.url,
        "--files-dir",
        str(mantis_source.files_dir),
        "--skip-project",
        "ATM interne",
        "--user-organisation",
        "paul@conseil-paul.fr=Cabinet Durand",
        "--user-organisation",
        "marie.martin@boulangerie-martin.fr=Boulangerie Martin",
        "--batch-size",
        "2",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert "Total : 0 créées" not in out.getvalue()
    assert Ticket.objects.count() > 0
    assert Event.objects.count() == 0
    assert Notification.objects.count() == 0
    assert AllowanceMail.objects.count() == 0
    assert Counter.objects.get(name=TICKET_SEQUENCE).value == max(
        Ticket.objects.values_list("number", flat=True)
    )
    # Field changes are stored under our field names with our values.
    changes = set(
        HistoryEntry.objects.filter(ticket__number=106).values_list(
            "field", "old_value", "new_value"
        )
    )
    assert ("state", State.ASSIGNED, State.RESOLVED) in changes


# --- progress ------------------------------------------------------------------------------


def test_progress_plain_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    bar = terminal_progress(stream)("bugnote", 20)
    for _ in range(20):
        bar.update(1)
    bar.close()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "bugnote : 20 lignes à lire"
    assert lines[-1] == "bugnote : 20/20 lues"
    assert "bugnote : 2/20" in lines
    assert len(lines) < 20  # one line per tenth, not per row


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal() -> None:
    stream = _Terminal()
    bar = terminal_progress(stream)("bug", 10)
    assert isinstance(bar, tqdm)
    bar.update(10)
    bar.close()
    assert "bug" in stream.getvalue()
    assert "10/10" in stream.getvalue()


# --- a text grown too long in MantisBT after a first run ------------------------------------

IMPORT_ARGS = (
    "--skip-project",
    "ATM interne",
    "--user-organisation",
    "paul@conseil-paul.fr=Cabinet Durand",
    "--user-organisation",
    "marie.martin@boulangerie-martin.fr=Boulangerie Martin",
)


def _import(source: Any) -> str:
    out = io.StringIO()
    call_command(
        "import_mantis",
        "--source",
        source.url,
        "--files-dir",
        str(source.files_dir),
        *IMPORT_ARGS,
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_text_made_too_long_later_is_cut_and_attached_whole_once(
    mantis_source: Any, media: Path
) -> None:
    _import(mantis_source)
    description = "Très long texte. " * 1500
    note = "Note longue. " * 2000
    mantis_source.execute(
        "UPDATE mantis_bug_text_table SET description = %s WHERE id = 103;"
        "UPDATE mantis_bug_table SET last_updated = last_updated + 60 WHERE id = 103;"
        "UPDATE mantis_bugnote_text_table SET note = %s WHERE id = 1002;"
        "UPDATE mantis_bugnote_table SET last_modified = last_modified + 60 WHERE id = 1002;",
        (description, note),
    )
    _import(mantis_source)
    ticket = Ticket.objects.get(number=103)
    assert len(ticket.description) == DESCRIPTION_MAX
    whole = Attachment.objects.get(ticket=ticket, original_name="description-complete.txt")
    with whole.file.open("rb") as stored:
        assert stored.read() == description.encode()
    assert whole.content_type == "text/plain"
    noted = Attachment.objects.get(ticket__number=102, original_name="note-1002.txt")
    assert noted.note is not None
    assert noted.note.text.endswith(TRUNCATED.format(name="note-1002.txt"))
    with noted.file.open("rb") as stored:
        assert stored.read() == note.encode()
    # Another change of the same ticket: the whole text is attached already, not twice.
    mantis_source.execute(
        "UPDATE mantis_bug_table SET priority = 60, last_updated = last_updated + 60 WHERE id = 103"
    )
    count = Attachment.objects.count()
    assert "Total : 0 créées, 1 mises à jour." in _import(mantis_source)
    assert Attachment.objects.count() == count
