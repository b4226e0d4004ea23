"""E-mail in: what a mail read from the support mailbox does (mail.inbound.fetch reads it).

- A reply to one of our mails becomes a note on its ticket, through the workflow as a note
  typed in the portal: on « Commentaire » the ticket goes back to « Affecté » (« Nouveau »
  without handler), the notifications follow. It is recognised by its reply address first
  (mail.inbound.tokens: the ticket and the recipient, signed), then by the mail it answers
  (In-Reply-To / References: one of our notifications, or a ticket's thread). The sender must
  be the user that mail was sent to, still active and still allowed to read the ticket.
- On « Résolu » the reply is a note and the ticket stays « Résolu »: most answers to a
  resolution are thanks, and reopening is the client's explicit choice (the portal's
  « Réouvrir », which says what it does to the month's hours); the handler is mailed the note
  and reopens it if the answer says the problem is still there.
- On « Fermé », which accepts nothing any more, the reply opens « Suite du ticket 0000123 »,
  linked to it, and acknowledged as a new ticket.
- A mail to the support address from an active client user opens a ticket in their
  organisation, acknowledged with its number and link; staff hear of it as of a portal ticket.
- Anything else (unknown or inactive sender, a reply from someone else than its recipient, a
  bad signature, too many tickets in the hour) opens nothing and answers nothing: it waits in
  « Courriels non rattachés » for staff. Automatic mails (auto-replies, lists) are recorded and
  ignored; a bounce marks the outbox row of the mail it returns.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User, normalize_email
from mail import outbox, sending
from mail.inbound import fetch, tokens
from mail.inbound.mailbox import FAILED, PROCESSED
from mail.inbound.parsing import Incoming, Part, reply_token
from mail.models import ERROR_MAX
from tickets import attachments, orphans
from tickets.limits import DESCRIPTION_MAX, NOTE_MAX, SUMMARY_MAX
from tickets.models import Category, LinkKind, State, Ticket, TicketLink
from tickets.services import ticket_create
from tickets.workflow import WorkflowError, note_add

from .models import INBOUND_FOLDER, Event, Inbound, InboundMail, Kind, Notification, Reason
from .outbox import enqueue
from .selectors import access_refused

logger = logging.getLogger(__name__)

# Our mails' Message-IDs (notifications.delivery._headers): a notification, a ticket's thread.
_NOTIFICATION_ID = re.compile(r"^notification-(\d{1,12})@(.+)$")
_THREAD_ID = re.compile(r"^ticket-(\d{1,12})@(.+)$")

NO_TEXT = "(courriel sans texte)"


class Unattached(Exception):
    """The mail waits for staff: the message says why, in French."""


@dataclass(frozen=True)
class Target:
    """The ticket a reply answers and the user the answered mail was sent to (None when only
    the ticket's thread is known: then any user allowed to read it may answer)."""

    ticket: Ticket
    user_id: int | None


def tickets_per_hour() -> int:
    return int(getattr(settings, "INBOUND_TICKETS_PER_HOUR", 10))


def _local_part() -> str:
    address = tokens.inbound_address()
    return address.rsplit("@", 1)[0] if "@" in address else ""


class Router:
    """The handler mail.inbound.fetch calls for every message."""

    def seen(self, key: str) -> str | None:
        status = InboundMail.objects.filter(key=key).values_list("status", flat=True).first()
        if status is None:
            return None
        return FAILED if status == Inbound.FAILED else PROCESSED

    def receive(self, raw: bytes, incoming: Incoming) -> str:
        with transaction.atomic():
            row = _record(raw, incoming)
            if row is None:  # recorded meanwhile by a concurrent pass
                return PROCESSED
            try:
                with transaction.atomic():
                    _route(row, incoming)
            except Unattached as refusal:
                row.status, row.reason = Inbound.UNATTACHED, str(refusal)
                row.ticket = row.note = None
            except WorkflowError as refusal:
                # A race with a change made meanwhile (the ticket closed...): staff decide.
                row.status, row.reason = Inbound.UNATTACHED, str(refusal)
                row.note = None
            row.save()
        return PROCESSED

    def failed(self, raw: bytes, incoming: Incoming, error: BaseException) -> None:
        with transaction.atomic():
            row = _record(raw, incoming, status=Inbound.FAILED)
            if row is not None:
                row.reason = f"{type(error).__name__}: {error}"[:ERROR_MAX]
                row.save(update_fields=["reason"])


router = Router()


def register() -> None:
    fetch.register(router)
    # The .eml of a routing that rolled back stays in the storage without its row.
    orphans.register((INBOUND_FOLDER,), stored_mails)


def stored_mails() -> Iterator[str]:
    """The .eml files the recorded mails point to."""
    return InboundMail.objects.exclude(raw="").values_list("raw", flat=True).iterator(5000)


def _record(raw: bytes, incoming: Incoming, status: str = Inbound.FAILED) -> InboundMail | None:
    """The mail's row with its .eml, or None when its key is recorded already. The status is
    FAILED until routing says better (a rollback of the routing leaves no row at all)."""
    row = InboundMail(
        key=incoming.key[:255],
        message_id=incoming.message_id[:255],
        sender=incoming.sender[:254],
        sender_name=incoming.sender_name[:255],
        subject=incoming.subject[:255],
        size=incoming.size,
        status=status,
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        return None
    digest = hashlib.sha256(raw).hexdigest()[:16]
    row.raw.save(f"{row.pk}-{digest}.eml", ContentFile(raw), save=False)
    row.save(update_fields=["raw"])
    return row


def _route(row: InboundMail, incoming: Incoming) -> None:
    if incoming.bounce:
        row.status = Inbound.BOUNCE
        row.reason = _mark_bounced(incoming)
        return
    if incoming.automatic:
        row.status, row.reason = Inbound.AUTOMATIC, incoming.automatic
        return
    user = _sender(incoming)
    row.user = user
    target = _target(incoming)
    if target is None:
        _open_ticket(row, incoming, user)
    else:
        _reply(row, incoming, user, target)


def _sender(incoming: Incoming) -> User | None:
    if not incoming.sender:
        return None
    return (
        User.objects.select_related("organisation")
        .filter(email=normalize_email(incoming.sender))
        .first()
    )


def _target(incoming: Incoming) -> Target | None:
    """The ticket the mail answers: its reply address, else the mail it says it answers."""
    tag = reply_token(incoming.recipients, _local_part()) if _local_part() else ""
    if tag:
        named = tokens.read_tag(tag)
        if named is None:
            raise Unattached("Adresse de réponse invalide : sa signature ne correspond pas.")
        ticket = Ticket.objects.filter(number=named.ticket_number).first()
        if ticket is None:
            raise Unattached("L'adresse de réponse nomme un ticket qui n'existe plus.")
        return Target(ticket, named.user_id)
    domain = sending.mail_domain()
    answered = [*reversed(incoming.in_reply_to), *reversed(incoming.references)]
    for message_id in answered:
        match = _NOTIFICATION_ID.match(message_id)
        if match and match[2] == domain:
            sent = (
                Notification.objects.filter(pk=int(match[1]))
                .values_list("event__ticket_id", "recipient_id")
                .first()
            )
            if sent is not None:
                return Target(Ticket.objects.get(pk=sent[0]), sent[1])
    for message_id in answered:
        match = _THREAD_ID.match(message_id)
        if match and match[2] == domain:
            ticket = Ticket.objects.filter(number=int(match[1])).first()
            if ticket is not None:
                return Target(ticket, None)
    return None


def _check_sender(user: User | None, incoming: Incoming, target: Target) -> User:
    """The user a reply is written by, or Unattached saying why it is not theirs to write."""
    if user is None:
        raise Unattached(f"Expéditeur inconnu : {incoming.sender or '(aucun)'}.")
    if target.user_id is not None and user.pk != target.user_id:
        raise Unattached(
            f"L'expéditeur ({user.email}) n'est pas le destinataire du courriel auquel il "
            "répond : adresse de réponse transférée ou expéditeur falsifié."
        )
    refused = access_refused(
        is_active=user.is_active,
        is_staff=user.is_staff,
        organisation_id=user.organisation_id,
        ticket_organisation_id=target.ticket.organisation_id,
        private=False,
        ticket_private=target.ticket.is_private,
    )
    if refused:
        raise Unattached(f"L'expéditeur ({user.email}) n'a pas accès au ticket : {refused}")
    return user


def _reply(row: InboundMail, incoming: Incoming, user: User | None, target: Target) -> None:
    author = _check_sender(user, incoming, target)
    ticket = target.ticket
    closed = ticket.state == State.CLOSED
    if closed:
        if author.is_staff:
            raise Unattached("Réponse d'un membre de l'équipe sur un ticket fermé.")
        _check_cap(row, author)  # before any file is read, as for a new mail
    files, refused = _files(incoming.attachments)
    text = _with_refusals(incoming.reply or incoming.text, refused, NOTE_MAX)
    if closed:
        follow_up = _create(
            author,
            category=ticket.category,
            summary=f"Suite du ticket {ticket.display_number} : {ticket.summary}",
            description=text,
            files=files,
        )
        TicketLink.objects.create(source=follow_up, target=ticket, kind=LinkKind.RELATED_TO)
        row.status, row.ticket = Inbound.TICKET, follow_up
        row.reason = f"Réponse sur le ticket fermé {ticket.display_number} : suite ouverte."
        return
    note = note_add(ticket=ticket, author=author, text=text)
    if files:
        attachments.attachments_store(ticket=ticket, files=files, by=author, note=note)
    row.status, row.ticket, row.note = Inbound.NOTE, ticket, note


def _open_ticket(row: InboundMail, incoming: Incoming, user: User | None) -> None:
    if user is None:
        raise Unattached(f"Expéditeur inconnu : {incoming.sender or '(aucun)'}.")
    if not user.is_active:
        raise Unattached(f"Compte désactivé : {user.email}.")
    if user.is_staff or user.organisation_id is None:
        raise Unattached(
            f"{user.email} est de l'équipe ATM : un ticket s'ouvre au nom d'un client."
        )
    _check_cap(row, user)
    files, refused = _files(incoming.attachments)
    ticket = _create(
        user,
        category=_default_category(),
        summary=incoming.subject or "(sans objet)",
        description=_with_refusals(incoming.text, refused, DESCRIPTION_MAX),
        files=files,
    )
    row.status, row.ticket = Inbound.TICKET, ticket


def _check_cap(row: InboundMail, user: User) -> None:
    """A sender opens at most tickets_per_hour() tickets by mail, new ones and « Suite du
    ticket … » alike: past it the mail waits for staff (a loop or a flood opens nothing)."""
    since = timezone.now() - timedelta(hours=1)
    opened = InboundMail.objects.filter(
        sender=row.sender, status=Inbound.TICKET, received_at__gte=since
    ).count()
    if opened >= tickets_per_hour():
        raise Unattached(
            f"{user.email} a déjà ouvert {opened} tickets par e-mail dans l'heure "
            f"(au plus {tickets_per_hour()})."
        )


def _default_category() -> Category:
    name = str(getattr(settings, "INBOUND_CATEGORY", "") or "")
    categories = Category.objects.filter(is_active=True).order_by("position", "name")
    category = categories.filter(name=name).first() if name else None
    category = category or categories.first()
    if category is None:
        raise Unattached("Aucune catégorie active pour y ouvrir un ticket.")
    return category


def _create(
    reporter: User,
    *,
    category: Category,
    summary: str,
    description: str,
    files: list[SimpleUploadedFile],
) -> Ticket:
    """A ticket opened by mail: as in the portal, plus the acknowledgement to its sender."""
    summary = " ".join(summary.split())
    if len(summary) > SUMMARY_MAX:
        summary = summary[: SUMMARY_MAX - 1] + "…"
    ticket = ticket_create(
        reporter=reporter, category=category, summary=summary, description=description
    )
    if files:
        attachments.attachments_store(ticket=ticket, files=files, by=reporter)
    _acknowledge(ticket, reporter)
    return ticket


def _acknowledge(ticket: Ticket, reporter: User) -> None:
    """The sender is told the number and link, through the outbox (the author of a portal
    ticket sees them on the page; by mail, this is how they learn them)."""
    event = Event.objects.filter(ticket=ticket, kind=Kind.CREATED).first()
    if event is None or not reporter.email:  # mails muted (imports, demo)
        return
    row = Notification.objects.create(
        event=event, recipient=reporter, reason=Reason.ACKNOWLEDGEMENT
    )
    transaction.on_commit(lambda: enqueue([row.pk]), robust=True)


def _files(parts: tuple[Part, ...]) -> tuple[list[SimpleUploadedFile], list[str]]:
    """The attachments that pass the portal's checks, and a sentence for each refused one: a
    mail is one submission (count, size and image pixels together), whose parts past a limit
    are refused one by one instead of the whole."""
    accepted: list[SimpleUploadedFile] = []
    refused: list[str] = []
    total = 0
    pixels = attachments.PixelBudget()
    for part in parts:
        upload = SimpleUploadedFile(
            part.filename or "sans-nom", part.content, part.content_type or ""
        )
        shown = attachments.safe_name(part.filename) or "sans nom"
        if len(accepted) >= attachments.MAX_FILES:
            refused.append(f"« {shown} » : plus de {attachments.MAX_FILES} fichiers par envoi.")
            continue
        if total + len(part.content) > attachments.MAX_FILES_TOTAL:
            refused.append(
                f"« {shown} » : les fichiers joints dépassent "
                f"{attachments.MAX_FILES_TOTAL // (1024 * 1024)} Mo en tout."
            )
            continue
        # From the image's header, before Pillow decodes it in inspect_upload.
        if not pixels.take(upload):
            refused.append(pixels.refusal(upload))
            continue
        try:
            attachments.inspect_upload(upload)
        except attachments.Refused as refusal:
            refused.append(str(refusal))
            continue
        total += len(part.content)
        accepted.append(upload)
    return accepted, refused


def _with_refusals(text: str, refused: list[str], limit: int) -> str:
    """The text as the note or description shows it: the refused files named at the end, the
    whole cut to the field's limit (the .eml keeps everything)."""
    text = text.strip() or NO_TEXT
    tail = ""
    if refused:
        lines = "\n".join(f"- {reason}" for reason in refused)
        tail = f"\n\nPièces jointes refusées :\n{lines}"
    cut = "\n[…] (texte complet dans le courriel d'origine, conservé par l'équipe ATM)"
    if len(text) + len(tail) > limit:
        text = text[: max(limit - len(tail) - len(cut), 0)] + cut
    return (text + tail)[:limit]


def _mark_bounced(incoming: Incoming) -> str:
    """A bounce fails the outbox row of the mail it returns; says which, for staff."""
    reason = f"Rejeté par le serveur du destinataire ({incoming.subject or 'sans objet'})."
    marked = outbox.mark_bounced(incoming.bounced_ids, reason[:ERROR_MAX])
    if not marked:
        return "Rejet d'un courriel qui n'est pas l'un des nôtres."
    return "Rejet de : " + ", ".join(marked)


def attach(mail: InboundMail, *, ticket: Ticket, by: User, incoming: Incoming) -> Any:
    """Staff attach a waiting mail to a ticket: a note by its sender when they are a user of
    the ticket's organisation, else by the staff member, saying whom it came from."""
    sender = _sender(incoming)
    files, refused = _files(incoming.attachments)
    text = incoming.reply or incoming.text
    if sender is not None and (sender.is_staff or sender.organisation_id == ticket.organisation_id):
        author = sender
    else:
        author = by
        text = f"Courriel de {incoming.sender or '(expéditeur inconnu)'} :\n\n{text}"
    with transaction.atomic():
        _claim(mail)
        note = note_add(ticket=ticket, author=author, text=_with_refusals(text, refused, NOTE_MAX))
        if files:
            attachments.attachments_store(ticket=ticket, files=files, by=author, note=note)
        _handled(mail, by, Inbound.NOTE, ticket=ticket, note=note)
    return note


def open_for(
    mail: InboundMail, *, reporter: User, category: Category, by: User, incoming: Incoming
) -> Ticket:
    """Staff open a ticket from a waiting mail, in the name of a client user."""
    files, refused = _files(incoming.attachments)
    with transaction.atomic():
        _claim(mail)
        ticket = _create(
            reporter,
            category=category,
            summary=incoming.subject or "(sans objet)",
            description=_with_refusals(incoming.text, refused, DESCRIPTION_MAX),
            files=files,
        )
        _handled(mail, by, Inbound.TICKET, ticket=ticket)
    return ticket


def dismiss(mail: InboundMail, *, by: User) -> None:
    with transaction.atomic():
        _claim(mail)
        _handled(mail, by, Inbound.DISMISSED)


# What staff may still decide about: a mail nobody could attach, or one that failed.
WAITING = (Inbound.UNATTACHED, Inbound.FAILED)


def _claim(mail: InboundMail) -> None:
    """Lock the mail's row: two technicians deciding at the same instant make one decision,
    the second is told it is taken."""
    status = (
        InboundMail.objects.select_for_update().filter(pk=mail.pk).values_list("status", flat=True)
    )
    if status.first() not in WAITING:
        raise WorkflowError("Ce courriel a déjà été traité par un collègue.")


def _handled(mail: InboundMail, by: User, status: str, **links: Any) -> None:
    mail.status, mail.handled_by, mail.handled_at = status, by, timezone.now()
    for name, value in links.items():
        setattr(mail, name, value)
    mail.save()
