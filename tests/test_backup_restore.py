"""The restore drill: back the portal up, restore it into a new database and storage, serve it.

Everything is real: pg_dump and pg_restore against the suite's PostgreSQL, a database created for
the drill and dropped after it, `manage.py restore` and gunicorn in their own processes with the
environment an operator would give them, and a client who logs in over HTTP and gets back the
ticket, its note and the very bytes of its files. docs/operations.md describes the same drill.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from django.conf import global_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from tests.factories import PASSWORD, ClientFactory, StaffFactory, make_ticket
from tests.tickets.test_attachments import PDF, image_bytes
from tickets.attachments import attachments_store, validate_uploads
from tickets.backups import MANIFEST_FILE, sha256
from tickets.models import Attachment, Ticket
from tickets.workflow import note_add

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump sees committed rows only

SUMMARY = "Le module de facturation plante à l'export"
NOTE = "Corrigé en version 18.2 : merci de réessayer l'export."
PNG = image_bytes("PNG", (64, 48))


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    location = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    return location


@pytest.fixture
def portal(media: Path, client_user: Any) -> dict[str, Any]:
    """An organisation, its client, a ticket with a staff note and two files (one an image)."""
    ClientFactory(email="marc@cabinet-durand.fr")  # another organisation, restored alike
    ticket = make_ticket(reporter=client_user, summary=SUMMARY)
    tech = StaffFactory()
    note = note_add(ticket=ticket, author=tech, text=NOTE)
    uploads = [
        SimpleUploadedFile("facture.pdf", PDF, content_type="application/pdf"),
        SimpleUploadedFile("écran.png", PNG, content_type="image/png"),
    ]
    pdf, png = attachments_store(ticket=ticket, files=validate_uploads(uploads), by=tech, note=note)
    assert png.thumbnail  # three files in the storage: the PDF, the PNG and its thumbnail
    return {"ticket": ticket, "pdf": pdf, "png": png, "client": client_user}


def backup(dest: Path) -> Path:
    call_command("backup", dest=str(dest), stdout=io.StringIO())
    [folder] = [path for path in dest.iterdir() if not path.name.startswith(".")]
    return folder


def _server_params() -> dict[str, Any]:
    settings = connection.settings_dict
    return {
        "host": settings["HOST"] or "127.0.0.1",
        "port": settings["PORT"] or 5432,
        "user": settings["USER"] or "postgres",
        "password": settings["PASSWORD"] or None,
    }


def _admin(sql: str) -> None:
    admin = psycopg2.connect(dbname="postgres", **_server_params())
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql)
    finally:
        admin.close()


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """A new, empty database beside the test database, dropped after the test."""
    name = f"{connection.settings_dict['NAME']}_restore_{secrets.token_hex(4)}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def environment(database: str, media: Path) -> dict[str, str]:
    """What an operator exports to run the portal on the restored copy (no Redis, no SMTP)."""
    params = _server_params()
    password = f":{urllib.parse.quote(params['password'])}" if params["password"] else ""
    return {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{params['user']}{password}@{params['host']}:{params['port']}/{database}"
        ),
        "PRIVATE_MEDIA_ROOT": str(media),
        "ATTACHMENTS_S3_BUCKET": "",
        "REDIS_URL": "",
        "CACHE_URL": "",
        "CELERY_BROKER_URL": "",
        "EMAIL_HOST": "",
        "DEBUG": "0",
        "STATIC_MANIFEST": "0",
        "SECURE_HTTPS": "0",
        "DJANGO_SETTINGS_MODULE": "atm_support.settings",
    }


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def table_counts(database: str) -> dict[str, int]:
    """Rows of every table of the public schema, counted exactly."""
    conn = psycopg2.connect(dbname=database, **_server_params())
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
            tables = [row[0] for row in cursor.fetchall()]
            counts = {}
            for table in tables:
                cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - catalog names
                counts[table] = cursor.fetchone()[0]
            return counts
    finally:
        conn.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Browser:
    """A visitor with a cookie jar, over real HTTP, who does not follow redirects to files."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> tuple[int, str, bytes]:
        try:
            with self.opener.open(self.base + path, timeout=30) as response:
                return response.status, response.url, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.url, error.read()

    def login(self, email: str, password: str) -> None:
        status, _, page = self.get("/connexion/")
        assert status == 200
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None
        form = urllib.parse.urlencode(
            {"username": email, "password": password, "csrfmiddlewaretoken": token.group(1)}
        ).encode()
        with self.opener.open(self.base + "/connexion/", data=form, timeout=30) as response:
            assert "/connexion/" not in response.url, "the login was refused"


@pytest.fixture
def serve() -> Iterator[Any]:
    """Start gunicorn on a free port with the given environment; stopped after the test."""
    started: list[subprocess.Popen[bytes]] = []

    def start(env: dict[str, str], log: Path) -> str:
        port = _free_port()
        with log.open("wb") as output:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "atm_support.wsgi:application",
                    f"--bind=127.0.0.1:{port}",
                    "--workers=1",
                ],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):  # readiness, not speed: up to a minute on a loaded machine
            assert process.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(base + "/connexion/", timeout=5):
                    return base
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"gunicorn did not answer: {log.read_text()}")

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=30)


def test_a_backup_restored_into_a_new_database_serves_the_same_tickets_and_files(
    portal: dict[str, Any],
    media: Path,
    tmp_path: Path,
    fresh_database: str,
    serve: Any,
    settings: Any,
) -> None:
    # The restored server checks passwords with the real hashers, not the suite's fast one.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    portal["client"].set_password(PASSWORD)
    portal["client"].save(update_fields=["password"])
    folder = backup(tmp_path / "backups")

    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    assert re.fullmatch(r"atm-support-\d{8}-\d{6}", folder.name)
    assert manifest["attachments"]["files"] == 3
    for part in ("database", "attachments"):
        assert manifest[part]["sha256"] == sha256(folder / manifest[part]["file"])
    sums = subprocess.run(
        ["sha256sum", "--check", "SHA256SUMS"], cwd=folder, capture_output=True, text=True
    )
    assert sums.returncode == 0, sums.stdout + sums.stderr

    # A storage that already holds a file is refused, and the database is left untouched.
    cluttered = tmp_path / "cluttered"
    (cluttered / "attachments").mkdir(parents=True)
    (cluttered / "attachments" / "autre").write_bytes(b"x")
    refused = manage("restore", "--from", str(folder), env=environment(fresh_database, cluttered))
    assert refused.returncode != 0
    assert "Le stockage des pièces jointes n'est pas vide" in refused.stderr
    assert table_counts(fresh_database) == {}

    restored_media = tmp_path / "restored-media"
    env = environment(fresh_database, restored_media)
    result = manage("restore", "--from", str(folder), env=env)
    assert result.returncode == 0, result.stderr
    assert "3 fichier(s) joint(s)" in result.stdout

    assert table_counts(fresh_database) == table_counts(connection.settings_dict["NAME"])
    stored = sorted(p.relative_to(restored_media) for p in restored_media.rglob("*") if p.is_file())
    assert stored == sorted(p.relative_to(media) for p in media.rglob("*") if p.is_file())

    # Served from the restored copy alone: the source's database and files are out of reach.
    base = serve(env, tmp_path / "gunicorn.log")
    ticket: Ticket = portal["ticket"]
    pdf: Attachment = portal["pdf"]
    anonymous = Browser(base)
    status, landed, _ = anonymous.get(f"/pieces-jointes/{pdf.pk}/")
    assert (status, urllib.parse.urlsplit(landed).path) == (200, "/connexion/")

    visitor = Browser(base)
    visitor.login(portal["client"].email, PASSWORD)
    status, _, page = visitor.get(ticket.get_absolute_url())
    assert status == 200
    text = html.unescape(page.decode())
    assert ticket.display_number in text
    assert SUMMARY in text
    assert NOTE in text
    assert f"/pieces-jointes/{pdf.pk}/" in text

    for attachment, content in ((pdf, PDF), (portal["png"], PNG)):
        status, _, body = visitor.get(f"/pieces-jointes/{attachment.pk}/")
        assert status == 200
        assert hashlib.sha256(body).hexdigest() == hashlib.sha256(content).hexdigest()
    status, _, thumbnail = visitor.get(f"/pieces-jointes/{portal['png'].pk}/miniature/")
    assert (status, thumbnail[:8]) == (200, b"\x89PNG\r\n\x1a\n")

    # Restoring again over the copy now in use takes --force.
    again = manage("restore", "--from", str(folder), env=env)
    assert again.returncode != 0
    assert f"La base « {fresh_database} » n'est pas vide" in again.stderr
    assert "--force" in again.stderr
    forced = manage("restore", "--from", str(folder), "--force", env=env)
    assert forced.returncode == 0, forced.stderr
    assert table_counts(fresh_database) == table_counts(connection.settings_dict["NAME"])


def test_restore_refuses_a_database_that_is_not_empty(
    portal: dict[str, Any], tmp_path: Path, settings: Any
) -> None:
    folder = backup(tmp_path / "backups")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "empty")},
        },
    }
    Ticket.objects.filter(pk=portal["ticket"].pk).update(summary="Modifié après la sauvegarde")

    with pytest.raises(CommandError, match="n'est pas vide") as refused:
        call_command("restore", source=str(folder))

    assert "--force" in str(refused.value)
    assert Ticket.objects.get(pk=portal["ticket"].pk).summary == "Modifié après la sauvegarde"
    assert not (tmp_path / "empty").exists()


@pytest.mark.parametrize("part", ["database.dump", "attachments.tar"])
def test_restore_refuses_a_backup_that_does_not_match_its_sums(
    portal: dict[str, Any], tmp_path: Path, part: str
) -> None:
    folder = backup(tmp_path / "backups")
    damaged = bytearray((folder / part).read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    (folder / part).write_bytes(bytes(damaged))

    with pytest.raises(CommandError, match=f"Sauvegarde altérée : la somme SHA-256 de {part}"):
        call_command("restore", source=str(folder), force=True)

    assert Ticket.objects.get(pk=portal["ticket"].pk).summary == SUMMARY
