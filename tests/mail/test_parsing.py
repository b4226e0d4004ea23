"""E-mail in, reading one mail (mail.inbound.parsing): the replies as the clients really write
them (tests/mail/messages/*.eml, in French), the automatic mails and bounces, and mails built
to break the parser. Pure: no database, no network."""

from __future__ import annotations

import base64
import hashlib
import random
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mail.inbound.parsing import (
    ATTACHMENTS_MAX,
    Incoming,
    Part,
    html_to_text,
    parse,
    reply_token,
    strip_reply,
)

MESSAGES = Path(__file__).parent / "messages"
TOKEN = "0000123.42.3f9a0c1d2e4b5a6f7081"
REPLY_TO = f"support+{TOKEN}@atm-consulting.fr"
SUBJECT = "[ATM 0000123] Erreur à la validation des factures — Nouvelle note"
NBSP = "\u00a0"


def raw(name: str) -> bytes:
    return (MESSAGES / name).read_bytes()


def load(name: str) -> Incoming:
    return parse(raw(name))


def html_alone(name: str) -> bytes:
    """The sample with only its HTML part: what a client that sends no text/plain writes."""
    original = BytesParser(policy=policy.default).parsebytes(raw(name))
    html = original.get_body(preferencelist=("html",))
    assert html is not None
    message = EmailMessage()
    for header in ("From", "To", "Subject", "Message-ID", "In-Reply-To", "References"):
        if original[header] is not None:
            message[header] = str(original[header])
    message.set_content(html.get_content(), subtype="html")
    return message.as_bytes()


def mail(headers: str, body: str = "Bonjour,\n\nUn test.\n") -> bytes:
    head = headers.strip("\n")
    if "content-type:" not in head.lower():
        head += "\nContent-Type: text/plain; charset=utf-8"
    return f"{head}\nMIME-Version: 1.0\n\n{body}".replace("\n", "\r\n").encode()


# ---------------------------------------------------------------------------------------------
# Replies as the clients write them


def test_outlook_web_reply_keeps_the_answer_above_the_outlook_header_block() -> None:
    incoming = load("outlook_web_reply.eml")

    assert incoming.reply == (
        "Bonjour,\n\n"
        "Le problème persiste après la mise à jour : la facture FA2612-0042 reste en brouillon "
        f"quand on clique sur «{NBSP}Valider{NBSP}».\n\n"
        "Cordialement,\nJean Dupont\nService comptabilité \u2013 Client Exemple SA"
    )
    assert incoming.text.startswith(incoming.reply + "\n\n________________________________\n")
    assert "De : ATM Support <support@atm-consulting.fr>\nEnvoyé : lundi" in incoming.text
    assert incoming.text.endswith("ATM Consulting — support@atm-consulting.fr")
    assert (
        incoming.key
        == incoming.message_id
        == ("PR3P195MB07121B6E5F3C2A4D8E9F0A1BC2D3E4F5A6B7@PR3P195MB0712.EURP195.PROD.OUTLOOK.COM")
    )
    assert incoming.sender == "jean.dupont@client-exemple.fr"
    assert incoming.sender_name == "Dupont, Jean"
    assert incoming.recipients == (REPLY_TO, "support@atm-consulting.fr")
    assert incoming.subject == f"RE: {SUBJECT}"
    assert incoming.in_reply_to == ("notification-42@atm-consulting.fr",)
    assert incoming.references == (
        "ticket-123@atm-consulting.fr",
        "notification-42@atm-consulting.fr",
    )
    assert incoming.attachments == ()
    assert (incoming.automatic, incoming.bounce, incoming.bounced_ids) == ("", False, ())
    assert incoming.size == len(raw("outlook_web_reply.eml"))
    assert reply_token(incoming.recipients, "support") == TOKEN


def test_outlook_desktop_reply_in_windows_1252_with_its_signature_logo() -> None:
    incoming = load("outlook_desktop_reply.eml")

    # The « De : » block has non-breaking spaces before its colons; the [cid:…] line is the
    # logo in Outlook's text version: the logo itself is a file.
    assert incoming.reply == (
        "Bonjour,\n\n"
        f"Merci, c\u2019est bien corrigé de notre côté{NBSP}: "
        "les factures se valident de nouveau.\n\n"
        "Bonne journée,\n\nJean Dupont\nService comptabilité"
    )
    assert "[cid:image001.png@01DB4512.3A5B6C70]\n\nDe\xa0: ATM Support" in incoming.text
    assert incoming.subject == "RE: [ATM 0000123] Erreur à la validation des factures — Résolu"
    assert incoming.attachments == (
        Part("image001.png", "image/png", raw("attachments/image001.png")),
    )
    # Outlook puts X-Auto-Response-Suppress on the mails people write.
    assert incoming.automatic == ""
    assert incoming.in_reply_to == ("notification-57@atm-consulting.fr",)


def test_gmail_reply_cuts_the_wrapped_attribution_and_the_signature() -> None:
    incoming = load("gmail_reply.eml")

    assert incoming.reply == (
        "Bonjour,\n\n"
        "Voici les précisions demandées : l'erreur apparaît dès l'ouverture de la facture.\n"
        "Je reste disponible cet après-midi si besoin.\n\n"
        "Bien à vous,"
    )
    assert (
        f"Le lun. 2 déc. 2026 à 10:00, ATM Support <\n{REPLY_TO}> a écrit{NBSP}:\n\n> Bonjour Jean,"
    ) in incoming.text
    assert incoming.sender == "jean.dupont.client@gmail.com"
    assert incoming.subject == f"Re: {SUBJECT}"
    assert incoming.message_id == (
        "CAF3xY9+q7b0vJ3Zk1mN2pQ4rS5tU6vW7xY8zA9bC0dE1fG2hIg@mail.gmail.com"
    )
    assert incoming.recipients == (REPLY_TO, "support@atm-consulting.fr")


def test_english_gmail_reply() -> None:
    incoming = load("gmail_reply_english.eml")

    assert incoming.reply == (
        "Hi,\n\nThanks, the invoices validate again on our side.\n\nBest regards,\nJohn"
    )
    assert incoming.sender == "john.smith@example-client.co.uk"
    assert incoming.sender_name == "John Smith"
    assert incoming.in_reply_to == ("notification-43@atm-consulting.fr",)


def test_thunderbird_reply_joins_its_flowed_lines_and_cuts_the_citation() -> None:
    incoming = load("thunderbird_reply.eml")

    assert incoming.reply == (
        "Bonjour,\n\n"
        "C'est corrigé pour nous aussi, merci beaucoup pour la réactivité de votre équipe sur ce "
        "sujet qui bloquait notre clôture mensuelle."
    )
    assert "\nLe 02/12/2026 à 10:00, ATM Support a écrit :\n> Bonjour Jean,\n" in incoming.text
    assert incoming.key == "8f2c1e4a-5b6d-4c7e-9f8a-1b2c3d4e5f60@client-exemple.fr"


def test_thunderbird_answer_below_the_quote_keeps_only_the_answer() -> None:
    incoming = load("thunderbird_reply_below.eml")

    assert incoming.reply == (
        "Voici la capture : l'erreur s'affiche dès que je clique sur « Valider »."
    )
    assert incoming.text.startswith("Le 02/12/2026 à 10:00, ATM Support a écrit :\n> Bonjour")


def test_iphone_reply_stops_at_its_footer() -> None:
    incoming = load("iphone_reply.eml")

    assert incoming.reply == "Merci, je regarde ça ce soir."
    assert incoming.text.startswith("Merci, je regarde ça ce soir.\n\nEnvoyé de mon iPhone\n\n> Le")
    assert incoming.sender == "s.bernard@client-exemple.fr"
    assert incoming.key == "9E4F2B6A-7C1D-4A3E-8F5B-2D6C9A1E3B7F@client-exemple.fr"


@pytest.mark.parametrize(
    ("name", "reply"),
    [
        (
            "outlook_web_reply.eml",
            "Bonjour,\n\nLe problème persiste après la mise à jour : la facture FA2612-0042 reste "
            "en brouillon quand on clique sur « Valider ».\n\n"
            "Cordialement,\nJean Dupont\nService comptabilité \u2013 Client Exemple SA",
        ),
        (
            "outlook_desktop_reply.eml",
            "Bonjour,\n\nMerci, c\u2019est bien corrigé de notre côté : "
            "les factures se valident de nouveau.\n\n"
            "Bonne journée,\n\nJean Dupont\nService comptabilité",
        ),
        (
            "gmail_reply.eml",
            "Bonjour,\n\nVoici les précisions demandées : l'erreur apparaît dès l'ouverture de la "
            "facture.\nJe reste disponible cet après-midi si besoin.\n\nBien à vous,",
        ),
        (
            "gmail_reply_english.eml",
            "Hi,\n\nThanks, the invoices validate again on our side.\n\nBest regards,\nJohn",
        ),
        (
            "thunderbird_reply.eml",
            "Bonjour,\n\nC'est corrigé pour nous aussi, merci beaucoup pour la réactivité de "
            "votre équipe sur ce sujet qui bloquait notre clôture mensuelle.",
        ),
        (
            "thunderbird_reply_below.eml",
            "Voici la capture : l'erreur s'affiche dès que je clique sur « Valider ».",
        ),
        ("iphone_reply.eml", "Merci, je regarde ça ce soir."),
    ],
)
def test_the_html_alone_gives_the_same_answer(name: str, reply: str) -> None:
    """The quoted history the clients mark in HTML (div#appendonsend, the Outlook header block,
    div.gmail_quote, blockquote type=cite…) is removed before the HTML is read as text."""
    incoming = parse(html_alone(name))

    assert incoming.reply == reply
    assert len(incoming.text) > len(reply) + 100  # the text keeps the history


def test_html_quotes_are_used_when_the_text_has_no_marker_the_parser_knows() -> None:
    """A Gmail in German: « Am … schrieb » in the text is known, but an attribution in a
    language the text rules miss is still cut by the HTML's div.gmail_quote."""
    message = EmailMessage()
    message["From"] = "Jan <jan@kunde.de>"
    message["To"] = REPLY_TO
    message["Subject"] = "Re: x"
    message.set_content(
        "Danke, erledigt.\n\nDen 2. Dez. 2026 skrev ATM Support:\n\nBonjour Jean,\n"
    )
    message.add_alternative(
        '<div dir="ltr">Danke, erledigt.</div><br><div class="gmail_quote">'
        '<div class="gmail_attr">Den 2. Dez. 2026 skrev ATM Support:</div>'
        "<blockquote>Bonjour Jean,</blockquote></div>",
        subtype="html",
    )
    incoming = parse(message.as_bytes())

    assert incoming.reply == "Danke, erledigt."
    assert (
        incoming.text == "Danke, erledigt.\n\nDen 2. Dez. 2026 skrev ATM Support:\n\nBonjour Jean,"
    )


# ---------------------------------------------------------------------------------------------
# New mails, files


def test_html_only_mail_is_read_as_text_without_script_or_entities() -> None:
    incoming = load("html_only.eml")

    assert incoming.text == (
        "Nouvelle demande\n\n"
        "Bonjour,\n\n"
        "Depuis la mise à jour d\u2019hier, l'export FEC & le grand livre échouent :\n\n"
        "- export FEC : « erreur 500 »\n"
        "- grand livre : page blanche\n\n"
        "Module Version\n"
        "Comptabilité 20.0.3\n\n"
        "Montant bloqué : 12 500 € << urgent >>\n\n"
        "Voir la page d'export (https://erp.client-exemple.fr/compta/fec.php?id=42&mode=debug) "
        "ou www.atm-consulting.fr.\n\n"
        "Merci,\nSophie Bernard"
    )
    assert incoming.reply == incoming.text
    assert incoming.subject == "Export FEC en échec"
    assert incoming.sender_name == "Sophie Bernard \u2013 ERP"
    assert (incoming.in_reply_to, incoming.references) == ((), ())
    assert reply_token(incoming.recipients, "support") == ""


def test_attachments_keep_their_decoded_names_types_and_bytes() -> None:
    incoming = load("attachments.eml")
    files = MESSAGES / "attachments"

    assert incoming.attachments == (
        Part("capture.png", "image/png", (files / "capture.png").read_bytes()),
        Part("FA2612-0042.pdf", "application/pdf", (files / "FA2612-0042.pdf").read_bytes()),
        Part("diagnostic.exe", "application/x-msdownload", (files / "diagnostic.exe").read_bytes()),
        Part(
            "Récapitulatif décembre 2026.xlsx",  # RFC 2231
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            (files / "recap.xlsx").read_bytes(),
        ),
        Part(
            "Compte-rendu réunion.docx",  # an encoded-word in quotes, as Outlook and Gmail do
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (files / "compte-rendu.docx").read_bytes(),
        ),
    )
    assert incoming.text == (
        "Bonjour,\n\n"
        "Vous trouverez ci-joint la capture de l\u2019erreur, la facture concernée et le "
        "récapitulatif de décembre.\n"
        "L\u2019outil de diagnostic fourni par notre prestataire est aussi joint.\n\n"
        "Sophie"
    )
    assert incoming.subject == "Factures bloquées — captures et export"
    # Cc's « SUPPORT@… » is the To address again.
    assert incoming.recipients == ("support@atm-consulting.fr", "jean.dupont@client-exemple.fr")


def test_mail_without_message_id_is_keyed_by_the_digest_of_its_bytes() -> None:
    data = raw("no_message_id.eml")
    incoming = parse(data)

    assert incoming.message_id == ""
    assert incoming.key == "sha256:" + hashlib.sha256(data).hexdigest()
    assert incoming.key == (
        "sha256:2082b9eefa3e7ee91b5463292d61f2f7c5429e4233b5c84d5e66698929321d71"
    )
    assert incoming.text == (
        "Tâche planifiée « Relances clients » : 3 erreurs.\n\n"
        "  - facture FA2612-0040 : client sans adresse\n"
        "  - facture FA2612-0041 : client sans adresse\n"
        "  - facture FA2612-0042 : modèle PDF introuvable"
    )
    assert incoming.sender == "erp@client-exemple.fr"
    assert incoming.sender_name == "ERP Client Exemple"


@pytest.mark.parametrize(
    ("header", "message_id"),
    [
        ("Message-ID: <>", ""),
        ("Message-ID: pas un identifiant", ""),
        ("Message-ID: <a b@x.fr>", ""),
        ("Message-ID:   < abc@x.fr >  ", "abc@x.fr"),
        ("Message-ID: abc@x.fr", "abc@x.fr"),  # without its brackets
        (f"Message-ID: <{'a' * 251}@x.fr>", ""),  # 256 characters
        (f"Message-ID: <{'a' * 250}@x.fr>", f"{'a' * 250}@x.fr"),  # 255 exactly
    ],
)
def test_a_malformed_message_id_gives_the_digest_key(header: str, message_id: str) -> None:
    data = mail(f"From: a@x.fr\n{header}")
    incoming = parse(data)

    assert incoming.message_id == message_id
    assert incoming.key == (message_id or "sha256:" + hashlib.sha256(data).hexdigest())


# ---------------------------------------------------------------------------------------------
# Automatic mails and bounces


def test_out_of_office_is_automatic() -> None:
    incoming = load("out_of_office.eml")

    assert incoming.automatic == "Auto-Submitted: auto-replied"
    assert incoming.bounce is False
    assert incoming.subject == f"Réponse automatique : {SUBJECT}"
    assert incoming.text.startswith("Bonjour,\n\nJe suis absent du 2 au 6 décembre inclus,")
    assert incoming.in_reply_to == ("notification-42@atm-consulting.fr",)


def test_dsn_bounce_names_the_notification_it_returns() -> None:
    incoming = load("bounce_dsn.eml")

    assert incoming.bounce is True
    assert incoming.bounced_ids == ("notification-42@atm-consulting.fr",)
    assert incoming.automatic == "Auto-Submitted: auto-replied"
    assert incoming.attachments == ()  # the report's parts are not files
    assert incoming.sender == "mailer-daemon@mx.atm-consulting.fr"
    assert incoming.subject == "Undelivered Mail Returned to Sender"
    assert incoming.text.startswith("This is the mail system at host mx.atm-consulting.fr.")
    assert "Recipient address rejected" in incoming.text
    assert "Reporting-MTA" not in incoming.text  # the delivery-status part is not the text


def _report(report_type: str, returned: bytes | None) -> bytes:
    """A multipart/report as an MTA writes it, with the returned message when given."""
    parts = [
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nLe message n'a pas pu \xc3\xaatre remis.",
        b"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        b"Final-Recipient: rfc822; jean@ancien-client.fr\r\nAction: failed\r\nStatus: 5.1.1",
    ]
    if returned is not None:
        parts.append(b"Content-Type: message/rfc822\r\n\r\n" + returned)
    body = b"".join(b"--rpt\r\n" + part + b"\r\n" for part in parts) + b"--rpt--\r\n"
    head = (
        b"From: postmaster@mx.client-exemple.fr\r\nTo: support@atm-consulting.fr\r\n"
        b"Subject: Non remis\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/report; report-type="
        + report_type.encode()
        + b"; boundary=rpt\r\n\r\n"
    )
    return head + body


def _notification(pk: int) -> EmailMessage:
    returned = EmailMessage()
    returned["From"] = "ATM Support <support@atm-consulting.fr>"
    returned["To"] = "jean@ancien-client.fr"
    returned["Subject"] = SUBJECT
    returned["Message-ID"] = f"<notification-{pk}@atm-consulting.fr>"
    returned.set_content("Bonjour Jean,")
    returned.add_attachment(b"%PDF-1.4", "application", "pdf", filename="releve.pdf")
    return returned


def test_exchange_report_with_the_whole_message_is_a_bounce() -> None:
    incoming = parse(_report("delivery-status", _notification(77).as_bytes()))

    assert incoming.bounce is True
    assert incoming.bounced_ids == ("notification-77@atm-consulting.fr",)
    assert incoming.automatic == "multipart/report"
    assert incoming.attachments == ()
    assert incoming.text == "Le message n'a pas pu être remis."


def test_read_receipt_report_is_automatic_but_not_a_bounce() -> None:
    incoming = parse(_report("disposition-notification", None))

    assert incoming.automatic == "multipart/report"
    assert (incoming.bounce, incoming.bounced_ids) == (False, ())


def test_classic_bounce_from_mailer_daemon_with_the_returned_message() -> None:
    message = EmailMessage()
    message["From"] = "Mail Delivery Subsystem <MAILER-DAEMON@mx.client-exemple.fr>"
    message["To"] = "support@atm-consulting.fr"
    message["Subject"] = "failure notice"
    message.set_content("Sorry, I wasn't able to deliver your message.")
    message.add_attachment(_notification(78))
    incoming = parse(message.as_bytes())

    assert incoming.bounce is True
    assert incoming.bounced_ids == ("notification-78@atm-consulting.fr",)
    assert incoming.automatic == "bounce"
    assert [(p.filename, p.content_type) for p in incoming.attachments] == [
        (f"{SUBJECT}.eml", "message/rfc822")
    ]


def test_a_person_forwarding_a_mail_as_attachment_is_no_bounce() -> None:
    message = EmailMessage()
    message["From"] = "Jean Dupont <jean@client-exemple.fr>"
    message["To"] = "support@atm-consulting.fr"
    message["Subject"] = "TR: le relevé"
    message.set_content("Voici le mail reçu hier.")
    message.add_attachment(_notification(79))
    incoming = parse(message.as_bytes())

    assert (incoming.bounce, incoming.automatic, incoming.bounced_ids) == (False, "", ())
    # The attached message is one .eml file; the PDF inside it is not a file of this mail.
    [part] = incoming.attachments
    assert (part.filename, part.content_type) == (f"{SUBJECT}.eml", "message/rfc822")
    again = parse(part.content)
    assert again.message_id == "notification-79@atm-consulting.fr"
    assert [p.filename for p in again.attachments] == ["releve.pdf"]


@pytest.mark.parametrize(
    ("headers", "automatic"),
    [
        ("Auto-Submitted: auto-generated", "Auto-Submitted: auto-generated"),
        ("Auto-Submitted: Auto-Replied; owner-email=x@y.fr", "Auto-Submitted: auto-replied"),
        ("Auto-Submitted: no", ""),
        ("X-Autoreply: yes", "X-Autoreply"),
        ("X-Autorespond: Je suis absent", "X-Autorespond"),
        ("Precedence: bulk", "Precedence: bulk"),
        ("Precedence: junk", "Precedence: junk"),
        ("Precedence: List", "Precedence: list"),
        ("Precedence: first-class", ""),
        ("Return-Path: <>", "empty Return-Path"),
        ("Return-Path: <jean@client-exemple.fr>", ""),
        ("List-Id: Clients ATM <clients.lists.atm-consulting.fr>", "mailing list"),
        ("List-Unsubscribe: <mailto:unsubscribe@lists.example.fr>", "mailing list"),
        ("X-Auto-Response-Suppress: All", ""),
        ("X-Auto-Response-Suppress: DR, RN, NRN, OOF, AutoReply", ""),
        ("", ""),
    ],
)
def test_automatic_markers(headers: str, automatic: str) -> None:
    incoming = parse(mail(f"From: Jean <jean@client-exemple.fr>\nSubject: x\n{headers}"))

    assert incoming.automatic == automatic
    assert incoming.bounce is False


# ---------------------------------------------------------------------------------------------
# strip_reply on the plain text layouts


OUR_MAIL = "Bonjour Jean,\n\nMarie Martin a ajouté une note au ticket 0000123."
QUOTED = "> Bonjour Jean,\n>\n> Marie Martin a ajouté une note au ticket 0000123."


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        # Outlook, French and English, with and without the underscores.
        (
            "Merci.\n\n________________________________\n"
            f"De : ATM Support\nEnvoyé : lundi\n{OUR_MAIL}",
            "Merci.",
        ),
        ("Merci.\n\n________________________________\nFrom: ATM Support\n\nHello", "Merci."),
        (f"Merci.\n\nDe : ATM Support <s@a.fr>\nEnvoyé : lundi 2 décembre\n{OUR_MAIL}", "Merci."),
        (f"Merci.\n\n*De :* ATM Support\n*Date :* lundi 2 décembre\n{OUR_MAIL}", "Merci."),
        (
            f"Thanks.\n\nFrom: ATM Support\nSent: Monday\nTo: John\nSubject: x\n{OUR_MAIL}",
            "Thanks.",
        ),
        (
            "Merci.\n\nDe : ATM Support <support+0000123.42.3f9a0c1d2e4b5a6f7081@atm-\n"
            f"consulting.fr>\nEnvoyé : lundi\n{OUR_MAIL}",
            "Merci.",
        ),
        (f"Merci.\n\n-----Message d'origine-----\nDe : ATM\n{OUR_MAIL}", "Merci."),
        (f"Merci.\n\n-----Original Message-----\n{OUR_MAIL}", "Merci."),
        (f"Merci.\n\n----- Mail original -----\n{OUR_MAIL}", "Merci."),
        # Gmail, Thunderbird, Apple Mail attributions, wrapped or not.
        (
            f"Merci.\n\nLe lun. 2 déc. 2026 à 10:00, Jean Dupont <jean@x.fr> a écrit :\n{QUOTED}",
            "Merci.",
        ),
        (
            "Merci.\n\nLe lun. 2 déc. 2026 à 10:00, Support ATM Consulting <\n"
            f"support@atm-consulting.fr> a\nécrit{NBSP}:\n\n{QUOTED}",
            "Merci.",
        ),
        (f"Merci.\n\nLe 02/12/2026 à 10:00, Jean Dupont a écrit :\n{QUOTED}", "Merci."),
        (
            f"Merci.\n\nLe 2 déc. 2026 à 10:00, Jean Dupont <j@x.fr> a écrit :\n\n{OUR_MAIL}",
            "Merci.",
        ),
        (
            f"Thanks.\n\nOn Mon, Dec 2, 2026 at 10:00\u202fAM Jean <j@x> wrote:\n{QUOTED}",
            "Thanks.",
        ),
        ("Danke.\n\nAm Mo., 2. Dez. 2026 um 10:00 Uhr schrieb Jean <j@x>:\n> hallo", "Danke."),
        # Signatures and mobile footers.
        ("Merci.\n\n-- \nJean Dupont\n01 23 45 67 89", "Merci."),
        ("Merci.\n--\nJean Dupont", "Merci."),
        ("Merci.\n\nEnvoyé de mon iPhone", "Merci."),
        ("Merci.\n\nSent from my iPhone\n\n> Le 2 déc. 2026, a écrit :\n> x", "Merci."),
        (
            "Merci.\n\nEnvoyé depuis mon appareil Android\n\n-------- Message d'origine --------",
            "Merci.",
        ),
        ("Merci.\n\nObtenir Outlook pour Android<https://aka.ms/AAb9ysg>\n____", "Merci."),
        ("Merci.\n\nObtenir Outlook pour iOS", "Merci."),
        # A quote block at the end goes, with its attribution; the answers between quotes stay.
        ("Merci.\n\n> Bonjour Jean,\n> une question ?", "Merci."),
        ("Merci.\n\nJean a écrit :\n> Bonjour Jean,", "Merci."),
        (
            "> Première question ?\nRéponse 1.\n\n"
            "> Deuxième question ?\nRéponse 2.\n\n> Salutations",
            "> Première question ?\nRéponse 1.\n\n> Deuxième question ?\nRéponse 2.",
        ),
        (
            "Le 02/12/2026 à 10:00, ATM Support a écrit :\n> Question 1 ?\nRéponse 1.\n"
            "> Question 2 ?\nRéponse 2.\n\n-- \nJean",
            "Le 02/12/2026 à 10:00, ATM Support a écrit :\n> Question 1 ?\nRéponse 1.\n"
            "> Question 2 ?\nRéponse 2.",
        ),
        # Not histories: a sentence about writing, « De : » without a mail header after it.
        (
            "Le client m'a écrit :\n- le total est faux\n- la TVA aussi",
            "Le client m'a écrit :\n- le total est faux\n- la TVA aussi",
        ),
        ("De : la comptabilité\nÀ faire : relancer.", "De : la comptabilité\nÀ faire : relancer."),
        ("Le total -- hors taxes -- est faux.", "Le total -- hors taxes -- est faux."),
        # Line endings and blank lines.
        ("\r\n\r\nMerci.  \r\nJean\t\r\n\r\n", "Merci.\nJean"),
    ],
)
def test_strip_reply(text: str, reply: str) -> None:
    assert strip_reply(text) == reply


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        # Nothing above the quote: the text without its quoted lines.
        (
            "Le 02/12/2026 à 10:00, Jean a écrit :\n> Bonjour",
            "Le 02/12/2026 à 10:00, Jean a écrit :",
        ),
        ("> Bonjour\n> Jean", "> Bonjour\n> Jean"),  # only quotes: the whole text
        ("-- \nJean Dupont", "--\nJean Dupont"),
        ("-----Original Message-----\nHello", "-----Original Message-----\nHello"),
        ("", ""),
    ],
)
def test_strip_reply_never_empties_a_text(text: str, reply: str) -> None:
    assert strip_reply(text) == reply


# ---------------------------------------------------------------------------------------------
# html_to_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Bonjour&nbsp;<b>Jean</b>,</p><p>Merci.</p>", "Bonjour Jean,\n\nMerci."),
        ("<div>un</div><div>deux</div><div><br></div><div>trois</div>", "un\ndeux\n\ntrois"),
        ("un<br>deux<br><br><br><br>trois", "un\ndeux\n\ntrois"),
        ("<ul><li>un</li><li>deux<ul><li>deux.un</li></ul></li></ul>", "- un\n- deux\n  - deux.un"),
        ("<ol><li>premier</li><li>second</li></ol>", "- premier\n- second"),
        ("<h2>Titre</h2>texte", "Titre\n\ntexte"),
        ("<blockquote>cité</blockquote>après", "cité\naprès"),
        ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>", "a b\nc d"),
        ('<a href="https://x.fr/t/1">le ticket</a>', "le ticket (https://x.fr/t/1)"),
        ('<a href="https://x.fr/">https://x.fr</a>', "https://x.fr"),
        ('<a href="mailto:a@x.fr">a@x.fr</a>', "a@x.fr"),
        ('<a href="mailto:a@x.fr?subject=x">Écrire</a>', "Écrire (a@x.fr)"),
        ('<a href="javascript:alert(1)">clic</a>', "clic"),
        ('<a href="https://x.fr"><img src="logo.png" alt="Logo"></a>', ""),
        ("<pre>  a\n    b</pre>suite", "  a\n    b\nsuite"),
        ("<script>alert(1)</script><style>p{}</style><title>T</title>ok", "ok"),
        ("<!-- commentaire --><![CDATA[x]]>ok", "ok"),
        ("&lt;b&gt; &amp;amp; &eacute;&#233;&#xe9; &euro;", "<b> &amp; ééé €"),
        ("<p>a</p>\n\n   \n<p>b</p>", "a\n\nb"),
        ("   texte   avec\n\tespaces   ", "texte avec espaces"),
        ("<p>non fermé <b>gras <i>italique", "non fermé gras italique"),
        ("", ""),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_html_to_text_keeps_the_quoted_history() -> None:
    html = (
        "<div>Merci.</div><div id='appendonsend'></div><div id='divRplyFwdMsg'>De : ATM</div>"
        "<div>Bonjour Jean</div>"
    )

    assert html_to_text(html) == "Merci.\nDe : ATM\nBonjour Jean"


@pytest.mark.parametrize(
    "quote",
    [
        '<div class="gmail_quote"><div class="gmail_attr">Le 2 déc. x a écrit :</div>'
        "<blockquote>Bonjour</blockquote></div>",
        '<div class="moz-cite-prefix">Le 02/12/2026, x a écrit :</div>'
        '<blockquote type="cite">B</blockquote>',
        '<div id="appendonsend"></div><hr><div id="divRplyFwdMsg">De : x</div><div>Bonjour</div>',
        '<hr><div id="divRplyFwdMsg">De : x</div><div>Bonjour</div>',
        '<div id="mail-editor-reference-message-container"><div>De : x</div>Bonjour</div>',
        '<div><div style="border:none;border-top:solid #B5C4DF 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
        "<p>De : x</p></div></div><p>Bonjour</p>",
    ],
)
def test_html_quote_markers_are_cut_from_the_reply(quote: str) -> None:
    message = EmailMessage()
    message["From"] = "jean@client-exemple.fr"
    message.set_content(
        f"<html><body><div>Merci, c'est réglé.</div>{quote}</body></html>", subtype="html"
    )
    incoming = parse(message.as_bytes())

    assert incoming.reply == "Merci, c'est réglé."
    assert incoming.text.startswith("Merci, c'est réglé.\n")
    assert len(incoming.text) > len(incoming.reply) + 5


# ---------------------------------------------------------------------------------------------
# reply_token


@pytest.mark.parametrize(
    ("recipients", "token"),
    [
        (["support+0000123.AbC-d_9@x.fr"], "0000123.AbC-d_9"),
        (["SUPPORT+0000123.abc@X.FR"], "0000123.abc"),
        (["jean@x.fr", "support@x.fr", f"support+{TOKEN}@atm-consulting.fr"], TOKEN),
        (["<support+42.x@x.fr>"], "42.x"),
        (["support@x.fr"], ""),
        (["support+@x.fr"], ""),
        (["supportx+42@x.fr"], ""),
        (["autre+42@x.fr"], ""),
        (["support+42 x@x.fr"], ""),
        (["support+42"], ""),
        ([], ""),
    ],
)
def test_reply_token(recipients: list[str], token: str) -> None:
    assert reply_token(recipients, "support") == token


def test_reply_token_without_local_part_finds_nothing() -> None:
    assert reply_token(["+42@x.fr", "support+42@x.fr"], "") == ""


# ---------------------------------------------------------------------------------------------
# Hostile and broken mails


def test_charsets_unknown_wrong_or_missing_never_raise() -> None:
    unknown = mail("From: a@x.fr\nContent-Type: text/plain; charset=x-klingon", "Déjà vu")
    wrong = b"From: a@x.fr\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nD\xe9j\xe0 vu \x80"
    missing = b"From: a@x.fr\r\nContent-Type: text/plain\r\n\r\nD\xc3\xa9j\xc3\xa0 vu"
    codec = mail("From: a@x.fr\nContent-Type: text/plain; charset=base64", "Déjà vu")

    assert parse(unknown).text == "Déjà vu"
    assert parse(wrong).text == "Déjà vu €"
    assert parse(missing).text == "Déjà vu"
    assert parse(codec).text == "Déjà vu"


def test_raw_8bit_headers_are_decoded() -> None:
    utf8 = "From: José Núñez <jose@x.fr>\r\nSubject: Café\r\n\r\nx".encode()
    latin1 = "From: José <jose@x.fr>\r\nSubject: Café\r\n\r\nx".encode("latin-1")
    broken = b"From: a@x.fr\r\nSubject: =?x-klingon?q?abc?= =?utf-8?b?!!!?= fin\r\n\r\nx"

    assert (parse(utf8).subject, parse(utf8).sender_name) == ("Café", "José Núñez")
    assert (parse(latin1).subject, parse(latin1).sender_name) == ("Café", "José")
    subject = parse(broken).subject
    assert subject.endswith("fin")
    subject.encode("utf-8")  # no surrogate left


def test_control_characters_and_nul_bytes_are_dropped() -> None:
    data = b"From: a@x.fr\r\nSubject: a\x00b\x1bc\r\n\r\nBon\x00jour\x07\r\n"
    incoming = parse(data)

    assert (incoming.subject, incoming.text, incoming.reply) == ("abc", "Bonjour", "Bonjour")


def test_filenames_lose_their_path() -> None:
    message = EmailMessage()
    message["From"] = "a@x.fr"
    message.set_content("x")
    for name in ("../../etc/passwd", "C:\\Users\\jean\\rapport.pdf", "a\x00b.txt", "..."):
        message.add_attachment(b"x", "application", "octet-stream", filename=name)
    message.add_attachment(b"y", "application", "pdf", filename=f"{'n' * 300}.pdf")
    names = [part.filename for part in parse(message.as_bytes()).attachments]

    assert names[:4] == ["passwd", "rapport.pdf", "ab.txt", ""]
    assert names[4] == f"{'n' * 251}.pdf"


def test_broken_mime_and_bad_base64_degrade() -> None:
    data = (
        b"From: a@x.fr\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n"
        b"--zz\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        b"Qm9uam91ciBKZWFu!!!***\r\n"
        b"--zz\r\nContent-Type: image/png; name=a.png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"iVBORw0KGgo=====bad\r\n"
        b"--zz\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\r\n"
    )  # no closing boundary, the last part cut in its headers
    incoming = parse(data)

    assert incoming.text.startswith("Bonjour Jean")
    assert [p.filename for p in incoming.attachments][:1] == ["a.png"]
    assert incoming.attachments[0].content.startswith(b"\x89PNG")


def test_enormous_headers_are_read_fast() -> None:
    data = (
        b"From: a@x.fr\r\nTo: " + b"jean@x.fr, " * 100_000 + b"\r\n"
        b"Subject: " + b"=?utf-8?q?a?= " * 100_000 + b"\r\n"
        b"References: " + b"<x@y> " * 100_000 + b"\r\n"
        b"Content-Type: text/plain; " + b"a=b; " * 200_000 + b"charset=utf-8\r\n"
        b"X-Junk: " + b"x" * 5_000_000 + b"\r\n\r\nBonjour"
    )
    started = time.perf_counter()
    incoming = parse(data)
    elapsed = time.perf_counter() - started

    assert elapsed < 5, elapsed
    assert incoming.sender == "a@x.fr"
    assert incoming.recipients == ("jean@x.fr",)
    assert incoming.references == ("x@y",)
    assert incoming.text == "Bonjour"


def test_a_thousand_parts_keep_a_hundred_files() -> None:
    message = EmailMessage()
    message["From"] = "a@x.fr"
    message.set_content("Mille fichiers.")
    for number in range(1000):
        message.add_attachment(b"x", "application", "octet-stream", filename=f"f{number}.bin")
    incoming = parse(message.as_bytes())

    assert len(incoming.attachments) == ATTACHMENTS_MAX == 100
    assert incoming.attachments[-1].filename == "f99.bin"
    assert incoming.text == "Mille fichiers."


@pytest.mark.parametrize("depth", [40, 3000])
def test_deeply_nested_multiparts_do_not_raise(depth: int) -> None:
    body = b""
    for level in range(depth):
        body += b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (level, level + 1)
    body += b"--b%d\r\nContent-Type: text/plain\r\n\r\nau fond\r\n" % depth
    for level in range(depth, -1, -1):
        body += b"--b%d--\r\n" % level
    data = (
        b"From: a@x.fr\r\nMessage-ID: <deep@x>\r\n"
        b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
    )
    incoming = parse(data + body)

    # Too deep to be a real mail: its headers are still read, its body is not.
    assert incoming.key == "deep@x"
    assert incoming.text == ""


def test_nested_attached_messages_are_one_file() -> None:
    inner = EmailMessage()
    inner["Subject"] = "niveau 0"
    inner.set_content("fond")
    for level in range(1, 60):
        outer = EmailMessage()
        outer["Subject"] = f"niveau {level}"
        outer.set_content("enveloppe")
        outer.add_attachment(inner)
        inner = outer
    inner["From"] = "a@x.fr"
    incoming = parse(inner.as_bytes())

    assert incoming.text == "enveloppe"
    assert [(p.filename, p.content_type) for p in incoming.attachments] == [
        ("niveau 58.eml", "message/rfc822")
    ]


def test_a_30_mb_mail_parses_in_well_under_a_few_seconds() -> None:
    payload = random.Random(5).randbytes(22_000_000)
    message = EmailMessage()
    message["From"] = "Jean <jean@client-exemple.fr>"
    message["To"] = REPLY_TO
    message["Subject"] = "Export complet"
    message["Message-ID"] = "<gros@client-exemple.fr>"
    message.set_content("Voici l'export.\n\n-- \nJean")
    message.add_alternative("<p>Voici l'export.</p>" + "<p>ligne</p>" * 200_000, subtype="html")
    message.add_attachment(payload, "application", "zip", filename="export.zip")
    data = message.as_bytes()
    assert len(data) > 30_000_000

    started = time.perf_counter()
    incoming = parse(data)
    elapsed = time.perf_counter() - started

    assert elapsed < 5, elapsed
    assert incoming.reply == "Voici l'export."
    assert incoming.attachments == (Part("export.zip", "application/zip", payload),)
    assert incoming.size == len(data)


def test_a_huge_html_body_is_read_in_part() -> None:
    html = "<p>Début.</p>" + "<div>ligne</div>" * 1_000_000
    message = EmailMessage()
    message["From"] = "a@x.fr"
    message.set_content(html, subtype="html")
    started = time.perf_counter()
    incoming = parse(message.as_bytes())

    assert time.perf_counter() - started < 5
    assert incoming.text.startswith("Début.\n\nligne\nligne")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00" * 1000,
        b"pas un courriel",
        b"From:\r\nTo:\r\nSubject:\r\nMessage-ID:\r\n\r\n",
        b"From: <>\r\nTo: undisclosed-recipients:;\r\n\r\nx",
        b'From: "\\\r\n\r\n',
        b"Content-Type: multipart/mixed\r\n\r\n--\r\n--",
        b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!",
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x--",
        b"Content-Type: text/html\r\n\r\n<![if !supportLists]><!DOCTYPE x <<<>>><a href=",
        bytes(range(256)) * 50,
    ],
)
def test_garbage_never_raises(data: bytes) -> None:
    incoming = parse(data)

    assert incoming.size == len(data)
    assert incoming.key
    for value in (incoming.text, incoming.reply, incoming.subject, incoming.sender):
        value.encode("utf-8")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=3000), seed=st.integers(0, 10_000))
def test_mutated_samples_never_raise(data: bytes, seed: int) -> None:
    """Real mails with random bytes overwritten, and random bytes alone."""
    samples = sorted(MESSAGES.glob("*.eml"))
    sample = bytearray(samples[seed % len(samples)].read_bytes())
    rng = random.Random(seed)
    for _ in range(rng.randint(1, 40)):
        sample[rng.randrange(len(sample))] = rng.randrange(256)
    for candidate in (bytes(sample), data, bytes(sample[: rng.randrange(len(sample))]) + data):
        incoming = parse(candidate)
        assert isinstance(incoming, Incoming)
        incoming.text.encode("utf-8")
        incoming.reply.encode("utf-8")
        if incoming.text.strip():
            assert incoming.reply.strip()


def test_base64_in_samples_is_real() -> None:
    """The samples' files are what the .eml files carry (a check on the samples themselves)."""
    message = BytesParser(policy=policy.default).parsebytes(raw("attachments.eml"))
    pdf = next(
        part for part in message.iter_attachments() if part.get_filename() == "FA2612-0042.pdf"
    )
    assert (
        base64.b64decode(pdf.get_payload())
        == (MESSAGES / "attachments" / "FA2612-0042.pdf").read_bytes()
    )
