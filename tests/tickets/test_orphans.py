"""Attachment files no row points to (tickets/orphans.py, `manage.py purge_orphan_files`)."""

from __future__ import annotations

import os
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from tests.factories import make_ticket
from tests.tickets.test_attachments import image_bytes, store, upload
from tickets import tasks
from tickets.models import Attachment, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    location = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(location)}},
    }
    return location


def files(media: Path) -> set[str]:
    return {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()}


def age(media: Path, hours: float) -> None:
    """Every stored file written `hours` ago."""
    when = time.time() - hours * 3600
    for path in media.rglob("*"):
        if path.is_file():
            os.utime(path, (when, when))


def run(*args: str) -> str:
    out = StringIO()
    call_command("purge_orphan_files", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def kept(client_user) -> Attachment:
    """An attachment whose row exists, with its thumbnail."""
    ticket = make_ticket(reporter=client_user)
    (attachment,) = store(ticket, client_user, upload("capture.png", image_bytes()))
    assert attachment.thumbnail
    return attachment


@pytest.fixture
def rolled_back(client_user) -> None:
    """The files of an upload whose transaction rolled back: written, no row."""
    ticket = make_ticket(reporter=client_user)
    before = {a.file.name for a in Attachment.objects.all()}

    def refused_note() -> None:
        with transaction.atomic():
            store(ticket, client_user, upload("perdu.png", image_bytes()))
            raise RuntimeError("the note was refused")

    with pytest.raises(RuntimeError):
        refused_note()
    assert {a.file.name for a in Attachment.objects.all()} == before


def test_files_of_a_rolled_back_upload_are_purged_the_kept_ones_stay(kept, rolled_back, media):
    stored = files(media)
    keep = {kept.file.name, kept.thumbnail.name}
    orphans = stored - keep
    assert len(orphans) == 2  # the file and its thumbnail
    age(media, 2)

    dry = run("--dry-run")
    assert "2 fichier(s) orphelin(s)" in dry
    assert "rien supprimé" in dry
    assert files(media) == stored

    out = run()
    assert "2 fichier(s) orphelin(s) supprimé(s)" in out
    for name in orphans:
        assert name in out
    assert files(media) == keep
    assert run() == "Aucun fichier orphelin.\n"


def test_recent_files_are_left_to_the_uploads_in_progress(kept, rolled_back, media):
    assert "Aucun fichier orphelin." in run()  # written just now: an upload may still commit
    age(media, 2)
    assert "Aucun fichier orphelin." in run("--older-than", "3")
    assert "supprimé(s)" in run("--older-than", "1")


def test_a_deleted_tickets_files_are_purged(kept, media):
    Ticket.objects.filter(pk=kept.ticket_id).delete()
    age(media, 2)
    assert tasks.purge_orphan_files() == 2
    assert files(media) == set()


def test_the_raw_mail_of_a_rolled_back_routing_is_purged_the_recorded_one_stays(media, monkeypatch):
    """A mail whose routing failed: its first .eml was written in the transaction that rolled
    back, the second with the « Erreurs » row that fetch records next (mail.inbound.fetch)."""
    from mail.inbound.parsing import parse
    from notifications import inbound
    from notifications.models import InboundMail

    raw = (
        b"From: camille@client.fr\r\nTo: support@atm-consulting.fr\r\nSubject: Bonjour\r\n"
        b"Message-ID: <perdu@client.fr>\r\n\r\nBonjour.\r\n"
    )
    incoming = parse(raw)

    def broken(*args: object) -> None:
        raise RuntimeError("disque plein")

    monkeypatch.setattr(inbound, "_route", broken)
    with pytest.raises(RuntimeError):
        inbound.router.receive(raw, incoming)
    inbound.router.failed(raw, incoming, RuntimeError("disque plein"))
    recorded = InboundMail.objects.get().raw.name
    stored = files(media)
    assert len(stored) == 2
    assert all(name.startswith("inbound/") for name in stored)
    age(media, 2)

    out = run()
    assert "1 fichier(s) orphelin(s) supprimé(s)" in out
    (orphan,) = stored - {recorded}
    assert orphan in out
    assert files(media) == {recorded}


@pytest.mark.parametrize(("value", "message"), [("x", "nombre d'heures"), ("0", "au moins 1")])
def test_bad_arguments_are_refused_with_a_clear_message(value, message):
    with pytest.raises(CommandError, match=message):
        run("--older-than", value)


def test_nothing_stored_yet():
    assert run() == "Aucun fichier orphelin.\n"
