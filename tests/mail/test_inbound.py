"""E-mail in, end to end: messages put in a real Dovecot with IMAP APPEND, read by
mail.inbound.fetch, routed by notifications/inbound.py; the mails it causes are delivered
through real SMTP (tests/conftest.py's sink)."""

from __future__ import annotations

import email
import io
import os
import signal
import subprocess
import sys
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from accounts.models import User
from mail.inbound import fetch, tokens
from mail.inbound.mailbox import FAILED, PROCESSED
from mail.models import Status
from notifications.delivery import deliver
from notifications.models import Inbound, InboundMail, Notification, Reason
from tests.factories import ClientFactory, StaffFactory, make_ticket
from tests.notifications.conftest import wait_until
from tickets.models import Attachment, Note, State, Ticket, TicketLink
from tickets.workflow import ticket_assign, ticket_change_state

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = "support@atm-consulting.fr"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def solid_png(width: int, height: int) -> bytes:
    """A real PNG of width x height, one grey: a few kB for megapixels."""
    buffer = io.BytesIO()
    Image.new("L", (width, height), color=128).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def inbound(mailbox_url, settings, smtp):
    settings.INBOUND_IMAP_URL = mailbox_url
    settings.INBOUND_ADDRESS = SUPPORT
    return mailbox_url


@pytest.fixture
def desk(organisation, other_organisation):
    """A client's ticket in « Commentaire », handled by a technician."""

    class Desk:
        pass

    desk = Desk()
    desk.client = ClientFactory(organisation=organisation, email="camille@client.fr")
    desk.colleague = ClientFactory(organisation=organisation, email="alex@client.fr")
    desk.stranger = ClientFactory(organisation=other_organisation, email="eve@ailleurs.fr")
    desk.tech = StaffFactory(email="tom@atm-consulting.fr")
    desk.ticket = make_ticket(reporter=desk.client, summary="La facture ne s'imprime pas")
    ticket_assign(ticket=desk.ticket, handler=desk.tech, by=desk.tech)
    ticket_change_state(ticket=desk.ticket, to=State.FEEDBACK, by=desk.tech)
    desk.ticket.refresh_from_db()
    Notification.objects.all().delete()
    return desk


def reply_address(ticket: Ticket, user: User) -> str:
    return tokens.reply_address(ticket.number, user.pk)


def message(
    *,
    sender: str,
    to: str = SUPPORT,
    subject: str = "Re: [ATM 0000001] La facture",
    text: str | None = "Bonjour,\n\nC'est corrigé, merci.\n",
    html: str | None = None,
    headers: dict[str, str] | None = None,
    files: list[tuple[str, bytes, str]] = (),
    message_id: str | None = None,
) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = "Thu, 03 Dec 2026 09:15:00 +0100"
    mail["Message-ID"] = message_id or make_msgid(domain="client.fr")
    for name, value in (headers or {}).items():
        mail[name] = value
    if text is not None:
        mail.set_content(text)
    if html is not None:
        if text is None:
            mail.set_content(html, subtype="html")
        else:
            mail.add_alternative(html, subtype="html")
    for filename, content, mimetype in files:
        maintype, subtype = mimetype.split("/")
        mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return mail.as_bytes()


def put(dovecot, raw: bytes) -> None:
    dovecot.append(raw)


def read_mailbox() -> dict[str, int]:
    return dict(fetch.fetch())


def deliver_all() -> None:
    for pk in Notification.objects.filter(status=Status.QUEUED).values_list("pk", flat=True):
        deliver(pk)


pytestmark = pytest.mark.django_db


def test_a_reply_with_its_token_is_a_note_and_answers_the_commentaire(inbound, dovecot, desk, smtp):
    put(
        dovecot,
        message(
            sender="Camille Client <Camille@Client.fr>",
            to=reply_address(desk.ticket, desk.client),
            text="Voici le numéro de facture : F-2026-118.\n\n-- \nCamille\n",
        ),
    )

    assert read_mailbox() == {PROCESSED: 1}

    [note] = Note.objects.filter(ticket=desk.ticket)
    assert note.author == desk.client
    assert note.text == "Voici le numéro de facture : F-2026-118."
    desk.ticket.refresh_from_db()
    assert desk.ticket.state == State.ASSIGNED
    mail = InboundMail.objects.get()
    assert (mail.status, mail.ticket, mail.note, mail.user) == (
        Inbound.NOTE,
        desk.ticket,
        note,
        desk.client,
    )
    assert mail.raw.read().startswith(b"From: Camille Client")
    assert dovecot.count("INBOX") == 0
    assert dovecot.count(PROCESSED) == 1
    # The handler hears of it as of a note typed in the portal: one mail, with the new state.
    [row] = Notification.objects.all()
    assert (row.recipient, row.event.note, row.event.new_state) == (desk.tech, note, State.ASSIGNED)
    deliver_all()
    [sent] = smtp.to(desk.tech.email)
    assert "F-2026-118" in sent.text


def test_notification_mails_carry_a_signed_reply_to_and_the_ticket_thread(inbound, desk, smtp):
    from tickets.workflow import note_add

    note_add(ticket=desk.ticket, author=desk.tech, text="Pouvez-vous préciser ?")
    deliver_all()
    [sent] = smtp.to(desk.client.email)
    reply_to = sent.message["Reply-To"]
    assert reply_to == reply_address(desk.ticket, desk.client)
    local = reply_to.split("@")[0]
    assert local.startswith(f"support+{desk.ticket.number:07d}.{desk.client.pk}.")
    assert len(local) <= 64
    assert sent.message["References"] == f"<ticket-{desk.ticket.number}@atm-consulting.fr>"
    assert "répondez simplement à cet e-mail" in sent.text
    # Another user's or another ticket's address cannot be made from it.
    tag = local.split("+", 1)[1]
    assert tokens.read_tag(tag) == (desk.ticket.number, desk.client.pk)
    forged = tag.replace(f".{desk.client.pk}.", f".{desk.colleague.pk}.")
    assert tokens.read_tag(forged) is None


def test_a_reply_matched_by_in_reply_to_without_a_token(inbound, dovecot, desk, smtp):
    from tickets.workflow import note_add

    note_add(ticket=desk.ticket, author=desk.tech, text="Une précision ?")
    sent = Notification.objects.get(recipient=desk.client)
    put(
        dovecot,
        message(
            sender=desk.client.email,
            text="Oui : le bouton Imprimer.",
            headers={
                "In-Reply-To": f"<notification-{sent.pk}@atm-consulting.fr>",
                "References": f"<ticket-{desk.ticket.number}@atm-consulting.fr> "
                f"<notification-{sent.pk}@atm-consulting.fr>",
            },
        ),
    )
    read_mailbox()
    assert Note.objects.filter(ticket=desk.ticket, author=desk.client).get().text == (
        "Oui : le bouton Imprimer."
    )


def test_a_new_mail_opens_a_ticket_acknowledged_with_its_number_and_link(
    inbound, dovecot, desk, smtp, settings
):
    put(
        dovecot,
        message(
            sender=desk.colleague.email,
            subject="Export comptable en erreur",
            text="L'export du mois s'arrête à 50 %.\n",
            files=[("capture.png", PNG, "image/png")],
        ),
    )
    read_mailbox()

    ticket = Ticket.objects.exclude(pk=desk.ticket.pk).get()
    assert (ticket.reporter, ticket.organisation, ticket.summary, ticket.state) == (
        desk.colleague,
        desk.colleague.organisation,
        "Export comptable en erreur",
        State.NEW,
    )
    assert ticket.description == "L'export du mois s'arrête à 50 %."
    [attachment] = Attachment.objects.filter(ticket=ticket)
    assert (attachment.original_name, attachment.content_type) == ("capture.png", "image/png")
    ack = Notification.objects.get(recipient=desk.colleague)
    assert ack.reason == Reason.ACKNOWLEDGEMENT
    deliver_all()
    [sent] = smtp.to(desk.colleague.email)
    assert f"enregistrée sous le numéro {ticket.display_number}" in sent.text
    assert settings.SITE_URL + ticket.get_absolute_url() in sent.text
    assert sent.message["Reply-To"] == reply_address(ticket, desk.colleague)


def test_html_only_mail_becomes_text(inbound, dovecot, desk):
    put(
        dovecot,
        message(
            sender=desk.client.email,
            to=reply_address(desk.ticket, desk.client),
            text=None,
            html="<html><head><style>p{color:red}</style><script>alert(1)</script></head>"
            "<body><p>Toujours <b>bloqué</b> &amp; pressé.</p></body></html>",
        ),
    )
    read_mailbox()
    note = Note.objects.get(ticket=desk.ticket)
    assert note.text == "Toujours bloqué & pressé."


def test_good_attachments_are_kept_and_hostile_ones_named_in_the_note(inbound, dovecot, desk):
    put(
        dovecot,
        message(
            sender=desk.client.email,
            to=reply_address(desk.ticket, desk.client),
            text="Les fichiers.",
            files=[
                ("écran.png", PNG, "image/png"),
                ("outil.exe", b"MZ\x90\x00" + b"\x00" * 200, "application/octet-stream"),
                ("faux.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
            ],
        ),
    )
    read_mailbox()
    note = Note.objects.get(ticket=desk.ticket)
    assert [a.original_name for a in Attachment.objects.filter(note=note)] == ["écran.png"]
    assert note.text.startswith("Les fichiers.\n\nPièces jointes refusées :\n")
    assert "« outil.exe »" in note.text
    assert "« faux.pdf »" in note.text


def test_images_past_the_pixel_budget_are_refused_before_they_are_decoded(
    inbound, dovecot, desk, settings, monkeypatch
):
    """A mail is one submission: its images share the portal's pixel budget, counted from their
    headers; a part that does not fit is named in the note and never verified nor decoded."""
    settings.MAX_IMAGE_PIXELS_PER_REQUEST = 2_000_000
    verified: list[tuple[int, int]] = []
    original_verify = PngImagePlugin.PngImageFile.verify

    def verify(self):
        verified.append(self.size)
        return original_verify(self)

    monkeypatch.setattr(PngImagePlugin.PngImageFile, "verify", verify)
    put(
        dovecot,
        message(
            sender=desk.client.email,
            to=reply_address(desk.ticket, desk.client),
            text="Les captures.",
            files=[
                ("photo-1.png", solid_png(1500, 1000), "image/png"),
                ("photo-2.png", solid_png(1000, 1000), "image/png"),
                ("écran.png", PNG, "image/png"),
            ],
        ),
    )
    read_mailbox()
    note = Note.objects.get(ticket=desk.ticket)
    kept = [a.original_name for a in Attachment.objects.filter(note=note)]
    assert kept == ["photo-1.png", "écran.png"]
    assert note.text == (
        "Les captures.\n\nPièces jointes refusées :\n"
        "- « photo-2.png » : refusé, les images de cet envoi dépasseraient 2 mégapixels en "
        "tout. Envoyez-la à part, ou réduite."
    )
    assert (1500, 1000) in verified
    assert (1000, 1000) not in verified


@pytest.mark.parametrize("who", ["colleague", "stranger"])
def test_a_forged_from_with_another_users_token_attaches_nothing(inbound, dovecot, desk, smtp, who):
    sender = getattr(desk, who)
    put(dovecot, message(sender=sender.email, to=reply_address(desk.ticket, desk.client)))
    read_mailbox()
    assert not Note.objects.exists()
    mail = InboundMail.objects.get()
    assert mail.status == Inbound.UNATTACHED
    assert "n'est pas le destinataire" in mail.reason
    assert not Notification.objects.exists()
    assert dovecot.count(PROCESSED) == 1


def test_a_token_of_another_organisations_ticket(inbound, dovecot, desk, other_organisation):
    """Eve received mails about her own organisation's ticket; its token names that ticket, and
    a hand-made one for ours fails its signature."""
    theirs = make_ticket(reporter=desk.stranger)
    forged = reply_address(theirs, desk.stranger).replace(
        f"+{theirs.number:07d}.", f"+{desk.ticket.number:07d}."
    )
    put(dovecot, message(sender=desk.stranger.email, to=forged))
    read_mailbox()
    mail = InboundMail.objects.get()
    assert (mail.status, mail.ticket) == (Inbound.UNATTACHED, None)
    assert "signature" in mail.reason
    assert not Note.objects.filter(ticket=desk.ticket).exists()


def test_a_user_moved_to_another_organisation_can_no_longer_answer(inbound, dovecot, desk):
    address = reply_address(desk.ticket, desk.client)
    desk.client.organisation = desk.stranger.organisation
    desk.client.save()
    put(dovecot, message(sender=desk.client.email, to=address))
    read_mailbox()
    mail = InboundMail.objects.get()
    assert mail.status == Inbound.UNATTACHED
    assert "n'a pas accès au ticket" in mail.reason


def test_a_deactivated_or_unknown_sender_opens_nothing_and_gets_no_answer(
    inbound, dovecot, desk, smtp
):
    desk.colleague.is_active = False
    desk.colleague.save()
    put(dovecot, message(sender=desk.colleague.email, subject="Nouveau problème"))
    put(dovecot, message(sender="inconnu@spam.example", subject="Gagnez un iPhone"))
    put(
        dovecot,
        message(sender=desk.colleague.email, to=reply_address(desk.ticket, desk.colleague)),
    )
    assert read_mailbox() == {PROCESSED: 3}
    assert Ticket.objects.count() == 1
    assert not Note.objects.exists()
    reasons = sorted(InboundMail.objects.values_list("status", "reason"))
    assert [status for status, _ in reasons] == [Inbound.UNATTACHED] * 3
    assert any("désactivé" in reason for _, reason in reasons)
    assert any("inconnu" in reason for _, reason in reasons)
    assert not Notification.objects.exists()
    deliver_all()
    assert smtp.messages == []


def test_an_auto_reply_loop_sends_zero_extra_mails(inbound, dovecot, desk, smtp):
    """Our note's mail reaches a client whose mailbox answers by itself: that answer, read from
    the mailbox, causes nothing, so there is nothing for their autoresponder to answer again."""
    from tickets.workflow import note_add

    note_add(ticket=desk.ticket, author=desk.tech, text="Avez-vous essayé ?")
    deliver_all()
    [ours] = smtp.to(desk.client.email)
    smtp.clear()
    variants = [
        {"Auto-Submitted": "auto-replied"},
        {"X-Autoreply": "yes"},
        {"Precedence": "bulk"},
        {"Return-Path": "<>"},
    ]
    for headers in variants:
        put(
            dovecot,
            message(
                sender=desk.client.email,
                to=ours.message["Reply-To"],
                subject="Réponse automatique : absent",
                text="Je suis absente jusqu'au 5 janvier.",
                headers={"In-Reply-To": ours.message["Message-ID"], **headers},
            ),
        )
    before = Notification.objects.count()
    assert read_mailbox() == {PROCESSED: len(variants)}
    assert Notification.objects.count() == before
    assert Note.objects.filter(ticket=desk.ticket).count() == 1
    assert set(InboundMail.objects.values_list("status", flat=True)) == {Inbound.AUTOMATIC}
    deliver_all()
    assert smtp.messages == []


def test_a_bounce_marks_the_outbox_row_it_returns(inbound, dovecot, desk, smtp):
    from tickets.workflow import note_add

    note_add(ticket=desk.ticket, author=desk.tech, text="Avez-vous essayé ?")
    deliver_all()
    row = Notification.objects.get(recipient=desk.client)
    assert row.status == Status.SENT
    bounce = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.client.fr>\r\n"
        f"To: {SUPPORT}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-1@mx.client.fr>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.client.fr\r\n\r\nFinal-Recipient: rfc822; camille@client.fr\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: <notification-{row.pk}@atm-consulting.fr>\r\n"
        "Subject: [ATM] x\r\n--B--\r\n"
    ).encode()
    put(dovecot, bounce)
    read_mailbox()
    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert row.last_error.startswith("Rejeté par le serveur du destinataire")
    mail = InboundMail.objects.get()
    assert mail.status == Inbound.BOUNCE
    assert f"{row.pk}" in mail.reason
    assert Notification.objects.count() == 1


def test_the_same_message_seen_twice_is_handled_once(inbound, dovecot, desk):
    raw = message(
        sender=desk.client.email,
        to=reply_address(desk.ticket, desk.client),
        message_id="<deux-fois@client.fr>",
    )
    put(dovecot, raw)
    put(dovecot, raw)
    assert read_mailbox() == {PROCESSED: 2}
    assert Note.objects.filter(ticket=desk.ticket).count() == 1
    assert InboundMail.objects.count() == 1
    # A third copy, in a later read, too.
    put(dovecot, raw)
    assert read_mailbox() == {PROCESSED: 1}
    assert Note.objects.filter(ticket=desk.ticket).count() == 1


def test_a_mail_without_message_id_is_known_by_its_digest(inbound, dovecot, desk):
    raw = message(sender=desk.client.email, to=reply_address(desk.ticket, desk.client))
    raw = b"\r\n".join(line for line in raw.split(b"\n") if not line.startswith(b"Message-ID"))
    raw = raw.replace(b"\r\r\n", b"\r\n")
    assert b"Message-ID" not in raw
    put(dovecot, raw)
    put(dovecot, raw)
    read_mailbox()
    assert Note.objects.filter(ticket=desk.ticket).count() == 1
    assert InboundMail.objects.get().key.startswith("sha256:")


def test_a_reply_on_resolu_is_a_note_and_the_ticket_stays_resolu(inbound, dovecot, desk):
    ticket_change_state(ticket=desk.ticket, to=State.RESOLVED, by=desk.tech)
    put(dovecot, message(sender=desk.client.email, to=reply_address(desk.ticket, desk.client)))
    read_mailbox()
    desk.ticket.refresh_from_db()
    assert desk.ticket.state == State.RESOLVED
    assert Note.objects.get(ticket=desk.ticket).text == "Bonjour,\n\nC'est corrigé, merci."


def test_a_reply_on_a_closed_ticket_opens_its_follow_up(inbound, dovecot, desk):
    Ticket.objects.filter(pk=desk.ticket.pk).update(state=State.CLOSED)
    put(
        dovecot,
        message(
            sender=desk.client.email,
            to=reply_address(desk.ticket, desk.client),
            text="Le problème est revenu.",
        ),
    )
    read_mailbox()
    follow_up = Ticket.objects.exclude(pk=desk.ticket.pk).get()
    assert follow_up.summary.startswith(f"Suite du ticket {desk.ticket.display_number}")
    assert follow_up.description == "Le problème est revenu."
    assert (follow_up.reporter, follow_up.category) == (desk.client, desk.ticket.category)
    assert TicketLink.objects.filter(source=follow_up, target=desk.ticket).exists()
    assert not Note.objects.filter(ticket=desk.ticket).exists()
    assert Notification.objects.get(recipient=desk.client).reason == Reason.ACKNOWLEDGEMENT


def test_a_sender_is_capped_in_tickets_per_hour(inbound, dovecot, desk, settings):
    settings.INBOUND_TICKETS_PER_HOUR = 2
    for n in range(3):
        put(dovecot, message(sender=desk.colleague.email, subject=f"Problème {n}"))
    read_mailbox()
    assert Ticket.objects.filter(reporter=desk.colleague).count() == 2
    capped = InboundMail.objects.get(status=Inbound.UNATTACHED)
    assert capped.subject == "Problème 2"
    assert "dans l'heure" in capped.reason


def test_follow_ups_of_closed_tickets_count_in_the_senders_hourly_cap(
    inbound, dovecot, desk, settings
):
    """A « Suite du ticket … » is a ticket opened by mail: past the cap the reply waits for staff
    as a capped new mail does, with no ticket and no acknowledgement."""
    settings.INBOUND_TICKETS_PER_HOUR = 2
    Ticket.objects.filter(pk=desk.ticket.pk).update(state=State.CLOSED)
    put(dovecot, message(sender=desk.client.email, subject="Autre problème"))
    for n in range(2):
        put(
            dovecot,
            message(
                sender=desk.client.email,
                to=reply_address(desk.ticket, desk.client),
                subject=f"Re: relance {n}",
                text=f"Le problème est revenu ({n}).",
            ),
        )
    read_mailbox()
    opened = Ticket.objects.filter(reporter=desk.client).exclude(pk=desk.ticket.pk)
    assert sorted(t.summary for t in opened) == [
        "Autre problème",
        f"Suite du ticket {desk.ticket.display_number} : {desk.ticket.summary}",
    ]
    capped = InboundMail.objects.get(status=Inbound.UNATTACHED)
    assert (capped.subject, capped.ticket) == ("Re: relance 1", None)
    assert "a déjà ouvert 2 tickets par e-mail dans l'heure (au plus 2)" in capped.reason
    assert Notification.objects.filter(reason=Reason.ACKNOWLEDGEMENT).count() == 2
    assert not Note.objects.filter(ticket=desk.ticket).exists()


def test_a_message_that_cannot_be_handled_goes_to_erreurs(inbound, dovecot, desk, monkeypatch):
    from notifications import inbound as router

    def broken(*args, **kwargs):
        raise RuntimeError("disque plein")

    monkeypatch.setattr(router, "_route", broken)
    put(dovecot, message(sender=desk.client.email))
    assert read_mailbox() == {FAILED: 1}
    mail = InboundMail.objects.get()
    assert (mail.status, mail.reason) == (Inbound.FAILED, "RuntimeError: disque plein")
    assert dovecot.count(FAILED) == 1
    assert dovecot.count("INBOX") == 0
    # Seen again (copied back by hand), it goes back to « Erreurs » without a second row.
    [raw] = dovecot.fetch_all(FAILED)
    put(dovecot, raw)
    monkeypatch.undo()
    assert read_mailbox() == {FAILED: 1}
    assert InboundMail.objects.count() == 1


def test_a_30_mb_mail_is_handled_and_its_big_files_named(inbound, dovecot, desk):
    big = os.urandom(12 * 1024 * 1024)
    put(
        dovecot,
        message(
            sender=desk.client.email,
            to=reply_address(desk.ticket, desk.client),
            text="Les journaux.",
            files=[
                ("journal-1.zip", big, "application/zip"),
                ("journal-2.zip", big, "application/zip"),
                ("capture.png", PNG, "image/png"),
            ],
        ),
    )
    read_mailbox()
    note = Note.objects.get(ticket=desk.ticket)
    assert [a.original_name for a in Attachment.objects.filter(note=note)] == ["capture.png"]
    assert "« journal-1.zip » dépasse 10 Mo" in note.text
    assert "« journal-2.zip » dépasse 10 Mo" in note.text
    mail = InboundMail.objects.get()
    assert mail.size > 30 * 1024 * 1024
    assert mail.raw.size == mail.size


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_between_commit_and_move_is_recognised_next_time(
    mailbox_url, dovecot, organisation, tmp_path
):
    """`manage.py fetch_mail` SIGKILLed after its commit, before the move: the message is
    still in the inbox; the next read recognises it and only moves it."""
    from tests.notifications.conftest import _database_url

    client = ClientFactory(organisation=organisation, email="camille@client.fr")
    ticket = make_ticket(reporter=client)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.INBOUND_ADDRESS", SUPPORT, raising=False)
        address = reply_address(ticket, client)
    dovecot.append(message(sender=client.email, to=address, message_id="<tuer@client.fr>"))
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "DJANGO_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tests.mail.fetch_settings",
        DATABASE_URL=_database_url(),
        INBOUND_IMAP_URL=mailbox_url,
        INBOUND_ADDRESS=SUPPORT,
        STATIC_MANIFEST="0",
    )
    log = (tmp_path / "fetch.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "fetch_mail"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(
            lambda: (
                InboundMail.objects.filter(key="tuer@client.fr").exists()
                or process.poll() is not None
            ),
            timeout=60,
            what="the fetch's commit",
        )
        assert process.poll() is None, (tmp_path / "fetch.log").read_text()
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    assert dovecot.count("INBOX") == 1
    assert dovecot.count(PROCESSED) == 0
    assert Note.objects.filter(ticket=ticket).count() == 1

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.INBOUND_ADDRESS", SUPPORT, raising=False)
        assert dict(fetch.fetch(url=mailbox_url)) == {PROCESSED: 1}
    assert dovecot.count("INBOX") == 0
    assert dovecot.count(PROCESSED) == 1
    assert Note.objects.filter(ticket=ticket).count() == 1
    assert InboundMail.objects.count() == 1
    [raw] = dovecot.fetch_all(PROCESSED)
    assert email.message_from_bytes(raw)["Message-ID"] == "<tuer@client.fr>"


def test_a_message_the_parser_trips_on_goes_to_erreurs_and_the_next_ones_are_read(
    inbound, dovecot, desk, monkeypatch
):
    from mail.inbound import parsing

    real = parsing.parse

    def parse(raw):
        if b"Subject: piege" in raw:
            raise ValueError("analyse impossible")
        return real(raw)

    monkeypatch.setattr(fetch, "parse", parse)
    put(dovecot, message(sender=desk.client.email, subject="piege"))
    put(dovecot, message(sender=desk.client.email, to=reply_address(desk.ticket, desk.client)))
    assert read_mailbox() == {FAILED: 1, PROCESSED: 1}
    failed = InboundMail.objects.get(status=Inbound.FAILED)
    assert failed.key.startswith("sha256:")
    assert failed.reason == "ValueError: analyse impossible"
    assert Note.objects.filter(ticket=desk.ticket).count() == 1


MESSAGES = Path(__file__).parent / "messages"
SAMPLE_REPLY_TO = b"support+0000123.42.3f9a0c1d2e4b5a6f7081@atm-consulting.fr"


@pytest.mark.parametrize(
    "sample",
    ["gmail_reply", "outlook_web_reply", "outlook_desktop_reply", "thunderbird_reply"],
)
def test_real_french_reply_layouts_leave_only_the_new_text(inbound, dovecot, desk, sample):
    """Replies as Gmail, Outlook (web and desktop) and Thunderbird write them in French
    (tests/mail/messages), addressed to this ticket's reply address by its client."""
    import re

    raw = (MESSAGES / f"{sample}.eml").read_bytes()
    raw = raw.replace(SAMPLE_REPLY_TO, reply_address(desk.ticket, desk.client).encode())
    raw = re.sub(rb"(?m)^From: .*$", f"From: Camille <{desk.client.email}>".encode(), raw, count=1)
    put(dovecot, raw)
    read_mailbox()

    note = Note.objects.get(ticket=desk.ticket)
    assert note.author == desk.client
    for quoted in ("a écrit", "De :", "Envoyé :", "Message d'origine", "\n>", "Pouvez-vous"):
        assert quoted not in note.text
    assert note.text.startswith("Bonjour")
    mail = InboundMail.objects.get()
    # The whole message, quotes included, stays for staff (as IMAP carries it: CRLF lines).
    assert mail.raw.read() == raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def test_the_beat_task_reads_the_mailbox_and_skips_while_a_read_runs(inbound, dovecot, desk):
    from django.conf import settings
    from django.core.cache import cache

    from atm_support.celery import app
    from mail.tasks import FETCH_LOCK, fetch_inbound

    entry = settings.CELERY_BEAT_SCHEDULE["mail-fetch-inbound"]
    assert entry["task"] in app.tasks
    assert entry["schedule"] == settings.INBOUND_FETCH_EVERY == 60
    put(dovecot, message(sender=desk.client.email, to=reply_address(desk.ticket, desk.client)))

    cache.add(FETCH_LOCK, 1)  # another worker is reading the mailbox
    assert fetch_inbound.apply().get() == 0
    assert dovecot.count("INBOX") == 1
    cache.delete(FETCH_LOCK)
    assert fetch_inbound.apply().get() == 1
    assert Note.objects.filter(ticket=desk.ticket).count() == 1
    assert cache.get(FETCH_LOCK) is None


def test_off_while_no_mailbox_is_configured(settings, dovecot):
    from django.core.management import CommandError, call_command

    from mail.tasks import fetch_inbound

    settings.INBOUND_IMAP_URL = ""
    assert fetch_inbound.apply().get() == 0
    with pytest.raises(CommandError, match="INBOUND_IMAP_URL n'est pas réglé"):
        call_command("fetch_mail")


def test_fetch_mail_says_what_it_did_and_names_an_unreachable_mailbox(
    inbound, dovecot, desk, settings, closed_port, capsys
):
    from django.core.management import CommandError, call_command

    put(dovecot, message(sender=desk.client.email, to=reply_address(desk.ticket, desk.client)))
    call_command("fetch_mail")
    assert "1 message(s) traité(s), 0 en erreur." in capsys.readouterr().out
    settings.INBOUND_IMAP_URL = f"imap://support:x@127.0.0.1:{closed_port}/INBOX?tls=off"
    with pytest.raises(CommandError, match="Boîte du support injoignable"):
        call_command("fetch_mail")


def test_an_unreachable_mailbox_is_logged_and_tried_again_next_time(settings, closed_port, caplog):
    from mail.tasks import fetch_inbound

    settings.INBOUND_IMAP_URL = f"imap://support:x@127.0.0.1:{closed_port}/INBOX?tls=off"
    assert fetch_inbound.apply().get() == 0
    assert "the support mailbox is unreachable" in caplog.text
